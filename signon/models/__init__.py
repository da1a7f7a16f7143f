"""Database models, one module per aggregate."""

from .admin import Admin, AdminSession
from .audit import AuditAction, AuditEvent
from .network import NetworkKey
from .outbox import OutboxMessage, OutboxState
from .question import QuestionKind, SignatureAnswer, StatementQuestion
from .signature import OrganisationType, SignatoryKind, Signature, SignatureState
from .statement import (
    Statement,
    StatementState,
    StatementTranslation,
    StatementVersion,
    WhoMaySign,
)

__all__ = [
    "Admin",
    "AdminSession",
    "AuditAction",
    "AuditEvent",
    "NetworkKey",
    "OrganisationType",
    "OutboxMessage",
    "OutboxState",
    "QuestionKind",
    "SignatoryKind",
    "Signature",
    "SignatureAnswer",
    "SignatureState",
    "Statement",
    "StatementQuestion",
    "StatementState",
    "StatementTranslation",
    "StatementVersion",
    "WhoMaySign",
]
