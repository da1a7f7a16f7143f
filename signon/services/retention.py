"""Retention: personal data is kept no longer than it is needed."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete

from ..database import begin_write, utcnow
from ..extensions import db
from ..models import Signature, SignatureState


def purge_unconfirmed(days: int) -> int:
    """Delete pending signatures created more than ``days`` ago; how many.

    Their queued emails go with them (the outbox's foreign key cascades).
    """
    cutoff = utcnow() - dt.timedelta(days=days)
    begin_write()
    result = db.session.execute(
        delete(Signature)
        .where(Signature.state == SignatureState.pending, Signature.created_at < cutoff)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount
