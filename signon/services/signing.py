"""The lifecycle of a signature: submit, confirm, verify, reject, withdraw.

Each operation opens its own write transaction, changes the signature, adds
the email the change causes to the outbox, records admin actions in the audit
log, and commits once: a change and its email land together or not at all.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ..database import begin_write, utcnow
from ..extensions import db
from ..models import (
    Admin,
    AuditEvent,
    OrganisationType,
    OutboxMessage,
    Signature,
    SignatureState,
    Statement,
)
from . import tokens
from .addresses import canonical_email
from .mail import confirmation_email, verified_email


@dataclass(frozen=True)
class SignatureData:
    """What the sign-on form collects, already validated and normalised."""

    org_name: str
    org_type: OrganisationType
    country: str
    contact_name: str
    contact_email: str
    city: str = ""
    website: str = ""
    contact_role: str = ""
    comment: str = ""
    show_name: bool = True


class Submission(enum.Enum):
    """What ``submit`` did. Views must not show it: the page is always the same."""

    created = "created"
    resent = "resent"
    unchanged = "unchanged"


def submit(statement: Statement, data: SignatureData, *, ip_hash: str | None) -> Submission:
    """Record a new pending signature and queue its confirmation email.

    If this address (canonicalised) already signed the statement, nothing is
    created: an unconfirmed signature gets a fresh confirmation email (at
    most once per CONFIRM_RESEND_INTERVAL) and anything else is left alone.

    A repeat answers about a millisecond faster than a new signature (no
    INSERT). That is accepted rather than padded with sleeps that would tie
    up workers in a spike: measuring it needs hundreds of samples, the
    per-address rate limit allows a handful an hour, and probing an address
    that has not signed creates a pending signature and emails its owner.
    """
    statement_id = statement.id
    canonical = canonical_email(data.contact_email, current_app.config["CANONICAL_EMAIL_DOMAINS"])
    begin_write()
    existing = _find(statement_id, canonical)
    if existing is not None:
        outcome = _resend(existing)
        db.session.commit()
        return outcome
    signature = Signature(
        statement_id=statement_id,
        org_name=data.org_name,
        org_type=data.org_type,
        country=data.country,
        city=data.city,
        website=data.website,
        comment=data.comment,
        show_name=data.show_name,
        contact_name=data.contact_name,
        contact_email=data.contact_email,
        email_canonical=canonical,
        contact_role=data.contact_role or None,
        ip_hash=ip_hash,
        confirmation_sent_at=utcnow(),
    )
    db.session.add(signature)
    try:
        db.session.flush()  # the id goes into the confirmation link
        confirmation_email(signature)
        db.session.commit()
    except IntegrityError:
        # The same address signed in a concurrent request (PostgreSQL; SQLite
        # serialises writers): treat this one as the repeat it is.
        db.session.rollback()
        begin_write()
        existing = _find(statement_id, canonical)
        if existing is None:
            raise
        outcome = _resend(existing)
        db.session.commit()
        return outcome
    return Submission.created


def _find(statement_id: int, canonical: str) -> Signature | None:
    # Locked (PostgreSQL), so two simultaneous repeats cannot both re-send.
    return db.session.scalar(
        select(Signature)
        .where(
            Signature.statement_id == statement_id,
            Signature.email_canonical == canonical,
        )
        .with_for_update()
    )


def _resend(signature: Signature) -> Submission:
    if signature.state is not SignatureState.pending:
        return Submission.unchanged
    interval = dt.timedelta(seconds=current_app.config["CONFIRM_RESEND_INTERVAL"])
    last = signature.confirmation_sent_at
    if last is not None and utcnow() - last < interval:
        return Submission.unchanged
    signature.confirmation_sent_at = utcnow()
    confirmation_email(signature)
    return Submission.resent


def awaiting_verification() -> list[Signature]:
    """Confirmed signatures waiting for an admin, oldest confirmation first."""
    return list(
        db.session.scalars(
            select(Signature)
            .options(joinedload(Signature.statement))  # one query, not one per row
            .where(Signature.state == SignatureState.confirmed)
            .order_by(Signature.confirmed_at, Signature.id)
        )
    )


def signature_for_token(token: str, purpose: str) -> Signature:
    """The signature a confirm or withdraw link is for.

    Raises ``tokens.TokenExpired`` or ``tokens.TokenInvalid``; an erased
    signature's links are invalid.
    """
    signature_id, fingerprint = tokens.signature_id_from_token(token, purpose)
    signature = db.session.get(Signature, signature_id, with_for_update=True)
    return tokens.check_fingerprint(signature, fingerprint)


def _lock(signature: Signature) -> None:
    # Re-read under a row lock (PostgreSQL; SQLite's BEGIN IMMEDIATE already
    # excludes other writers), so two admins cannot both act on one state.
    # OF signature: the row may have been loaded with its statement joined,
    # and PostgreSQL cannot lock the nullable side of an outer join.
    db.session.refresh(signature, with_for_update={"of": Signature})


class StatementClosed(Exception):
    """The statement stopped taking signatures before this one was confirmed."""


def confirm(token: str) -> Signature:
    """Confirm the signature behind ``token``; harmless when repeated.

    A statement that needs no verification makes it public at once, and the
    contact is told so by email. Raises ``StatementClosed`` for a pending
    signature whose statement closed (or passed its deadline) meanwhile.
    """
    begin_write()
    signature = signature_for_token(token, tokens.CONFIRM)
    if signature.state is SignatureState.pending and not signature.statement.is_open:
        db.session.rollback()
        raise StatementClosed
    verify_now = not signature.statement.needs_verification
    if signature.confirm(verify=verify_now) and verify_now:
        verified_email(signature)
    db.session.commit()
    return signature


def verify(signature: Signature, admin: Admin) -> bool:
    """An admin makes a confirmed signature public; the contact is emailed."""
    begin_write()
    _lock(signature)
    changed = signature.verify()
    if changed:
        verified_email(signature)
        _audit(admin, "verify", signature)
    db.session.commit()
    return changed


def reject(signature: Signature, admin: Admin, reason: str = "") -> bool:
    """An admin turns a confirmed signature down; the signatory is not emailed."""
    begin_write()
    _lock(signature)
    changed = signature.reject(reason.strip())
    if changed:
        # The reason stays on the signature only, where withdrawal erases it.
        _audit(admin, "reject", signature)
    db.session.commit()
    return changed


def approve_comment(signature: Signature, admin: Admin, approved: bool) -> bool:
    """Publish (or hide again) a signature's public comment."""
    begin_write()
    _lock(signature)
    changed = bool(signature.comment) and signature.comment_approved is not approved
    if changed:
        signature.comment_approved = approved
        _audit(admin, "approve-comment" if approved else "hide-comment", signature)
    db.session.commit()
    return changed


def withdraw(signature: Signature, admin: Admin | None = None) -> bool:
    """Take the signature off every list and erase its personal data.

    Queued emails go too: they hold the contact's name and address.
    """
    begin_write()
    _lock(signature)
    signature_id = signature.id
    changed = signature.withdraw()
    if changed:
        db.session.execute(delete(OutboxMessage).where(OutboxMessage.signature_id == signature_id))
        _audit(admin, "withdraw" if admin is None else "erase", signature)
    db.session.commit()
    return changed


def _audit(admin: Admin | None, action: str, signature: Signature) -> None:
    # No detail: whatever an admin might write there (a reason) could name
    # someone, and the audit log is not erased with the signature.
    db.session.add(
        AuditEvent(
            admin_id=admin.id if admin is not None else None,
            action=action,
            signature_id=signature.id,
        )
    )
