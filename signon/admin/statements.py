"""Statements as admins see them: writing and publishing them, their figures, links and embed."""

from __future__ import annotations

import datetime as dt
import tempfile

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from ..database import utcnow, write_transaction
from ..extensions import db
from ..models import AuditAction, Statement, StatementState, StatementTranslation
from ..services import audit, authoring, delivery, questions, reconfirmation, statements
from ..services.languages import LANGUAGES, language_name
from ..services.markdown import render_markdown
from . import bp
from .common import checked, statement_or_404
from .forms import ActionForm, StatementForm, TranslationForm, fingerprint, translation_form


@bp.get("/statements")
@login_required
def statements_page() -> str:
    """Every statement, drafts first, with counts, public addresses and embed snippet."""
    everything = statements.all_statements()
    return render_template(
        "admin/statements.html",
        statements=[(statement, statements.tally(statement)) for statement in everything],
        action_form=ActionForm(),
    )


@bp.route("/statements/new", methods=["GET", "POST"])
@login_required
def new_statement() -> Response | tuple[str, int] | str:
    """Write a new statement: a draft until its status says otherwise."""
    form = StatementForm()
    if not form.is_submitted():
        newest = db.session.scalar(select(Statement).order_by(Statement.id.desc()).limit(1))
        # The same organisation usually publishes the next statement too.
        form.publisher.data = newest.publisher if newest is not None else ""
        form.published_on.data = dt.date.today()
        form.language.data = newest.language if newest is not None else "en"
    return _editor(form, None)


@bp.route("/statements/<id:statement_id>/edit", methods=["GET", "POST"])
@login_required
def edit_statement(statement_id: int) -> Response | tuple[str, int] | str:
    """Change a statement's text or settings; a published change of its text is a new version."""
    statement = statement_or_404(statement_id)
    form = StatementForm(obj=statement if request.method == "GET" else None)
    if not form.is_submitted():
        form.state.data = statement.state.value
        form.who_may_sign.data = statement.who_may_sign.value
        form.seen.data = fingerprint(statement)
    return _editor(form, statement)


def _editor(form: StatementForm, statement: Statement | None) -> Response | tuple[str, int] | str:
    """Show the editor; preview or save what it sent."""
    form.locked(statement)
    if not form.is_submitted():
        return _editor_page(form, statement)
    if not form.validate():
        return _editor_page(form, statement), 400
    values = form.values(statement)
    if "preview" in request.form:
        # Shown as the public page will show it: nothing is saved.
        preview = {**values, "text_language": values["language"], "version": 0}
        return _editor_page(form, statement, preview=preview)
    statement_id = statement.id if statement is not None else None
    try:
        with write_transaction():
            current = statement_or_404(statement_id) if statement_id is not None else None
            if current is not None and form.seen.data != fingerprint(current):
                # Saving again (having looked) replaces their change with this one.
                form.seen.data = fingerprint(current)
                raise _Conflict
            edit = authoring.save(
                current,
                values,
                current_user,
                note=form.note.data or "",
                substantial=bool(form.substantial.data),
            )
            saved_id, version = edit.statement.id, edit.version
    except authoring.StatementEditError as exc:
        getattr(form, exc.field).errors = [exc.message]
        return _editor_page(form, statement), 400
    except IntegrityError:
        # Two admins creating the same address at once (PostgreSQL; SQLite
        # runs one writer at a time, so the check in ``save`` sees the other).
        form.slug.errors = [_("Another statement has this address already.")]
        return _editor_page(form, statement), 400
    except _Conflict:
        return _editor_page(form, statement, conflict=True), 409
    if version is not None and version.substantial:
        # The first batch now, so that a small list is asked at once (even
        # where no worker runs); the outbox worker asks the rest.
        with write_transaction():
            queued = reconfirmation.queue_due(
                RECONFIRMATIONS_AT_ONCE, db.session.get(Statement, saved_id)
            )
        flash(
            ngettext(
                "Saved, and published as version %(number)s. %(num)s signatory of an earlier"
                " version is being asked to sign the new text.",
                "Saved, and published as version %(number)s. %(num)s signatories of earlier"
                " versions are being asked to sign the new text.",
                queued,
                number=version.number,
            )
            if queued
            else _("Saved, and published as version %(number)s.", number=version.number)
        )
    elif version is not None:
        flash(_("Saved, and published as version %(number)s.", number=version.number))
    else:
        flash(_("Saved."))
    return redirect(url_for(".edit_statement", statement_id=saved_id))


@bp.post("/statements/<id:statement_id>/private-link")
@login_required
def open_embargo(statement_id: int) -> Response:
    """Give a draft a private link that collects founding signatories before its launch."""
    checked(ActionForm())
    try:
        with write_transaction():
            authoring.open_embargo(statement_or_404(statement_id), current_user)
    except authoring.StatementEditError as exc:
        abort(409, exc.message)
    flash(_("The private link is ready: share it with the founding signatories only."))
    return redirect(url_for(".edit_statement", statement_id=statement_id) + "#launch")


@bp.post("/statements/<id:statement_id>/private-link/revoke")
@login_required
def revoke_embargo(statement_id: int) -> Response:
    """Make the private link stop working at once."""
    checked(ActionForm())
    with write_transaction():
        revoked = authoring.revoke_embargo(statement_or_404(statement_id), current_user)
    if revoked:
        flash(_("The private link no longer works."))
    return redirect(url_for(".edit_statement", statement_id=statement_id) + "#launch")


@bp.post("/statements/<id:statement_id>/launch")
@login_required
def launch_statement(statement_id: int) -> Response:
    """Make a draft public now, with its verified founding signatories on its list."""
    checked(ActionForm())
    with write_transaction():
        launched = authoring.launch(statement_or_404(statement_id), current_user)
    if launched:
        flash(_("The statement is public now, and open for signatures."))
    return redirect(url_for(".edit_statement", statement_id=statement_id))


# Emails to signatories of earlier versions queued by the admin's own request;
# the outbox worker queues the rest, a batch at a time.
RECONFIRMATIONS_AT_ONCE = 200


@bp.route("/statements/<id:statement_id>/translations/<language>", methods=["GET", "POST"])
@login_required
def translate_statement(statement_id: int, language: str) -> Response | tuple[str, int] | str:
    """Write a statement's text in another language, beside the original, with a preview."""
    statement = statement_or_404(statement_id)
    if language not in LANGUAGES or language == statement.language:
        abort(404, _("The statement cannot be translated into this language here."))
    found = next((t for t in statement.translations if t.language == language), None)
    form = translation_form(statement.questions)(obj=found if request.method == "GET" else None)
    if not form.is_submitted():
        form.fill_wordings(language)
        return _translation_page(form, statement, language, found)
    if not form.validate():
        return _translation_page(form, statement, language, found), 400
    if "preview" in request.form:
        values = form.values()
        preview = {
            **values,
            "publisher": statement.publisher,
            "published_on": statement.published_on,
            "text_language": language,
            "version": 0,
        }
        return _translation_page(form, statement, language, found, preview=preview)
    try:
        with write_transaction():
            current = statement_or_404(statement_id)
            authoring.save_translation(current, language, form.values(), current_user)
            questions.translate(current, language, form.wordings(), current_user)
    except questions.QuestionError:
        # Defensive: the form has checked each choice's options already.
        abort(409, _("The statement's questions changed meanwhile: please open the page again."))
    flash(_("The %(language)s text is saved.", language=language_name(language)))
    return redirect(url_for(".translate_statement", statement_id=statement_id, language=language))


def _translation_page(
    form: TranslationForm,
    statement: Statement,
    language: str,
    translation: StatementTranslation | None,
    *,
    preview: dict[str, object] | None = None,
) -> str:
    return render_template(
        "admin/statement_translation.html",
        form=form,
        statement=statement,
        language=language,
        translation=translation,
        original_body=render_markdown(statement.body),
        preview=preview,
        preview_body=render_markdown(str(preview["body"])) if preview else None,
    )


class _Conflict(Exception):
    """Another admin saved the statement while this one was editing: nothing is written."""


def _editor_page(
    form: StatementForm,
    statement: Statement | None,
    *,
    preview: dict[str, object] | None = None,
    conflict: bool = False,
) -> str:
    return render_template(
        "admin/statement_editor.html",
        form=form,
        statement=statement,
        preview=preview,
        # Rendered and sanitised exactly as the public page renders it.
        preview_body=render_markdown(str(preview["body"])) if preview else None,
        conflict=conflict,
        by_version=authoring.signatures_by_version(statement) if statement else {},
        still_to_ask=reconfirmation.waiting(statement) if statement else 0,
        action_form=ActionForm(),
        founding=authoring.founding_counts(statement) if statement else None,
        now=utcnow(),
        published=statement is not None and statement.is_published,
        StatementState=StatementState,
    )


@bp.post("/statements/<slug:slug>/pack")
@login_required
def pack(slug: str) -> Response:
    """Download the statement's delivery pack (and note in the audit log who did)."""
    checked(ActionForm())
    statement = statements.statement_view(slug)
    if statement is None:
        abort(404, _("There is no published statement at this address."))
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 -- send_file closes it
    made = delivery.build(statement, spool)
    with write_transaction():
        audit.record(
            AuditAction.export,
            current_user,
            statement=db.session.get(Statement, statement.id),
            detail="delivery pack",
        )
    spool.seek(0)
    return send_file(
        spool, mimetype="application/zip", as_attachment=True, download_name=made.name
    )
