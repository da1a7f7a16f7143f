"""The languages signon speaks, and speaking one outside a request's choice.

``signon.i18n`` chooses a request's language; this module is what services
need too: rendering a signatory's email in the language they signed in.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from babel import Locale
from flask_babel import force_locale, get_locale

# The languages signon speaks: code in URLs and on signatures -> its own name.
LANGUAGES: dict[str, str] = {
    "en": "English",
    "es": "Español",
    "ru": "Русский",
    "ar": "العربية",
}
DEFAULT_LANGUAGE = "en"
RIGHT_TO_LEFT = frozenset({"ar"})
# The Babel locale each language formats dates and numbers with: British
# English as written ("13 April 2017"), the others as their language has it.
LOCALES = {"en": "en_GB", "es": "es", "ru": "ru", "ar": "ar"}
_LANGUAGE_OF_LOCALE = {locale: code for code, locale in LOCALES.items()}


# The request's locales are parsed once (signon.i18n); they are known by
# identity here, which spares a cached page formatting the locale's name.
_LANGUAGE_OF_OBJECT: dict[int, str] = {}


def remember_locales(parsed: dict[str, Locale]) -> None:
    """Note the Locale objects the request's language is chosen among."""
    _LANGUAGE_OF_OBJECT.update({id(locale): code for code, locale in parsed.items()})


def current_language() -> str:
    """The code (``en``, ``ru``...) of the language being spoken now."""
    locale = get_locale()
    if locale is None:
        return DEFAULT_LANGUAGE
    known = _LANGUAGE_OF_OBJECT.get(id(locale))
    if known is not None:
        return known
    return _LANGUAGE_OF_LOCALE.get(str(locale), locale.language)


def current_locale() -> Locale:
    """The Babel locale being spoken now; the default's outside any request or app."""
    return get_locale() or Locale.parse(LOCALES[DEFAULT_LANGUAGE])


def language_name(code: str) -> str:
    """The name of the language ``code`` in the language being spoken: "inglés", "английский"."""
    return current_locale().languages.get(code, LANGUAGES.get(code, code))


def text_direction(language: str | None = None) -> str:
    """``rtl`` or ``ltr``, for ``dir`` attributes."""
    return "rtl" if (language or current_language()) in RIGHT_TO_LEFT else "ltr"


def known_language(code: str | None) -> str:
    """``code`` if signon speaks it, else the default: for stored preferences."""
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


@contextmanager
def speaking(language: str | None) -> Iterator[None]:
    """Render in ``language`` (a signatory's, for their email) whatever the request's."""
    with force_locale(LOCALES[known_language(language)]):
        yield
