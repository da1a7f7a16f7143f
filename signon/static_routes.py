"""Files browsers ask for at fixed addresses, outside ``/static``.

Browsers request ``/favicon.ico`` on a site's first page load whatever the
page links to; without a route every first visit logs a 404 in the console.
The icon is an SVG (``static/favicon.svg``, also linked from ``base.html``);
browsers go by the Content-Type, not the ``.ico`` in the address.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, current_app, request

FAVICON = "favicon.svg"
# A day: long enough that the icon is not fetched on every visit, short
# enough that a new one shows up soon without versioned file names.
FAVICON_MAX_AGE = 86400


def init_app(app: Flask) -> None:
    """Serve the favicon at ``/favicon.ico`` (safe to call twice)."""
    if "favicon" not in app.view_functions:
        app.add_url_rule("/favicon.ico", endpoint="favicon", view_func=favicon)


def favicon() -> Response:
    """The site icon, cacheable by anyone for a day."""
    assert current_app.static_folder is not None  # Flask's default: signon/static
    # Read whole (a few hundred bytes) rather than streamed: no file handle is
    # left open for the server to close.
    icon = (Path(current_app.static_folder) / FAVICON).read_bytes()
    response = Response(icon, mimetype="image/svg+xml")
    # The security headers keep a Cache-Control a view set (see security.py).
    response.cache_control.public = True
    response.cache_control.max_age = FAVICON_MAX_AGE
    response.add_etag()
    return response.make_conditional(request)
