"""Languages: which one a request speaks, and how links keep it.

A visitor gets the language named in the URL (``?lang=ru``: every language
switcher link and every emailed link names one), else the best match for
their browser's ``Accept-Language``, else English.

Why a query argument and ``Vary``, and not a cookie: public pages are
cached by shared caches and must stay cookieless (a cookie would make every
page private, and a shared cache could hand one visitor's language to the
next). A URL that names its language is one page in one language, cached as
such. A URL that does not name one is negotiated, so its answer says
``Vary: Accept-Language`` and a cache keeps one copy per header value; the
ETag carries the language too (``web.pages.page_key``), so a browser that
changed its preference never revalidates the wrong copy. A cache that
ignores ``Vary`` (some CDNs do, for HTML) must be told to key on the header,
or to pass unnamed URLs through: docs/deploy.md says how.

The language is chosen here and nowhere else; templates ask for it through
``current_language()`` and ``text_direction()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from babel import Locale
from flask import Flask, Response, g, has_request_context, request, url_for
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from .extensions import babel
from .services.languages import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    LOCALES,
    current_language,
    language_name,
    remember_locales,
    text_direction,
)
from .services.urls import public_url

# The URL argument that names a language.
LANGUAGE_ARG = "lang"
# Endpoints whose answers are the same in every language (files and data), so
# links to them do not carry the visitor's language.
_LANGUAGE_FREE = (
    "static",
    "favicon",
    "api.",
    "public.signatories_csv",
    "public.signatories_json",
    "public.count",
    "public.pack_key",
    "public.healthz",
    "brand_css",
    "brand_logo",
)


def init_app(app: Flask) -> None:
    """Choose a language per request; keep a chosen one in the links a page makes."""
    babel.init_app(
        app,
        default_locale=LOCALES[DEFAULT_LANGUAGE],
        locale_selector=_select_locale,
    )
    # Whitespace inside {% trans %} blocks is collapsed, as when extracting
    # (babel.cfg), so that a template's line breaks are not in the catalogue.
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.url_defaults(_keep_language)
    app.after_request(_vary_on_negotiation)
    app.jinja_env.globals.update(
        current_language=current_language,
        text_direction=text_direction,
        language_name=language_name,
        LANGUAGES=LANGUAGES,
        language_links=language_links,
        language_alternates=language_alternates,
        language_in_url=language_in_url,
    )


# Parsed once: Flask-Babel takes a Locale as it is, where a name is parsed
# again on every request (a sixth of a cached page's time).
_PARSED = {code: Locale.parse(locale) for code, locale in LOCALES.items()}
remember_locales(_PARSED)


def _select_locale() -> Locale:
    if not has_request_context():
        return _PARSED[DEFAULT_LANGUAGE]
    # Most requests name no language: their query is not parsed for one.
    named = request.args.get(LANGUAGE_ARG) if b"lang=" in request.query_string else None
    if named in LANGUAGES:
        g.language_in_url = named
        return _PARSED[named]
    g.language_negotiated = True
    header = request.headers.get("Accept-Language", "")
    # Browsers send few distinct values, and short ones; a long one (sent to
    # fill the cache) is worked out each time instead of being kept.
    best = _negotiate(header) if len(header) <= _CACHED_HEADER else _best_language(header)
    return _PARSED[best]


_CACHED_HEADER = 200


@lru_cache(maxsize=1024)
def _negotiate(header: str) -> str:
    return _best_language(header)


def _best_language(header: str) -> str:
    """The best language for an ``Accept-Language`` value; English when none fits."""
    accepted = parse_accept_header(header, LanguageAccept)
    return accepted.best_match(LANGUAGES, default=DEFAULT_LANGUAGE) or DEFAULT_LANGUAGE


def language_in_url() -> str | None:
    """The language the URL named (``?lang=``), if it named one."""
    current_language()  # chooses, and so notes it
    return g.get("language_in_url")


def language_key() -> str:
    """The language, and whether the URL named it, for cache keys and ETags.

    A page reached by ``?lang=ru`` links onward with it and one negotiated
    in Russian does not: the two are different pages.
    """
    language = current_language()  # chooses, and so sets language_in_url
    return f"{language}:url" if g.get("language_in_url") else language


@dataclass(frozen=True)
class LanguageLink:
    """This page in one language, for the switcher."""

    code: str
    name: str
    url: str
    current: bool


@dataclass(frozen=True)
class Alternate:
    """This page's absolute address in one language (or ``x-default``), for search engines."""

    hreflang: str
    url: str


def _this_page(args: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The endpoint and values that show the current page again; None if a GET cannot.

    Only the path and ``args`` are carried over, never the request's own
    query: a public page is cached for every visitor, and one visitor's query
    must not reach the next in a link (pages pass the arguments their cache
    key covers, such as the list's search).
    """
    if request.method not in ("GET", "HEAD") or request.url_rule is None:
        return None
    if request.endpoint is None:
        return None
    return request.endpoint, {**(request.view_args or {}), **args}


def language_links(**args: Any) -> list[LanguageLink]:
    """The page being shown, in each language; empty where a GET cannot show it again."""
    page = _this_page(args)
    if page is None:
        return []
    endpoint, values = page
    current = current_language()
    return [
        LanguageLink(
            code, name, url_for(endpoint, **values, **{LANGUAGE_ARG: code}), code == current
        )
        for code, name in LANGUAGES.items()
    ]


def language_alternates(**args: Any) -> list[Alternate]:
    """Absolute ``hreflang`` alternates of a public page, and its ``x-default``."""
    page = _this_page(args)
    if page is None or not page[0].startswith("public."):
        return []
    endpoint, values = page
    return [
        *(
            Alternate(code, public_url(endpoint, **values, **{LANGUAGE_ARG: code}))
            for code in LANGUAGES
        ),
        Alternate("x-default", public_url(endpoint, **values)),
    ]


def _keep_language(endpoint: str, values: dict[str, Any]) -> None:
    """A page reached in a named language links (and redirects) onward in it."""
    if LANGUAGE_ARG in values or not has_request_context() or endpoint.startswith(_LANGUAGE_FREE):
        return
    # Choosing the language is what notes whether the URL named it; a
    # redirect made before anything was translated must choose it first.
    current_language()
    named = g.get("language_in_url")
    if named:
        values[LANGUAGE_ARG] = named


def _vary_on_negotiation(response: Response) -> Response:
    if g.get("language_negotiated"):
        response.vary.add("Accept-Language")
    return response
