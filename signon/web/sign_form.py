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

from functools import cache
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

from ..models import OrganisationType
from ..services.addresses import EmailNotValidError, normalise_email
from ..services.countries import country_choices
from ..services.languages import current_language
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


class SignForm(FlaskForm):
    """An organisation's signature; see the module docstring for why no CSRF."""

    class Meta:
        csrf = False

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
        validators=[Optional(), Length(max=100), *_NAME_CHECKS],
    )
    website = StringField(
        _l("Website"),
        filters=_TEXT,
        # Length last: WebsiteURL may have added "https://".
        validators=[Optional(), PlainText(), WebsiteURL(), Length(max=300)],
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
    consent = BooleanField(
        _l("I have read the privacy notice and agree to it"),
        validators=[DataRequired(_l("Please agree to the privacy notice to sign."))],
    )
    # The honeypot: hidden from people by CSS, filled in by naive bots.
    reference_code = StringField(_l("Leave this field empty"))

    def validate_contact_email(self, field: StringField) -> None:
        try:
            field.data = normalise_email(
                field.data,
                check_deliverability=current_app.config["EMAIL_CHECK_DELIVERABILITY"],
            )
        except EmailNotValidError as exc:
            raise ValidationError(email_problem(field.data, exc)) from None

    @property
    def is_bot(self) -> bool:
        """Whether the honeypot was filled in."""
        return bool((self.reference_code.data or "").strip())
