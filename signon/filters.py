"""Template filters and globals."""

from __future__ import annotations

import datetime as dt

from flask import Flask

from .models import OrganisationType, OutboxState, SignatureState
from .services.countries import country_name


def init_app(app: Flask) -> None:
    """Register the filters and site-wide template values."""
    app.jinja_env.filters["country_name"] = country_name
    app.jinja_env.filters["org_type"] = lambda value: OrganisationType(value).label
    app.jinja_env.filters["long_date"] = long_date
    # States are compared as enums in templates: `s.state is sameas SignatureState.verified`.
    app.jinja_env.globals["SignatureState"] = SignatureState
    app.jinja_env.globals["OutboxState"] = OutboxState
    app.jinja_env.globals["site_name"] = app.config["SITE_NAME"]
    app.jinja_env.globals["dev_mailbox"] = "dev" in app.blueprints


def long_date(value: dt.date | dt.datetime | None) -> str:
    """13 April 2017."""
    if value is None:
        return ""
    return f"{value.day} {value:%B %Y}"
