"""Rate limits (Flask-Limiter) and the page that says when to try again.

Limits are counted per network and, where a form names one, per email
address. Both keys are keyed hashes: the limiter's storage (memory, or Redis
when several processes share limits) never holds a raw IP or address.
"""

from __future__ import annotations

import datetime as dt

from flask import current_app, render_template, request
from flask_limiter import RateLimitExceeded

from .extensions import limiter
from .services.addresses import EmailNotValidError, canonical_email
from .services.privacy import keyed_hash


def _hashed(value: str) -> str:
    return "addr:" + keyed_hash("ratelimit-address", value)[:32]


def contact_email_key() -> str:
    """The mailbox a sign-on form names, hashed.

    Canonicalised as for uniqueness, so "a.b+1@gmail.com", "ab+2@gmail.com"
    and so on count against one mailbox.
    """
    value = (request.form.get("contact_email") or "").strip()
    try:
        value = canonical_email(value, current_app.config["CANONICAL_EMAIL_DOMAINS"])
    except EmailNotValidError:
        value = value.lower()  # the form refuses it anyway; still count it
    return _hashed(value)


def login_email_key() -> str:
    """The account a login form names, hashed (unknown accounts count alike)."""
    return _hashed((request.form.get("email") or "").strip().lower())


def setting(name: str) -> object:
    """A limit read from the configuration at request time."""
    return lambda: current_app.config[name]


def too_many_requests(error: RateLimitExceeded) -> tuple[str, int]:
    """A 429 page that says in words when to try again."""
    wait = _seconds_until_reset()
    return (
        render_template(
            "errors/error.html",
            code=429,
            title="Too many requests",
            message="You have tried this too often for now. "
            f"Please try again in {_in_words(wait)}.",
        ),
        429,
    )


def _seconds_until_reset() -> int:
    current = limiter.current_limit
    if current is None:
        return 60
    now = dt.datetime.now(dt.UTC).timestamp()
    return max(1, int(current.reset_at - now))


def _in_words(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"{minutes} minutes"
    return f"{round(minutes / 60)} hours"
