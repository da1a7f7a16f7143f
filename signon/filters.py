"""Template filters and globals: names, dates, numbers and plurals, never formatted by hand.

Dates, numbers and durations go through Flask-Babel, in the language of the
request (``signon.i18n``); plurals through ``ngettext``, whose catalogue
knows each language's plural rules (Russian has three, Arabic six).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask, url_for
from flask_babel import (
    format_date,
    format_datetime,
    format_decimal,
    format_time,
    format_timedelta,
    gettext,
    npgettext,
    pgettext,
)
from markupsafe import Markup

from .models import (
    OrganisationType,
    OutboxState,
    QuestionKind,
    SignatoryKind,
    SignatureState,
    StatementState,
)
from .services.countries import country_name
from .services.languages import current_language
from .services.markdown import summary
from .services.urls import public_url
from .web import labels


def init_app(app: Flask) -> None:
    """Register the filters and site-wide template values.

    Jinja's i18n extension and the ``_``, ``gettext`` and ``ngettext``
    callables come from Flask-Babel (``signon.i18n``), in Jinja's "newstyle":
    ``ngettext("%(num)s thing", "%(num)s things", n)`` fills in ``num``
    itself, and every translated string is autoescaped like any other value.
    """
    app.jinja_env.filters["country_name"] = lambda code: country_name(code, current_language())
    app.jinja_env.filters["summary"] = summary
    app.jinja_env.filters["org_type"] = type_label
    app.jinja_env.filters["long_date"] = long_date
    app.jinja_env.filters["timestamp"] = timestamp
    app.jinja_env.filters["clock_time"] = clock_time
    app.jinja_env.filters["number"] = number
    app.jinja_env.filters["isolate"] = isolate
    # States are compared as enums in templates: `s.state is sameas SignatureState.verified`.
    app.jinja_env.globals.update(
        outbox_state=labels.outbox_state,
        signature_state=labels.signature_state,
        statement_state=labels.statement_state,
    )
    app.jinja_env.globals["who_signed"] = who_signed
    app.jinja_env.globals["SignatureState"] = SignatureState
    app.jinja_env.globals["statement_link"] = statement_link
    app.jinja_env.globals["OutboxState"] = OutboxState
    app.jinja_env.globals["SignatoryKind"] = SignatoryKind
    app.jinja_env.globals["StatementState"] = StatementState
    app.jinja_env.globals["QuestionKind"] = QuestionKind
    app.jinja_env.globals["site_name"] = app.config["SITE_NAME"]
    # Absolute links from BASE_URL, never from the request's Host header:
    # a cached page must not carry a link to wherever one visitor claimed.
    app.jinja_env.globals["public_url"] = public_url
    app.jinja_env.globals["dev_mailbox"] = "dev" in app.blueprints


def type_label(value: OrganisationType | str | None) -> str:
    """A type of organisation as people read it; "Individual" for a person, who has none."""
    if value is None:
        return pgettext("kind of signatory", "Individual")
    return OrganisationType(value).label


def who_signed(organisations: int, people: int) -> str:
    """ "12 organisations", "1 person", "12 organisations and 3 people", in the page's language.

    Each count is its own plural, so that every language agrees each noun
    with its number; with no signatory at all it speaks of organisations.
    """
    orgs = npgettext(
        "N signed",
        "%(count)s organisation",
        "%(count)s organisations",
        organisations,
        count=number(organisations),
    )
    persons = npgettext(
        "N signed", "%(count)s person", "%(count)s people", people, count=number(people)
    )
    if not people:
        return orgs
    if not organisations:
        return persons
    return gettext("%(organisations)s and %(people)s", organisations=orgs, people=persons)


def long_date(value: dt.date | dt.datetime | None) -> str:
    """A date as people write it: 13 April 2017, 13 апреля 2017 г."""
    if value is None:
        return ""
    return format_date(value, format="long")


def timestamp(value: dt.datetime | None) -> str:
    """A stored (UTC) time for admins: 30 Nov 2026, 14:05:09."""
    if value is None:
        return ""
    return format_datetime(value.replace(tzinfo=dt.UTC), format="medium")


def clock_time(value: dt.datetime | None) -> str:
    """A stored (UTC) time of day as the language writes it: 14:05, ٢:٠٥ م."""
    if value is None:
        return ""
    return format_time(value.replace(tzinfo=dt.UTC), format="short")


def number(value: int | float) -> str:
    """A number with the language's grouping: 100,000 / 100 000 / 100.000."""
    return format_decimal(value)


def isolate(text: str) -> Markup:
    """``text`` in ``<bdi>``, so that a title or name written right to left (or left
    to right in an Arabic sentence) keeps the sentence's punctuation in place."""
    return Markup("<bdi>{}</bdi>").format(text)


def duration(seconds: int) -> str:
    """A wait in words: 45 seconds, 3 minutes, 2 hours."""
    return format_timedelta(dt.timedelta(seconds=seconds), threshold=1.5)


def statement_link(statement: Any, **values: Any) -> str:
    """The address of ``statement``'s page on this site: its private link while embargoed."""
    if getattr(statement, "embargoed", False):
        return url_for("signing.embargoed", token=statement.embargo_token, **values)
    return url_for("public.statement", slug=statement.slug, **values)
