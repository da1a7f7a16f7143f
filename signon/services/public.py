"""The one public projection of a signature.

Everything the public may see of a signature (the statement page, the list,
and every export, API response, feed and embed to come) is a
``PublicSignatory`` built here, by a query that selects only these columns.
A contact's name, email, role and network hash are never even read into it;
``tests/test_public_projection.py`` fails if a field of that kind is added.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, NamedTuple, Protocol, runtime_checkable

import sqlalchemy as sa
from flask_babel import pgettext
from sqlalchemy import Select, select

from ..extensions import db
from ..models import (
    OrganisationType,
    SignatoryKind,
    Signature,
    SignatureAnswer,
    SignatureState,
    StatementQuestion,
)


class StatementRef(Protocol):
    """Anything that names a statement by its id (a model or a snapshot of one)."""

    id: int


class NamedStatement(StatementRef, Protocol):
    """A statement as an email names it: a model, or the snapshot pages keep."""

    slug: str
    title: str
    publisher: str
    version: int
    embargo_token: str | None  # set while a draft collects founding signatories

    @property
    def embargoed(self) -> bool:
        """Whether it is a draft collecting founding signatories through its private link."""

    def title_in(self, language: str) -> str:
        """The title in ``language`` where translated, else the original's."""


class PublicSignatory(NamedTuple):
    """A verified signature as the public sees it.

    ``org_name`` is the name listed: an organisation's, or a person's own,
    whose ``org_type`` is None and who may give an ``affiliation``. A named
    tuple, immutable like a frozen dataclass and made three times as fast:
    a download makes one for each of 100,000 signatories.
    """

    org_name: str
    org_type: OrganisationType | None
    country: str  # ISO 3166-1 alpha-2
    city: str
    website: str
    comment: str  # empty unless an admin approved it
    verified_at: dt.datetime
    # The number of the statement's version it signed; None if not recorded.
    signed_version: int | None = None
    # Signed through the private link before the statement's launch.
    founding: bool = False
    kind: SignatoryKind = SignatoryKind.organisation
    affiliation: str = ""  # a person's, "for identification only"
    # Its answers to the statement's public questions: (question, answer).
    answers: tuple[tuple[str, str], ...] = ()

    @property
    def type_label(self) -> str:
        """What it is, in the reader's language: "Union", or "Individual" for a person."""
        if self.org_type is None:
            return pgettext("kind of signatory", "Individual")
        return self.org_type.label


def _as_text(column: sa.ColumnElement[Any]) -> sa.ColumnElement[str]:
    """An enum column read as its stored text, made a member by ``_from_row``.

    SQLAlchemy's own conversion checks every value on the way out, which was
    a third of reading a list of 100,000 for a download.
    """
    return sa.type_coerce(column, sa.String).label(column.key)


_COLUMNS = (
    Signature.org_name,
    _as_text(Signature.org_type),
    Signature.country,
    Signature.city,
    Signature.website,
    Signature.comment,
    Signature.comment_approved,
    Signature.verified_at,
    Signature.signed_version,
    Signature.founding,
    _as_text(Signature.kind),
    Signature.affiliation,
    # Last, and never in a PublicSignatory: what its public answers are found by.
    Signature.id,
)


# The state of every signature on a public list.
LISTED_STATE = SignatureState.verified


def listed(statement: StatementRef) -> list[sa.ColumnElement[bool]]:
    """The conditions for a signature of ``statement`` to be on its public list.

    Literals, not bound parameters, and the very terms of the partial indexes'
    WHERE (models.signature.LISTED): SQLite uses a partial index only for a
    query whose WHERE visibly implies the index's.
    """
    return [
        Signature.statement_id == statement.id,
        Signature.state == sa.literal_column(f"'{LISTED_STATE.value}'"),
        Signature.show_name == sa.true(),  # "IS TRUE" would keep PostgreSQL off the index
    ]


def public_query(statement: StatementRef) -> Select:
    """The verified signatures of ``statement`` that may be named, public columns only.

    Callers add ordering, filters and paging; rows go through ``from_rows``.
    """
    return select(*_COLUMNS).where(*listed(statement))


def public_rows(ids: Select) -> Select:
    """The public columns of the signatures whose ids ``ids`` selects.

    ``ids`` must be narrowed by ``listed`` itself: this adds no condition,
    so that the rows are read by primary key.
    """
    return select(*_COLUMNS).where(Signature.id.in_(ids))


@runtime_checkable
class KnowsItsQuestions(Protocol):
    """A statement that knows its public questions (a StatementView)."""

    public_questions: tuple[object, ...]


def asks_publicly(statement: StatementRef) -> bool:
    """Whether ``statement`` has questions whose answers are public.

    A snapshot knows; for anything else, one query. Lists and exports of a
    statement without such questions then skip the answers' query.
    """
    if isinstance(statement, KnowsItsQuestions):
        return bool(statement.public_questions)
    return bool(
        db.session.scalar(
            select(
                sa.exists().where(
                    StatementQuestion.statement_id == statement.id,
                    StatementQuestion.public.is_(True),
                )
            )
        )
    )


def from_rows(rows: Sequence[Sequence[Any]], *, with_answers: bool) -> list[PublicSignatory]:
    """The projections of rows of ``public_query``, with their public answers.

    ``with_answers`` (``asks_publicly``): the answers to questions marked
    public, and only those, are read in one more query for the whole batch.
    """
    answers = _public_answers([row[-1] for row in rows]) if rows and with_answers else {}
    return [_from_row(row, tuple(answers.get(row[-1], ()))) for row in rows]


def _public_answers(signature_ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    """Each signature's answers to public questions, in the form's order."""
    query = (
        select(SignatureAnswer.signature_id, StatementQuestion.label, SignatureAnswer.value)
        .join(StatementQuestion, StatementQuestion.id == SignatureAnswer.question_id)
        .where(
            SignatureAnswer.signature_id.in_(signature_ids),
            StatementQuestion.public.is_(True),
        )
        .order_by(SignatureAnswer.signature_id, StatementQuestion.position)
    )
    found: dict[int, list[tuple[str, str]]] = {}
    for signature_id, label, value in db.session.execute(query):
        found.setdefault(signature_id, []).append((label, value))
    return found


def _from_row(row: Sequence[Any], answers: tuple[tuple[str, str], ...]) -> PublicSignatory:
    (
        org_name,
        org_type,
        country,
        city,
        website,
        comment,
        approved,
        verified_at,
        version,
        founding,
        kind,
        affiliation,
        _id,
    ) = row
    return PublicSignatory(
        org_name=org_name,
        org_type=_TYPES[org_type] if org_type is not None else None,
        country=country,
        city=city,
        website=website,
        comment=comment if approved else "",
        verified_at=verified_at,
        signed_version=version,
        founding=founding,
        kind=_KINDS[kind],
        affiliation=affiliation,
        answers=answers,
    )


# The members by stored value (the schema's CHECK constraints allow no other).
_TYPES = {member.value: member for member in OrganisationType}
_KINDS = {member.value: member for member in SignatoryKind}
