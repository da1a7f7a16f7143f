"""One function per email the app sends; each adds it to the outbox.

Emails to a signatory carry only what the site wrote and what that person
confirmed. A confirmation email goes to an address nobody has vouched for
yet, so it quotes nothing a stranger typed into the form: otherwise anyone
could make the site's own address deliver their text ("…re-verify at
https://evil.example") to someone else's inbox. The confirm page, behind
the link, shows what was entered.
"""

from __future__ import annotations

from flask import current_app

from ..models import OutboxMessage, Signature
from . import outbox, tokens
from .outbox import RenderedEmail
from .urls import public_url


def confirmation_email(signature: Signature) -> RenderedEmail:
    """Ask the contact to confirm the signature; offers the withdraw link too."""
    return _render(
        "confirm",
        signature,
        confirm_url=_link("signing.confirm", signature, tokens.CONFIRM),
        confirm_days=current_app.config["CONFIRM_TOKEN_MAX_AGE"] // 86400,
    )


def already_signed_email(signature: Signature) -> RenderedEmail:
    """Tell the contact that their address was used to sign again; nothing changed."""
    return _render("already_signed", signature)


def verified_email(signature: Signature) -> RenderedEmail:
    """Tell the contact their organisation is now listed publicly."""
    return _render("verified", signature)


def send(email: RenderedEmail, signature: Signature) -> OutboxMessage:
    """Queue ``email`` for the signature's contact, in the caller's unit of work."""
    assert signature.contact_email is not None, "no email for an erased signature"
    return outbox.enqueue(email, signature.contact_email, signature=signature)


def _render(kind: str, signature: Signature, **context: object) -> RenderedEmail:
    """Every signature email names the statement and carries the withdraw link."""
    statement = signature.statement
    return outbox.render(
        kind,
        statement=statement,
        signature=signature,
        statement_url=public_url("public.statement", slug=statement.slug),
        withdraw_url=_link("signing.withdraw", signature, tokens.WITHDRAW),
        **context,
    )


def _link(endpoint: str, signature: Signature, purpose: str) -> str:
    return public_url(endpoint, token=tokens.make_token(signature, purpose))
