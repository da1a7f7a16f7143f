"""Fixtures: an app per test on a fresh database, and the parts a test needs.

Helpers (the valid form, signing, reading the outbox) are in helpers.py and
factories (rows in any state) in factories.py.

SQLite (the default): the schema is built once by the migrations into a
template file, and each test gets its own copy.

PostgreSQL (when SIGNON_TEST_DATABASE_URL is set): the schema is built once by the
migrations, and every table is truncated after each test. Not a rolled-back
savepoint per test: the code under test commits, opens BEGIN IMMEDIATE-style
write transactions and, in worker tests, uses several connections at once,
all of which a wrapping transaction would hide.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from factories import make_admin, make_statement
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_migrate import upgrade
from helpers import ADMIN_EMAIL, ADMIN_PASSWORD, DATABASE_URL, ON_POSTGRES, csrf_token
from processes import Processes
from sqlalchemy import create_engine, text

from signon import create_app
from signon.extensions import db

# A variable of its own, never DATABASE_URL: the suite drops and rebuilds the
# schema of the database it is given, and DATABASE_URL is what operators set
# for the real one. For the same reason the app under test never sees it.
os.environ.pop("DATABASE_URL", None)
TABLES = (
    "audit_event",
    "outbox_message",
    "signature",
    "statement",
    "admin_session",
    "admin",
    "network_key",
)


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


@pytest.fixture
def statement(app: Flask) -> str:
    """An open statement that needs verification; its slug."""
    with app.app_context():
        return make_statement().slug


@pytest.fixture
def admin_client(app: Flask) -> FlaskClient:
    """A client logged in as an admin."""
    with app.app_context():
        make_admin(ADMIN_EMAIL, ADMIN_PASSWORD)
    client = app.test_client()
    page = client.get("/admin/login").get_data(as_text=True)
    response = client.post(
        "/admin/login",
        data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "csrf_token": csrf_token(page)},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


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
