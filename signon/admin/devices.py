"""Browsers an admin logged in from before: they skip the slow-down of an attacked account.

Failing logins from many networks slows an account down (every attempt
waits its turn, see ``ratelimits.login_wait``). An attacker can keep taking
those turns; a browser that once logged in to the account carries a signed
cookie saying so, and skips the queue. It proves nothing by itself: the
password is still checked, and the per-network limits still apply.
"""

from __future__ import annotations

from flask import Request, current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from ..services.privacy import keyed_hash

COOKIE = "signon_admin_device"
MAX_AGE = 180 * 24 * 3600  # half a year without a login, and the browser queues again


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="signon.admin-device")


def _account(email: str) -> str:
    # The account as a keyed hash: the cookie must not show whose it is.
    return keyed_hash("admin-device", email.strip().lower())


def _accounts(request: Request) -> list[str]:
    """The accounts this browser's cookie names (none if it has no valid one)."""
    value = request.cookies.get(COOKIE)
    if not value:
        return []
    try:
        accounts = _serializer().loads(value, max_age=MAX_AGE)
    except BadSignature:
        return []
    return [a for a in accounts if isinstance(a, str)] if isinstance(accounts, list) else []


def known(request: Request, email: str) -> bool:
    """Whether this browser logged in to the account ``email`` names before."""
    return _account(email) in _accounts(request)


def remember(request: Request, response: Response, email: str) -> None:
    """Mark this browser as one ``email``'s admin logged in from (up to five accounts)."""
    account = _account(email)
    accounts = [account, *(a for a in _accounts(request) if a != account)][:5]
    response.set_cookie(
        COOKIE,
        _serializer().dumps(accounts),
        max_age=MAX_AGE,
        path="/admin",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        httponly=True,
        samesite="Lax",
    )
