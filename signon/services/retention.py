"""Retention: personal data is kept no longer than it is needed."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func

from ..database import require_write, utcnow
from ..extensions import db
from ..models import OutboxMessage, OutboxState, Signature, SignatureState


def purge_unconfirmed(days: int) -> int:
    """Delete pending signatures whose last confirmation email is ``days`` old.

    Counted from the last email rather than the first, so a link re-sent on
    the last day still has its full lifetime. Their queued emails go with them
    (the outbox's foreign key cascades).
    """
    cutoff = utcnow() - dt.timedelta(days=days)
    last_contact = func.coalesce(Signature.confirmation_sent_at, Signature.created_at)
    require_write()
    result = db.session.execute(
        delete(Signature)
        .where(Signature.state == SignatureState.pending, last_contact < cutoff)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def purge_rejected(days: int) -> int:
    """Delete signatures rejected more than ``days`` ago; how many.

    A rejected signature was never public, yet it keeps the name, the
    contact, a person's affiliation and every answer. Once the decision is
    old there is no reason to hold them: the audit log keeps that a
    rejection happened, without the signature. Their emails and answers go
    with them (the foreign keys cascade).
    """
    cutoff = utcnow() - dt.timedelta(days=days)
    require_write()
    result = db.session.execute(
        delete(Signature)
        .where(Signature.state == SignatureState.rejected, Signature.rejected_at < cutoff)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def purge_sent_email(days: int) -> int:
    """Delete emails sent more than ``days`` ago; how many.

    A sent email still holds its recipient's name and address and working
    links; once delivered, the row serves only as a short record of it.
    Failed emails stay until an admin retries them or they are erased.
    """
    cutoff = utcnow() - dt.timedelta(days=days)
    require_write()
    result = db.session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.state == OutboxState.sent, OutboxMessage.sent_at < cutoff)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount
