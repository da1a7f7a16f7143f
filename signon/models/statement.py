"""A statement: the text organisations sign."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import utcnow
from ..extensions import db
from .types import enum_column

if TYPE_CHECKING:
    from .question import StatementQuestion


class StatementState(enum.StrEnum):
    """Where a statement is in its life: only ``open`` ones take signatures."""

    draft = "draft"
    open = "open"
    closed = "closed"


class WhoMaySign(enum.StrEnum):
    """Who a statement's form is for."""

    organisations = "organisations"
    individuals = "individuals"
    both = "both"

    @property
    def organisations_may(self) -> bool:
        """Whether organisations may sign."""
        return self is not WhoMaySign.individuals

    @property
    def individuals_may(self) -> bool:
        """Whether people may sign in their own name."""
        return self is not WhoMaySign.organisations


def taking_signatures(
    state: StatementState,
    deadline: dt.datetime | None,
    now: dt.datetime,
    embargo_token: str | None = None,
) -> bool:
    """Whether a statement in ``state`` with ``deadline`` takes signatures at ``now``.

    Open ones do; so does a draft with a private link, before its launch
    (its founding signatories sign through that link).
    """
    if deadline is not None and now >= deadline:
        return False
    return state is StatementState.open or (
        state is StatementState.draft and embargo_token is not None
    )


class Statement(db.Model):
    """A published text with its sign-on settings."""

    __tablename__ = "statement"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    # One or two sentences under the title, and the summary on sharing cards.
    standfirst: Mapped[str | None] = mapped_column(sa.String(600))
    publisher: Mapped[str] = mapped_column(sa.String(200))
    published_on: Mapped[dt.date | None]
    # Markdown with footnotes; sanitised when rendered (services.markdown).
    body: Mapped[str] = mapped_column(sa.Text)
    # The language the title and body are written in; translations of them
    # into other languages are StatementTranslation rows.
    language: Mapped[str] = mapped_column(sa.String(8), default="en", server_default="en")
    state: Mapped[StatementState] = mapped_column(
        enum_column(StatementState, "statement_state"), default=StatementState.draft
    )
    # When False, a confirmed signature is verified (public) at once.
    needs_verification: Mapped[bool] = mapped_column(default=True)
    signing_deadline: Mapped[dt.datetime | None]
    # Organisations, individuals in their own name, or both (the sign-on
    # form then asks which). Changing it never touches existing signatures.
    who_may_sign: Mapped[WhoMaySign] = mapped_column(
        enum_column(WhoMaySign, "who_may_sign"),
        default=WhoMaySign.organisations,
        server_default=WhoMaySign.organisations.value,
    )
    # Raised in the same transaction as anything that changes what the public
    # sees of the statement (a signature verified or withdrawn, a comment
    # shown or hidden, the text or settings edited). Public pages are cached,
    # and their ETags made, by it, before anything is rendered. Admins and
    # withdrawals set its pace, never the signing spike: no counter row.
    public_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # When public_version last rose: the Last-Modified of exports and feeds.
    public_changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # The number of its newest published version (StatementVersion); 0 while
    # it has never been published. Signatures record the one they signed.
    version: Mapped[int] = mapped_column(default=0, server_default="0")
    # Before launch, a draft may collect founding signatories through a
    # private link, /e/<embargo_token>: unguessable, revocable (set to NULL),
    # never cached or indexed. Kept readable, not hashed, so that admins can
    # copy the link again; it opens one draft's sign-on form and nothing else.
    embargo_token: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    # When it goes public by itself (the outbox worker launches it); NULL: by
    # an admin's button. launched_at: when it did.
    launch_at: Mapped[dt.datetime | None]
    launched_at: Mapped[dt.datetime | None]
    # The newest version that changed what signatories agreed to; those who
    # signed one before it are asked to confirm again, and until they do the
    # public list says which version they signed. 0: no such change.
    substantial_version: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    translations: Mapped[list[StatementTranslation]] = relationship(
        back_populates="statement",
        cascade="all, delete-orphan",
        order_by="StatementTranslation.language",
    )
    versions: Mapped[list[StatementVersion]] = relationship(
        back_populates="statement",
        cascade="all, delete-orphan",
        order_by="StatementVersion.number",
    )
    # Its own questions on the sign-on form (models.question), in order.
    questions: Mapped[list[StatementQuestion]] = relationship(
        cascade="all, delete-orphan",
        order_by="StatementQuestion.position",
        passive_deletes=True,
    )

    @property
    def is_published(self) -> bool:
        """Whether it has ever been public: its slug is then fixed, and edits make versions."""
        return self.version > 0

    @property
    def is_open(self) -> bool:
        """Whether the sign-on form is offered and accepted right now."""
        return taking_signatures(self.state, self.signing_deadline, utcnow(), self.embargo_token)

    @property
    def embargoed(self) -> bool:
        """Whether it is a draft collecting founding signatories through its private link."""
        return self.state is StatementState.draft and self.embargo_token is not None

    def title_in(self, language: str) -> str:
        """The title in ``language`` where translated, else the original's."""
        found = next((t for t in self.translations if t.language == language), None)
        return found.title if found is not None else self.title

    def __repr__(self) -> str:
        return f"<Statement {self.slug}>"


class StatementTranslation(db.Model):
    """The title and text of a statement in another language.

    Signatures belong to the statement, whatever language it was read in:
    a translation is another way in to the same text, not another statement.
    """

    __tablename__ = "statement_translation"
    __table_args__ = (sa.UniqueConstraint("statement_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Looked up by the unique (statement_id, language), which leads with it.
    statement_id: Mapped[int] = mapped_column(sa.ForeignKey("statement.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(sa.String(8))
    title: Mapped[str] = mapped_column(sa.String(300))
    standfirst: Mapped[str | None] = mapped_column(sa.String(600))
    # Markdown with footnotes, like Statement.body.
    body: Mapped[str] = mapped_column(sa.Text)
    # The version of the original this translates (Statement.version when it
    # was saved): older than the statement's, it needs updating.
    source_version: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    statement: Mapped[Statement] = relationship(back_populates="translations")

    @property
    def outdated(self) -> bool:
        """Whether the original's text changed after this translation was saved."""
        return self.source_version < self.statement.version

    def __repr__(self) -> str:
        return f"<StatementTranslation {self.statement_id} {self.language}>"


class StatementVersion(db.Model):
    """The text of a statement as it was published, kept for ever.

    A version is made when a statement is first published and at every edit
    of its published title, standfirst or text; editing a draft makes none.
    The public changelog (/s/<slug>/versions) shows them with their
    differences, and each signature names the one it signed.
    """

    __tablename__ = "statement_version"
    __table_args__ = (sa.UniqueConstraint("statement_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(sa.ForeignKey("statement.id", ondelete="CASCADE"))
    # 1, 2, 3... within the statement.
    number: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(300))
    standfirst: Mapped[str | None] = mapped_column(sa.String(600))
    body: Mapped[str] = mapped_column(sa.Text)
    # What changed, in the publisher's words; public, on the changelog.
    note: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
    # Whether the change alters what signatories agreed to (not a typo).
    substantial: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Who published it; NULL for the command line (or a deleted admin).
    admin_id: Mapped[int | None] = mapped_column(sa.ForeignKey("admin.id", ondelete="SET NULL"))
    published_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    statement: Mapped[Statement] = relationship(back_populates="versions")

    def __repr__(self) -> str:
        return f"<StatementVersion {self.statement_id} {self.number}>"
