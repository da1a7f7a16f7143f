"""The search and filters of the public list: a plain GET form.

No CSRF token: it changes nothing, and its URLs are meant to be shared
("every union in Chile") and cached like any public page.
"""

from __future__ import annotations

from functools import cache

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from wtforms import BooleanField, Form, SearchField, SelectChoice, SelectField
from wtforms.validators import Length, Optional

from ..filters import number
from ..models import OrganisationType, SignatoryKind
from ..models.signature import fold_name
from ..services.countries import country_choices, country_name
from ..services.languages import current_language
from ..services.listing import Order, Selection, search_words

SEARCH_MAX_LENGTH = 100


@cache
def _known_countries() -> frozenset[str]:
    return frozenset(code for code, _name in country_choices())


def _strip(value: str | None) -> str:
    return (value or "").strip()


# The "type" that finds the people who signed in their own name.
PEOPLE = SignatoryKind.person.value


def org_type_of(value: str | None) -> OrganisationType | None:
    """The type a \"type\" argument names; None for none, or for people."""
    return OrganisationType(value) if value and value != PEOPLE else None


class ListForm(Form):
    """Search, country, type, order and grouping of ``/s/<slug>/signatories``."""

    q = SearchField(
        _l("Search by name"),
        filters=[_strip],
        validators=[
            Optional(),
            Length(
                max=SEARCH_MAX_LENGTH,
                message=lazy_ngettext(
                    "Please search with at most %(num)s character.",
                    "Please search with at most %(num)s characters.",
                    SEARCH_MAX_LENGTH,
                ),
            ),
        ],
    )
    country = SelectField(_l("Country"), default="", validate_choice=False)
    org_type = SelectField(
        _l("Type"),
        name="type",
        # The types' names are marked where they are defined (models.signature).
        choices=[SelectChoice("", _l("All types"))]
        + [SelectChoice(t.value, _l(t.english_label)) for t in OrganisationType]
        + [SelectChoice(PEOPLE, _l("Individuals"))],
        default="",
        invalid_choice_message=_l("Please choose a type from the list."),
    )
    sort = SelectField(
        _l("Sort by"),
        choices=[
            SelectChoice(Order.name.value, _l("Name")),
            SelectChoice(Order.newest.value, _l("Newest first")),
            SelectChoice(Order.oldest.value, _l("Oldest first")),
        ],
        default=Order.name.value,
        invalid_choice_message=_l("Please choose an order from the list."),
    )
    group = BooleanField(_l("Group by country"))

    def offer(self, present: list[tuple[str, int]]) -> None:
        """Offer the countries in ``present`` (code, listed signatories) to choose from.

        Only a page being rendered needs the options; checking a choice does
        not (any ISO code is valid), so a cached page skips building them.
        """
        language = current_language()
        named = sorted(
            ((code, country_name(code, language), n) for code, n in present),
            key=lambda row: fold_name(row[1]),  # by name in the reader's language
        )
        choices = [SelectChoice("", _("All countries"))]
        choices += [SelectChoice(code, f"{name} ({number(n)})") for code, name, n in named]
        chosen = self.country.data
        if chosen and chosen in _known_countries() and chosen not in dict(present):
            choices.append(SelectChoice(chosen, f"{country_name(chosen, language)} ({number(0)})"))
        self.country.choices = choices

    def validate_country(self, field: SelectField) -> None:
        """Any ISO code: a shared link to a country with no signatories yet is no error."""
        if field.data and field.data not in _known_countries():
            field.errors.append(_("Please choose a country from the list."))

    def selection(self) -> Selection:
        """What the visitor asked for (call after ``validate``)."""
        return Selection(
            words=search_words(self.q.data or ""),
            country=self.country.data or None,
            org_type=org_type_of(self.org_type.data),
            kind=SignatoryKind.person if self.org_type.data == PEOPLE else None,
            order=Order(self.sort.data or Order.name),
        )

    @property
    def query_args(self) -> dict[str, str]:
        """The form's values as query arguments for links (pages, downloads): none empty."""
        args = {
            "q": self.q.data or "",
            "country": self.country.data or "",
            "type": self.org_type.data or "",
            "sort": self.sort.data if self.sort.data != Order.name else "",
            "group": "1" if self.group.data else "",
        }
        return {name: value for name, value in args.items() if value}
