"""The public changelog of a statement: its versions and what each changed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from ..extensions import db
from ..models import StatementVersion
from .diffs import Piece, word_diff
from .public import StatementRef


@dataclass(frozen=True)
class Change:
    """One part of the text (``title``, ``standfirst`` or ``body``) as a version changed it."""

    part: str
    pieces: tuple[Piece, ...]


@dataclass(frozen=True)
class PublicVersion:
    """A published version as the changelog shows it: a plain snapshot, safe to cache."""

    number: int
    published_at: dt.datetime
    note: str
    substantial: bool
    title: str
    # What it changed from the version before; empty for the first.
    changes: tuple[Change, ...]


def changelog(statement: StatementRef) -> list[PublicVersion]:
    """Every published version of ``statement``, the newest first, each with its changes."""
    rows = db.session.scalars(
        select(StatementVersion)
        .where(StatementVersion.statement_id == statement.id)
        .order_by(StatementVersion.number)
    ).all()
    versions: list[PublicVersion] = []
    previous: StatementVersion | None = None
    for row in rows:
        changes: list[Change] = []
        if previous is not None:
            for part in ("title", "standfirst", "body"):
                before, after = getattr(previous, part) or "", getattr(row, part) or ""
                if before != after:
                    changes.append(Change(part, tuple(word_diff(before, after))))
        versions.append(
            PublicVersion(
                row.number, row.published_at, row.note, row.substantial, row.title, tuple(changes)
            )
        )
        previous = row
    return versions[::-1]
