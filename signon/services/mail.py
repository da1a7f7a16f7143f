"""One function per email the app sends; each adds it to the outbox."""

from __future__ import annotations

from flask import current_app

from ..models import OutboxMessage, Signature
from . import outbox, tokens
from .urls import public_url


def confirmation_email(signature: Signature) -> OutboxMessage:
    """Ask the contact to confirm the signature; offers the withdraw link too."""
    return _signature_email(
        "confirm",
        signature,
        confirm_url=_link("signing.confirm", signature, tokens.CONFIRM),
        confirm_days=current_app.config["CONFIRM_TOKEN_MAX_AGE"] // 86400,
    )


def verified_email(signature: Signature) -> OutboxMessage:
    """Tell the contact their organisation is now listed publicly."""
    return _signature_email("verified", signature)


def _signature_email(kind: str, signature: Signature, **context: object) -> OutboxMessage:
    """Every signature email names the statement and carries the withdraw link."""
    assert signature.contact_email is not None, "no email for an erased signature"
    statement = signature.statement
    return outbox.enqueue(
        kind,
        signature.contact_email,
        signature=signature,
        statement=statement,
        contact_name=signature.contact_name,
        org_name=signature.org_name,
        show_name=signature.show_name,
        statement_url=public_url("public.statement", slug=statement.slug),
        withdraw_url=_link("signing.withdraw", signature, tokens.WITHDRAW),
        **context,
    )


def _link(endpoint: str, signature: Signature, purpose: str) -> str:
    return public_url(endpoint, token=tokens.make_token(signature, purpose))
