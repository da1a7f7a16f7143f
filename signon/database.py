"""Database set-up that differs between SQLite and PostgreSQL.

SQLite is the embedded default. Three settings make it safe for a web app:

* WAL journal, so readers never block the writer and the writer never blocks
  readers;
* a busy timeout, so a writer waits for the lock instead of failing at once;
* ``BEGIN IMMEDIATE`` for transactions that write (``write_transaction``). A plain (deferred)
  transaction starts as a reader and upgrades to a writer on its first write;
  if another connection wrote in between, SQLite cannot upgrade it and answers
  "database is locked" *at once*, whatever the busy timeout says. Taking the
  write lock at BEGIN makes concurrent writers queue on the timeout instead.

Reads keep a deferred BEGIN so that page views never queue behind writers.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from sqlalchemy import Engine, Executable, event
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from .extensions import db

log = logging.getLogger(__name__)

# How much of a SQLite database file each connection reads through mmap.
_MMAP_BYTES = 256 * 1024 * 1024
# Connection execution option read by the BEGIN listener below.
_IMMEDIATE = "signon_begin_immediate"


def utcnow() -> dt.datetime:
    """Now, in UTC, without tzinfo: how every timestamp is stored."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def database_uri(app: Flask) -> str:
    """The configured database URI, SQLite in the instance folder by default.

    ``postgres://`` and ``postgresql://`` URLs (as hosting platforms hand them
    out) are pointed at the psycopg 3 driver that requirements.txt installs.
    """
    uri = app.config.get("SQLALCHEMY_DATABASE_URI")
    if not uri:
        os.makedirs(app.instance_path, exist_ok=True)
        return "sqlite:///" + os.path.join(app.instance_path, "signon.sqlite")
    for prefix in ("postgres://", "postgresql://"):
        if uri.startswith(prefix):
            return "postgresql+psycopg://" + uri[len(prefix) :]
    return uri


def init_app(app: Flask) -> None:
    """Bind the database to ``app`` and tune SQLite connections."""
    app.config["SQLALCHEMY_DATABASE_URI"] = database_uri(app)
    # Never put bound values (addresses, names) into error messages or logs.
    options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    options.setdefault("hide_parameters", True)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # Whatever the server's default: write_transaction() relies on it.
        options.setdefault("isolation_level", "READ COMMITTED")
    db.init_app(app)
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            _tune_sqlite(engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])


def _tune_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module, which would
        # otherwise issue its own deferred BEGIN; SQLAlchemy's "begin" event
        # below now decides how each transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = NORMAL")  # safe in WAL mode
        # Reads from memory the operating system maps, not a read() call per
        # page: a whole-list download's query took a fifth less. The size is
        # address space, not memory; pages come from the shared page cache.
        cursor.execute(f"PRAGMA mmap_size = {_MMAP_BYTES}")
        # Overwrite deleted and erased content with zeros rather than leave it
        # in free pages; some builds default to it, ours must not depend on that.
        cursor.execute("PRAGMA secure_delete = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(_IMMEDIATE):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


class TransactionError(RuntimeError):
    """A unit of work was opened or used the wrong way (a programming error)."""


_WRITING = "signon.writing"


@contextmanager
def write_transaction() -> Iterator[Session]:
    """One unit of work that writes: commit on success, roll back on any error.

    Views and commands own the transaction; services only add, change and
    flush, and call ``require_write()`` first. So services compose: erasing a
    person withdraws each of their signatures inside one unit, and a failure
    half-way leaves nothing behind.

    On SQLite the transaction starts with ``BEGIN IMMEDIATE`` (see the module
    docstring). A read-only transaction the caller already had (a view that
    loaded the statement) is ended first there: it holds nothing worth
    keeping, and upgrading it in place is exactly what SQLite refuses under
    concurrency. PostgreSQL, at READ COMMITTED (set in ``init_app``),
    carries on in it, which saves a ROLLBACK and a BEGIN (two round trips of
    a sign-on's nine), unless an error aborted it. Either way what was
    loaded is expired, so nothing read before is trusted after.
    Units do not nest: an inner one would commit the outer one's work.
    """
    session = db.session()  # the scoped session's current Session
    if session.info.get(_WRITING):
        raise TransactionError("write_transaction() does not nest")
    if session.in_transaction():
        if session.new or session.dirty or session.deleted:
            raise TransactionError("unflushed changes before write_transaction()")
        if _can_carry_on(session):
            session.expire_all()
        else:
            session.rollback()
    if not session.in_transaction():
        session.connection(execution_options={_IMMEDIATE: True})
    session.info[_WRITING] = True
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info.pop(_WRITING, None)


def _can_carry_on(session: Session) -> bool:
    """Whether a write may go on in the session's open transaction (PostgreSQL, not failed)."""
    if db.engine.dialect.name != "postgresql":
        return False
    transaction = session.get_transaction()
    if transaction is None or not transaction.is_active:
        return False
    import psycopg  # only ever on PostgreSQL

    driver = session.connection().connection.driver_connection
    return driver.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS


def in_write_transaction() -> bool:
    """Whether the current session is inside a ``write_transaction()``."""
    return bool(db.session().info.get(_WRITING))


def require_write() -> None:
    """Fail unless the caller opened a ``write_transaction()``.

    Every service that writes calls it first: a write outside a unit of work
    would start a deferred transaction on SQLite (which fails under
    concurrency) and would never be committed.
    """
    if not in_write_transaction():
        raise TransactionError("this operation writes: call it inside write_transaction()")


def end_read_transaction() -> None:
    """End the session's read-only transaction; the next query starts a fresh one.

    For long reads done in steps (downloads): on SQLite a snapshot held for
    the whole of one would keep ``checkpoint_after_erasure`` from emptying the
    write-ahead log. Never call it with changes pending: they are discarded.
    """
    db.session.rollback()


def checkpoint_after_erasure(attempts: int = 5) -> bool:
    """Push erased rows out of SQLite's write-ahead log; call after the commit.

    ``secure_delete`` overwrites erased values in the database file, but the
    WAL keeps copies of every page written until a checkpoint copies them back
    and truncates it (SQLite's own automatic checkpoints never truncate). A
    reader in the middle of a transaction can keep the checkpoint from
    finishing: it is tried again a few times, then logged, and the next
    erasure's checkpoint takes the frames along. True when the WAL is empty.
    PostgreSQL keeps old row versions until VACUUM (README, "Erasure").
    """
    if db.engine.dialect.name != "sqlite":
        return True
    # A connection of its own, outside any transaction: a checkpoint cannot
    # move past a snapshot that its own connection still reads from.
    connection = db.engine.raw_connection()
    try:
        for attempt in range(attempts):
            busy, _, _ = connection.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if not busy:
                return True
            time.sleep(0.05 * (attempt + 1))
    finally:
        connection.close()
    log.warning("the write-ahead log could not be emptied after an erasure; readers were busy")
    return False


def insert_ignoring_conflict(model: type, conflict_columns: tuple[str, ...]) -> Executable:
    """``INSERT … ON CONFLICT (columns) DO NOTHING`` for SQLite and PostgreSQL.

    Execute it with the row's values as parameters:
    ``db.session.execute(insert_ignoring_conflict(Model, ("a",)), {"a": 1, ...})``.
    Column defaults (timestamps, random ids) are applied as for any insert,
    and the statement's rowcount says whether a row went in. The statement is
    built once per model: building it with ``.values()`` took longer than
    running it, on the sign-on form's path.
    """
    return _insert_ignoring_conflict(db.engine.dialect.name, model, conflict_columns)


@functools.cache
def _insert_ignoring_conflict(
    dialect: str, model: type, conflict_columns: tuple[str, ...]
) -> Executable:
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    # On the table, not the mapped class: the ORM's bulk-insert path around
    # a one-row INSERT cost more than the INSERT.
    table = model.__table__  # type: ignore[attr-defined]
    return insert(table).on_conflict_do_nothing(index_elements=list(conflict_columns))
