"""Absolute URLs for emails, built from ``BASE_URL``, never from a request.

A request's Host header is chosen by whoever sends it; a link built from it
could point a signatory at someone else's server.
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
