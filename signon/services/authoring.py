"""Writing statements: creating, editing and publishing them, with versions and an audit trail.

Everything that changes a statement's text or settings goes through
``save``, from the admin's editor and from ``flask statements import``
alike, so the rules hold whichever way a change comes in:

- a published statement's slug never changes (its links are out in the
  world), and it never goes back to being a draft;
- the first publication and every later change of the published title,
  standfirst or text make a new version, kept for ever; editing a draft
  makes none;
- every change is in the audit log, with each edited field before and after.
"""

from __future__ import annotations

import datetime as dt
import enum
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select, update

from ..database import require_write, utcnow
from ..extensions import db
from ..models import (
    Admin,
    AuditAction,
    Signature,
    SignatureState,
    Statement,
    StatementState,
    StatementTranslation,
    StatementVersion,
)
from . import audit
from .statements import (
    _FIELDS,
    StatementImportError,
    _language,
    _text,
    parse_statement_file,
    parse_translation_file,
    public_change,
    read_settings,
)

# What an admin edits; the order is the editor's and the audit log's.
EDITABLE = (
    "title",
    "slug",
    "standfirst",
    "publisher",
    "published_on",
    "language",
    "body",
    "state",
    "needs_verification",
    "who_may_sign",
    "signing_deadline",
    "launch_at",
)
# What a reader reads: a published change of any of them is a new version.
TEXT = ("title", "standfirst", "body")


class StatementEditError(ValueError):
    """A change the rules refuse; ``field`` names the setting at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Edit:
    """What one ``save`` did."""

    statement: Statement
    created: bool
    # {field: (before, after)} for every field whose value changed.
    changes: dict[str, tuple[object, object]]
    version: StatementVersion | None  # the version it made, if any


def save(
    statement: Statement | None,
    values: Mapping[str, object],
    admin: Admin | None,
    *,
    note: str = "",
    substantial: bool = False,
    source: str = "",
) -> Edit:
    """Create a statement (``statement`` None) or change one, in the caller's unit of work.

    ``values`` holds the EDITABLE fields to set. ``note`` says, in public,
    what a new version changed; ``substantial`` that it changes what
    signatories agreed to. ``source`` goes into the audit log's detail
    ("flask statements import"). Raises StatementEditError for a change the
    rules refuse, before anything is written.
    """
    require_write()
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ValueError(f"Not editable: {', '.join(sorted(unknown))}")
    created = statement is None
    if statement is None:
        statement = Statement(state=StatementState.draft, version=0)
    _check(statement, values, created)
    before = {name: None if created else getattr(statement, name) for name in values}
    changes = {
        name: (before[name], value) for name, value in values.items() if before[name] != value
    }
    if not created and not changes:
        return Edit(statement, False, {}, None)
    for name, value in values.items():
        setattr(statement, name, value)
    if created:
        db.session.add(statement)
    db.session.flush()

    launched = False
    left_draft = (
        "state" in changes
        and changes["state"][0] in (None, StatementState.draft)
        and statement.state is not StatementState.draft
    )
    if left_draft:
        # Leaving draft is the launch: the founding signatories (verified
        # meanwhile) are on the list, and the private link no longer opens
        # the form; it leads to the public page instead, so the links in
        # the founders' emails keep working.
        launched = statement.embargo_token is not None
        statement.launched_at = utcnow()
    version = None
    if statement.state is not StatementState.draft and (
        not statement.is_published or changes.keys() & set(TEXT)
    ):
        version = _new_version(statement, admin, note, substantial)
    _audit(statement, admin, changes, created, version, source, launched=launched)
    if not created:
        public_change(statement.id)
    return Edit(statement, created, changes, version)


def _check(statement: Statement, values: Mapping[str, object], created: bool) -> None:
    slug = values.get("slug", statement.slug)
    if statement.is_published and slug != statement.slug:
        raise StatementEditError(
            "slug",
            _l("A published statement keeps its address: links to it are already shared."),
        )
    if slug != statement.slug or created:
        others = select(Statement.id).where(Statement.slug == slug)
        if not created:
            others = others.where(Statement.id != statement.id)
        if db.session.scalar(others) is not None:
            raise StatementEditError("slug", _l("Another statement has this address already."))
    state = values.get("state", statement.state)
    if statement.is_published and state is StatementState.draft:
        raise StatementEditError(
            "state",
            _l("A published statement cannot become a draft again; close it instead."),
        )


def _new_version(
    statement: Statement, admin: Admin | None, note: str, substantial: bool
) -> StatementVersion:
    number = statement.version + 1
    version = StatementVersion(
        statement_id=statement.id,
        number=number,
        title=statement.title,
        standfirst=statement.standfirst,
        body=statement.body,
        note=note,
        # The first version is what everyone signs; nothing came before it.
        substantial=substantial and number > 1,
        admin_id=admin.id if admin is not None else None,
    )
    db.session.add(version)
    statement.version = number
    if version.substantial:
        statement.substantial_version = number
    if number == 1:
        # What founding signatories and translators had before the launch
        # is the text now published as version 1.
        db.session.execute(
            update(Signature)
            .where(Signature.statement_id == statement.id, Signature.signed_version.is_(None))
            .values(signed_version=1)
            .execution_options(synchronize_session=False)
        )
        db.session.execute(
            update(StatementTranslation)
            .where(
                StatementTranslation.statement_id == statement.id,
                StatementTranslation.source_version == 0,
            )
            .values(source_version=1)
            .execution_options(synchronize_session=False)
        )
    db.session.flush()
    return version


# Which audit action a change of state is.
_STATE_ACTIONS = {
    (StatementState.draft, StatementState.open): AuditAction.publish_statement,
    (StatementState.draft, StatementState.closed): AuditAction.publish_statement,
    (StatementState.open, StatementState.closed): AuditAction.close_statement,
    (StatementState.closed, StatementState.open): AuditAction.reopen_statement,
}


def _audit(
    statement: Statement,
    admin: Admin | None,
    changes: dict[str, tuple[object, object]],
    created: bool,
    version: StatementVersion | None,
    source: str,
    *,
    launched: bool = False,
) -> None:
    """One event for the edit (or creation), one more for a change of state."""
    detail = "; ".join(
        part
        for part in (source, f"version {version.number}" if version is not None else "")
        if part
    )
    edited = {name: change for name, change in changes.items() if name != "state"}
    state_change = changes.get("state")
    if created or edited:
        audit.record(
            AuditAction.create_statement if created else AuditAction.edit_statement,
            admin,
            statement=statement,
            detail=detail,
            changes={name: [_plain(b), _plain(a)] for name, (b, a) in changes.items()},
        )
    if state_change is not None and not (created and state_change[1] is StatementState.draft):
        before, after = state_change
        action = _STATE_ACTIONS.get(
            (before or StatementState.draft, after),  # type: ignore[arg-type]
            AuditAction.edit_statement,
        )
        if launched:
            action = AuditAction.launch_statement
        audit.record(
            action,
            admin,
            statement=statement,
            detail=detail,
            changes={"state": [_plain(before), _plain(after)]},
        )


def _plain(value: object) -> object:
    """``value`` as JSON holds it: dates as ISO text, states by name."""
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def open_embargo(statement: Statement, admin: Admin | None) -> str:
    """Give a draft a private link for founding signatories; its token (kept if it has one)."""
    require_write()
    if statement.state is not StatementState.draft:
        raise StatementEditError(
            "state", _l("Only a statement not yet published collects founding signatories.")
        )
    if statement.embargo_token is None:
        statement.embargo_token = secrets.token_urlsafe(24)
        audit.record(
            AuditAction.edit_statement,
            admin,
            statement=statement,
            detail="private link created",
            changes={"private link": [False, True]},
        )
    return statement.embargo_token


def revoke_embargo(statement: Statement, admin: Admin | None) -> bool:
    """Make the private link stop working at once; whether there was one."""
    require_write()
    if statement.embargo_token is None:
        return False
    statement.embargo_token = None
    audit.record(
        AuditAction.edit_statement,
        admin,
        statement=statement,
        detail="private link revoked",
        changes={"private link": [True, False]},
    )
    return True


def launch(statement: Statement, admin: Admin | None, *, source: str = "") -> bool:
    """Make a draft public now, founding list and all; whether it was a draft."""
    require_write()
    db.session.refresh(statement, with_for_update=True)  # one launch, however many press
    if statement.state is not StatementState.draft:
        return False
    save(statement, {"state": StatementState.open}, admin, source=source)
    return True


def _launches_due(now: dt.datetime | None) -> Select:
    return select(Statement).where(
        Statement.state == StatementState.draft,
        Statement.launch_at.is_not(None),
        Statement.launch_at <= (now or utcnow()),
    )


def launch_is_due(now: dt.datetime | None = None) -> bool:
    """Whether a draft's launch time has come: a read, taking no write lock."""
    return db.session.execute(_launches_due(now).limit(1)).first() is not None


def launch_due(now: dt.datetime | None = None) -> int:
    """Launch every draft whose launch time has come; how many. In the caller's unit of work."""
    require_write()
    due = db.session.scalars(
        _launches_due(now)
        # PostgreSQL: another worker (or an admin's button) launching the
        # same draft skips it rather than making a second version 1.
        .with_for_update(skip_locked=True)
    ).all()
    for statement in due:
        launch(statement, None, source="launch_at")
    return len(due)


@dataclass(frozen=True)
class FoundingCounts:
    """The founding signatures of a statement before its launch, by where they stand."""

    waiting: int  # not yet confirmed by their contact
    to_verify: int  # confirmed, waiting for an admin
    verified: int  # will be on the list at launch


def founding_counts(statement: Statement) -> FoundingCounts:
    """How many founding signatures there are, and how many will be listed at launch."""
    found = db.session.execute(
        select(Signature.state, func.count())
        .where(Signature.statement_id == statement.id, Signature.founding.is_(True))
        .group_by(Signature.state)
    )
    rows = {state: count for state, count in found}  # noqa: C416 -- Row is not a tuple
    return FoundingCounts(
        waiting=rows.get(SignatureState.pending, 0),
        to_verify=rows.get(SignatureState.confirmed, 0),
        verified=rows.get(SignatureState.verified, 0),
    )


def signatures_by_version(statement: Statement) -> dict[int | None, int]:
    """How many live (confirmed or verified) signatures signed each version."""
    rows = db.session.execute(
        select(Signature.signed_version, func.count())
        .where(
            Signature.statement_id == statement.id,
            Signature.state.in_([SignatureState.confirmed, SignatureState.verified]),
        )
        .group_by(Signature.signed_version)
    )
    return {number: count for number, count in rows}  # noqa: C416 -- Row is not a tuple


def import_statement(
    text: str, language: str | None = None, *, default_slug: str | None = None
) -> tuple[Statement, bool]:
    """Create the statement a file describes, or update the one with its slug.

    With a ``language`` other than the statement's own, the file is a
    translation (``parse_translation_file``) of a statement that must exist,
    and replaces any earlier translation into that language; for a statement
    not yet imported, a complete file is its original in that language.
    Returns the statement and whether anything was created (a statement, or
    a language). The original goes through ``save``: the same rules,
    versions and audit trail as an edit in the admin.
    """
    if language is not None:
        _language(language)
        named, _ = read_settings(text, _FIELDS)
        slug = _text(named, "slug") or default_slug or ""
        existing = db.session.scalar(select(Statement).where(Statement.slug == slug))
        if existing is not None and language != existing.language:
            return existing, _translate(existing, language, parse_translation_file(text))
        if existing is None and not named.get("publisher"):
            raise StatementImportError(
                f"There is no statement {slug!r} to translate; import it first."
            )
    # The original: a new statement in ``language``, or its own language's text.
    settings = parse_statement_file(text, default_slug=default_slug, default_language=language)
    if language is not None and settings["language"] != language:
        raise StatementImportError(
            f"The file says it is in {settings['language']!r}, not {language!r}."
        )
    require_write()
    statement = db.session.scalar(select(Statement).where(Statement.slug == settings["slug"]))
    try:
        edit = save(statement, settings, None, source="flask statements import")
    except StatementEditError as exc:
        raise StatementImportError(str(exc)) from None
    return edit.statement, edit.created


def save_translation(
    statement: Statement,
    language: str,
    values: Mapping[str, str | None],
    admin: Admin | None,
    *,
    source: str = "",
) -> tuple[StatementTranslation, bool]:
    """Set the statement's ``title``, ``standfirst`` and ``body`` in ``language``.

    In the caller's unit of work. The translation records the version of the
    original it translates, so a later change of the original marks it as
    needing an update. Audited like an edit of the statement, the fields
    named with the language ("body (es)"). Returns the translation and
    whether it is new.
    """
    require_write()
    if language == statement.language:
        raise StatementEditError("language", _l("This is the statement's own language."))
    found = next((t for t in statement.translations if t.language == language), None)
    created = found is None
    if found is None:
        found = StatementTranslation(language=language, title="", body="")
        statement.translations.append(found)
    changes = {
        f"{name} ({language})": [None if created else getattr(found, name), values[name]]
        for name in TEXT
        if created or getattr(found, name) != values[name]
    }
    for name in TEXT:
        setattr(found, name, values[name])
    outdated = found.source_version != statement.version
    found.source_version = statement.version
    if not changes and not outdated:
        return found, False
    db.session.flush()
    detail = "; ".join(part for part in (source, f"translation {language}") if part)
    audit.record(
        AuditAction.edit_statement, admin, statement=statement, detail=detail, changes=changes
    )
    public_change(statement.id)
    return found, created


def _translate(statement: Statement, language: str, text: dict[str, str]) -> bool:
    """Set the statement's text in ``language`` from a file; whether that language is new."""
    values = {
        "title": text["title"],
        "standfirst": text["standfirst"] or None,
        "body": text["body"],
    }
    _, created = save_translation(
        statement, language, values, None, source="flask statements import"
    )
    return created
