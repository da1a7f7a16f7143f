"""What the admin views share: form checks and lookups that end in a 4xx."""

from __future__ import annotations

from typing import TypeVar

from flask import abort
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from ..extensions import db
from ..models import Signature, Statement

F = TypeVar("F", bound=FlaskForm)


def checked(form: F) -> F:
    """``form`` validated, its CSRF token included, or a 400 that says what is wrong."""
    if not form.validate_on_submit():
        abort(400, "; ".join(e for errors in form.errors.values() for e in errors))
    return form


def signature_or_404(signature_id: int) -> Signature:
    """The signature with this id, or a 404 page."""
    signature = db.session.get(Signature, signature_id)
    if signature is None:
        abort(404, _("There is no such signature."))
    return signature


def statement_or_404(statement_id: int) -> Statement:
    """The statement with this id, or a 404 page."""
    statement = db.session.get(Statement, statement_id)
    if statement is None:
        abort(404, _("There is no such statement."))
    return statement
