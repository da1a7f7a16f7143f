"""A statement's own questions on its sign-on form: added and removed by admins."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ..database import write_transaction
from ..models import QuestionKind, SignatoryKind
from ..services import questions
from . import bp
from .common import checked, statement_or_404
from .forms import ActionForm, QuestionForm


@bp.route("/statements/<id:statement_id>/questions", methods=["GET", "POST"])
@login_required
def statement_questions(statement_id: int) -> Response | tuple[str, int] | str:
    """The statement's questions, and a form to add one."""
    statement = statement_or_404(statement_id)
    form = QuestionForm()
    if not form.is_submitted():
        return _page(form, statement_id)
    if not form.validate():
        return _page(form, statement_id), 400
    try:
        with write_transaction():
            questions.add(
                statement_or_404(statement_id),
                current_user,
                label=form.label.data,
                hint=form.hint.data or "",
                kind=QuestionKind(form.kind.data),
                options=(form.options.data or "").splitlines(),
                required=bool(form.required.data),
                public=form.visibility.data == "public",
                asked_of=SignatoryKind(form.asked_of.data) if form.asked_of.data else None,
            )
    except questions.TooManyQuestions:
        abort(
            409,
            _("A statement may ask at most %(num)s questions.", num=questions.MAX_QUESTIONS),
        )
    except questions.DuplicateQuestion:
        form.label.errors.append(_("This statement asks this question already."))
        return _page(form, statement_id), 400
    flash(_("The question is on the form now."))
    return redirect(url_for(".statement_questions", statement_id=statement.id))


@bp.post("/statements/<id:statement_id>/questions/<id:question_id>/remove")
@login_required
def remove_question(statement_id: int, question_id: int) -> Response:
    """Take a question off the form, and delete every answer to it."""
    checked(ActionForm())
    with write_transaction():
        question = questions.question_of(statement_id, question_id)
        if question is None:
            abort(404, _("There is no such question."))
        deleted = questions.remove(question, current_user)
    flash(
        ngettext(
            "The question is removed, with its %(num)s answer.",
            "The question is removed, with its %(num)s answers.",
            deleted,
        )
    )
    return redirect(url_for(".statement_questions", statement_id=statement_id))


def _page(form: QuestionForm, statement_id: int) -> str:
    statement = statement_or_404(statement_id)
    return render_template(
        "admin/statement_questions.html",
        form=form,
        statement=statement,
        action_form=ActionForm(),
        answers=questions.answer_counts(statement),
        limit=questions.MAX_QUESTIONS,
        adding=request.method == "POST",
    )
