"""Database models, one module per aggregate."""

from .admin import Admin
from .audit import AuditEvent
from .outbox import OutboxMessage, OutboxState
from .signature import OrganisationType, Signature, SignatureState
from .statement import Statement, StatementState

__all__ = [
    "Admin",
    "AuditEvent",
    "OrganisationType",
    "OutboxMessage",
    "OutboxState",
    "Signature",
    "SignatureState",
    "Statement",
    "StatementState",
]
