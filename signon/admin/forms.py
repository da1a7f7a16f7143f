"""Admin forms; all carry Flask-WTF's CSRF token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField, ValidationError
from wtforms.validators import AnyOf, DataRequired, Length, Optional

from ..services.addresses import EmailNotValidError, normalise_email
from ..validators import PlainText, clean_text, email_problem


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField(
        _l("Email"),
        filters=[clean_text],
        validators=[DataRequired(), Length(max=254), PlainText()],
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])


class PersonForm(FlaskForm):
    """The email address a subject access or erasure request is about."""

    email = EmailField(
        _l("Email address"),
        filters=[clean_text],
        validators=[DataRequired(), Length(max=254), PlainText()],
    )

    def validate_email(self, field: EmailField) -> None:
        try:
            field.data = normalise_email(field.data)
        except EmailNotValidError as exc:
            raise ValidationError(email_problem(field.data, exc)) from None


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token to check."""


class CommentForm(FlaskForm):
    """Publish ("1") or hide ("0") a public comment."""

    approved = HiddenField(validators=[AnyOf(["0", "1"])])


class RejectForm(FlaskForm):
    """Reject, with a reason kept for the other admins."""

    reason = StringField(
        _l("Reason (optional, never shown to the signatory)"),
        filters=[clean_text],
        validators=[Optional(), Length(max=500), PlainText()],
    )
