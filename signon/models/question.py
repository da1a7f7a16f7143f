"""A statement's own questions on its sign-on form, and the answers to them."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import utcnow
from ..extensions import db
from .signature import SignatoryKind
from .types import enum_column


class QuestionKind(enum.StrEnum):
    """What an answer is: a line of text, a whole number, or one of a list."""

    text = "text"
    number = "number"
    choice = "choice"


class StatementQuestion(db.Model):
    """A field an admin added to one statement's form ("number of members").

    Public questions' answers are shown with the signatory's name and go
    into the downloads and the API (services.public); admin-only ones are
    seen by admins and in the person's own data export. Questions are added
    and removed, never edited: an answer keeps the meaning it was given.
    """

    __tablename__ = "statement_question"

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("statement.id", ondelete="CASCADE"), index=True
    )
    # The order on the form: 1, 2, 3... within the statement.
    position: Mapped[int]
    label: Mapped[str] = mapped_column(sa.String(200))
    hint: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
    kind: Mapped[QuestionKind] = mapped_column(enum_column(QuestionKind, "question_kind"))
    # A choice's options, one per line, in the order shown.
    options: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    required: Mapped[bool] = mapped_column(default=False)
    public: Mapped[bool] = mapped_column(default=False)
    # Its wording in other languages: {"ru": {"label", "hint", "options"}},
    # options in the original's order. Answers are kept in the original's
    # wording, whatever language the form was read in. Replaced, never
    # changed in place, so the ORM sees every change.
    translations: Mapped[dict[str, dict[str, Any]] | None] = mapped_column(sa.JSON)
    # Asked of organisations only, or people only; NULL: of everyone.
    asked_of: Mapped[SignatoryKind | None] = mapped_column(
        enum_column(SignatoryKind, "question_asked_of")
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    @property
    def option_list(self) -> list[str]:
        """A choice's options, in order."""
        return [line for line in self.options.splitlines() if line]

    @property
    def field_name(self) -> str:
        """The name of its field on the sign-on form."""
        return f"question_{self.id}"

    def wording_in(self, language: str) -> dict[str, Any] | None:
        """Its label, hint and options in ``language``, if translated."""
        return (self.translations or {}).get(language)

    def __repr__(self) -> str:
        return f"<StatementQuestion {self.statement_id} {self.position}>"


class SignatureAnswer(db.Model):
    """One signatory's answer to one question; deleted when the signature is withdrawn."""

    __tablename__ = "signature_answer"
    __table_args__ = (sa.UniqueConstraint("signature_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Looked up by the unique (signature_id, question_id), which leads with it.
    signature_id: Mapped[int] = mapped_column(sa.ForeignKey("signature.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("statement_question.id", ondelete="CASCADE"), index=True
    )
    # As given: text, the digits of a number, or the option chosen.
    value: Mapped[str] = mapped_column(sa.String(300))

    question: Mapped[StatementQuestion] = relationship()

    def __repr__(self) -> str:
        return f"<SignatureAnswer {self.signature_id} {self.question_id}>"
