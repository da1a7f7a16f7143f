"""Files browsers ask for at fixed addresses, outside ``/static``.

The publisher's colour and logo (``BRAND_COLOUR``, ``BRAND_LOGO``) are
served here too, from settings: ``/brand.css`` sets the accent colour (a
stylesheet, since the CSP admits no inline style) and ``/brand/logo`` the
logo file, both from this site.

Browsers request ``/favicon.ico`` on a site's first page load whatever the
page links to; without a route every first visit logs a 404 in the console.
The icon is an SVG (``static/favicon.svg``, also linked from ``base.html``);
browsers go by the Content-Type, not the ``.ico`` in the address.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, abort, current_app, request

FAVICON = "favicon.svg"
# A day: long enough that the icon is not fetched on every visit, short
# enough that a new one shows up soon without versioned file names.
FAVICON_MAX_AGE = 86400


# The logo's types, by file name: what a browser shows in an <img>.
LOGO_TYPES = {".svg": "image/svg+xml", ".png": "image/png", ".webp": "image/webp"}


def init_app(app: Flask) -> None:
    """Serve the favicon at ``/favicon.ico``, and the brand's files (safe to call twice)."""
    if "favicon" not in app.view_functions:
        app.add_url_rule("/favicon.ico", endpoint="favicon", view_func=favicon)
        app.add_url_rule("/brand.css", endpoint="brand_css", view_func=brand_css)
        app.add_url_rule("/brand/logo", endpoint="brand_logo", view_func=brand_logo)
    app.jinja_env.globals["brand_colour"] = app.config.get("BRAND_COLOUR")
    app.jinja_env.globals["brand_logo"] = bool(app.config.get("BRAND_LOGO"))
    if app.config.get("BRAND_LOGO"):
        # Read once: a file moved after start-up must not turn every page's logo into a 500.
        logo = Path(app.config["BRAND_LOGO"])
        app.extensions["signon.brand_logo"] = (
            logo.read_bytes(),
            LOGO_TYPES[logo.suffix.lower()],
        )


def brand_css() -> Response:
    """The publisher's colour as the accent of every page (404 without one)."""
    colour = current_app.config.get("BRAND_COLOUR")
    if not colour:
        abort(404)
    # Checked at start-up (signon._check_config): "#" and six hex digits.
    return _cacheable(Response(f":root {{ --accent: {colour}; }}\n", mimetype="text/css"))


def brand_logo() -> Response:
    """The publisher's logo file (404 without one)."""
    logo = current_app.extensions.get("signon.brand_logo")
    if logo is None:
        abort(404)
    content, mimetype = logo
    return _cacheable(Response(content, mimetype=mimetype))


def favicon() -> Response:
    """The site icon, cacheable by anyone for a day."""
    assert current_app.static_folder is not None  # Flask's default: signon/static
    # Read whole (a few hundred bytes) rather than streamed: no file handle is
    # left open for the server to close.
    icon = (Path(current_app.static_folder) / FAVICON).read_bytes()
    return _cacheable(Response(icon, mimetype="image/svg+xml"))


def _cacheable(response: Response) -> Response:
    # The security headers keep a Cache-Control a view set (see security.py).
    response.cache_control.public = True
    response.cache_control.max_age = FAVICON_MAX_AGE
    response.add_etag()
    return response.make_conditional(request)
