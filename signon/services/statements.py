"""Statements: importing their text and reading their public figures."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

import frontmatter
import yaml
from sqlalchemy import Row, func, select, update
from sqlalchemy.orm import selectinload

from ..database import require_write, utcnow
from ..extensions import db
from ..models import (
    QuestionKind,
    SignatoryKind,
    Signature,
    SignatureState,
    Statement,
    StatementQuestion,
    StatementState,
    StatementTranslation,
    WhoMaySign,
)
from ..models.statement import taking_signatures
from .languages import DEFAULT_LANGUAGE, LANGUAGES
from .public import StatementRef

# StatementView's fields that are not Statement's columns.
_VIEW_EXTRAS = {"texts", "text_language", "embargo_token", "questions"}
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_FIELDS = {
    "slug",
    "title",
    "publisher",
    "published_on",
    "state",
    "needs_verification",
    "who_may_sign",
    "signing_deadline",
    "language",
    "standfirst",
}
# The longest value each text setting may have (the columns' sizes).
_MAX_LENGTHS = {"slug": 80, "title": 300, "publisher": 200, "standfirst": 600}


class StatementImportError(ValueError):
    """A statement file that cannot be imported; the message says why."""


def parse_statement_file(
    text: str, *, default_slug: str | None = None, default_language: str | None = None
) -> dict[str, object]:
    """Split a statement file into its settings and Markdown body.

    The file starts with its settings between two ``---`` lines, then the
    body in Markdown. The settings are either signon's own ``key: value``
    lines (slug, title, publisher, standfirst, published_on as YYYY-MM-DD,
    state, needs_verification as true/false, who_may_sign as organisations,
    individuals or both, signing_deadline as an ISO date
    and time in UTC, language as a code signon speaks), or the YAML front
    matter of a WordPress or Hugo export, whose ``date``, ``summary`` or
    ``description``, ``author`` and ``draft`` stand for signon's own and
    whose other keys (tags, layout...) are ignored. ``default_slug`` serves
    when the file names none (Hugo takes the slug from the file's name).
    """
    settings, body = read_settings(text, _FIELDS)
    if default_slug and not settings.get("slug"):
        settings["slug"] = default_slug
    for name in ("slug", "title", "publisher", "standfirst", "state", "language"):
        settings[name] = _text(settings, name)
    for required in ("slug", "title", "publisher"):
        if not settings[required]:
            raise StatementImportError(f"The setting {required!r} is required.")
    _check_text_settings(settings)
    try:
        settings["published_on"] = _date(settings.get("published_on"))
        settings["signing_deadline"] = _deadline(settings.get("signing_deadline"))
        settings["state"] = StatementState(settings["state"] or "draft")
    except ValueError as exc:
        raise StatementImportError(str(exc)) from None
    flag = settings.get("needs_verification", True)
    flag = flag if isinstance(flag, bool) else str(flag).strip().lower()
    if flag not in (True, False, "true", "false"):
        raise StatementImportError("needs_verification must be true or false.")
    settings["needs_verification"] = flag in (True, "true")
    who = _text(settings, "who_may_sign") or WhoMaySign.organisations.value
    try:
        settings["who_may_sign"] = WhoMaySign(who)
    except ValueError:
        raise StatementImportError(
            "who_may_sign must be organisations, individuals or both."
        ) from None
    settings["language"] = _language(settings["language"] or default_language or DEFAULT_LANGUAGE)
    settings["standfirst"] = settings["standfirst"] or None
    settings["body"] = body
    return settings


def parse_translation_file(text: str) -> dict[str, str]:
    """A translation's file: ``slug``, ``title`` and maybe ``standfirst``, then the body.

    The settings of the statement (its state, dates...) are the original's
    alone; a translation holds only what is read.
    """
    settings, body = read_settings(text, {"slug", "title", "standfirst"})
    text_settings = {name: _text(settings, name) for name in ("slug", "title", "standfirst")}
    for required in ("slug", "title"):
        if not text_settings[required]:
            raise StatementImportError(f"The setting {required!r} is required.")
    _check_text_settings(text_settings)
    if not body.strip():
        raise StatementImportError("The file has no text after its settings block.")
    return {**text_settings, "body": body}


# Front matter keys of WordPress and Hugo exports that mean one of signon's settings.
_FRONT_MATTER_NAMES = {
    "date": "published_on",
    "summary": "standfirst",
    "description": "standfirst",
    "excerpt": "standfirst",
    "author": "publisher",
    "lang": "language",
}


def read_settings(text: str, allowed: set[str]) -> tuple[dict[str, object], str]:
    """The settings (only ``allowed`` ones) and the body of a statement file.

    signon's own ``key: value`` lines are read as they are written, so a
    title such as ``Solidarity: now``, ``No`` or ``Stop the war #NoWar``
    stays text, and a misspelt key is an error. A block with the marks of
    YAML (quoted values, lists, comments) or a key of WordPress or Hugo
    (``date``, ``tags``...) is read as YAML front matter (python-frontmatter).
    """
    if not _is_front_matter(_settings_block(text)):
        return _split(text, allowed)
    try:
        post = frontmatter.loads(text.lstrip("\ufeff"))
    except yaml.YAMLError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StatementImportError(f"The front matter is not valid YAML: {first}") from None
    if not isinstance(post.metadata, dict) or not post.metadata:
        raise StatementImportError("The front matter holds no settings.")
    return _from_front_matter(post.metadata, allowed), post.content.strip() + "\n"


def ignored_settings(text: str) -> list[str]:
    """The front matter keys of ``text`` that signon does not use (tags, layout...)."""
    try:
        if not _is_front_matter(_settings_block(text)):
            return []
        metadata = frontmatter.loads(text.lstrip("\ufeff")).metadata
    except (StatementImportError, yaml.YAMLError):
        return []
    used = _FIELDS | set(_FRONT_MATTER_NAMES) | {"draft"}
    return sorted(str(key) for key in metadata if key not in used)


# Keys of WordPress and Hugo front matter that signon's own files never have.
_EXPORT_KEYS = {
    *_FRONT_MATTER_NAMES,
    *("draft", "tags", "categories", "layout", "type", "weight", "aliases", "url"),
    *("permalink", "status", "id", "guid", "keywords", "image", "toc", "menu"),
}


def _settings_block(text: str) -> list[str]:
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or lines[0].strip() != "---":
        raise StatementImportError("The file must start with a '---' settings block.")
    try:
        end = next(i for i, line in enumerate(lines[1:], 1) if line.strip() == "---")
    except StopIteration:
        raise StatementImportError("The settings block has no closing '---'.") from None
    return lines[1:end]


def _is_front_matter(block: list[str]) -> bool:
    """Whether a settings block is YAML rather than signon's own ``key: value`` lines."""
    for line in block:
        if not line.strip():
            continue
        if line[0].isspace() or line.lstrip().startswith(("- ", "#")):
            return True  # nesting, a list, a comment line
        key, _, value = line.partition(":")
        value = value.strip()
        if key.strip() in _EXPORT_KEYS and key.strip() not in _FIELDS:
            return True
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            return True  # a quoted value: the quotes are YAML's, not the text's
        if value.startswith(("[", "{")):
            return True
    return False


def _from_front_matter(metadata: dict[str, object], allowed: set[str]) -> dict[str, object]:
    settings: dict[str, object] = {}
    for key, value in metadata.items():
        if key in allowed:
            settings[key] = value
    for key, name in _FRONT_MATTER_NAMES.items():
        if key in metadata and name in allowed and name not in settings:
            value = metadata[key]
            if name == "publisher" and isinstance(value, list):  # Hugo: authors as a list
                value = value[0] if value else None
            if isinstance(value, dict):  # an author as {name: ..., email: ...}
                value = value.get("name")
            settings[name] = value
    if "state" in allowed and "state" not in settings and metadata.get("draft") is True:
        settings["state"] = "draft"
    return settings


def _text(settings: dict[str, object], name: str) -> str:
    """A text setting as written; YAML's guesses (a title "No" read as false) refused."""
    value = settings.get(name)
    if value is None:
        return ""
    if isinstance(value, bool):
        raise StatementImportError(
            f"The {name} was read as {str(value).lower()}: put the text in quotes."
        )
    if isinstance(value, list | dict):
        raise StatementImportError(f"The {name} must be text, not a list.")
    return str(value).strip()


def _date(value: object) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip()[:10])


def _deadline(value: object) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return _utc_naive(value)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    return _utc_datetime(str(value).strip())


def _split(text: str, allowed: set[str]) -> tuple[dict[str, object], str]:
    """signon's own form: ``key: value`` lines (only ``allowed`` keys), then the body."""
    block = _settings_block(text)
    lines = text.lstrip("\ufeff").splitlines()
    end = len(block) + 1
    settings: dict[str, object] = {}
    for number, line in enumerate(block, 2):
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        key = key.strip()
        if not sep or key not in allowed:
            raise StatementImportError(f"Line {number}: unknown setting {key!r}.")
        settings[key] = value.strip()
    return settings, "\n".join(lines[end + 1 :]).strip() + "\n"


def _check_text_settings(settings: dict[str, object]) -> None:
    for name, longest in _MAX_LENGTHS.items():
        if name in settings and len(str(settings[name] or "")) > longest:
            raise StatementImportError(f"The {name} may be at most {longest} characters.")
    if not _SLUG.match(str(settings["slug"])):
        raise StatementImportError("The slug may hold only a-z, 0-9 and single dashes.")


def slug_from(name: str) -> str:
    """A slug made of a file's name: "Our Statement (2026)" becomes "our-statement-2026"."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return "-".join(re.findall(r"[a-z0-9]+", folded))[:80].strip("-")


def _language(code: str) -> str:
    if code not in LANGUAGES:
        raise StatementImportError(
            f"Unknown language {code!r}; signon speaks {', '.join(LANGUAGES)}."
        )
    return code


def _utc_datetime(value: str) -> dt.datetime:
    """An ISO date and time; with an offset it is converted, without it is UTC."""
    return _utc_naive(dt.datetime.fromisoformat(value))


def _utc_naive(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    return value.replace(tzinfo=None)


@dataclass(frozen=True)
class Tally:
    """The public figures of a statement: verified signatures, by kind."""

    organisations: int
    people: int
    countries: int
    unnamed_organisations: int
    unnamed_people: int
    latest: dt.datetime | None = None  # the newest verification of a named signatory

    @property
    def signatories(self) -> int:
        """Every verified signature, organisations and people."""
        return self.organisations + self.people

    @property
    def unnamed(self) -> int:
        """The verified signatories who asked not to be named."""
        return self.unnamed_organisations + self.unnamed_people

    @property
    def named(self) -> int:
        """The verified signatories on the public list."""
        return self.signatories - self.unnamed


def tally(statement: StatementRef) -> Tally:
    """Verified signatures by kind, their countries, and how many asked not to be named.

    Counted by query every time: there is no counter row for a spike of
    signatures to queue on (caching the page is the cure for read load).
    """
    person = Signature.kind == SignatoryKind.person
    organisation = Signature.kind == SignatoryKind.organisation
    unnamed = Signature.show_name.is_(False)
    row = db.session.execute(
        select(
            func.count(Signature.id).filter(organisation),
            func.count(Signature.id).filter(person),
            func.count(func.distinct(Signature.country)),
            func.count(Signature.id).filter(organisation, unnamed),
            func.count(Signature.id).filter(person, unnamed),
            # Of the named only: the moment an unnamed signatory appeared is theirs.
            func.max(Signature.verified_at).filter(Signature.show_name.is_(True)),
        ).where(
            Signature.statement_id == statement.id,
            Signature.state == SignatureState.verified,
        )
    ).one()
    return Tally(*row)


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
class StatementText:
    """A statement's title and text in one language."""

    language: str
    title: str
    standfirst: str | None
    body: str
    # A translation made before the original's latest change.
    outdated: bool = False


@dataclass(frozen=True, slots=True)
class QuestionView:
    """A question as the public form shows it: a plain, hashable snapshot."""

    id: int
    label: str
    hint: str
    kind: QuestionKind
    options: tuple[str, ...]
    required: bool
    public: bool
    asked_of: SignatoryKind | None = None  # None: of everyone
    # The options as shown: the original's, or a translation's (same order).
    # The value sent, and the answer kept, is always the original option.
    option_labels: tuple[str, ...] = ()
    # (language, label, hint, options) for each language it is translated into.
    translations: tuple[tuple[str, str, str, tuple[str, ...]], ...] = ()

    def in_language(self, language: str) -> QuestionView:
        """The question worded in ``language`` where translated, else as it is.

        A wording whose options do not match the original's one for one (the
        original's options never change, but a stored wording might be
        damaged) keeps the original's options.
        """
        for code, label, hint, options in self.translations:
            if code == language and label:
                shown = options if len(options) == len(self.options) else self.options
                return replace(self, label=label, hint=hint, option_labels=shown)
        return self

    def asked_of_kind(self, kind: SignatoryKind) -> bool:
        """Whether a ``kind`` of signatory is asked this question."""
        return self.asked_of is None or self.asked_of is kind

    @property
    def field_name(self) -> str:
        """The name of its field on the sign-on form."""
        return f"question_{self.id}"


def views_of(statement_ids: Iterable[int]) -> dict[int, tuple[QuestionView, ...]]:
    """The questions of each statement, in order, in one query."""
    found: dict[int, list[QuestionView]] = {}
    ids = list(statement_ids)
    if not ids:
        return {}
    rows = db.session.scalars(
        select(StatementQuestion)
        .where(StatementQuestion.statement_id.in_(ids))
        .order_by(StatementQuestion.statement_id, StatementQuestion.position)
    )
    for question in rows:
        found.setdefault(question.statement_id, []).append(
            QuestionView(
                id=question.id,
                label=question.label,
                hint=question.hint,
                kind=question.kind,
                options=tuple(question.option_list),
                required=question.required,
                public=question.public,
                asked_of=question.asked_of,
                option_labels=tuple(question.option_list),
                translations=tuple(
                    (
                        code,
                        wording.get("label", ""),
                        wording.get("hint", ""),
                        tuple(wording.get("options", ())),
                    )
                    for code, wording in sorted((question.translations or {}).items())
                ),
            )
        )
    return {statement_id: tuple(views) for statement_id, views in found.items()}


@dataclass(frozen=True)
class StatementView:
    """What the public pages show of a statement: a plain snapshot, safe to keep.

    Not an ORM object, so it can be kept between requests (web/pages.py keeps
    one per slug for a second) without a session, lazy loads or stale state.
    ``title`` and ``body`` are in ``text_language``: the original's, until
    ``in_language`` picks a translation.
    """

    id: int
    slug: str
    title: str
    standfirst: str | None
    publisher: str
    published_on: dt.date | None
    body: str
    state: StatementState
    needs_verification: bool
    signing_deadline: dt.datetime | None
    public_version: int
    public_changed_at: dt.datetime
    language: str
    version: int  # the newest published version's number
    substantial_version: int  # the newest that changed what signatories agreed to
    who_may_sign: WhoMaySign
    # Every text the statement has, the original first, then by language.
    texts: tuple[StatementText, ...] = ()
    text_language: str = ""
    # Only in the view of an embargoed draft, read through its private link.
    embargo_token: str | None = None
    # Its own questions on the sign-on form, in order.
    questions: tuple[QuestionView, ...] = ()

    @property
    def public_questions(self) -> tuple[QuestionView, ...]:
        """The questions whose answers are shown with the signatory's name."""
        return tuple(question for question in self.questions if question.public)

    @property
    def is_open(self) -> bool:
        """Whether the sign-on form is offered and accepted right now."""
        return taking_signatures(self.state, self.signing_deadline, utcnow(), self.embargo_token)

    @property
    def embargoed(self) -> bool:
        """Whether it is a draft read through its private link, before the launch."""
        return self.state is StatementState.draft and self.embargo_token is not None

    @property
    def languages(self) -> list[str]:
        """The languages the statement can be read in, the original first."""
        return [text.language for text in self.texts]

    def text_in(self, language: str) -> StatementText:
        """The statement's text in ``language`` if it has one, else the original."""
        return next((t for t in self.texts if t.language == language), self.texts[0])

    def title_in(self, language: str) -> str:
        """The title in ``language`` where translated, else the original's."""
        return self.text_in(language).title

    @property
    def outdated(self) -> bool:
        """Whether the text shown is a translation older than the original's latest change."""
        return self.text_in(self.text_language).outdated

    def in_language(self, language: str) -> StatementView:
        """This statement as a reader of ``language`` sees it, its questions too."""
        # Never in the statement's own language: a wording saved for a language
        # the original was later switched to would hide the original's own.
        questions = (
            tuple(question.in_language(language) for question in self.questions)
            if language != self.language
            else self.questions
        )
        text = self.text_in(language)
        if text.language == self.text_language:
            return replace(self, questions=questions) if questions != self.questions else self
        return replace(
            self,
            title=text.title,
            standfirst=text.standfirst,
            body=text.body,
            text_language=text.language,
            questions=questions,
        )


_VIEW_COLUMNS = [
    getattr(Statement, f.name) for f in fields(StatementView) if f.name not in _VIEW_EXTRAS
]


def _views(rows: Sequence[Row[Any]]) -> list[StatementView]:
    """Snapshots of ``rows`` (of _VIEW_COLUMNS) with their translations and questions.

    Two more queries, whatever the number of rows.
    """
    translations: dict[int, list[StatementText]] = {}
    if rows:
        found = db.session.execute(
            select(
                StatementTranslation.statement_id,
                StatementTranslation.language,
                StatementTranslation.title,
                StatementTranslation.standfirst,
                StatementTranslation.body,
                StatementTranslation.source_version,
            )
            .where(StatementTranslation.statement_id.in_([row.id for row in rows]))
            .order_by(StatementTranslation.language)
        )
        versions = {row.id: row.version for row in rows}
        for statement_id, *text, source_version in found:
            outdated = source_version < versions[statement_id]
            translations.setdefault(statement_id, []).append(StatementText(*text, outdated))
    questions = views_of(row.id for row in rows)
    views = []
    for row in rows:
        view = StatementView(*row)
        original = StatementText(view.language, view.title, view.standfirst, view.body)
        others = tuple(t for t in translations.get(view.id, []) if t.language != view.language)
        views.append(
            replace(
                view,
                texts=(original, *others),
                text_language=view.language,
                questions=questions.get(view.id, ()),
            )
        )
    return views


def statement_view(slug: str) -> StatementView | None:
    """The public snapshot of the statement at ``slug``; None for none or a draft."""
    rows = db.session.execute(
        select(*_VIEW_COLUMNS).where(
            Statement.slug == slug, Statement.state != StatementState.draft
        )
    ).all()
    return _views(rows)[0] if rows else None


def launched_slug(token: str) -> str | None:
    """The slug of the statement launched since its private link carried ``token``."""
    return db.session.scalar(
        select(Statement.slug).where(
            Statement.embargo_token == token, Statement.state != StatementState.draft
        )
    )


def embargoed_view(token: str) -> StatementView | None:
    """The draft whose private link carries ``token``, before its launch; else None."""
    rows = db.session.execute(
        select(*_VIEW_COLUMNS).where(
            Statement.embargo_token == token, Statement.state == StatementState.draft
        )
    ).all()
    return replace(_views(rows)[0], embargo_token=token) if rows else None


def published_views() -> list[StatementView]:
    """Snapshots of every statement taking signatures or closed, newest first; two queries."""
    rows = db.session.execute(
        select(*_VIEW_COLUMNS)
        .where(Statement.state != StatementState.draft)
        .order_by(Statement.published_on.desc(), Statement.id.desc())
    ).all()
    return _views(rows)


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
            .options(selectinload(Statement.translations))  # their titles, in one query
            .order_by(Statement.published_on.desc(), Statement.id.desc())
        )
    )


def all_statements() -> list[Statement]:
    """Every statement, drafts included, for the admin: drafts first, then newest first."""
    return list(
        db.session.scalars(
            select(Statement)
            .options(selectinload(Statement.translations))
            .order_by(
                (Statement.state == StatementState.draft).desc(),
                Statement.published_on.desc(),
                Statement.id.desc(),
            )
        )
    )
