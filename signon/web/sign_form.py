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
from ..validators import (
    HasLetterOrDigit,
    NoFormulaPrefix,
    NoLinks,
    PlainText,
    SingleScriptWords,
    WebsiteURL,
    clean_name,
    clean_text,
)

_TEXT = [clean_text]
# One-line names: NFKC-folded (fullwidth and mathematical letters become
# plain ones), one alphabet per word, no links, something visible. The
# formula check comes second: the first error is the one the page shows.
_NAME = [clean_name]
_NAME_CHECKS = [PlainText(), NoFormulaPrefix(), SingleScriptWords(), NoLinks(), HasLetterOrDigit()]
REQUIRED = "Please fill in this field."


@cache
def _country_options() -> tuple[list[SelectChoice], frozenset[str]]:
    choices = [
        SelectChoice("", "Choose a country"),
        *(SelectChoice(code, name) for code, name in country_choices()),
    ]
    return choices, frozenset(choice.value for choice in choices)


class CountryField(SelectField):
    """A country by its ISO 3166 code; the 250 options are built once, not per request.

    Checked against a set: WTForms' own check walks every option of the list,
    which a sign-on spike would pay on every request.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, choices=_country_options()[0], **kwargs)

    def pre_validate(self, form: Form) -> None:
        """The one check WTForms makes, as a set lookup (the empty option is in it)."""
        if self.process_errors:
            return
        if self.data not in _country_options()[1]:
            raise ValidationError(
                self.invalid_choice_message or self.gettext("Not a valid choice.")
            )


class SignForm(FlaskForm):
    """An organisation's signature; see the module docstring for why no CSRF."""

    class Meta:
        csrf = False

    org_name = StringField(
        "Organisation name",
        filters=_NAME,
        validators=[DataRequired(REQUIRED), Length(max=200), *_NAME_CHECKS],
    )
    org_type = SelectField(
        "Type of organisation",
        choices=[SelectChoice("", "Choose one")]
        + [SelectChoice(t.value, t.label) for t in OrganisationType],
        validators=[InputRequired("Please choose the type of organisation.")],
        invalid_choice_message="Please choose a type from the list.",
    )
    country = CountryField(
        "Country",
        validators=[InputRequired("Please choose a country.")],
        invalid_choice_message="Please choose a country from the list.",
    )
    city = StringField(
        "City",
        filters=_NAME,
        validators=[Optional(), Length(max=100), *_NAME_CHECKS],
    )
    website = StringField(
        "Website",
        filters=_TEXT,
        # Length last: WebsiteURL may have added "https://".
        validators=[Optional(), PlainText(), WebsiteURL(), Length(max=300)],
    )
    contact_name = StringField(
        "Contact person's name",
        filters=_NAME,
        validators=[DataRequired(REQUIRED), Length(max=200), *_NAME_CHECKS],
    )
    contact_email = EmailField(
        "Contact email",
        filters=_TEXT,
        validators=[DataRequired(REQUIRED), Length(max=254)],
    )
    contact_role = StringField(
        "Contact's role in the organisation",
        filters=_NAME,
        validators=[Optional(), Length(max=100), *_NAME_CHECKS],
    )
    comment = TextAreaField(
        "Public comment",
        filters=_TEXT,
        validators=[Optional(), Length(max=280), PlainText(multiline=True)],
    )
    listing = RadioField(
        "How should we appear?",
        choices=[
            SelectChoice("listed", "List our organisation by name"),
            SelectChoice("count", "Count us, but do not show our name"),
        ],
        default="listed",
        validators=[InputRequired("Please choose how your organisation appears.")],
        invalid_choice_message="Please choose one of the two options.",
    )
    consent = BooleanField(
        "I have read the privacy notice and agree to it",
        validators=[DataRequired("Please agree to the privacy notice to sign.")],
    )
    # The honeypot: hidden from people by CSS, filled in by naive bots.
    reference_code = StringField("Leave this field empty")

    def validate_contact_email(self, field: StringField) -> None:
        try:
            field.data = normalise_email(
                field.data,
                check_deliverability=current_app.config["EMAIL_CHECK_DELIVERABILITY"],
            )
        except EmailNotValidError as exc:
            raise ValidationError(str(exc)) from None

    @property
    def is_bot(self) -> bool:
        """Whether the honeypot was filled in."""
        return bool((self.reference_code.data or "").strip())
