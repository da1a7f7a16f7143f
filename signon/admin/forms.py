"""Admin forms; all carry Flask-WTF's CSRF token."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext, lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, Optional, Regexp

from ..database import utcnow
from ..models import (
    QuestionKind,
    SignatoryKind,
    Statement,
    StatementQuestion,
    StatementState,
    WhoMaySign,
)
from ..services.addresses import EmailNotValidError, normalise_email
from ..services.authoring import EDITABLE
from ..services.languages import LANGUAGES
from ..services.questions import QuestionError, clean_options, same_wording
from ..services.statements import slug_from
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


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


_REQUIRED = _l("Please fill in this field.")


class StatementForm(FlaskForm):
    """A statement's text and settings, as the editor shows them.

    Two submit buttons: "preview" renders what the public page will show and
    saves nothing; "save" saves. ``seen`` holds a fingerprint of the saved
    values the editor was opened with, so that two admins editing at once do
    not silently undo each other's work.
    """

    title = StringField(
        _l("Title"),
        filters=[clean_text],
        validators=[DataRequired(_REQUIRED), Length(max=300), PlainText(author=True)],
    )
    slug = StringField(
        _l("Address"),
        filters=[clean_text, _lower],
        validators=[
            Optional(),
            Length(max=80),
            Regexp(
                r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
                message=_l("Use only a-z, 0-9 and single dashes, for example our-statement."),
            ),
        ],
    )
    standfirst = TextAreaField(
        _l("Standfirst"),
        filters=[clean_text],
        validators=[Optional(), Length(max=600), PlainText(author=True)],
    )
    publisher = StringField(
        _l("Publisher"),
        filters=[clean_text],
        validators=[DataRequired(_REQUIRED), Length(max=200), PlainText()],
    )
    published_on = DateField(
        _l("Date"),
        validators=[Optional()],
        format="%Y-%m-%d",
    )
    language = SelectField(
        _l("Language of the text"),
        choices=[SelectChoice(code, name) for code, name in LANGUAGES.items()],
    )
    body = TextAreaField(
        _l("Text"),
        filters=[clean_text],
        validators=[
            DataRequired(_REQUIRED),
            Length(max=100_000),
            PlainText(multiline=True, markup=True, author=True),
        ],
    )
    state = RadioField(
        _l("Status"),
        choices=[
            SelectChoice(StatementState.draft.value, lazy_pgettext("statement state", "Draft")),
            SelectChoice(StatementState.open.value, lazy_pgettext("statement state", "Open")),
            SelectChoice(StatementState.closed.value, lazy_pgettext("statement state", "Closed")),
        ],
        default=StatementState.draft.value,
    )
    signing_deadline = DateTimeLocalField(
        _l("Signing deadline (UTC)"),
        validators=[Optional()],
        format="%Y-%m-%dT%H:%M",
    )
    launch_at = DateTimeLocalField(
        _l("Launch at (UTC)"),
        validators=[Optional()],
        format="%Y-%m-%dT%H:%M",
    )
    needs_verification = BooleanField(_l("Check each signature before it is listed"), default=True)
    who_may_sign = RadioField(
        _l("Who may sign"),
        choices=[
            SelectChoice(WhoMaySign.organisations.value, _l("Organisations")),
            SelectChoice(WhoMaySign.individuals.value, _l("Individuals, in their own name")),
            SelectChoice(WhoMaySign.both.value, _l("Both: the form asks which")),
        ],
        default=WhoMaySign.organisations.value,
        validators=[InputRequired(_l("Please choose who may sign."))],
        invalid_choice_message=_l("Please choose one of the options."),
    )
    note = StringField(
        _l("What changed"),
        filters=[clean_text],
        validators=[Optional(), Length(max=300), PlainText()],
    )
    substantial = BooleanField(
        _l("This changes what signatories agreed to: ask them to sign the new text")
    )
    seen = HiddenField()

    _statement: Statement | None = None

    def locked(self, statement: Statement | None) -> None:
        """Fit the form to ``statement``: a published one keeps its address and stays public."""
        self._statement = statement
        if statement is not None and statement.is_published:
            self.slug.render_kw = {"readonly": True}
            self.state.choices = [
                choice
                for choice in self.state.choices  # type: ignore[union-attr]
                if choice.value != StatementState.draft.value
            ]

    def values(self, statement: Statement | None) -> dict[str, object]:
        """The settings to save; the slug made from the title if empty, fixed once published."""
        slug = self.slug.data or slug_from(self.title.data or "")
        if statement is not None and statement.is_published:
            slug = statement.slug
        return {
            "title": self.title.data,
            "slug": slug,
            "standfirst": self.standfirst.data or None,
            "publisher": self.publisher.data,
            "published_on": self.published_on.data,
            "language": self.language.data,
            "body": self.body.data.rstrip() + "\n",
            "state": StatementState(self.state.data),
            "needs_verification": bool(self.needs_verification.data),
            "who_may_sign": WhoMaySign(self.who_may_sign.data),
            "signing_deadline": self.signing_deadline.data,
            # Only a draft waits for a launch.
            "launch_at": (
                statement.launch_at
                if statement is not None and statement.is_published
                else self.launch_at.data
            ),
        }

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators) and self._times_make_sense()
        # After the fields' own checks: an empty slug stops its chain (Optional).
        if self.title.data and not self.slug.data and not slug_from(self.title.data):
            self.slug.errors.append(
                _l("The title has no letters a-z to make an address from: please write one.")
            )
            return False
        return valid

    def _times_make_sense(self) -> bool:
        """A new launch time or deadline in the past would act at once: refused."""
        now = utcnow()
        saved = self._statement
        launch, deadline = self.launch_at.data, self.signing_deadline.data
        ok = True
        if launch and (saved is None or saved.launch_at != launch) and launch <= now:
            self.launch_at.errors.append(
                _l("This time has passed: set one in the future, or press Launch now.")
            )
            ok = False
        if deadline and (saved is None or saved.signing_deadline != deadline) and deadline <= now:
            self.signing_deadline.errors.append(
                _l("This time has passed: set one in the future, or close the statement.")
            )
            ok = False
        published = saved is not None and saved.is_published
        if launch and not published and self.state.data != StatementState.draft.value:
            # Publishing now would throw the embargo away with the launch time.
            self.launch_at.errors.append(
                _l(
                    "A statement with a launch time stays a draft until then:"
                    " choose Draft, or clear the launch time."
                )
            )
            ok = False
        if ok and launch and deadline and deadline <= launch:
            self.signing_deadline.errors.append(_l("The deadline must come after the launch."))
            ok = False
        return ok


def fingerprint(statement: Statement) -> str:
    """A digest of what the editor shows of ``statement``, to notice a change by someone else."""
    values = {name: str(getattr(statement, name)) for name in EDITABLE}
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:32]


class TranslationForm(FlaskForm):
    """A statement's title, standfirst and text in another language; a preview button too."""

    title = StatementForm.title
    standfirst = StatementForm.standfirst
    body = StatementForm.body

    # The statement's questions, each worded by three fields (translation_form).
    questions: tuple[StatementQuestion, ...] = ()

    def values(self) -> dict[str, str | None]:
        """What to save: the three texts, the text ending with one line break."""
        return {
            "title": self.title.data,
            "standfirst": self.standfirst.data or None,
            "body": self.body.data.rstrip() + "\n",
        }

    def fill_wordings(self, language: str) -> None:
        """Show each question's wording in ``language`` as saved (on GET)."""
        for question in self.questions:
            wording = question.wording_in(language) or {}
            self[f"{question.field_name}_label"].data = wording.get("label", "")
            self[f"{question.field_name}_hint"].data = wording.get("hint", "")
            if question.kind is QuestionKind.choice:
                self[f"{question.field_name}_options"].data = "\n".join(wording.get("options", []))

    def wordings(self) -> dict[int, dict[str, object]]:
        """Each question's label, hint and options as typed, by question id."""
        found: dict[int, dict[str, object]] = {}
        for question in self.questions:
            name = question.field_name
            options = self[f"{name}_options"].data if question.kind is QuestionKind.choice else ""
            found[question.id] = {
                "label": self[f"{name}_label"].data or "",
                "hint": self[f"{name}_hint"].data or "",
                "options": [line.strip() for line in (options or "").splitlines() if line.strip()],
            }
        return found

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        for question in self.questions:
            name = question.field_name
            label = self[f"{name}_label"]
            wording = [self[f"{name}_hint"].data]
            if question.kind is QuestionKind.choice:
                wording.append(self[f"{name}_options"].data)
            if any(wording) and not label.data:
                label.errors.append(_l("Please word the question itself too."))
                valid = False
            if question.kind is not QuestionKind.choice:
                continue
            field = self[f"{name}_options"]
            given = [line.strip() for line in (field.data or "").splitlines() if line.strip()]
            if len({same_wording(option) for option in given}) < len(given):
                field.errors.append(_l("Each option may appear only once."))
                valid = False
            elif any(len(option) > 100 for option in given):
                field.errors.append(_l("Each option may be at most 100 characters long."))
                valid = False
            elif given and len(given) != len(question.option_list):
                field.errors.append(
                    lazy_ngettext(
                        "Please give each option once, in the original's order: %(num)s line.",
                        "Please give each option once, in the original's order: %(num)s lines.",
                        len(question.option_list),
                    )
                )
                valid = False
        return valid


def translation_form(questions: Sequence[StatementQuestion]) -> type[TranslationForm]:
    """A TranslationForm with a label, hint and (for a choice) options field per question."""
    fields: dict[str, object] = {"questions": tuple(questions)}
    for question in questions:
        name = question.field_name
        fields[f"{name}_label"] = StringField(
            _l("Question"),
            filters=[clean_text],
            validators=[Optional(), Length(max=200), PlainText(author=True)],
        )
        fields[f"{name}_hint"] = StringField(
            _l("Hint under the question"),
            filters=[clean_text],
            validators=[Optional(), Length(max=300), PlainText(author=True)],
        )
        if question.kind is QuestionKind.choice:
            fields[f"{name}_options"] = TextAreaField(
                _l("Options, one per line"),
                filters=[clean_text],
                validators=[Optional(), Length(max=3000), PlainText(multiline=True, author=True)],
            )
    return type("QuestionsTranslationForm", (TranslationForm,), fields)


class QuestionForm(FlaskForm):
    """A question to add to a statement's sign-on form."""

    label = StringField(
        _l("Question"),
        filters=[clean_text],
        validators=[DataRequired(_REQUIRED), Length(max=200), PlainText()],
    )
    hint = StringField(
        _l("Hint under the question"),
        filters=[clean_text],
        validators=[Optional(), Length(max=300), PlainText()],
    )
    kind = RadioField(
        _l("Answer"),
        choices=[
            SelectChoice(QuestionKind.text.value, _l("A line of text")),
            SelectChoice(QuestionKind.number.value, _l("A whole number")),
            SelectChoice(QuestionKind.choice.value, _l("One choice from a list")),
        ],
        default=QuestionKind.text.value,
        validators=[InputRequired(_l("Please choose the kind of answer."))],
        invalid_choice_message=_l("Please choose one of the options."),
    )
    # Checked by validate_options, and only for a choice.
    options = TextAreaField(_l("Options, one per line"), filters=[clean_text])
    required = BooleanField(_l("An answer is required"))
    asked_of = RadioField(
        _l("Asked of"),
        choices=[
            SelectChoice("", _l("Everyone who signs")),
            SelectChoice(SignatoryKind.organisation.value, _l("Organisations only")),
            SelectChoice(SignatoryKind.person.value, _l("People signing in their own name only")),
        ],
        default="",
        invalid_choice_message=_l("Please choose one of the options."),
    )
    visibility = RadioField(
        _l("Who sees the answers"),
        choices=[
            SelectChoice("private", _l("Only the publisher's team")),
            SelectChoice("public", _l("Everyone: shown on the list with the signatory's name")),
        ],
        # Private unless the admin decides otherwise: answers may say more
        # about a signatory than their name does.
        default="private",
        validators=[InputRequired(_l("Please choose who sees the answers."))],
        invalid_choice_message=_l("Please choose one of the options."),
    )

    def validate_visibility(self, field: RadioField) -> None:
        """Public answers are published unreviewed: only numbers and choices may be."""
        if field.data == "public" and self.kind.data == QuestionKind.text.value:
            raise ValidationError(
                _l(
                    "A line of text cannot be public: it would be published without review."
                    " Ask for a choice or a number, or keep the answers for your team"
                    " (public comments are reviewed first)."
                )
            )

    def validate_options(self, field: TextAreaField) -> None:
        """A choice has its options; other kinds have none to give."""
        if self.kind.data != QuestionKind.choice.value:
            field.data = ""
            return
        Length(max=3000)(self, field)
        PlainText(multiline=True)(self, field)
        try:
            field.data = "\n".join(clean_options(field.data or ""))
        except QuestionError:
            raise ValidationError(
                _l("Please give between two and 30 options, one per line, each once.")
            ) from None
        if any(len(option) > 100 for option in field.data.splitlines()):
            raise ValidationError(_l("Each option may be at most 100 characters long."))
