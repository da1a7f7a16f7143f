"""Template filters and globals: names, dates and plurals, never formatted by hand.

Dates and durations go through Babel and plurals through ``ngettext`` (Jinja's
i18n extension, with null translations for now), so that when languages
arrive only the locale and the catalogues change, not the templates.
"""

from __future__ import annotations

import datetime as dt
import gettext

from babel.dates import format_date, format_datetime, format_timedelta
from flask import Flask

from .models import OrganisationType, OutboxState, SignatureState
from .services.countries import country_name
from .services.markdown import summary
from .services.urls import public_url

# The one locale until a language can be chosen: British English, as written.
LOCALE = "en_GB"


def init_app(app: Flask) -> None:
    """Register the filters and site-wide template values."""
    app.jinja_env.add_extension("jinja2.ext.i18n")
    # newstyle: ngettext("%(num)d thing", "%(num)d things", n) fills in num
    # itself, and every string is autoescaped like any other value.
    app.jinja_env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    app.jinja_env.filters["country_name"] = country_name
    app.jinja_env.filters["summary"] = summary
    app.jinja_env.filters["org_type"] = lambda value: OrganisationType(value).label
    app.jinja_env.filters["long_date"] = long_date
    app.jinja_env.filters["timestamp"] = timestamp
    # States are compared as enums in templates: `s.state is sameas SignatureState.verified`.
    app.jinja_env.globals["SignatureState"] = SignatureState
    app.jinja_env.globals["OutboxState"] = OutboxState
    app.jinja_env.globals["site_name"] = app.config["SITE_NAME"]
    # Absolute links from BASE_URL, never from the request's Host header:
    # a cached page must not carry a link to wherever one visitor claimed.
    app.jinja_env.globals["public_url"] = public_url
    app.jinja_env.globals["dev_mailbox"] = "dev" in app.blueprints


def long_date(value: dt.date | dt.datetime | None) -> str:
    """A date as people write it: 13 April 2017."""
    if value is None:
        return ""
    return format_date(value, format="long", locale=LOCALE)


def timestamp(value: dt.datetime | None) -> str:
    """A stored (UTC) time for admins: 30 Nov 2026, 14:05:09."""
    if value is None:
        return ""
    return format_datetime(value, format="medium", tzinfo=dt.UTC, locale=LOCALE)


def duration(seconds: int) -> str:
    """A wait in words: 45 seconds, 3 minutes, 2 hours."""
    return format_timedelta(dt.timedelta(seconds=seconds), threshold=1.5, locale=LOCALE)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural of a sentence for ``n`` (Python code's twin of the templates')."""
    return gettext.NullTranslations().ngettext(singular, plural, n) % {"num": n}
