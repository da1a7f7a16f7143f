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


_COLUMNS = (
    Signature.org_name,
    Signature.org_type,
    Signature.country,
    Signature.city,
    Signature.website,
    Signature.comment,
    Signature.comment_approved,
    Signature.verified_at,
)


def public_query(statement: StatementRef) -> Select:
    """The verified signatures of ``statement`` that may be named, public columns only.

    Callers add ordering, filters and paging; rows go through ``from_row``.
    """
    return select(*_COLUMNS).where(
        Signature.statement_id == statement.id,
        Signature.state == SignatureState.verified,
        Signature.show_name == sa.true(),  # "IS TRUE" would keep PostgreSQL off the index
    )


def from_row(row: object) -> PublicSignatory:
    """The projection of one row of ``public_query``."""
    org_name, org_type, country, city, website, comment, approved, verified_at = row  # type: ignore[misc]
    return PublicSignatory(
        org_name=org_name,
        org_type=org_type,
        country=country,
        city=city,
        website=website,
        comment=comment if approved else "",
        verified_at=verified_at,
    )
