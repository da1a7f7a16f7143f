"""Schema and database behaviour: migrations, constraints, SQLite tuning."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa
from factories import make_admin, make_signature, make_statement
from flask_migrate import check
from helpers import ON_POSTGRES
from sqlalchemy.exc import IntegrityError

from signon.database import write_transaction
from signon.extensions import db
from signon.models import OrganisationType, Signature, SignatureState


def test_migrations_match_the_models(app_factory, tmp_path):
    """`flask db upgrade` then `flask db check` finds no drift."""
    app = app_factory()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        check()  # raises when autogenerate would produce operations


def test_cli_db_check_reports_no_drift(runner):
    """The same check through the CLI that operators and CI use (drift exits 1)."""
    result = runner.invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output


def _signature(statement_id: int, email: str | None) -> Signature:
    return Signature(
        statement_id=statement_id,
        org_name="Org",
        org_type=OrganisationType.union,
        country="DE",
        contact_name="C",
        contact_email=email,
        email_canonical=email,
    )


def test_one_signature_per_canonical_email_per_statement(ctx):
    """The schema itself refuses a second row for the same canonical email."""
    statement = make_statement()
    db.session.add(_signature(statement.id, "a@example.org"))
    db.session.commit()
    db.session.add(_signature(statement.id, "a@example.org"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_erased_signatures_do_not_collide(ctx):
    """NULL canonical emails (erased rows) may repeat."""
    statement = make_statement()
    make_signature(statement, SignatureState.withdrawn)
    make_signature(statement, SignatureState.withdrawn)


def test_states_are_enforced_by_the_database(ctx):
    """A state outside the enum is refused by a CHECK constraint."""
    statement = make_statement()
    db.session.add(_signature(statement.id, "b@example.org"))
    db.session.commit()
    with pytest.raises(IntegrityError):
        db.session.execute(sa.text("UPDATE signature SET state = 'famous'"))
        db.session.commit()
    db.session.rollback()


RULES = {
    "a withdrawn signature keeps a contact": (
        "UPDATE signature SET contact_name = 'Back Again' WHERE state = 'withdrawn'"
    ),
    "a withdrawn signature keeps its organisation": (
        "UPDATE signature SET org_name = 'Still Here' WHERE state = 'withdrawn'"
    ),
    "verified without verified_at": (
        "UPDATE signature SET verified_at = NULL WHERE state = 'verified'"
    ),
    "confirmed without confirmed_at": (
        "UPDATE signature SET state = 'confirmed', confirmed_at = NULL WHERE state = 'pending'"
    ),
    "a live signature without an address": (
        "UPDATE signature SET contact_email = NULL WHERE state = 'verified'"
    ),
    "an admin email in capitals": "UPDATE admin SET email = 'Admin@Example.org'",
    "an unknown audit action": (
        "INSERT INTO audit_event (action, detail, created_at)"
        " VALUES ('whatever', '', '2026-01-01')"
    ),
}


@pytest.mark.parametrize("sql", RULES.values(), ids=RULES.keys())
def test_rules_are_kept_by_the_schema(ctx, sql):
    """What the models promise, the database enforces, whatever code writes."""
    statement = make_statement()
    for state in (SignatureState.pending, SignatureState.verified, SignatureState.withdrawn):
        make_signature(statement, state)
    make_admin()
    with pytest.raises(IntegrityError), write_transaction():
        db.session.execute(sa.text(sql))


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite settings")
def test_sqlite_runs_in_wal_mode_with_a_busy_timeout_and_foreign_keys(ctx, app):
    """Every SQLite connection is tuned for a web app."""
    assert db.session.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
    timeout = db.session.execute(sa.text("PRAGMA busy_timeout")).scalar()
    assert timeout == app.config["SQLITE_BUSY_TIMEOUT_MS"]
    assert db.session.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1


def _race(app, statement_id: int, *, immediate: bool, writers: int = 4) -> list[BaseException]:
    """Run ``writers`` read-then-write transactions at once; the errors they met."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(writers)

    def writer(n: int) -> None:
        try:
            with app.app_context():
                if immediate:
                    barrier.wait(timeout=5)
                    with write_transaction():
                        db.session.scalar(sa.select(sa.func.count(Signature.id)))
                        time.sleep(0.05)  # hold the lock while the others try
                        db.session.add(_signature(statement_id, f"w{n}@example.org"))
                else:
                    db.session.scalar(sa.select(sa.func.count(Signature.id)))
                    barrier.wait(timeout=5)  # everyone has read; now all write
                    db.session.add(_signature(statement_id, f"w{n}@example.org"))
                    db.session.commit()
        except Exception as exc:  # noqa: BLE001 -- collected for the assertions
            errors.append(exc)
        finally:
            with app.app_context():
                db.session.remove()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return errors


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite locking")
def test_deferred_read_then_write_fails_at_once_under_concurrency(app):
    """Why BEGIN IMMEDIATE: deferred transactions that read, then write, get 'locked'."""
    with app.app_context():
        statement_id = make_statement().id
    errors = _race(app, statement_id, immediate=False)
    assert errors and all("database is locked" in str(e) for e in errors), errors


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite locking")
def test_write_transaction_makes_concurrent_writers_wait_instead_of_failing(app):
    """With write_transaction (BEGIN IMMEDIATE) the same race loses nothing."""
    with app.app_context():
        statement_id = make_statement().id
    assert _race(app, statement_id, immediate=True) == []
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Signature.id))) == 4


def test_a_unit_of_work_expires_what_was_read_before_it(ctx):
    """What a view loaded is read again inside the unit; PostgreSQL keeps its transaction.

    SQLite ends the read transaction (a deferred one cannot become a writer
    under concurrency); PostgreSQL, at READ COMMITTED, carries on in it and
    saves a ROLLBACK and a BEGIN, but expires the loaded rows the same way.
    """
    statement = make_statement()
    signature = make_signature(statement, SignatureState.pending)
    engine = db.engine
    ended: list[str] = []

    def record(_connection: object) -> None:
        ended.append("rollback")

    loaded = db.session.get(Signature, signature.id)
    assert loaded.state is SignatureState.pending and db.session().in_transaction()
    # Another connection changes the row meanwhile.
    with engine.begin() as other:
        other.execute(
            sa.update(Signature).where(Signature.id == signature.id).values(city="Elsewhere")
        )
    sa.event.listen(engine, "rollback", record)
    try:
        with write_transaction():
            assert sa.inspect(loaded).expired
            assert loaded.city == "Elsewhere"
    finally:
        sa.event.remove(engine, "rollback", record)
    assert ended == ([] if ON_POSTGRES else ["rollback"])


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL aborts a transaction on an error")
def test_a_unit_of_work_after_a_failed_read_starts_afresh(ctx):
    """A read transaction an error aborted is rolled back, not carried on."""
    with pytest.raises(sa.exc.DBAPIError):
        db.session.execute(sa.text("SELECT 1 / 0"))
    with write_transaction():
        assert db.session.execute(sa.text("SELECT 1")).scalar() == 1


def test_postgresql_units_run_at_read_committed(app):
    """write_transaction() carries on in a read transaction only at READ COMMITTED."""
    if not ON_POSTGRES:
        pytest.skip("PostgreSQL only")
    with app.app_context(), db.engine.connect() as connection:
        level = connection.exec_driver_sql("SHOW transaction_isolation").scalar()
    assert level == "read committed"
