"""Database set-up that differs between SQLite and PostgreSQL.

SQLite is the embedded default. Three settings make it safe for a web app:

* WAL journal, so readers never block the writer and the writer never blocks
  readers;
* a busy timeout, so a writer waits for the lock instead of failing at once;
* ``BEGIN IMMEDIATE`` for transactions that write. A plain (deferred)
  transaction starts as a reader and upgrades to a writer on its first write;
  if another connection wrote in between, SQLite cannot upgrade it and answers
  "database is locked" *at once*, whatever the busy timeout says. Taking the
  write lock at BEGIN makes concurrent writers queue on the timeout instead.

Reads keep a deferred BEGIN so that page views never queue behind writers.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from flask import Flask
from sqlalchemy import Engine, event

from .extensions import db

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
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {}).setdefault("hide_parameters", True)
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
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(_IMMEDIATE):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


def begin_write() -> None:
    """Start the session's transaction as a writer (BEGIN IMMEDIATE on SQLite).

    Call it at the top of every service function that writes. A read-only
    transaction the caller already opened (a view that loaded the statement)
    is ended first: it holds nothing that needs keeping, and upgrading it
    in place is exactly what SQLite refuses under concurrency. On PostgreSQL
    this only opens the transaction; row locks and constraints do the rest.
    """
    session = db.session()  # the scoped session's current Session
    if session.in_transaction():
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("begin_write() called with unflushed changes")
        session.commit()
    session.connection(execution_options={_IMMEDIATE: True})
