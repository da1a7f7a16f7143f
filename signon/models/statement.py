"""A statement: the text organisations sign."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..database import utcnow
from ..extensions import db
from .types import enum_column


class StatementState(enum.StrEnum):
    """Where a statement is in its life: only ``open`` ones take signatures."""

    draft = "draft"
    open = "open"
    closed = "closed"


def taking_signatures(
    state: StatementState, deadline: dt.datetime | None, now: dt.datetime
) -> bool:
    """Whether a statement in ``state`` with ``deadline`` takes signatures at ``now``."""
    return state is StatementState.open and (deadline is None or now < deadline)


class Statement(db.Model):
    """A published text with its sign-on settings."""

    __tablename__ = "statement"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    publisher: Mapped[str] = mapped_column(sa.String(200))
    published_on: Mapped[dt.date | None]
    # Markdown with footnotes; sanitised when rendered (services.markdown).
    body: Mapped[str] = mapped_column(sa.Text)
    state: Mapped[StatementState] = mapped_column(
        enum_column(StatementState, "statement_state"), default=StatementState.draft
    )
    # When False, a confirmed signature is verified (public) at once.
    needs_verification: Mapped[bool] = mapped_column(default=True)
    signing_deadline: Mapped[dt.datetime | None]
    # Raised in the same transaction as anything that changes what the public
    # sees of the statement (a signature verified or withdrawn, a comment
    # shown or hidden, the text or settings edited). Public pages are cached,
    # and their ETags made, by it, before anything is rendered. Admins and
    # withdrawals set its pace, never the signing spike: no counter row.
    public_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # When public_version last rose: the Last-Modified of exports and feeds.
    public_changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def is_open(self) -> bool:
        """Whether the sign-on form is offered and accepted right now."""
        return taking_signatures(self.state, self.signing_deadline, utcnow())

    def __repr__(self) -> str:
        return f"<Statement {self.slug}>"
