"""Absolute URLs for emails, feeds, downloads and the API, built from ``BASE_URL``.

Never from a request: its Host header is chosen by whoever sends it. A link
built from it could point a signatory at someone else's server, and a cached
public answer would hand that link to every visitor after them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app


def public_url(endpoint: str, **values: Any) -> str:
    """The absolute public URL of ``endpoint``, under the configured BASE_URL."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme
    )
    return adapter.build(endpoint, values, force_external=True)


def statement_url(statement: Any, **values: Any) -> str:
    """The absolute address of ``statement``'s page: its private link while embargoed."""
    if getattr(statement, "embargoed", False):
        return public_url("signing.embargoed", token=statement.embargo_token, **values)
    return public_url("public.statement", slug=statement.slug, **values)
