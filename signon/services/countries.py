"""Countries (ISO 3166-1) from pycountry."""

from __future__ import annotations

from functools import cache

import pycountry


def _display_name(country: object) -> str:
    # "Russian Federation" has the common name "Russia"; prefer what people say.
    return getattr(country, "common_name", None) or country.name  # type: ignore[attr-defined]


@cache
def country_choices() -> list[tuple[str, str]]:
    """(alpha-2 code, name) pairs sorted by name, for a select field."""
    pairs = [(c.alpha_2, _display_name(c)) for c in pycountry.countries]
    return sorted(pairs, key=lambda pair: pair[1])


@cache
def _names() -> dict[str, str]:
    return dict(country_choices())


def country_name(code: str) -> str:
    """The name for an alpha-2 code; the code itself when unknown."""
    return _names().get(code, code)
