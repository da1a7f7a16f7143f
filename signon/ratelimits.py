"""Rate limits (Flask-Limiter) and the page that says when to try again.

Limits are counted per network and, where a form names one, per email
address. Both keys are keyed hashes: the limiter's storage (memory, or Redis
when several processes share limits) never holds a raw IP or address.
"""

from __future__ import annotations

import datetime as dt
import math
import time

from flask import Flask, current_app, render_template, request
from flask_babel import gettext as _
from flask_limiter import Limiter, RateLimitExceeded
from limits import RateLimitItem, parse
from werkzeug.wrappers import Response

from .filters import duration
from .services.addresses import EmailNotValidError, configured_canonical_email
from .services.privacy import keyed_hash, network_of


def network_key() -> str:
    """The client's network for rate limits: a keyed hash, never the raw IP.

    ``remote_addr`` is the real client once ProxyFix trusted exactly the
    configured number of proxies, so a forged X-Forwarded-For changes nothing.
    Keyed with a fixed key rather than the day's rotating one: counters live
    only as long as their window, and a "per day" limit must not reset at
    midnight.
    """
    address = request.remote_addr
    return "net:" + (keyed_hash("network", network_of(address)) if address else "unknown")[:32]


limiter = Limiter(key_func=network_key)


def init_app(app: Flask) -> None:
    """``limiter.init_app``, with the key prefix read from this app's configuration.

    Flask-Limiter keeps the first non-empty RATELIMIT_KEY_PREFIX it was ever
    given (while its storage is the last app's): a process that makes several
    apps, as the tests do, would count under another app's prefix.
    """
    limiter._key_prefix = ""
    limiter.init_app(app)


def sent_in_full(response: Response) -> bool:
    """``deduct_when`` for limits on costly answers: a 304 or an error costs nothing."""
    return response.status_code == 200


def _identifiers(scope: str, key: str) -> tuple[str, ...]:
    """The identifiers of a counter kept here by hand, prefixed as Flask-Limiter's own.

    Flask-Limiter puts RATELIMIT_KEY_PREFIX first among the identifiers of the
    limits it applies, when there is one; counters hit through
    ``limiter.limiter`` directly must do the same, or deployments that share
    one Redis, told apart by prefix, would share them.
    """
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or ""
    return (prefix, scope, key) if prefix else (scope, key)


def _hashed(value: str) -> str:
    return "addr:" + keyed_hash("ratelimit-address", value)[:32]


def contact_email_key() -> str:
    """The mailbox a sign-on form names, hashed.

    Canonicalised as for uniqueness, so "a.b+1@gmail.com", "ab+2@gmail.com"
    and so on count against one mailbox.
    """
    value = (request.form.get("contact_email") or "").strip()
    try:
        value = configured_canonical_email(value)
    except EmailNotValidError:
        value = value.lower()  # not ASCII and not valid: the form refuses it; still count it
    return _hashed(value)


def sent_on(response: Response) -> bool:
    """Whether a sign-on was taken (303), and may have emailed its address.

    The per-address limit guards a mailbox against a flood of emails; a
    form sent back with its errors (422) emails nobody, so a person fixing
    typos is never locked out by them.
    """
    return response.status_code == 303


def login_account_key() -> str:
    """The account a login form names, hashed (unknown accounts count alike)."""
    return _hashed((request.form.get("email") or "").strip().lower())


def login_account_network_key() -> str:
    """The account a login form names, from this network: the pair is limited.

    Limiting the account alone would let anyone lock its admin out by failing
    from enough networks; the pair stops guessing from one place, and the
    account as a whole is only slowed down (``account_under_attack``).
    """
    return f"{login_account_key()}:{network_key()}"


def _account_failures() -> RateLimitItem:
    return parse(current_app.config["LOGIN_SLOWDOWN_AFTER"])


def _account_under_attack() -> bool:
    """Whether the named account failed more logins lately than LOGIN_SLOWDOWN_AFTER."""
    account = _identifiers("login-account", login_account_key())
    return not limiter.limiter.test(_account_failures(), *account)


def login_wait() -> int | None:
    """None if a login attempt on the named account may go ahead, else seconds to wait.

    An account under attack (more failures from anywhere than
    LOGIN_SLOWDOWN_AFTER) takes attempts one at a time, RATELIMIT_LOGIN_SLOWED,
    right or wrong: guessing slows to a crawl, and its admin gets in after a
    short wait instead of being locked out. Called in the view, after the
    per-network limits let the request through, so a flood from one network
    is stopped there and cannot take every turn; a browser the admin logged
    in from before skips the wait (``admin.auth``).
    """
    if not limiter.enabled or not _account_under_attack():
        return None
    turn = parse(current_app.config["RATELIMIT_LOGIN_SLOWED"])
    slowed = _identifiers("login-slowed", login_account_key())
    if limiter.limiter.hit(turn, *slowed):
        return None
    reset_at, _ = limiter.limiter.get_window_stats(turn, *slowed)
    return max(1, math.ceil(reset_at - time.time()))


def count_account_failure() -> None:
    """Count a failed login against the account named, from any network."""
    if limiter.enabled:
        account = _identifiers("login-account", login_account_key())
        limiter.limiter.hit(_account_failures(), *account)


def setting(name: str) -> object:
    """A limit read from the configuration at request time."""
    return lambda: current_app.config[name]


def too_many_requests(error: RateLimitExceeded) -> tuple[str, int]:
    """A 429 page that says in words when to try again (Flask-Limiter adds Retry-After)."""
    page, status, _ = wait_page(seconds_until_reset())
    return page, status


def wait_page(wait: int) -> tuple[str, int, dict[str, str]]:
    """The 429 page for a wait of ``wait`` seconds, with its Retry-After header."""
    page = render_template(
        "errors/error.html",
        code=429,
        title=_("Too many requests"),
        message=_(
            "You have tried this too often for now. Please try again in %(wait)s.",
            wait=duration(wait),
        ),
    )
    return page, 429, {"Retry-After": str(wait)}


def seconds_until_reset() -> int:
    """Seconds until the limit that was just exceeded lets requests through again."""
    current = limiter.current_limit
    if current is None:
        return 60
    now = dt.datetime.now(dt.UTC).timestamp()
    return max(1, int(current.reset_at - now))
