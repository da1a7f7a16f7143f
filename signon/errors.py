"""Error pages: a clear sentence for every status, never a stack trace."""

from __future__ import annotations

import logging
import traceback

from flask import Flask, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from .extensions import db
from .filters import duration
from .ratelimits import seconds_until_reset, too_many_requests

log = logging.getLogger(__name__)

# What a person is told when a view gave no description of its own.
MESSAGES = {
    400: "The request could not be understood. Please go back and try again.",
    403: "You are not allowed to do that.",
    404: "There is nothing at this address.",
    405: "This page cannot be used that way.",
    409: "That cannot be done now.",
    413: "What you sent is too large.",
    415: "This address takes a web form. Please send it from the page.",
    429: "Too many requests. Please wait a little and try again.",
    500: "Something went wrong on our side. Nothing you sent was stored; "
    "please try again in a few minutes.",
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
    if _wants_json():
        return jsonify(error={"status": code, "title": title, "message": message}), code
    return render_template("errors/error.html", code=code, message=message, title=title), code


def _too_many_requests(error: RateLimitExceeded) -> ResponseReturnValue:
    if not _wants_json():
        return too_many_requests(error)
    wait = seconds_until_reset()
    message = f"You have tried this too often for now. Please try again in {duration(wait)}."
    return _render(429, message, "Too many requests")


def _http_error(
    error: HTTPException,
) -> tuple[ResponseReturnValue, int, list[tuple[str, str]]] | HTTPException:
    code = error.code or 500
    if code < 400:  # redirects raised as exceptions (routing) pass through
        return error
    described = error.description != type(error).description
    message = error.description if described and error.description else MESSAGES.get(code, "")
    page, status = _render(code, message or MESSAGES[400], error.name)
    # Keep what the error says in headers (Allow on a 405), not its body type.
    headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    return page, status, headers


def _csrf_error(error: CSRFError) -> tuple[ResponseReturnValue, int]:
    return _render(
        400,
        "This form has expired or was not sent from this site. "
        "Please reload the page and try again.",
        "Form expired",
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
    return _render(500, MESSAGES[500], InternalServerError().name)
