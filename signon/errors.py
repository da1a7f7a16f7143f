"""Error pages: a clear sentence for every status, never a stack trace."""

from __future__ import annotations

import logging
import traceback

from flask import Flask, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .extensions import db
from .filters import duration
from .ratelimits import seconds_until_reset, too_many_requests

log = logging.getLogger(__name__)

# What a person is told when a view gave no description of its own.
MESSAGES = {
    400: _l("The request could not be understood. Please go back and try again."),
    403: _l("You are not allowed to do that."),
    404: _l("There is nothing at this address."),
    405: _l("This page cannot be used that way."),
    409: _l("That cannot be done now."),
    413: _l("What you sent is too large."),
    415: _l("This address takes a web form. Please send it from the page."),
    429: _l("Too many requests. Please wait a little and try again."),
    500: _l(
        "Something went wrong on our side. Nothing you sent was stored; "
        "please try again in a few minutes."
    ),
}
# The page's title for each status: Werkzeug's names, in the reader's language
# (a status not named here keeps Werkzeug's English name).
TITLES = {
    400: _l("Bad Request"),
    403: _l("Forbidden"),
    404: _l("Not Found"),
    405: _l("Method Not Allowed"),
    409: _l("Conflict"),
    413: _l("Request Entity Too Large"),
    415: _l("Unsupported Media Type"),
    429: _l("Too Many Requests"),
    500: _l("Internal Server Error"),
}


def init_app(app: Flask) -> None:
    """Register the handlers."""
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(RateLimitExceeded, _too_many_requests)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)


def _wants_json() -> bool:
    """Whether the request was for data (the API, a .json file): errors then are JSON too."""
    return request.path.startswith("/api/") or request.path.endswith(".json")


def _render(code: int, message: str, title: str) -> tuple[ResponseReturnValue, int]:
    message, title = str(message), str(title)  # lazy strings, translated now
    if _wants_json():
        return jsonify(error={"status": code, "title": title, "message": message}), code
    return render_template("errors/error.html", code=code, message=message, title=title), code


def _too_many_requests(error: RateLimitExceeded) -> ResponseReturnValue:
    if not _wants_json():
        return too_many_requests(error)
    wait = seconds_until_reset()
    message = _(
        "You have tried this too often for now. Please try again in %(wait)s.",
        wait=duration(wait),
    )
    return _render(429, message, _("Too many requests"))


def _http_error(
    error: HTTPException,
) -> tuple[ResponseReturnValue, int, list[tuple[str, str]]] | HTTPException:
    code = error.code or 500
    if code < 400:  # redirects raised as exceptions (routing) pass through
        return error
    described = error.description != type(error).description
    message = error.description if described and error.description else MESSAGES.get(code, "")
    page, status = _render(code, message or MESSAGES[400], TITLES.get(code, error.name))
    # Keep what the error says in headers (Allow on a 405), not its body type.
    headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    return page, status, headers


def _csrf_error(error: CSRFError) -> tuple[ResponseReturnValue, int]:
    return _render(
        400,
        _(
            "This form has expired or was not sent from this site. "
            "Please reload the page and try again."
        ),
        _("Form expired"),
    )


def _unexpected(error: Exception) -> tuple[ResponseReturnValue, int]:
    # Roll back so that nothing half-done is committed by a later request.
    db.session.rollback()
    log.error(
        "unhandled %s in %s\n%s",
        type(error).__name__,
        request.endpoint,
        # The stack, without the message: messages quote the data they choked
        # on (PostgreSQL: 'Key (email_canonical)=(...) already exists').
        "".join(traceback.format_tb(error.__traceback__)),
    )
    return _render(500, MESSAGES[500], TITLES[500])
