"""Keep emailed tokens out of the request log.

A confirm or withdraw link is the key to a signature: whoever holds it can
confirm or withdraw it. The development server (Werkzeug) logs every request
line, path included, so without this filter those keys end up in terminal
scroll-back and log files. The filter rewrites ``/confirm/<token>`` to
``/confirm/…`` (and the same for every route named in ``TOKEN_ROUTES``, and
for any signed token after any other word) before a handler sees the record.
"""

from __future__ import annotations

import logging
import re

from flask import Flask

# Routes whose path segment after the name is a token, whatever its shape.
TOKEN_ROUTES = ("confirm", "withdraw", "reconfirm", "e")

_WORDS = "|".join(TOKEN_ROUTES)
_NAMED = re.compile(rf"/({_WORDS})/[^/\s?#\"]+")
# itsdangerous tokens (services.tokens) are payload.timestamp.signature in
# URL-safe base64; a slug or a static file name never has that shape. This
# catches a token route added later without being named above.
_SIGNED = re.compile(r"/([A-Za-z][\w-]*)/[\w-]+\.[\w-]+\.[\w-]{16,}")

REDACTED = "…"

# Werkzeug writes its request lines ("GET /confirm/… HTTP/1.1" 200 -) here.
LOGGER_NAMES = ("werkzeug",)


def redact(text: str) -> str:
    """``text`` with every token in a confirm-style path replaced by an ellipsis."""
    text = _NAMED.sub(rf"/\1/{REDACTED}", text)
    return _SIGNED.sub(rf"/\1/{REDACTED}", text)


class TokenFilter(logging.Filter):
    """Rewrite the formatted message of a record if it contains a token path."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact in place; never drop the record."""
        try:
            # Werkzeug passes the request line as an argument, not in msg:
            # redact the message as it would be formatted.
            message = record.getMessage()
        except Exception:  # noqa: BLE001
            # Arguments that do not fit the format: leave the record to the
            # handler, which reports the mistake as logging always does. An
            # exception raised from a filter would reach the code that logged.
            return True
        redacted = redact(message)
        if redacted != message:
            record.msg = redacted
            record.args = None  # already formatted; "%" in it must stay literal
        return True


def init_app(app: Flask) -> None:
    """Install the filter on Werkzeug's logger, once per process.

    Loggers are global while apps are not: the test suite creates many apps,
    and each would otherwise add another copy of the filter.
    """
    for name in LOGGER_NAMES:
        logger = logging.getLogger(name)
        if not any(isinstance(f, TokenFilter) for f in logger.filters):
            logger.addFilter(TokenFilter())
