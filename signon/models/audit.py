"""The audit log: who did what to which record, and when."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..database import utcnow
from ..extensions import db
from .types import enum_column


class AuditAction(enum.StrEnum):
    """Everything the log can record; the database refuses any other value."""

    verify = "verify"
    reject = "reject"
    approve_comment = "approve-comment"
    hide_comment = "hide-comment"
    withdraw = "withdraw"  # by the signatory, through their link
    reconfirm = "reconfirm"  # by the signatory: they sign the statement's new version
    erase = "erase"  # by an admin, for a personal data request
    export = "export"
    retry_email = "retry-email"
    login = "login"
    login_failed = "login-failed"
    logout = "logout"
    logout_everywhere = "logout-everywhere"
    password_changed = "password-changed"  # noqa: S105 -- an action name
    deactivate = "deactivate"
    activate = "activate"
    create_statement = "statement-create"
    edit_statement = "statement-edit"
    publish_statement = "statement-publish"
    close_statement = "statement-close"
    reopen_statement = "statement-reopen"
    launch_statement = "statement-launch"
    add_question = "question-add"
    remove_question = "question-remove"


class AuditEvent(db.Model):
    """One action. Rows are only ever added.

    An event may point at what it was about: a signature, a statement, an
    admin account (a login, a deactivation) or an email. The pointers go NULL
    when their row is deleted; the event stays.
    """

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Who acted; NULL for a signatory acting through their link, or a failed
    # login that named no account.
    admin_id: Mapped[int | None] = mapped_column(sa.ForeignKey("admin.id", ondelete="SET NULL"))
    action: Mapped[AuditAction] = mapped_column(
        enum_column(AuditAction, "audit_action", length=40)
    )
    signature_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("signature.id", ondelete="SET NULL"), index=True
    )
    statement_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("statement.id", ondelete="SET NULL"), index=True
    )
    subject_admin_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("admin.id", ondelete="SET NULL"), index=True
    )
    outbox_message_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("outbox_message.id", ondelete="SET NULL"), index=True
    )
    # Never personal data: state names, counts, "unknown account".
    detail: Mapped[str] = mapped_column(sa.String(500), default="")
    # What an edit changed: {field: [before, after]}, as JSON text and
    # numbers. Only for records that hold no personal data (statements).
    changes: Mapped[dict[str, list[object]] | None] = mapped_column(sa.JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
