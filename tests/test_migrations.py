"""Migrations on a database with data in it: nothing is lost on the way up or down."""

from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from helpers import DATABASE_URL, ON_POSTGRES
from sqlalchemy import create_engine, make_url, text

from signon import create_app
from signon.extensions import db

BEFORE_SESSIONS = "1f56751f75c1"
NOW = "2026-11-01 12:00:00"

ROWS = [
    "INSERT INTO admin (id, email, password_hash, active, created_at)"
    f" VALUES (1, 'admin@example.org', 'x', TRUE, '{NOW}')",
    "INSERT INTO statement (id, slug, title, publisher, body, state, needs_verification,"
    f" created_at, updated_at) VALUES (1, 's', 'S', 'P', 'B', 'open', TRUE, '{NOW}', '{NOW}')",
    "INSERT INTO signature (id, statement_id, state, org_name, org_type, country, city,"
    " website, comment, comment_approved, show_name, contact_name, contact_email,"
    " email_canonical, ip_hash, created_at, consented_at, confirmation_sent_at,"
    " confirmed_at, verified_at) VALUES (1, 1, 'verified', 'Org', 'union', 'DE', '', '', '',"
    " FALSE, TRUE, 'Jane', 'jane.doe@googlemail.com', 'janedoe@googlemail.com', 'abc',"
    f" '{NOW}', '{NOW}', '{NOW}', '{NOW}', '{NOW}')",
    "INSERT INTO outbox_message (id, kind, signature_id, recipient, subject, body_text,"
    " body_html, state, attempts, next_attempt_at, created_at) VALUES (1, 'verified', 1,"
    f" 'jane.doe@googlemail.com', 'S', 'T', 'H', 'queued', 0, '{NOW}', '{NOW}')",
    "INSERT INTO audit_event (id, admin_id, action, signature_id, detail, created_at)"
    f" VALUES (1, 1, 'verify', 1, '', '{NOW}')",
]


@pytest.fixture
def old_database(tmp_path):
    """An app on a database of its own at the revision before, holding a bit of everything.

    On PostgreSQL a scratch database beside the suite's, made and dropped here.
    """
    uri = f"sqlite:///{tmp_path}/m.db"
    if ON_POSTGRES:
        uri = _scratch_postgres()
    app = create_app({"ENV": "testing", "SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        upgrade(revision=BEFORE_SESSIONS)
        with db.engine.begin() as connection:
            for row in ROWS:
                connection.execute(text(row))
        yield app
        db.engine.dispose()
    if ON_POSTGRES:
        _drop_scratch_postgres(uri)


def _scratch_postgres() -> str:
    url = make_url(DATABASE_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"{url.database}_migrations"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _drop_scratch_postgres(uri: str) -> None:
    url = make_url(uri)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}"'))
    admin.dispose()


def _survivors() -> tuple:
    with db.engine.connect() as connection:
        email = connection.execute(text("SELECT signature_id FROM outbox_message")).all()
        audit = connection.execute(text("SELECT admin_id, signature_id FROM audit_event")).all()
    return email, audit


def test_upgrade_and_downgrade_keep_emails_and_the_audit_trail(old_database):
    """Nothing is lost: SQLite's table rebuilds must not fire ON DELETE, for one."""
    upgrade()
    assert _survivors() == ([(1,)], [(1, 1)])
    with db.engine.connect() as connection:
        link_id, canonical, ip_hash = connection.execute(
            text("SELECT link_id, email_canonical, ip_hash FROM signature")
        ).one()
    assert len(link_id) >= 20
    assert canonical == "janedoe@gmail.com", "googlemail.com folded into gmail.com"
    assert ip_hash is None, "hashes keyed with SECRET_KEY are dropped"
    downgrade(revision=BEFORE_SESSIONS)
    assert _survivors() == ([(1,)], [(1, 1)])


def test_upgrade_refuses_rows_that_break_a_new_rule_before_changing_anything(old_database, capfd):
    """A hand-made bad row stops the upgrade with a sentence, at the revision before."""
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE signature SET state = 'withdrawn', withdrawn_at = NULL"))
    with pytest.raises(SystemExit):  # how `flask db upgrade` ends on an error
        upgrade()
    printed = capfd.readouterr().err  # alembic's logging writes to stderr
    assert "Nothing was changed" in printed
    assert "withdrawn but still hold contact data" in printed
    with db.engine.connect() as connection:
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert version == BEFORE_SESSIONS
