"""Admin accounts, created from the command line, and their login sessions."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column

from ..database import utcnow
from ..extensions import db


class Admin(UserMixin, db.Model):
    """A person who verifies signatures. The password is stored as Argon2id."""

    __tablename__ = "admin"
    __table_args__ = (
        # Addresses are compared as typed in any case; storing them lower-case
        # lets the unique constraint see "Ann@x.org" and "ann@x.org" as one.
        sa.CheckConstraint("email = lower(email)", name="email_lower_case"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[dt.datetime | None]

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    def __repr__(self) -> str:
        return f"<Admin {self.id}>"


class AdminSession(db.Model):
    """One logged-in browser. Deleting the row ends the session everywhere.

    The cookie holds a random id; the table holds only its keyed hash, so a
    copy of the database does not let anyone take over a session.
    """

    __tablename__ = "admin_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    admin_id: Mapped[int] = mapped_column(
        sa.ForeignKey("admin.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
