"""Response headers every page gets, and the default of not being cached.

The Content-Security-Policy allows our own origin only and no inline script
or style: no page loads anything from another site (SPEC, privacy), and an
injected script would not run. Pages are not framed by others; a page meant
for an iframe sets its own policy. Referrer-Policy is
strict-origin-when-cross-origin rather than no-referrer: Flask-WTF's CSRF
check on HTTPS requires a same-origin Referer on every admin form POST.
A page may set a stricter one: a statement's private link sends none to
other sites.
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from flask import Flask, Response, abort, current_app, request
from flask_babel import gettext as _

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)
HSTS = "max-age=63072000; includeSubDomains"


def init_app(app: Flask) -> None:
    """Check form encodings; add the headers to every response, errors included."""
    app.before_request(_require_form_body)
    app.before_request(_require_utf8_forms)
    app.after_request(_secure_headers)


# What a form of ours may be sent as. Flask-WTF would also read a JSON body,
# where numbers, lists and objects stand in for text and break validators.
# Every route that takes a body today is a form; an endpoint that should
# take JSON one day will be exempted here by name, deliberately.
FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}
# The one form that takes a file: a delivery pack to check (public.pack). It
# sets its own size limit before reading the body, so it must not be read here.
TAKES_A_FILE = {"public.pack_check_upload"}


def _require_form_body() -> None:
    """Refuse a body that is not a form (415), and files, which no form takes."""
    if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return
    if request.endpoint in TAKES_A_FILE and request.mimetype == "multipart/form-data":
        return
    if request.mimetype and request.mimetype not in FORM_TYPES:
        abort(
            415,
            _(
                "This address takes a web form (application/x-www-form-urlencoded), "
                "not %(sent)s. Please send it from the page.",
                sent=request.mimetype[:60],
            ),
        )
    if request.mimetype == "multipart/form-data" and request.files:
        abort(400, _("This form takes no files. Please send it from the page."))


def _require_utf8_forms() -> None:
    """Refuse a form whose values are not UTF-8 once percent-decoded.

    Werkzeug keeps an undecodable escape such as %FF as the literal text
    "%FF", which would be stored as if the person had typed it.
    """
    if request.mimetype != "application/x-www-form-urlencoded":
        return
    body = request.get_data(cache=True)  # Werkzeug parses the form from the cache
    try:
        unquote_to_bytes(body.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        abort(400, _("The form did not arrive as UTF-8 text. Please try again from the page."))


def _secure_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    if "frame-ancestors 'none'" in headers["Content-Security-Policy"]:
        headers.setdefault("X-Frame-Options", "DENY")  # for browsers without CSP 2
    headers["X-Content-Type-Options"] = "nosniff"
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")  # or stricter
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
    if current_app.config["ENV"] == "production":
        headers["Strict-Transport-Security"] = HSTS
    # Default-deny caching: a page is cacheable only when its view says so
    # (public.views.cacheable). Forms with typed-in data, confirm pages and
    # admin pages hold personal data no shared cache may keep.
    if "Cache-Control" not in headers:
        response.cache_control.no_store = True
    return response
