"""Writing the audit log: one call per action, inside the action's unit of work."""

from __future__ import annotations

from ..database import require_write
from ..extensions import db
from ..models import Admin, AuditAction, AuditEvent, OutboxMessage, Signature, Statement


def record(
    action: AuditAction,
    admin: Admin | None,
    *,
    signature: Signature | None = None,
    statement: Statement | None = None,
    subject_admin: Admin | None = None,
    message: OutboxMessage | None = None,
    detail: str = "",
    changes: dict[str, list[object]] | None = None,
) -> AuditEvent:
    """Add one event: who (``admin``; None for a signatory or a stranger) did what to what.

    ``detail`` must never hold personal data: whatever an admin typed (a
    rejection reason) could name someone, and the log outlives erasure.
    ``changes`` ({field: [before, after]}) likewise: only for statements.
    """
    require_write()
    event = AuditEvent(
        admin_id=admin.id if admin is not None else None,
        action=action,
        signature_id=signature.id if signature is not None else None,
        statement_id=statement.id if statement is not None else None,
        subject_admin_id=subject_admin.id if subject_admin is not None else None,
        outbox_message_id=message.id if message is not None else None,
        detail=detail,
        changes=changes,
    )
    db.session.add(event)
    return event
