"""Statements: importing their text and reading their public figures."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, fields

from sqlalchemy import func, select, update

from ..database import require_write, utcnow
from ..extensions import db
from ..models import Signature, SignatureState, Statement, StatementState
from ..models.statement import taking_signatures
from .public import StatementRef

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_FIELDS = {
    "slug",
    "title",
    "publisher",
    "published_on",
    "state",
    "needs_verification",
    "signing_deadline",
}
# The longest value each text setting may have (the columns' sizes).
_MAX_LENGTHS = {"slug": 80, "title": 300, "publisher": 200}


class StatementImportError(ValueError):
    """A statement file that cannot be imported; the message says why."""


def parse_statement_file(text: str) -> dict[str, object]:
    """Split a statement file into its settings and Markdown body.

    The file starts with a block of ``key: value`` lines between two ``---``
    lines (slug, title, publisher, published_on as YYYY-MM-DD, state,
    needs_verification as true/false, signing_deadline as an ISO date and
    time in UTC); the rest is the body in Markdown.
    """
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or lines[0].strip() != "---":
        raise StatementImportError("The file must start with a '---' settings block.")
    try:
        end = next(i for i, line in enumerate(lines[1:], 1) if line.strip() == "---")
    except StopIteration:
        raise StatementImportError("The settings block has no closing '---'.") from None
    settings: dict[str, object] = {}
    for number, line in enumerate(lines[1:end], 2):
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        key = key.strip()
        if not sep or key not in _FIELDS:
            raise StatementImportError(f"Line {number}: unknown setting {key!r}.")
        settings[key] = value.strip()
    for required in ("slug", "title", "publisher"):
        if not settings.get(required):
            raise StatementImportError(f"The setting {required!r} is required.")
    for name, longest in _MAX_LENGTHS.items():
        if len(str(settings[name])) > longest:
            raise StatementImportError(f"The {name} may be at most {longest} characters.")
    if not _SLUG.match(str(settings["slug"])):
        raise StatementImportError("The slug may hold only a-z, 0-9 and single dashes.")
    try:
        settings["published_on"] = _optional(settings, "published_on", dt.date.fromisoformat)
        settings["signing_deadline"] = _optional(settings, "signing_deadline", _utc_datetime)
        settings["state"] = StatementState(settings.get("state") or "draft")
    except ValueError as exc:
        raise StatementImportError(str(exc)) from None
    flag = str(settings.get("needs_verification", "true")).lower()
    if flag not in ("true", "false"):
        raise StatementImportError("needs_verification must be true or false.")
    settings["needs_verification"] = flag == "true"
    settings["body"] = "\n".join(lines[end + 1 :]).strip() + "\n"
    return settings


def _optional(settings: dict[str, object], key: str, parse: Callable[[str], object]) -> object:
    value = str(settings.get(key) or "")
    return parse(value) if value else None


def _utc_datetime(value: str) -> dt.datetime:
    """An ISO date and time; with an offset it is converted, without it is UTC."""
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC)
    return parsed.replace(tzinfo=None)


def import_statement(text: str) -> tuple[Statement, bool]:
    """Create the statement a file describes, or update the one with its slug.

    Returns the statement and whether it was created.
    """
    settings = parse_statement_file(text)
    require_write()
    statement = db.session.scalar(select(Statement).where(Statement.slug == settings["slug"]))
    created = statement is None
    if statement is None:
        statement = Statement()
        db.session.add(statement)
    for key, value in settings.items():
        setattr(statement, key, value)
    db.session.flush()
    if not created:
        public_change(statement.id)
    return statement, created


@dataclass(frozen=True)
class Tally:
    """The public figures of a statement."""

    organisations: int
    countries: int
    unnamed: int
    latest: dt.datetime | None = None  # the newest verification of a named signatory


def tally(statement: StatementRef) -> Tally:
    """Verified signatures, their countries, and how many asked not to be named.

    Counted by query every time: there is no counter row for a spike of
    signatures to queue on (caching the page is the cure for read load).
    """
    row = db.session.execute(
        select(
            func.count(Signature.id),
            func.count(func.distinct(Signature.country)),
            func.count(Signature.id).filter(Signature.show_name.is_(False)),
            # Of the named only: the moment an unnamed signatory appeared is theirs.
            func.max(Signature.verified_at).filter(Signature.show_name.is_(True)),
        ).where(
            Signature.statement_id == statement.id,
            Signature.state == SignatureState.verified,
        )
    ).one()
    return Tally(organisations=row[0], countries=row[1], unnamed=row[2], latest=row[3])


def public_change(statement_id: int) -> None:
    """Note, in the caller's unit of work, that the public view of a statement changed.

    An atomic increment in SQL, not a read-modify-write, so two admins acting
    at once both count. Pages cached under the old version are never served
    again, and browsers see a new ETag at once.
    """
    require_write()
    db.session.execute(
        update(Statement)
        .where(Statement.id == statement_id)
        .values(public_version=Statement.public_version + 1, public_changed_at=utcnow())
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True)
class StatementView:
    """What the public pages show of a statement: a plain snapshot, safe to keep.

    Not an ORM object, so it can be kept between requests (web/pages.py keeps
    one per slug for a second) without a session, lazy loads or stale state.
    """

    id: int
    slug: str
    title: str
    publisher: str
    published_on: dt.date | None
    body: str
    state: StatementState
    needs_verification: bool
    signing_deadline: dt.datetime | None
    public_version: int
    public_changed_at: dt.datetime

    @property
    def is_open(self) -> bool:
        """Whether the sign-on form is offered and accepted right now."""
        return taking_signatures(self.state, self.signing_deadline, utcnow())


_VIEW_COLUMNS = [getattr(Statement, f.name) for f in fields(StatementView)]


def statement_view(slug: str) -> StatementView | None:
    """The public snapshot of the statement at ``slug``; None for none or a draft."""
    row = db.session.execute(
        select(*_VIEW_COLUMNS).where(
            Statement.slug == slug, Statement.state != StatementState.draft
        )
    ).first()
    return StatementView(*row) if row is not None else None


def published_views() -> list[StatementView]:
    """Snapshots of every statement taking signatures or closed, newest first; one query."""
    rows = db.session.execute(
        select(*_VIEW_COLUMNS)
        .where(Statement.state != StatementState.draft)
        .order_by(Statement.published_on.desc(), Statement.id.desc())
    )
    return [StatementView(*row) for row in rows]


def published_statement(slug: str) -> Statement | None:
    """The statement at ``slug`` if the public may see it (drafts are not public)."""
    statement = db.session.scalar(select(Statement).where(Statement.slug == slug))
    if statement is None or statement.state is StatementState.draft:
        return None
    return statement


def open_statements() -> list[Statement]:
    """Statements taking signatures or closed, newest first; never drafts."""
    return list(
        db.session.scalars(
            select(Statement)
            .where(Statement.state != StatementState.draft)
            .order_by(Statement.published_on.desc(), Statement.id.desc())
        )
    )
