"""The public list of a statement's signatories: search, filters, orders, groups.

Every query is ``public.public_query`` (public columns of verified, named
signatures) narrowed by a ``Selection``, and walks one of the partial
indexes ``ix_signature_listed_by_*``, which hold only such rows. Names are
matched and sorted by their folded form (``models.signature.fold_name``), so
"ecole" finds "École" and "Élan" sorts among the e's.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace

import sqlalchemy as sa
from sqlalchemy import Select, func, select
from sqlalchemy.sql import operators

from ..extensions import db
from ..models import OrganisationType, SignatoryKind, Signature
from ..models.signature import fold_name
from . import public
from .countries import country_name
from .public import PublicSignatory, StatementRef

# Enough words for any name, few enough that a search stays one index scan.
MAX_SEARCH_WORDS = 6


class Order(enum.StrEnum):
    """How the list is sorted."""

    name = "name"
    newest = "newest"
    oldest = "oldest"


_ORDER_BY = {
    Order.name: (Signature.name_key, Signature.id),
    Order.newest: (Signature.verified_at.desc(), Signature.id.desc()),
    Order.oldest: (Signature.verified_at, Signature.id),
}


def search_words(text: str) -> tuple[str, ...]:
    """The folded words of a search, each once, at most MAX_SEARCH_WORDS."""
    return tuple(dict.fromkeys(fold_name(text).split()))[:MAX_SEARCH_WORDS]


@dataclass(frozen=True, slots=True)
class Selection:
    """Which signatories a visitor asked for, and in which order.

    ``words`` are folded (``search_words``); a signatory matches when its
    name contains every one of them.
    """

    words: tuple[str, ...] = ()
    country: str | None = None
    org_type: OrganisationType | None = None
    order: Order = Order.name
    # Only people (who have no type), or only organisations.
    kind: SignatoryKind | None = None

    @property
    def narrowed(self) -> bool:
        """Whether anything is filtered out."""
        return bool(self.words or self.country or self.org_type or self.kind)

    def key(self) -> str:
        """A stable text naming this selection, for cache keys."""
        return "|".join(
            (
                " ".join(self.words),
                self.country or "",
                self.org_type or "",
                self.order,
                self.kind or "",
            )
        )


def _narrowing(selection: Selection) -> list[sa.ColumnElement[bool]]:
    conditions = [Signature.name_key.contains(word, autoescape=True) for word in selection.words]
    if selection.country:
        conditions.append(Signature.country == selection.country)
    if selection.org_type:
        conditions.append(Signature.org_type == selection.org_type)
    # By type, not kind: the type's indexes hold people as its NULLs.
    if selection.kind is SignatoryKind.person:
        conditions.append(Signature.org_type.is_(None))
    elif selection.kind is SignatoryKind.organisation:
        conditions.append(Signature.org_type.is_not(None))
    return conditions


def count(statement: StatementRef, selection: Selection) -> int:
    """How many listed signatories ``selection`` finds."""
    query = select(func.count()).where(*public.listed(statement), *_narrowing(selection))
    return db.session.scalar(query) or 0


# On PostgreSQL, a search that finds at most this many is sorted after it is
# found, not found by walking the list in order (see ``_sort_keys``).
FEW = 5_000


def _sort_keys(selection: Selection, few: bool) -> tuple[sa.ColumnElement[object], ...]:
    keys = _ORDER_BY[selection.order]
    if not few:
        return keys
    # coalesce(x, x) is x, but no index's order: the database must find the
    # rows first (PostgreSQL: by the trigram index), then sort the few.
    # Walking the name index in order until 100 matches turned up took 106 ms
    # for a Cyrillic word, whose names all sort after the Latin ones.
    return tuple(
        func.coalesce(key.element, key.element).desc()
        if isinstance(key, sa.UnaryExpression) and key.modifier is operators.desc_op
        else func.coalesce(key, key)
        for key in keys
    )


def ordered(statement: StatementRef, selection: Selection, few: bool = False) -> Select:
    """The query of the listed signatories ``selection`` finds, in its order.

    ``few``: the caller knows the selection finds at most ``FEW`` (a count),
    and that it was narrowed by a search.
    """
    query = public.public_query(statement).where(*_narrowing(selection))
    return query.order_by(*_sort_keys(selection, few))


def signatories(
    statement: StatementRef,
    selection: Selection = Selection(),
    limit: int | None = None,
    offset: int = 0,
    found: int | None = None,
) -> list[PublicSignatory]:
    """One page of the listed signatories ``selection`` finds, in its order.

    ``found``: how many it finds, when the caller counted them (it helps
    choose how to read a search). A deep page finds its rows' ids first,
    from the index alone, and only then reads those rows: skipping 90,000
    entries of an index is quick, reading 90,000 rows to skip them is not
    (63 ms → 5 ms on PostgreSQL).
    """
    few = (
        bool(selection.words)
        and found is not None
        and found <= FEW
        # SQLite has no trigram index: a search scans the name index either
        # way, and in its order it stops at the page's last row.
        and db.engine.dialect.name == "postgresql"
    )
    query = ordered(statement, selection, few)
    if limit is not None:
        query = query.limit(limit)
        if offset:
            ids = (
                select(Signature.id)
                .where(*public.listed(statement), *_narrowing(selection))
                .order_by(*_sort_keys(selection, few))
                .limit(limit)
                .offset(offset)
            )
            query = public.public_rows(ids).order_by(*_ORDER_BY[selection.order])
    rows = db.session.execute(query).all()
    return public.from_rows(rows, with_answers=bool(rows) and public.asks_publicly(statement))


_CURSOR = {
    Order.name: (Signature.name_key, Signature.id),
    Order.newest: (Signature.verified_at, Signature.id),
    Order.oldest: (Signature.verified_at, Signature.id),
}


def stream(
    statement: StatementRef,
    selection: Selection = Selection(),
    batch: int = 1000,
    between: Callable[[], None] | None = None,
) -> Iterator[PublicSignatory]:
    """Every listed signatory ``selection`` finds, ``batch`` at a time, in its order.

    For exports: memory stays flat however long the list. Each batch starts
    after the last one's sort key (keyset paging, from the index), so
    ``between`` may end the read transaction between batches: a download
    then never holds one snapshot for a whole second, which on SQLite would
    keep an erasure's checkpoint from emptying the write-ahead log. Without
    it, every batch is read in the caller's one transaction.
    """
    keys = _CURSOR[selection.order]
    query = (
        public.public_query(statement)
        .add_columns(*keys)
        .where(*_narrowing(selection))
        .order_by(*_ORDER_BY[selection.order])
        .limit(batch)
    )
    after: tuple[object, ...] | None = None
    with_answers = public.asks_publicly(statement)
    while True:
        page = query
        if after is not None:
            page = page.where(_past(selection, keys, after))
        # Core, not the session's ORM execution: these are columns, not
        # objects, and the ORM's row handling was a sixth of a download.
        rows = db.session.connection().execute(page).all()
        yield from public.from_rows([row[: -len(keys)] for row in rows], with_answers=with_answers)
        if len(rows) < batch:
            return
        after = tuple(rows[-1][-len(keys) :])
        if between is not None:
            between()


def _past(
    selection: Selection, keys: tuple[sa.ColumnElement[object], ...], after: tuple[object, ...]
) -> sa.ColumnElement[bool]:
    """The rows after ``after``, the last batch's sort key, in the selection's order.

    On PostgreSQL the comparison starts with the index's columns before the
    sort key, at the values the query fixes them to. Otherwise PostgreSQL,
    which leaves out of an index scan the conditions its partial index
    implies (``state``, ``show_name``), could not seek to the key: every
    batch scanned the index from its start (12.8 ms a batch of 1,000 at
    the middle of 100,000 names, 4.2 ms with). SQLite keeps those
    conditions and seeks on the plain comparison; the longer one would make
    it sort instead.
    """
    position, values = keys, after
    if db.engine.dialect.name == "postgresql":
        fixed: list[tuple[sa.ColumnElement[object], object]] = [
            (Signature.state, public.LISTED_STATE),
            (Signature.show_name, True),
        ]
        # The narrowed indexes have the filtered column next (listed_by_country, _by_type).
        if selection.country and not selection.org_type:
            fixed.append((Signature.country, selection.country))
        elif selection.org_type and not selection.country:
            fixed.append((Signature.org_type, selection.org_type))
        position = (*(column for column, _value in fixed), *keys)
        values = (*(value for _column, value in fixed), *after)
    if selection.order == Order.newest:
        return sa.tuple_(*position) < sa.tuple_(*values)
    return sa.tuple_(*position) > sa.tuple_(*values)


def countries(
    statement: StatementRef, selection: Selection = Selection()
) -> list[tuple[str, int]]:
    """(country code, listed signatories) for each country ``selection`` finds, by name."""
    query = (
        select(Signature.country, func.count(Signature.id))
        .where(*public.listed(statement), *_narrowing(selection))
        .group_by(Signature.country)
    )
    counts = [(code, number) for code, number in db.session.execute(query)]
    return sorted(counts, key=lambda pair: fold_name(country_name(pair[0])))


def by_country_name(counts: Iterable[tuple[str, int]], language: str) -> list[tuple[str, int]]:
    """``counts`` (as ``countries`` gives them) in the order of their names in ``language``."""
    return sorted(counts, key=lambda pair: fold_name(country_name(pair[0], language)))


def types(statement: StatementRef) -> list[tuple[OrganisationType | None, int]]:
    """(type, listed signatories) for each type on the list, the most frequent first.

    People, who have no type, are counted under None.
    """
    query = (
        select(Signature.org_type, func.count())
        .where(*public.listed(statement))
        .group_by(Signature.org_type)
    )
    pairs = [(org_type, n) for org_type, n in db.session.execute(query)]
    return sorted(pairs, key=lambda pair: (-pair[1], pair[0] or ""))


def per_day(statement: StatementRef) -> list[tuple[dt.date, int]]:
    """(day, signatories listed that day) from the first such day to the last, gaps as 0.

    By the day of verification (UTC), when a signatory appeared publicly.
    """
    day = func.date(Signature.verified_at)  # SQLite: text; PostgreSQL: date
    query = select(day, func.count()).where(*public.listed(statement)).group_by(day)
    counts = {dt.date.fromisoformat(str(value)[:10]): n for value, n in db.session.execute(query)}
    if not counts:
        return []
    first, last = min(counts), max(counts)
    days = (first + dt.timedelta(days=n) for n in range((last - first).days + 1))
    return [(each, counts.get(each, 0)) for each in days]


@dataclass(frozen=True, slots=True)
class Figures:
    """The public list in numbers: by country, by type, by day."""

    countries: list[tuple[str, int]]
    types: list[tuple[OrganisationType | None, int]]  # None: people
    days: list[tuple[dt.date, int]]


def figures(statement: StatementRef) -> Figures:
    """The figures of the named, verified signatories (never of those not named)."""
    by_country = sorted(countries(statement), key=lambda pair: -pair[1])
    return Figures(by_country, types(statement), per_day(statement))


@dataclass(frozen=True, slots=True)
class Group:
    """The signatories of one country on a page grouped by country."""

    country: str
    total: int  # in the whole selection, not only on this page
    signatories: list[PublicSignatory] = field(default_factory=list)


def grouped(
    statement: StatementRef,
    selection: Selection,
    counts: Iterable[tuple[str, int]],
    limit: int,
    offset: int,
) -> list[Group]:
    """A page of the list grouped by country: ``limit`` signatories from ``offset``.

    ``counts`` is ``countries(statement, selection)``, in the groups' order.
    The page is cut from the groups' running totals and each group's slice
    read on its own, so a deep page costs what a first one does, never a
    sort of the whole list by country.
    """
    groups: list[Group] = []
    start = 0
    for code, total in counts:
        end = start + total
        if end > offset and start < offset + limit:
            skip = max(0, offset - start)
            take = min(end, offset + limit) - start - skip
            in_country = replace(selection, country=code)
            groups.append(Group(code, total, signatories(statement, in_country, take, skip)))
        start = end
        if start >= offset + limit:
            break
    return groups


def first(statement: StatementRef, number: int) -> list[PublicSignatory]:
    """The first ``number`` listed signatories by name, for the statement page."""
    return signatories(statement, Selection(), number)
