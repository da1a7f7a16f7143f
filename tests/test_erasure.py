"""Erasure: withdrawn data leaves the database files, and half an erasure never lands."""

from __future__ import annotations

from pathlib import Path

import pytest
from factories import make_admin, make_signature, make_statement
from flask import Flask
from helpers import ON_POSTGRES, VALID_FORM, csrf_token, link_in, outbox, sign, signatures

from signon.database import write_transaction
from signon.models import Admin, SignatureState
from signon.services import signing, subject_access

# Values that exist only in this test's signature: found in the files = not erased.
SECRETS = {
    "org_name": "Zyxwvut Erasable Collective",
    "contact_name": "Qwerty Vanishing-Person",
    "contact_email": "qwerty.vanishing@example.org",
    "contact_role": "Treasurer-of-secrets",
    "city": "Erasetown",
}


def _database_files(app: Flask) -> list[Path]:
    path = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    return [p for p in (path, Path(f"{path}-wal")) if p.exists()]


def _leftovers(app: Flask) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for file in _database_files(app):
        data = file.read_bytes()
        for field, value in SECRETS.items():
            for encoded in (value.encode(), value.lower().encode()):
                if encoded in data:
                    found.setdefault(file.name, []).append(field)
    return found


@pytest.mark.skipif(ON_POSTGRES, reason="reads SQLite's files; PostgreSQL needs VACUUM")
def test_withdrawal_leaves_no_copy_in_the_database_or_its_log(app, client, statement):
    """After a withdrawal neither the database file nor the WAL holds the contact's data."""
    sign(client, statement, **SECRETS)
    confirm = link_in(outbox(app)[0], "confirm")
    client.post(confirm)
    assert _leftovers(app), "the test must see the values before they are erased"
    withdraw = link_in(outbox(app)[0], "withdraw")
    assert client.post(withdraw).status_code == 303
    assert _leftovers(app) == {}


@pytest.mark.skipif(ON_POSTGRES, reason="reads SQLite's files; PostgreSQL needs VACUUM")
def test_an_admin_erasure_leaves_no_copy_either(app, client, statement, admin_client):
    """The personal data request's erase button scrubs the files the same way."""
    sign(client, statement, **SECRETS)
    page = admin_client.get("/admin/people").get_data(as_text=True)
    response = admin_client.post(
        "/admin/people/erase",
        data={"email": SECRETS["contact_email"], "csrf_token": csrf_token(page)},
    )
    assert response.status_code == 302
    assert _leftovers(app) == {}


def test_secure_delete_is_on_for_every_connection(app):
    """Set by us, not left to how this SQLite was built."""
    if ON_POSTGRES:
        pytest.skip("a SQLite setting")
    with app.app_context():
        from signon.extensions import db

        assert db.session.execute(db.text("PRAGMA secure_delete")).scalar() == 1


def test_a_failure_half_way_through_an_erasure_erases_nothing(app, monkeypatch):
    """Erasing a person is one unit of work: if the second signature fails, the first stays."""
    with app.app_context():
        first = make_statement("first")
        second = make_statement("second")
        for statement in (first, second):
            make_signature(statement, SignatureState.verified, contact_email="both@example.org")
        admin_id = make_admin().id

    calls = []
    real_withdraw = signing.withdraw

    def failing_withdraw(signature, admin=None):
        calls.append(signature.id)
        if len(calls) == 2:
            raise RuntimeError("the disk is full")
        return real_withdraw(signature, admin)

    monkeypatch.setattr(subject_access, "withdraw", failing_withdraw)
    with app.app_context(), pytest.raises(RuntimeError), write_transaction() as session:
        subject_access.erase("both@example.org", session.get(Admin, admin_id))
    assert calls == [1, 2]
    assert [s.state for s in signatures(app)] == [SignatureState.verified] * 2
    assert all(s.contact_email == "both@example.org" for s in signatures(app))


def test_services_refuse_to_write_outside_a_unit_of_work(app, statement):
    """A service called without write_transaction fails loudly instead of half-writing."""
    from signon.database import TransactionError

    with app.app_context():
        from signon.extensions import db
        from signon.models import Statement

        found = db.session.scalar(db.select(Statement))
        data = signing.SignatureData(
            org_name="X", org_type="union", country="DE", contact_name="Y",
            contact_email=VALID_FORM["contact_email"],
        )  # fmt: skip
        prepared = signing.prepare(found, data)  # reads only: allowed
        with pytest.raises(TransactionError):
            signing.submit(prepared, ip=None)
    assert signatures(app) == []


def test_units_of_work_do_not_nest(app):
    """An inner unit would commit the outer one's work: refused."""
    from signon.database import TransactionError

    with (
        app.app_context(),
        write_transaction(),
        pytest.raises(TransactionError),
        write_transaction(),
    ):
        pass
