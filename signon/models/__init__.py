"""Database models, one module per aggregate."""

from .admin import Admin, AdminSession
from .audit import AuditAction, AuditEvent
from .network import NetworkKey
from .outbox import OutboxMessage, OutboxState
from .signature import OrganisationType, Signature, SignatureState
from .statement import Statement, StatementState, StatementTranslation, StatementVersion

__all__ = [
    "Admin",
    "AdminSession",
    "AuditAction",
    "AuditEvent",
    "NetworkKey",
    "OrganisationType",
    "OutboxMessage",
    "OutboxState",
    "Signature",
    "SignatureState",
    "Statement",
    "StatementState",
    "StatementTranslation",
    "StatementVersion",
]
