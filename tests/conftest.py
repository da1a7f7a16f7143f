"""Fixtures: an app per test on a fresh database, and the parts a test needs.

SQLite (the default): the schema is built once by the migrations into a
template file, and each test gets its own copy.

PostgreSQL (when SIGNON_TEST_DATABASE_URL is set): the schema is built once by the
migrations, and every table is truncated after each test. Not a rolled-back
savepoint per test: the code under test commits, opens BEGIN IMMEDIATE-style
write transactions and, in worker tests, uses several connections at once,
all of which a wrapping transaction would hide.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_migrate import upgrade
from processes import Processes
from sqlalchemy import create_engine, text, update

from signon import create_app
from signon.database import begin_write, utcnow
from signon.extensions import db
from signon.models import OutboxMessage, OutboxState, Signature, Statement, StatementState
from signon.services import admins

# A variable of its own, never DATABASE_URL: the suite drops and rebuilds the
# schema of the database it is given, and DATABASE_URL is what operators set
# for the real one. For the same reason the app under test never sees it.
DATABASE_URL = os.environ.get("SIGNON_TEST_DATABASE_URL", "")
os.environ.pop("DATABASE_URL", None)
ON_POSTGRES = DATABASE_URL.startswith(("postgres://", "postgresql"))
TABLES = ("audit_event", "outbox_message", "signature", "statement", "admin")

STATEMENT_BODY = """A statement for the tests, with a footnote.[^1]

[^1]: A source.
"""

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


def _settings(database_uri: str, **extra: object) -> dict[str, object]:
    return {"ENV": "testing", "SQLALCHEMY_DATABASE_URI": database_uri, **extra}


@pytest.fixture(scope="session")
def _schema(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Build the schema once with the migrations; the URI of the template."""
    if ON_POSTGRES:
        engine = create_engine(DATABASE_URL.replace("postgresql://", "postgresql+psycopg://"))
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        uri = DATABASE_URL
    else:
        uri = "sqlite:///" + str(tmp_path_factory.mktemp("template") / "template.sqlite")
    app = create_app(_settings(uri))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return uri


@pytest.fixture
def app_factory(_schema: str, tmp_path: Path) -> Iterator:
    """Make apps on this test's database, with settings overridden per app."""
    if ON_POSTGRES:
        uri = _schema
    else:
        template = Path(_schema.removeprefix("sqlite:///"))
        copy = tmp_path / "signon.sqlite"
        shutil.copyfile(template, copy)
        uri = f"sqlite:///{copy}"
    made: list[Flask] = []

    def make(**settings: object) -> Flask:
        app = create_app(_settings(uri, **settings))
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.session.remove()
            if ON_POSTGRES and app is made[0]:
                with db.engine.begin() as connection:
                    connection.execute(
                        text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
                    )
            db.engine.dispose()


@pytest.fixture
def app(app_factory) -> Flask:
    """The application under test, on a fresh database."""
    return app_factory()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A browser-like client, without cookies of its own to begin with."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """Runs `flask` commands against the app."""
    return app.test_cli_runner()


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    """An application context, for tests that call services directly."""
    with app.app_context():
        yield


def make_statement(
    slug: str = "test-statement",
    *,
    needs_verification: bool = True,
    state: StatementState = StatementState.open,
    body: str = STATEMENT_BODY,
) -> Statement:
    """Add and commit a statement (inside an app context)."""
    statement = Statement(
        slug=slug,
        title="A Test Statement",
        publisher="Test Publishers",
        body=body,
        state=state,
        needs_verification=needs_verification,
    )
    db.session.add(statement)
    db.session.commit()
    return statement


@pytest.fixture
def statement(app: Flask) -> str:
    """An open statement that needs verification; its slug."""
    with app.app_context():
        return make_statement().slug


def sign(client: FlaskClient, slug: str, headers: dict | None = None, **changes: str | None):
    """Submit the sign-on form with VALID_FORM plus ``changes`` (None drops a field)."""
    data = {**VALID_FORM, **changes}
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(f"/s/{slug}/sign", data=data, headers=headers or {})


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


@pytest.fixture
def admin_client(app: Flask) -> FlaskClient:
    """A client logged in as an admin."""
    with app.app_context():
        admins.create_admin(ADMIN_EMAIL, ADMIN_PASSWORD)
    client = app.test_client()
    page = client.get("/admin/login").get_data(as_text=True)
    response = client.post(
        "/admin/login",
        data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "csrf_token": csrf_token(page)},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def make_due(app: Flask) -> None:
    """Move every queued message's next attempt into the past."""
    with app.app_context():
        begin_write()
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.state == OutboxState.queued)
            .values(next_attempt_at=utcnow() - dt.timedelta(seconds=1))
        )
        db.session.commit()
        db.session.remove()


@pytest.fixture
def processes(app_factory, tmp_path: Path) -> Iterator[Processes]:
    """Start real processes (gunicorn, workers); all are stopped at teardown.

    Depends on app_factory so that teardown stops them before the database
    is reset.
    """
    logs = tmp_path / "logs"
    logs.mkdir()
    started = Processes(logs)
    try:
        yield started
    finally:
        started.stop_all()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
