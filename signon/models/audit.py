"""The audit log: who did what to which signature, and when."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..database import utcnow
from ..extensions import db


class AuditEvent(db.Model):
    """One admin action. Rows are only ever added."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    admin_id: Mapped[int | None] = mapped_column(sa.ForeignKey("admin.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(sa.String(40))
    signature_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("signature.id", ondelete="SET NULL"), index=True
    )
    # Never personal data: state names, counts, a rejection reason.
    detail: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
