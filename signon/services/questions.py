"""A statement's own questions on its sign-on form: adding, removing, reading them.

Questions are added and removed, never edited: an answer keeps the meaning
it was given. Each change is audited, and raises the statement's public
version, because the cached statement page carries the form.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select

from ..database import require_write
from ..extensions import db
from ..models import (
    Admin,
    AuditAction,
    QuestionKind,
    SignatoryKind,
    SignatureAnswer,
    Statement,
    StatementQuestion,
)
from . import audit, statements
from .statements import QuestionView

__all__ = [
    "DuplicateQuestion",
    "QuestionError",
    "QuestionView",
    "TooManyQuestions",
    "add",
    "clean_options",
    "question_of",
    "remove",
    "translate",
]

# Enough for "members", "region", "sector"...: a form is not a survey.
MAX_QUESTIONS = 10
MAX_OPTIONS = 30
# The longest text answer, and the largest number (a union's membership).
TEXT_ANSWER_LENGTH = 200
LARGEST_NUMBER = 1_000_000_000


class QuestionError(ValueError):
    """A question the rules refuse; the message says why."""


class TooManyQuestions(QuestionError):
    """The statement asks ``MAX_QUESTIONS`` already."""


class DuplicateQuestion(QuestionError):
    """The statement asks this question already (case and spelling variants alike).

    Answers are keyed by their question in the downloads and the API: two
    questions worded alike would overwrite each other's answers.
    """


def same_wording(text: str) -> str:
    """``text`` as compared for duplicates: NFKC, case-folded, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def clean_options(text: str) -> list[str]:
    """A choice's options from one-per-line text: trimmed, blank lines dropped.

    Raises ``QuestionError`` for fewer than two, too many, or a repeat.
    """
    options = [line.strip() for line in text.splitlines() if line.strip()]
    if len(options) < 2:
        raise QuestionError("A choice needs at least two options, one per line.")
    if len(options) > MAX_OPTIONS:
        raise QuestionError(f"A choice may offer at most {MAX_OPTIONS} options.")
    if len({same_wording(option) for option in options}) < len(options):
        raise QuestionError("Each option may appear only once.")
    return options


def add(
    statement: Statement,
    admin: Admin | None,
    *,
    label: str,
    kind: QuestionKind,
    hint: str = "",
    options: Sequence[str] = (),
    required: bool = False,
    public: bool = False,
    asked_of: SignatoryKind | None = None,
) -> StatementQuestion:
    """Add a question at the end of the statement's form, in the caller's unit of work.

    A public question's answers are published without review, so only a
    number or a choice may be public: free text reaches the public only as a
    comment, which an admin approves first.
    """
    require_write()
    # Locked (PostgreSQL), so that two admins adding at once count and
    # number the questions one after the other.
    db.session.execute(select(Statement.id).where(Statement.id == statement.id).with_for_update())
    existing = db.session.scalars(
        select(StatementQuestion).where(StatementQuestion.statement_id == statement.id)
    ).all()
    if len(existing) >= MAX_QUESTIONS:
        raise TooManyQuestions(f"A statement may ask at most {MAX_QUESTIONS} questions.")
    if same_wording(label) in {same_wording(question.label) for question in existing}:
        raise DuplicateQuestion("The statement asks this question already.")
    if kind is QuestionKind.choice and len(options) < 2:
        raise QuestionError("A choice needs at least two options, one per line.")
    if public and kind is QuestionKind.text:
        raise QuestionError("A text answer cannot be public: comments are for that.")
    last = max((question.position for question in existing), default=0)
    question = StatementQuestion(
        statement_id=statement.id,
        position=last + 1,
        label=label,
        hint=hint,
        kind=kind,
        options="\n".join(options) if kind is QuestionKind.choice else "",
        required=required,
        public=public,
        asked_of=asked_of,
    )
    db.session.add(question)
    db.session.flush()
    audit.record(
        AuditAction.add_question,
        admin,
        statement=statement,
        changes={name: [None, value] for name, value in _described(question).items()},
    )
    statements.public_change(statement.id)
    return question


def remove(question: StatementQuestion, admin: Admin | None) -> int:
    """Remove a question and every answer to it; returns how many answers went."""
    require_write()
    answers = db.session.scalar(
        select(func.count()).where(SignatureAnswer.question_id == question.id)
    )
    statement = db.session.get(Statement, question.statement_id)
    audit.record(
        AuditAction.remove_question,
        admin,
        statement=statement,
        detail=f"{answers} answers deleted",
        changes={name: [value, None] for name, value in _described(question).items()},
    )
    # The answers go with it (ON DELETE CASCADE).
    db.session.delete(question)
    statements.public_change(question.statement_id)
    return answers or 0


def _described(question: StatementQuestion) -> dict[str, object]:
    """What the audit log keeps of a question: its wording and settings, no answers."""
    return {
        "label": question.label,
        "hint": question.hint,
        "kind": question.kind.value,
        "options": question.option_list,
        "required": question.required,
        "public": question.public,
        "asked_of": question.asked_of.value if question.asked_of else None,
    }


def question_of(statement_id: int, question_id: int) -> StatementQuestion | None:
    """The question ``question_id`` if it is one of the statement's; else None."""
    question = db.session.get(StatementQuestion, question_id)
    if question is None or question.statement_id != statement_id:
        return None
    return question


def answer_counts(statement: Statement) -> dict[int, int]:
    """How many answers each of the statement's questions has, by question id."""
    rows = db.session.execute(
        select(SignatureAnswer.question_id, func.count())
        .join(StatementQuestion, StatementQuestion.id == SignatureAnswer.question_id)
        .where(StatementQuestion.statement_id == statement.id)
        .group_by(SignatureAnswer.question_id)
    )
    return {question_id: n for question_id, n in rows}  # noqa: C416 (Row objects)


def translate(
    statement: Statement,
    language: str,
    wordings: Mapping[int, Mapping[str, Any]],
    admin: Admin | None,
) -> bool:
    """Word the statement's questions in ``language``; whether anything changed.

    ``wordings`` maps a question's id to its ``label``, ``hint`` and
    ``options`` (a choice's, in the original's order and number). An empty
    label takes the question's translation away: readers of ``language``
    then see the original's wording. Audited as an edit of the statement.
    """
    require_write()
    changes: dict[str, list[object]] = {}
    for question in statement.questions:
        wording = wordings.get(question.id)
        if wording is None:
            continue
        before = question.wording_in(language)
        after: dict[str, Any] | None = None
        if wording.get("label"):
            after = {"label": wording["label"], "hint": wording.get("hint") or ""}
            options = list(wording.get("options") or [])
            if question.kind is QuestionKind.choice and options:
                if len(options) != len(question.option_list):
                    raise QuestionError("A translation gives each option once, in order.")
                after["options"] = options
        if after == before:
            continue
        translations = dict(question.translations or {})
        if after is None:
            translations.pop(language, None)
        else:
            translations[language] = after
        question.translations = translations or None  # a new dict: the ORM sees it
        changes[f"question {question.position} ({language})"] = [before, after]
    if not changes:
        return False
    audit.record(
        AuditAction.edit_statement,
        admin,
        statement=statement,
        detail=f"questions, translation {language}",
        changes=changes,
    )
    statements.public_change(statement.id)
    return True
