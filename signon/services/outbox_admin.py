"""What admins see of the outbox, and the one thing they may do to it."""

from __future__ import annotations

from sqlalchemy import func, select, update

from ..database import require_write, utcnow
from ..extensions import db
from ..models import Admin, AuditAction, OutboxMessage, OutboxState
from . import audit


def state_counts() -> dict[OutboxState, int]:
    """How many messages are in each state (every state present, zero or not)."""
    counts = dict.fromkeys(OutboxState, 0)
    rows = db.session.execute(
        select(OutboxMessage.state, func.count(OutboxMessage.id)).group_by(OutboxMessage.state)
    )
    for state, count in rows:
        counts[OutboxState(state)] = count
    return counts


def troubled(limit: int = 200) -> list[OutboxMessage]:
    """Failed messages, and queued ones that have failed at least once; newest first."""
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(
                (OutboxMessage.state == OutboxState.failed)
                | ((OutboxMessage.state == OutboxState.queued) & (OutboxMessage.attempts > 0))
            )
            .order_by(OutboxMessage.id.desc())
            .limit(limit)
        )
    )


def retry(message_id: int, admin: Admin) -> bool:
    """Give a failed message a fresh set of attempts, due now. False if not failed."""
    require_write()
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.state == OutboxState.failed)
        .values(
            state=OutboxState.queued,
            attempts=0,
            next_attempt_at=utcnow(),
            failed_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    changed = result.rowcount == 1
    if changed:
        message = db.session.get(OutboxMessage, message_id)
        audit.record(AuditAction.retry_email, admin, message=message)
    return changed
