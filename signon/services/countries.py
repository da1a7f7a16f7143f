"""Countries (ISO 3166-1) from pycountry, named in the reader's language.

English names are pycountry's, with the common name where there is one
("Russia", not "Russian Federation"). Other languages take Unicode CLDR's
names from Babel, which are complete and the ones people use (pycountry's
own translations miss common names and, in Arabic, whole countries).
Downloads and the API keep English names: they are data for programs.
"""

from __future__ import annotations

from functools import cache

import pycountry
from babel import Locale

from ..models.signature import fold_name

ENGLISH = "en"


def _english_name(country: object) -> str:
    # "Russian Federation" has the common name "Russia"; prefer what people say.
    return getattr(country, "common_name", None) or country.name  # type: ignore[attr-defined]


@cache
def country_choices(language: str = ENGLISH) -> list[tuple[str, str]]:
    """(alpha-2 code, name) pairs sorted by name in ``language``, for a select field."""
    territories = {} if language == ENGLISH else Locale.parse(language).territories
    pairs = [
        (c.alpha_2, territories.get(c.alpha_2) or _english_name(c)) for c in pycountry.countries
    ]
    return sorted(pairs, key=lambda pair: fold_name(pair[1]))


@cache
def _names(language: str) -> dict[str, str]:
    return dict(country_choices(language))


def country_name(code: str, language: str = ENGLISH) -> str:
    """The name for an alpha-2 code in ``language``; the code itself when unknown."""
    return _names(language).get(code, code)
