"""Helpers the tests share: the valid form, signing through it, reading the outbox.

Fixtures live in conftest.py; data is made by factories.py.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import socket

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from signon.database import utcnow, write_transaction
from signon.extensions import db
from signon.models import OutboxMessage, OutboxState, Signature

# A variable of its own, never DATABASE_URL: the suite drops and rebuilds the
# schema of the database it is given (see conftest.py).
DATABASE_URL = os.environ.get("SIGNON_TEST_DATABASE_URL", "")
ON_POSTGRES = DATABASE_URL.startswith(("postgres://", "postgresql"))

VALID_FORM = {
    "org_name": "Rainbow Workers Union",
    "org_type": "union",
    "country": "DE",
    "city": "Berlin",
    "website": "https://rwu.example.org",
    "contact_name": "Alex Private-Contact",
    "contact_email": "alex.private@example.org",
    "contact_role": "Secretary",
    "comment": "In solidarity.",
    "listing": "listed",
    "consent": "y",
}


def sign(
    client: FlaskClient,
    slug: str,
    headers: dict | None = None,
    *,
    path: str | None = None,
    **changes: str | None,
):
    """Submit the sign-on form with VALID_FORM plus ``changes`` (None drops a field).

    ``path``: where the form posts, if not the statement's public page's.
    """
    data = {**VALID_FORM, **changes}
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(path or f"/s/{slug}/sign", data=data, headers=headers or {})


def outbox(app: Flask) -> list[OutboxMessage]:
    """Every message in the outbox, oldest first."""
    with app.app_context():
        messages = db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id)).all()
        db.session.expunge_all()
        return list(messages)


def signatures(app: Flask) -> list[Signature]:
    """Every signature row, oldest first."""
    with app.app_context():
        rows = db.session.scalars(db.select(Signature).order_by(Signature.id)).all()
        db.session.expunge_all()
        return list(rows)


def link_in(message: OutboxMessage, kind: str) -> str:
    """The path of the ``kind`` link ("confirm" or "withdraw") in an email."""
    match = re.search(rf"https?://[^/\s]+(/{kind}/[A-Za-z0-9_.\-]+)", message.body_text)
    assert match, f"no {kind} link in the email"
    return match.group(1)


ADMIN_EMAIL = "admin@example.org"
ADMIN_PASSWORD = "correct horse battery staple"


def csrf_token(html: str) -> str:
    """The CSRF token of the first admin form in a page."""
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def make_due(app: Flask) -> None:
    """Move every queued message's next attempt into the past."""
    with app.app_context():
        with write_transaction():
            db.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.state == OutboxState.queued)
                .values(next_attempt_at=utcnow() - dt.timedelta(seconds=1))
            )
        db.session.remove()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SESSION_ACTIONS = ("login", "login-failed", "logout", "logout-everywhere")


def audit_log(app: Flask, *, sessions: bool = False) -> list:
    """The audit events, oldest first; logins and logouts only when ``sessions``."""
    from signon.models import AuditEvent

    with app.app_context():
        query = db.select(AuditEvent).order_by(AuditEvent.id)
        if not sessions:
            query = query.where(AuditEvent.action.not_in(SESSION_ACTIONS))
        events = db.session.scalars(query).all()
        db.session.expunge_all()
        return list(events)


# The one script a page may carry: our own, from /static (focus after errors).
OWN_SCRIPTS = ['<script src="/static/focus.js" defer>']


def scripts_in(html: str) -> list[str]:
    """The opening tags of every script element in ``html``."""
    return re.findall(r"<script[^>]*>", html)
