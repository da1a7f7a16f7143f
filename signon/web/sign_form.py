"""The sign-on form.

It carries no CSRF token, on purpose. A CSRF token needs a session cookie,
and visitors and signatories get no cookies: the statement page must stay
cacheable by a proxy during a spike. Nor does the form need one: it is
anonymous, so a forged cross-site submission gains the attacker nothing that
submitting it directly would not, and every signature must still be
confirmed from the contact's mailbox. It is protected instead by a
same-origin check of Origin/Referer (``signing.views.check_same_origin``), a
honeypot field, rate limits on resending, and that emailed confirmation.
"""

from __future__ import annotations

import unicodedata
from functools import cache, lru_cache
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    Form,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..models import OrganisationType, QuestionKind, SignatoryKind, WhoMaySign
from ..services.addresses import EmailNotValidError, normalise_email
from ..services.countries import country_choices
from ..services.languages import current_language
from ..services.questions import LARGEST_NUMBER, TEXT_ANSWER_LENGTH
from ..services.statements import QuestionView, StatementView
from ..validators import (
    HasLetterOrDigit,
    NoFormulaPrefix,
    NoLinks,
    PlainText,
    SingleScriptWords,
    WebsiteURL,
    clean_name,
    clean_text,
    email_problem,
)

_TEXT = [clean_text]
# One-line names: NFKC-folded (fullwidth and mathematical letters become
# plain ones), one alphabet per word, no links, something visible. The
# formula check comes second: the first error is the one the page shows.
_NAME = [clean_name]
_NAME_CHECKS = [PlainText(), NoFormulaPrefix(), SingleScriptWords(), NoLinks(), HasLetterOrDigit()]
# The same for what a person fills in, who has no website field to point to.
_NO_LINKS = NoLinks(_l("Please leave out web and email addresses."))
_PERSON_CHECKS = [
    PlainText(),
    NoFormulaPrefix(),
    SingleScriptWords(),
    _NO_LINKS,
    HasLetterOrDigit(),
]
REQUIRED = _l("Please fill in this field.")


@cache
def _country_options(language: str) -> list[SelectChoice]:
    return [
        SelectChoice("", _("Choose a country")),
        *(SelectChoice(code, name) for code, name in country_choices(language)),
    ]


@cache
def _country_codes() -> frozenset[str]:
    return frozenset({"", *(code for code, _name in country_choices())})


class CountryField(SelectField):
    """A country by its ISO 3166 code; the 250 options are built once per language.

    Checked against a set: WTForms' own check walks every option of the list,
    which a sign-on spike would pay on every request.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, choices=_country_options(current_language()), **kwargs)

    def pre_validate(self, form: Form) -> None:
        """The one check WTForms makes, as a set lookup (the empty option is in it)."""
        if self.process_errors:
            return
        if self.data not in _country_codes():
            raise ValidationError(
                self.invalid_choice_message or self.gettext("Not a valid choice.")
            )


# The fields each kind of signatory fills in; the rest are common to both.
_ORGANISATION_ONLY = ("org_name", "org_type", "website", "listing", "contact_name", "contact_role")
_PERSON_ONLY = ("person_name", "affiliation", "person_listing")


class SignForm(FlaskForm):
    """A signature, an organisation's or a person's; see the module docstring for why no CSRF.

    One form serves both shapes. A statement open to organisations only or to
    individuals only shows one; a statement open to both asks ``kind`` first
    and shows the other shape's fields only to browsers without CSS ``:has``
    (the page works without JavaScript). Fields of the shape not chosen are
    neither validated nor used.
    """

    class Meta:
        csrf = False

    kind = RadioField(
        _l("Who is signing?"),
        choices=[
            SelectChoice(SignatoryKind.organisation.value, _l("An organisation")),
            SelectChoice(SignatoryKind.person.value, _l("I am signing in my own name")),
        ],
        default=SignatoryKind.organisation.value,
        validators=[InputRequired(_l("Please say who is signing."))],
        invalid_choice_message=_l("Please choose one of the two options."),
    )
    org_name = StringField(
        _l("Organisation name"),
        filters=_NAME,
        validators=[DataRequired(REQUIRED), Length(max=200), *_NAME_CHECKS],
    )
    org_type = SelectField(
        _l("Type of organisation"),
        choices=[SelectChoice("", _l("Choose one"))]
        + [SelectChoice(t.value, _l(t.english_label)) for t in OrganisationType],
        validators=[InputRequired(_l("Please choose the type of organisation."))],
        invalid_choice_message=_l("Please choose a type from the list."),
    )
    country = CountryField(
        _l("Country"),
        validators=[InputRequired(_l("Please choose a country."))],
        invalid_choice_message=_l("Please choose a country from the list."),
    )
    city = StringField(
        _l("City"),
        filters=_NAME,
        # Common to both shapes: the person's advice, which suits an organisation too.
        validators=[Optional(), Length(max=100), *_PERSON_CHECKS],
    )
    website = StringField(
        _l("Website"),
        filters=_TEXT,
        # Length last: WebsiteURL may have added "https://".
        validators=[Optional(), PlainText(), WebsiteURL(), Length(max=300)],
    )
    person_name = StringField(
        _l("Your name"),
        filters=_NAME,
        validators=[DataRequired(REQUIRED), Length(max=200), *_PERSON_CHECKS],
    )
    affiliation = StringField(
        _l("Affiliation, for identification only"),
        filters=_NAME,
        validators=[Optional(), Length(max=200), *_PERSON_CHECKS],
    )
    contact_name = StringField(
        _l("Contact person's name"),
        filters=_NAME,
        validators=[DataRequired(REQUIRED), Length(max=200), *_NAME_CHECKS],
    )
    contact_email = EmailField(
        _l("Contact email"),
        filters=_TEXT,
        validators=[DataRequired(REQUIRED), Length(max=254)],
    )
    contact_role = StringField(
        _l("Contact's role in the organisation"),
        filters=_NAME,
        validators=[Optional(), Length(max=100), *_NAME_CHECKS],
    )
    comment = TextAreaField(
        _l("Public comment"),
        filters=_TEXT,
        validators=[Optional(), Length(max=280), PlainText(multiline=True)],
    )
    listing = RadioField(
        _l("How should we appear?"),
        choices=[
            SelectChoice("listed", _l("List our organisation by name")),
            SelectChoice("count", _l("Count us, but do not show our name")),
        ],
        default="listed",
        validators=[InputRequired(_l("Please choose how your organisation appears."))],
        invalid_choice_message=_l("Please choose one of the two options."),
    )
    # A person's name is personal data: unlike an organisation's, it is not
    # listed unless they ask for it.
    person_listing = RadioField(
        _l("How should you appear?"),
        choices=[
            SelectChoice("count", _l("Count me, but do not show my name")),
            SelectChoice("listed", _l("List my name")),
        ],
        default="count",
        validators=[InputRequired(_l("Please choose how you appear."))],
        invalid_choice_message=_l("Please choose one of the two options."),
    )
    consent = BooleanField(
        _l("I have read the privacy notice and agree to it"),
        validators=[DataRequired(_l("Please agree to the privacy notice to sign."))],
    )
    # The honeypot: hidden from people by CSS, filled in by naive bots.
    reference_code = StringField(_l("Leave this field empty"))

    def __init__(self, who: WhoMaySign, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.who = who

    @property
    def chosen_kind(self) -> SignatoryKind:
        """Who signs: fixed by the statement, or chosen on the form when it takes both.

        Call it after ``validate``, which refuses a kind that is neither.
        """
        return self._kind() or SignatoryKind.organisation

    def _kind(self) -> SignatoryKind | None:
        if self.who is WhoMaySign.organisations:
            return SignatoryKind.organisation
        if self.who is WhoMaySign.individuals:
            return SignatoryKind.person
        try:
            return SignatoryKind(self.kind.data)
        except ValueError:
            return None

    def _set_aside(self, kind: SignatoryKind | None) -> set[str]:
        """The names of the fields that a ``kind`` of signatory never fills in.

        Both shapes' own fields, and questions asked of one kind only, for a
        kind that is neither: only the choice itself is then reported, not a
        form's worth of empty fields.
        """
        if kind is None:
            return {
                *_PERSON_ONLY,
                *_ORGANISATION_ONLY,
                *(q.field_name for q in self.questions if q.asked_of is not None),
            }
        return {
            *(_PERSON_ONLY if kind is SignatoryKind.organisation else _ORGANISATION_ONLY),
            *(q.field_name for q in self.questions if not q.asked_of_kind(kind)),
        }

    def validate(self, extra_validators: Any = None) -> bool:
        """Validate the fields of the shape chosen; the others are set aside."""
        ignored = self._set_aside(self._kind())
        if self.who is not WhoMaySign.both:
            ignored |= {"kind"}
        for name in ignored:
            self[name].validators = ()
        super().validate(extra_validators)
        for name in ignored:
            # A select's own check of its choice (pre_validate) still ran.
            self[name].errors = []
        return not any(field.errors for field in self)

    @property
    def show_name(self) -> bool:
        """Whether the signatory asked to be listed by name."""
        chosen = self.person_listing if self.chosen_kind is SignatoryKind.person else self.listing
        return chosen.data == "listed"

    def validate_contact_email(self, field: StringField) -> None:
        try:
            field.data = normalise_email(
                field.data,
                check_deliverability=current_app.config["EMAIL_CHECK_DELIVERABILITY"],
            )
        except EmailNotValidError as exc:
            raise ValidationError(email_problem(field.data, exc)) from None

    # The statement's own questions (see ``sign_form``); none on the base form.
    questions: tuple[QuestionView, ...] = ()

    def answers(self) -> tuple[tuple[int, str], ...]:
        """(question id, answer) for each question answered (call after ``validate``)."""
        found = []
        for question in self.questions:
            if not question.asked_of_kind(self.chosen_kind):
                continue
            value = self[question.field_name].data
            if value not in (None, ""):
                found.append((question.id, str(value)))
        return tuple(found)

    @property
    def is_bot(self) -> bool:
        """Whether the honeypot was filled in."""
        return bool((self.reference_code.data or "").strip())


# Spaces people put between thousands: "12 500", with a plain or narrow space.
_GROUPING = str.maketrans("", "", " \u00a0\u202f")


class WholeNumber:
    """A whole number from 0 to ``LARGEST_NUMBER``, written in digits; kept as ASCII digits.

    Any script's decimal digits count ("١٢٠٠" is 1200). No thousands
    separator but spaces: "1.200" is 1200 in Germany and 1.2 in Britain, and
    a form read across languages must not guess.
    """

    def __call__(self, form: Form, field: StringField) -> None:
        written = (field.data or "").translate(_GROUPING)
        if not written or not all(c.isdecimal() for c in written):
            raise ValidationError(_("Please write a whole number in digits, for example 1200."))
        digits = "".join(str(unicodedata.decimal(c)) for c in written).lstrip("0") or "0"
        # Compared as text first: int() refuses a string of thousands of digits.
        if len(digits) > len(str(LARGEST_NUMBER)) or int(digits) > LARGEST_NUMBER:
            raise ValidationError(_("That number is too large."))
        field.data = digits


def _question_field(question: QuestionView) -> Any:
    """The form field that asks ``question``, validated like every other field."""
    presence = (
        InputRequired(_l("Please answer this question.")) if question.required else Optional()
    )
    if question.kind is QuestionKind.choice:
        return SelectField(
            question.label,
            choices=[SelectChoice("", _l("Choose one"))]
            # Sent and kept in the original's wording, shown in the reader's.
            + [
                SelectChoice(option, shown)
                for option, shown in zip(
                    question.options, question.option_labels or question.options, strict=True
                )
            ],
            validators=[
                InputRequired(_l("Please choose an answer.")) if question.required else Optional()
            ],
            invalid_choice_message=_l("Please choose an answer from the list."),
        )
    if question.kind is QuestionKind.number:
        return StringField(question.label, filters=_TEXT, validators=[presence, WholeNumber()])
    return StringField(
        question.label,
        filters=_TEXT,
        validators=[
            DataRequired(_l("Please answer this question.")) if question.required else Optional(),
            Length(max=TEXT_ANSWER_LENGTH),
            PlainText(),
            _NO_LINKS,
        ],
    )


@lru_cache(maxsize=256)
def _form_with(questions: tuple[QuestionView, ...]) -> type[SignForm]:
    """A SignForm with a field per question; one class per set of questions, made once."""
    fields = {question.field_name: _question_field(question) for question in questions}
    return type("StatementSignForm", (SignForm,), {**fields, "questions": questions})


def sign_form(statement: StatementView, **kwargs: Any) -> SignForm:
    """The sign-on form of ``statement``: its shape, and its own questions if it has any."""
    form_class = _form_with(statement.questions) if statement.questions else SignForm
    return form_class(statement.who_may_sign, **kwargs)
