"""The one public projection of a signature.

Everything the public may see of a signature (the statement page, the list,
and every export, API response, feed and embed to come) is a
``PublicSignatory`` built here, by a query that selects only these columns.
A contact's name, email, role and network hash are never even read into it;
``tests/test_public_projection.py`` fails if a field of that kind is added.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy import Select, select

from ..models import OrganisationType, Signature, SignatureState


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


@dataclass(frozen=True, slots=True)
class PublicSignatory:
    """A verified signature as the public sees it."""

    org_name: str
    org_type: OrganisationType
    country: str  # ISO 3166-1 alpha-2
    city: str
    website: str
    comment: str  # empty unless an admin approved it
    verified_at: dt.datetime
    # The number of the statement's version it signed; None if not recorded.
    signed_version: int | None = None
    # Signed through the private link before the statement's launch.
    founding: bool = False


_COLUMNS = (
    Signature.org_name,
    Signature.org_type,
    Signature.country,
    Signature.city,
    Signature.website,
    Signature.comment,
    Signature.comment_approved,
    Signature.verified_at,
    Signature.signed_version,
    Signature.founding,
)


def listed(statement: StatementRef) -> list[sa.ColumnElement[bool]]:
    """The conditions for a signature of ``statement`` to be on its public list.

    Literals, not bound parameters, and the very terms of the partial indexes'
    WHERE (models.signature.LISTED): SQLite uses a partial index only for a
    query whose WHERE visibly implies the index's.
    """
    return [
        Signature.statement_id == statement.id,
        Signature.state == sa.literal_column(f"'{SignatureState.verified.value}'"),
        Signature.show_name == sa.true(),  # "IS TRUE" would keep PostgreSQL off the index
    ]


def public_query(statement: StatementRef) -> Select:
    """The verified signatures of ``statement`` that may be named, public columns only.

    Callers add ordering, filters and paging; rows go through ``from_row``.
    """
    return select(*_COLUMNS).where(*listed(statement))


def public_rows(ids: Select) -> Select:
    """The public columns of the signatures whose ids ``ids`` selects.

    ``ids`` must be narrowed by ``listed`` itself: this adds no condition,
    so that the rows are read by primary key.
    """
    return select(*_COLUMNS).where(Signature.id.in_(ids))


def from_row(row: object) -> PublicSignatory:
    """The projection of one row of ``public_query``."""
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
    ) = row  # type: ignore[misc]
    return PublicSignatory(
        org_name=org_name,
        org_type=org_type,
        country=country,
        city=city,
        website=website,
        comment=comment if approved else "",
        verified_at=verified_at,
        signed_version=version,
        founding=founding,
    )
