"""What happens to the app when a statement goes viral?

What it measures
----------------
A statement with 100,000 verified signatories (``--signatories``), served by
gunicorn as production runs it (2 sync workers, ``SIGNON_ENV=production``,
rate limits off so that they do not stop the load), first on SQLite, then on
PostgreSQL, and loaded with ``wrk -t2 -c16`` for 10 s per endpoint
(``--seconds``), all on 127.0.0.1:

* a hello-world Flask app (``bench/hello.py``) under the same gunicorn
  settings: the baseline of this run, the least any request can cost here;
* ``/healthz`` and ``/privacy``: what every request and every page pays;
* ``/s/<slug>``: the statement page, with its figures and first 100 names;
* ``/s/<slug>`` revalidated: a browser's reload, ``If-None-Match`` with the
  page's ETag, which should answer 304 (a 200 counts as an error);
* ``/s/<slug>/signatories``, the first page and the deepest one, and every
  query the list page supports (``READ_ENDPOINTS`` below lists them);
* a search that differs on every request (``bench/wrk/search.lua``), so
  that no cache answers it: what a search costs the first time;
* the downloads ``/s/<slug>/signatories.csv`` and ``.json`` of the whole
  list, five times each one after another: how long one takes, and how much
  the workers' memory grew (it must stay flat: the rows are streamed);
* the sign-on form: POSTs that each sign for a new organisation (expect 303),
  with an outbox worker (``flask outbox work``) sending the confirmation
  emails to an SMTP sink in this process meanwhile. Afterwards every 303
  must have its signature and its email in the database: nothing lost.
  Then the same with 4 gunicorn workers, where PostgreSQL, which locks
  rows, should be ahead of SQLite, which lets one writer in at a time;
* the outbox worker alone draining 10,000 queued emails into the sink, from
  its start until the last is marked sent; and the sink's own ceiling
  (2,000 messages over one SMTP connection), which bounds what a worker
  could reach here.

The data goes in through the project's own code (``bench/seed.py``): the
migrations, ``import_statement``, and a bulk insert into the models' tables.
The PostgreSQL database (``signon_bench``) and the SQLite directory are
created for the run and removed after it; every process started is stopped
at the end, also on Ctrl-C.

How to run it
-------------
From the repository root, with the project's virtualenv, ``wrk`` on the PATH
and (for PostgreSQL) a server on 127.0.0.1:5432 where ``postgres`` may create
databases::

    .venv/bin/python bench/viral.py                       # both databases, ~6 minutes
    .venv/bin/python bench/viral.py --quick               # CI: SQLite, 5,000 rows, ~35 s
    .venv/bin/python bench/viral.py --database postgres --seconds 20
    .venv/bin/python bench/viral.py --only sign,downloads  # some groups of rows
    .venv/bin/python bench/viral.py --help

It prints one table and writes it, with the machine it ran on, to
``bench/results/latest.md``. Exit status: 0 no errors, 1 some row had errors
(the table says which), 2 the run failed, 130 interrupted.

How to read it
--------------
* requests/s: completed requests per second over the run, for 16
  connections at once; p50 and p99: the latency wrk saw, queueing included
  (16 connections on 2 workers: a request waits for about 7 others).
* errors: socket errors, timeouts, and every response whose status was not
  the one expected (200, 304 for the revalidation, 303 for the POST).
* of hello: this row's requests/s divided by the hello-world requests/s of
  the same run: 1.00 would be a page as cheap as the framework alone, 0.40
  one that costs two and a half times as much. Absolute requests/s depend on
  the machine (on 2 CPUs, wrk and the workers share them); the ratios
  compare across machines and across runs, so compare ratios, and compare
  SQLite with PostgreSQL within a run. Emails and downloads have one too
  (emails/s, downloads/s); a download's "1/4,395" means it takes as long as
  4,395 hello-world requests.
* target: what the project asks of the row (``TARGETS``), and whether this
  run met it. The rows that send email report emails/s and are held to an
  absolute rate instead, and the downloads to an absolute time, as their
  issues set them: on a day the machine runs slow (hello world's rate says
  so) they can miss a target their ratio shows was met before.
* PostgreSQL's ``signature`` table is ``VACUUM ANALYZE``d after seeding, as
  autovacuum would have done while it grew; SQLite is left as the app
  leaves it.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import hashlib
import http.client
import math
import os
import platform
import re
import secrets
import shutil
import signal
import smtplib
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from pathlib import Path
from types import FrameType

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from processes import BIN, ROOT, Process, clean_env, free_port, started

BENCH = ROOT / "bench"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # signon and config: the app under test

import psycopg  # noqa: E402
import seed  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from flask import Flask  # noqa: E402

from signon.extensions import db  # noqa: E402
from signon.models import OutboxMessage, OutboxState, Signature, SignatureState  # noqa: E402

WRK = shutil.which("wrk") or "/usr/bin/wrk"
RESULTS = BENCH / "results" / "latest.md"

WORKERS = 2
THREADS = 2
CONNECTIONS = 16
# Longer than any request should take: a slower response is not recorded
# in the latency, and counts as a timeout error.
WRK_TIMEOUT = 30
START_TIMEOUT = 30.0  # seconds for a server to answer
SETTLE_TIMEOUT = 120.0  # seconds for gunicorn to finish what wrk left in flight
STABLE_TIMEOUT = 30.0  # seconds for the sign-on run's rows to stop changing
DELIVERY_TIMEOUT = 120.0  # seconds for the sign-on run's emails to reach the sink
PER_PAGE = 100  # signon.public.views.SIGNATORIES_PER_PAGE
SIGN_PREFIX = "bench-"  # the sign-on POSTs' addresses (bench/wrk/sign.lua)
SIGN_ROW = "sign-on POST (303)"
# The same with more workers than cores, each run with addresses of its own.
SIGN_WORKERS = 4
SIGN_MORE_ROW = f"sign-on POST, {SIGN_WORKERS} workers (303)"
SIGN_MORE_PREFIX = f"bench{SIGN_WORKERS}w-"
# PostgreSQL's read rows should reach this share of SQLite's.
POSTGRES_READS_SHARE = 0.8

POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432"
POSTGRES_DATABASE = "signon_bench"


class RunFailed(Exception):
    """The benchmark could not run; the message says why."""


# --- what is measured ------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """One row of the table: a GET against the app.

    ``path`` may name ``{slug}`` (the statement), ``{deepest}`` (the last
    page of the signatories list), ``{country}`` (the country with the most
    named signatories) and ``{country_deepest}`` (its last page).
    """

    label: str
    path: str
    expect: int = 200
    revalidate: bool = False  # send If-None-Match with the ETag the page returned
    optional: bool = False  # 404 means "not yet": a coming issue adds it
    script: str = "expect.lua"  # the wrk script (bench/wrk) that makes the requests


READ_ENDPOINTS: list[Endpoint] = [
    Endpoint("/healthz", "/healthz"),
    Endpoint("/privacy", "/privacy"),
    Endpoint("/s/<slug>, plain GET", "/s/{slug}"),
    Endpoint("/s/<slug> revalidated (304)", "/s/{slug}", expect=304, revalidate=True),
    Endpoint("signatories, first page", "/s/{slug}/signatories"),
    Endpoint("signatories, deepest page", "/s/{slug}/signatories?page={deepest}"),
    # Every query the list page supports has a row.
    Endpoint("signatories, search", "/s/{slug}/signatories?q=union"),
    Endpoint(
        "signatories, country, deepest page",
        "/s/{slug}/signatories?country={country}&page={country_deepest}",
    ),
    Endpoint("signatories, type", "/s/{slug}/signatories?type=ngo"),
    Endpoint(
        "signatories, newest, deepest page", "/s/{slug}/signatories?sort=newest&page={deepest}"
    ),
    Endpoint(
        "signatories, by country, deepest page", "/s/{slug}/signatories?group=1&page={deepest}"
    ),
    Endpoint("signatories, a new search each time", "/s/{slug}/signatories", script="search.lua"),
]
# Downloads of the whole list, one at a time (under 16 connections a second's
# download only measures the queue): time each, and the workers' memory.
DOWNLOADS = {
    "signatories.csv, one at a time": "/s/{slug}/signatories.csv",
    "signatories.json, one at a time": "/s/{slug}/signatories.json",
}
DOWNLOAD_TIMES = 5
# The groups of rows, for ``--only``: a maintainer working on one of them.
PARTS = ("reads", "downloads", "sign", "drain")
DOWNLOAD_SECONDS = 1.5  # the slowest of them, at most
DOWNLOAD_GROWTH_MB = 20.0  # what the workers' memory may grow by, at most
# The list's rows held to the deepest page's target (issue: every filter stays fast).
LIST_ROWS = (
    "signatories, deepest page",
    "signatories, search",
    "signatories, country, deepest page",
    "signatories, type",
    "signatories, newest, deepest page",
    "signatories, by country, deepest page",
)


# What each row must reach: a share of the hello-world rate, or emails/s.
TARGETS: dict[str, float] = {
    "/s/<slug>, plain GET": 0.40,
    "/s/<slug> revalidated (304)": 0.45,
    **dict.fromkeys(LIST_ROWS, 0.30),
    SIGN_ROW: 0.18,
}
EMAIL_TARGET = 250.0  # emails/s for the outbox worker
DEEP_PAGE_P99_MS = 50.0


@dataclass
class Row:
    """A line of the table."""

    endpoint: str
    database: str
    rate: float | None  # per second
    p50_ms: float | None = None
    p99_ms: float | None = None
    errors: int = 0
    unit: str = ""  # "" for requests; "emails" for rows that send mail (no ratio)
    growth_mb: float | None = None  # for downloads: the workers' memory growth


@dataclass
class Report:
    """The rows, and the lines printed under the table."""

    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    baseline: float | None = None  # hello-world requests/s
    baseline_cpu_ms: float | None = None  # CPU a hello-world request costs, gunicorn and wrk

    def rate_of(self, endpoint: str, database: str) -> float | None:
        """The rate of the row of ``endpoint`` on ``database``, if it was measured."""
        for row in self.rows:
            if row.endpoint == endpoint and row.database == database:
                return row.rate
        return None

    def compare_databases(self) -> None:
        """Note whether PostgreSQL's reads kept up with SQLite's (POSTGRES_READS_SHARE)."""
        shares = []
        for endpoint in TARGETS:
            if endpoint == SIGN_ROW:
                continue
            sqlite = self.rate_of(endpoint, "SQLite")
            postgres = self.rate_of(endpoint, "PostgreSQL")
            if sqlite and postgres:
                shares.append((postgres / sqlite, endpoint))
        if not shares:
            return
        lowest, endpoint = min(shares)
        met = "yes" if lowest >= POSTGRES_READS_SHARE else "no"
        self.note(
            f"PostgreSQL's reads against SQLite's (target ≥ {POSTGRES_READS_SHARE:.1f}×): "
            f"{met}; the lowest is {lowest:.2f}× ({endpoint})"
        )

    def note(self, line: str) -> None:
        self.notes.append(line)
        progress(line)

    @property
    def errors(self) -> int:
        return sum(row.errors for row in self.rows)


def progress(line: str) -> None:
    print(f"  {line}", flush=True)


# --- processes -------------------------------------------------------------


def get(port: int, path: str, timeout: float = 60.0) -> int:
    """The status of ``GET path`` on a new connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


@dataclass(frozen=True)
class Server:
    process: Process
    port: int

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextlib.contextmanager
def gunicorn(
    name: str,
    app: str,
    env_for: Callable[[int], dict[str, str]],
    ready: str,
    logs: Path,
    directory: Path = ROOT,
    workers: int = WORKERS,
) -> Iterator[Server]:
    """gunicorn serving ``app`` (module:variable in ``directory``) on a free port.

    It must answer ``ready`` with 200 first. ``env_for(port)`` gives its
    environment. If another process takes the port before gunicorn binds it,
    it is tried again on another.
    """
    for attempt in range(3):
        port = free_port()
        process = Process(
            f"{name}-{attempt}",
            [
                str(BIN / "gunicorn"),
                *("--workers", str(workers), "--worker-class", "sync"),
                *("--bind", f"127.0.0.1:{port}", "--chdir", str(directory)),
                "--no-control-socket",  # gunicorn 27's default is one per user, shared
                app,
            ],
            env_for(port),
            logs,
        )
        try:
            if wait_ready(process, port, ready):
                break
        except BaseException:
            process.stop()
            raise
        process.stop()
    else:
        raise RunFailed(f"no free port for {name} after 3 attempts")
    try:
        yield Server(process, port)
    finally:
        process.stop()


def wait_ready(process: Process, port: int, path: str) -> bool:
    """Whether the server answers ``path`` with 200; False if its port was taken."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if not process.running():
            if "Address already in use" in process.stderr:
                return False
            raise RunFailed(
                f"{process.name} exited at start-up (status {process.popen.returncode}):\n"
                f"{process.stderr[-3000:].rstrip()}"
            )
        with contextlib.suppress(OSError, http.client.HTTPException):
            if get(port, path, timeout=5) == 200:
                return True
        time.sleep(0.1)
    raise RunFailed(f"{process.name} did not answer {path} within {START_TIMEOUT:.0f} s")


def settle(port: int) -> None:
    """Wait until gunicorn has finished what wrk left in flight.

    wrk stops on time and drops the requests it still waits for; the workers
    answer them anyway (and a POST among them is stored). A /healthz sent now
    queues behind them: once three in a row are answered, the workers are idle.
    """
    deadline = time.monotonic() + SETTLE_TIMEOUT
    answered = 0
    while answered < 3:
        left = deadline - time.monotonic()
        if left <= 0:
            raise RunFailed(f"the server was still busy {SETTLE_TIMEOUT:.0f} s after wrk")
        try:
            answered = answered + 1 if get(port, "/healthz", timeout=left) == 200 else 0
        except (OSError, http.client.HTTPException):
            answered = 0
            time.sleep(0.2)


# --- wrk -------------------------------------------------------------------


@dataclass(frozen=True)
class WrkResult:
    rate: float  # completed requests per second
    p50_ms: float
    p99_ms: float
    requests: int
    socket_errors: int  # connect, read, write, timeout
    statuses: dict[int, int]  # from the Lua script
    unexpected: int  # responses whose status was not the expected one
    sent: int | None  # requests written (sign.lua only)
    cpu_seconds: float = 0.0  # wrk's own CPU time (user and system)

    @property
    def errors(self) -> int:
        return self.socket_errors + self.unexpected


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_RATE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_REQUESTS = re.compile(r"^\s*(\d+) requests in ", re.MULTILINE)
_PERCENTILE = re.compile(r"^\s*(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.MULTILINE)
_SOCKET_ERRORS = re.compile(
    r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)"
)
_NON_2XX_3XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")
_STATUS = re.compile(r"^status (\d+) (\d+)$", re.MULTILINE)
_UNEXPECTED = re.compile(r"^unexpected (\d+)$", re.MULTILINE)
_SENT = re.compile(r"^sent (\d+)$", re.MULTILINE)


def parse_wrk(output: str) -> WrkResult:
    """The figures of wrk's ``--latency`` output and of our Lua scripts' ``done()``."""
    rate, requests, unexpected = (
        _RATE.search(output),
        _REQUESTS.search(output),
        _UNEXPECTED.search(output),
    )
    if rate is None or requests is None or unexpected is None:
        raise RunFailed(f"wrk's output lacks its summary:\n{output[-2000:]}")
    percentiles = {
        int(p): float(value) * _UNITS_MS[unit] for p, value, unit in _PERCENTILE.findall(output)
    }
    if set(percentiles) != {50, 99}:
        raise RunFailed(f"wrk's output lacks its latency distribution:\n{output[-2000:]}")
    socket_errors = _SOCKET_ERRORS.search(output)
    non_2xx = _NON_2XX_3XX.search(output)
    statuses = {int(code): int(count) for code, count in _STATUS.findall(output)}
    sent = _SENT.search(output)
    return WrkResult(
        rate=float(rate.group(1)),
        p50_ms=percentiles[50],
        p99_ms=percentiles[99],
        requests=int(requests.group(1)),
        socket_errors=sum(map(int, socket_errors.groups())) if socket_errors else 0,
        statuses=statuses,
        # wrk's own count too, should the script have missed one.
        unexpected=max(int(unexpected.group(1)), int(non_2xx.group(1)) if non_2xx else 0),
        sent=int(sent.group(1)) if sent else None,
    )


def wrk(
    url: str,
    seconds: int,
    logs: Path,
    *,
    script: str = "expect.lua",
    script_args: tuple[str, ...] = ("200",),
    headers: tuple[str, ...] = (),
) -> WrkResult:
    """``wrk -t2 -c16 -dNs --latency`` against ``url`` (127.0.0.1 only), parsed."""
    if not url.startswith("http://127.0.0.1:"):
        raise RunFailed(f"wrk only runs against 127.0.0.1, not {url}")
    command = [
        WRK,
        f"-t{THREADS}",
        f"-c{CONNECTIONS}",
        f"-d{seconds}s",
        "--latency",
        f"--timeout={WRK_TIMEOUT}s",
        *(f"--header={header}" for header in headers),
        f"--script={BENCH / 'wrk' / script}",
        url,
        "--",
        *script_args,
    ]
    before = os.times()
    with started("wrk", command, clean_env(), logs) as process:
        status = process.wait(seconds + WRK_TIMEOUT + 30)
        if status is None:
            raise RunFailed(f"wrk did not finish within {seconds + WRK_TIMEOUT + 30} s")
        if status != 0:
            raise RunFailed(f"wrk failed (status {status}):\n{process.stderr}{process.stdout}")
        after = os.times()  # wrk is reaped: its times are in this process's children's
        cpu = after.children_user - before.children_user
        cpu += after.children_system - before.children_system
        return dataclasses.replace(parse_wrk(process.stdout), cpu_seconds=cpu)


# --- the SMTP sink ---------------------------------------------------------


class Sink:
    """An aiosmtpd handler that accepts every message and counts them by recipient.

    Each run counts its own recipients' messages (``received(prefix)``): an
    email of an earlier run delivered late must not count for a later one.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.recipients: Counter[str] = Counter()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self.lock:
            self.recipients.update(envelope.rcpt_tos)
        return "250 Message accepted for delivery"

    def received(self, prefix: str) -> int:
        """Messages delivered to addresses that start with ``prefix``."""
        with self.lock:
            return sum(n for address, n in self.recipients.items() if address.startswith(prefix))


@contextlib.contextmanager
def smtp_sink() -> Iterator[tuple[Sink, int]]:
    """An SMTP server in this process on a free port of 127.0.0.1: (sink, port)."""
    sink = Sink()
    for _attempt in range(3):
        port = free_port()
        controller = Controller(sink, hostname="127.0.0.1", port=port)
        try:
            controller.start()
        except (OSError, RuntimeError):
            continue
        try:
            yield sink, port
        finally:
            controller.stop()
        return
    raise RunFailed("no free port for the SMTP sink after 3 attempts")


def sink_ceiling(sink: Sink, port: int, count: int) -> Row:
    """``count`` messages straight to the sink with smtplib, over one connection."""
    message = EmailMessage()
    message["From"] = "signon <noreply@localhost>"
    message["To"] = "sink@example.org"
    message["Subject"] = f"Please confirm your signature: {seed.TITLE}"
    context = {"title": seed.TITLE, "base_url": "http://127.0.0.1", "slug": seed.SLUG}
    context["token"] = secrets.token_urlsafe(48)
    message.set_content(seed.BODY_TEXT.format(**context))
    message.add_alternative(seed.BODY_HTML.format(**context), subtype="html")
    data = message.as_bytes(policy=policy.SMTP)  # CRLF line ends, as on the wire
    before = sink.received("sink-")
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        for number in range(count):
            smtp.sendmail("noreply@localhost", [f"sink-{number}@example.org"], data)
    elapsed = time.perf_counter() - start
    received = sink.received("sink-") - before
    return Row(
        f"SMTP sink alone, {count:,} messages",
        "–",
        count / elapsed,
        errors=abs(count - received),
        unit="emails",
    )


# --- databases -------------------------------------------------------------


@dataclass(frozen=True)
class Database:
    label: str
    uri: str  # for this process
    env: dict[str, str]  # for the app's processes


@contextlib.contextmanager
def database(kind: str, tmp: Path, postgres: str) -> Iterator[Database]:
    """A fresh, empty database of ``kind``, removed at the end."""
    if kind == "sqlite":
        instance = tmp / "sqlite"
        instance.mkdir()
        uri = f"sqlite:///{instance / 'signon.sqlite'}"  # the app's default place
        yield Database("SQLite", uri, {"SIGNON_INSTANCE_PATH": str(instance)})
        return
    uri = f"{postgres}/{POSTGRES_DATABASE}"
    recreate = (
        f"DROP DATABASE IF EXISTS {POSTGRES_DATABASE} WITH (FORCE)",
        f"CREATE DATABASE {POSTGRES_DATABASE}",
    )
    postgres_sql(postgres, *recreate)
    try:
        yield Database("PostgreSQL", uri, {"DATABASE_URL": uri})
    finally:
        postgres_sql(postgres, f"DROP DATABASE IF EXISTS {POSTGRES_DATABASE} WITH (FORCE)")


def postgres_sql(server: str, *statements: str) -> str:
    """Run ``statements`` on the server's ``postgres`` database; the last one's value."""
    try:
        with psycopg.connect(f"{server}/postgres", autocommit=True, connect_timeout=10) as conn:
            value = ""
            for statement in statements:
                cursor = conn.execute(statement)
                if cursor.description:
                    value = str(cursor.fetchone()[0])  # type: ignore[index]
            return value
    except psycopg.OperationalError as exc:
        raise RunFailed(f"PostgreSQL at {server}: {exc}".strip()) from None


def count(model: type, *where: sa.ColumnElement[bool]) -> int:
    """Rows of ``model`` matching ``where``, read on a connection of its own."""
    with db.engine.connect() as connection:
        query = sa.select(sa.func.count()).select_from(model).where(*where)
        return connection.execute(query).scalar_one()


def dispose(app: Flask) -> None:
    """Close this process's connections to the app's database."""
    with app.app_context():
        db.engine.dispose()


# --- the run ---------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    signatories: int
    seconds: int
    emails: int
    sink_messages: int
    databases: list[str]
    postgres: str
    quick: bool
    parts: frozenset[str] = frozenset(PARTS)  # which groups of rows to measure


def run(settings: Settings) -> Report:
    report = Report()
    with tempfile.TemporaryDirectory(prefix="signon-bench-viral-") as tmp_name:
        tmp = Path(tmp_name)
        logs = tmp / "logs"
        logs.mkdir()
        print(f"hello world: gunicorn {WORKERS} sync workers, wrk -t{THREADS} -c{CONNECTIONS}")
        with gunicorn("hello", "hello:app", hello_env, "/", logs, BENCH) as hello:
            before = hello.process.cpu_seconds()
            result = wrk(f"{hello.origin}/", settings.seconds, logs)
            served = hello.process.cpu_seconds() - before
        report.baseline = result.rate
        report.baseline_cpu_ms = 1000 * (served + result.cpu_seconds) / max(result.requests, 1)
        report.rows.append(
            Row(
                "hello world (baseline)",
                "–",
                result.rate,
                result.p50_ms,
                result.p99_ms,
                result.errors,
            )
        )
        progress(f"{result.rate:,.0f} requests/s")
        with smtp_sink() as (sink, smtp_port):
            ceiling = sink_ceiling(sink, smtp_port, settings.sink_messages)
            progress(f"SMTP sink alone: {ceiling.rate:,.0f} emails/s")
            for kind in settings.databases:
                bench_database(kind, settings, tmp, logs, sink, smtp_port, report)
        report.rows.append(ceiling)
    report.compare_databases()
    return report


def hello_env(_port: int) -> dict[str, str]:
    """The hello-world app needs no settings: only the environment without the app's."""
    return clean_env()


def bench_database(
    kind: str,
    settings: Settings,
    tmp: Path,
    logs: Path,
    sink: Sink,
    smtp_port: int,
    report: Report,
) -> None:
    """Seed a database of ``kind`` and measure every endpoint and the outbox on it."""
    with contextlib.ExitStack() as stack:
        base = stack.enter_context(database(kind, tmp, settings.postgres))
        print(f"\n{base.label}: seeding {settings.signatories:,} verified signatories")
        app = seed.seed_app(base.uri)
        stack.callback(dispose, app)  # before the database is dropped
        stack.enter_context(app.app_context())
        seed.migrate()
        statement_id = seed.create_statement()
        start = time.perf_counter()
        seed.seed_signatures(statement_id, settings.signatories)
        seed.analyze()
        seeded = time.perf_counter() - start
        named = count(
            Signature,
            Signature.statement_id == statement_id,
            Signature.state == SignatureState.verified,
            Signature.show_name.is_(True),
        )
        deepest = max(1, math.ceil(named / PER_PAGE))
        report.note(
            f"{base.label}: {settings.signatories:,} signatories seeded in {seeded:.1f} s; "
            f"{named:,} named, {deepest:,} pages of {PER_PAGE}"
        )

        secret = secrets.token_hex(32)

        def app_env(port: int) -> dict[str, str]:
            return clean_env(
                SIGNON_ENV="production",
                SIGNON_SECRET_KEY=secret,
                SIGNON_BASE_URL=f"http://127.0.0.1:{port}",
                SIGNON_SESSION_COOKIE_SECURE="false",  # production refuses http otherwise
                SIGNON_RATELIMIT_ENABLED="false",
                **base.env,
            )

        country, in_country = db.session.execute(
            sa.select(Signature.country, sa.func.count())
            .where(
                Signature.statement_id == statement_id,
                Signature.state == SignatureState.verified,
                Signature.show_name.is_(True),
            )
            .group_by(Signature.country)
            .order_by(sa.func.count().desc())
            .limit(1)
        ).one()
        context = {
            "slug": seed.SLUG,
            "deepest": deepest,
            "country": country,
            "country_deepest": max(1, math.ceil(in_country / PER_PAGE)),
        }
        parts = settings.parts
        with gunicorn(f"signon-{kind}", "wsgi:app", app_env, "/healthz", logs) as server:
            for endpoint in READ_ENDPOINTS if "reads" in parts else ():
                measure_read(endpoint, server, base.label, context, settings, logs, report)
            for label, path in DOWNLOADS.items() if "downloads" in parts else ():
                measure_download(label, path.format(**context), server, base.label, report)
            worker_env = {
                **app_env(server.port),
                "SIGNON_MAIL_SERVER": "127.0.0.1",
                "SIGNON_MAIL_PORT": str(smtp_port),
            }
            if "sign" in parts:
                with started(f"outbox-{kind}", outbox_command(), worker_env, logs) as worker:
                    measure_sign(server, worker, base.label, settings, logs, sink, report)
        if "sign" in parts:
            more = f"{kind}-{SIGN_WORKERS}"
            with gunicorn(
                f"signon-{more}", "wsgi:app", app_env, "/healthz", logs, workers=SIGN_WORKERS
            ) as server:
                env = {**worker_env, **app_env(server.port)}
                with started(f"outbox-{more}", outbox_command(), env, logs) as worker:
                    measure_sign(
                        server, worker, base.label, settings, logs, sink, report,
                        row=SIGN_MORE_ROW, prefix=SIGN_MORE_PREFIX,
                    )  # fmt: skip
        if "drain" in parts:
            drain(worker_env, base.label, settings, logs, sink, report)


def measure_read(
    endpoint: Endpoint,
    server: Server,
    label: str,
    context: dict[str, object],
    settings: Settings,
    logs: Path,
    report: Report,
) -> None:
    """One GET endpoint under wrk; "not yet" for an optional one that answers 404."""
    url = server.origin + endpoint.path.format(**context)
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            status, etag = response.status, response.headers.get("ETag")
    except urllib.error.HTTPError as exc:
        status, etag = exc.code, None
    if endpoint.optional and status == 404:
        report.note(f"{label}: {endpoint.label}: not yet (404; the SPEC promises it)")
        return
    headers: tuple[str, ...] = ()
    if endpoint.revalidate:
        if not etag:
            report.note(f"{label}: {endpoint.label}: the page sent no ETag: not measured")
            report.rows.append(Row(endpoint.label, label, None, errors=1))
            return
        headers = (f"If-None-Match: {etag}",)
    print(f"{label}: {endpoint.label} (a first GET: {status})", flush=True)
    result = wrk(
        url,
        settings.seconds,
        logs,
        script=endpoint.script,
        script_args=(str(endpoint.expect),),
        headers=headers,
    )
    settle(server.port)
    report.rows.append(
        Row(endpoint.label, label, result.rate, result.p50_ms, result.p99_ms, result.errors)
    )
    progress(describe(result, endpoint.expect))


def worker_memory(server: Server) -> int:
    """The workers' own resident memory (RssAnon), in bytes (Linux /proc).

    Anonymous memory only: the heap, where rows would pile up if a download
    were not streamed. File pages a worker maps (SQLite reads its database
    through mmap) are the system's shared page cache, not the worker's.
    """
    master = server.process.popen.pid
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    total = 0
    for pid in children:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("RssAnon:"):
                    total += int(line.split()[1]) * 1024
    return total


def measure_download(label: str, path: str, server: Server, database: str, report: Report) -> None:
    """A whole-list download, DOWNLOAD_TIMES times one after another: time and memory."""
    url = server.origin + path
    before = worker_memory(server)
    times: list[float] = []
    errors = size = 0
    for _ in range(DOWNLOAD_TIMES):
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(url, timeout=60) as response:
                size = len(response.read())
        except (OSError, http.client.HTTPException):
            errors += 1
            continue
        times.append(time.perf_counter() - start)
    growth = (worker_memory(server) - before) / 1e6
    if not times:
        report.rows.append(Row(label, database, None, errors=errors))
        return
    times.sort()
    median = times[len(times) // 2]
    report.rows.append(
        Row(label, database, 1 / median, median * 1000, times[-1] * 1000, errors, "", growth)
    )
    progress(
        f"{label}: {size / 1e6:.1f} MB in {median:.2f} s (slowest {times[-1]:.2f} s); "
        f"workers' memory {growth:+.1f} MB"
    )


def describe(result: WrkResult, expect: int) -> str:
    """One line about a wrk run, for the progress output."""
    statuses = ", ".join(f"{n:,} × {code}" for code, n in sorted(result.statuses.items()))
    line = f"{result.rate:,.1f} requests/s, p50 {result.p50_ms:,.1f} ms ({statuses or 'none'})"
    if result.errors:
        line += f"; {result.errors} errors (expected {expect}, {result.socket_errors} socket)"
    return line


def outbox_command() -> list[str]:
    return [str(BIN / "flask"), "--app", "wsgi", "outbox", "work"]


def measure_sign(
    server: Server,
    worker: Process,
    label: str,
    settings: Settings,
    logs: Path,
    sink: Sink,
    report: Report,
    row: str = SIGN_ROW,
    prefix: str = SIGN_PREFIX,
) -> None:
    """Sign-on POSTs under wrk; then every 303 must be a signature and an email.

    Each run signs with addresses starting with its own ``prefix``.
    """
    print(f"{label}: {row}, an outbox worker sending meanwhile", flush=True)
    signed_here = Signature.contact_email.like(f"{prefix}%")
    sink_before = sink.received(prefix)
    # Where the CPU goes while wrk runs: the sink is a thread of this process.
    cpu_before = (server.process.cpu_seconds(), worker.cpu_seconds(), time.process_time())
    result = wrk(
        f"{server.origin}/s/{seed.SLUG}/sign",
        settings.seconds,
        logs,
        script="sign.lua",
        script_args=(server.origin, prefix),
    )
    cpu_after = (server.process.cpu_seconds(), worker.cpu_seconds(), time.process_time())
    settle(server.port)
    progress(describe(result, 303))
    answered = result.statuses.get(303, 0)
    sent = result.sent or 0
    stored, pending, emails = stored_signatures(signed_here)
    problems = []
    if stored < answered:
        problems.append(f"{answered - stored:,} answered 303 but not stored: LOST")
    if stored > sent:
        problems.append(f"{stored - sent:,} more stored than wrk sent")
    if pending != stored:
        problems.append(f"{stored - pending:,} stored but not pending")
    if emails != stored:
        problems.append(f"{emails:,} emails for {stored:,} signatures")

    # The worker sends the confirmations meanwhile; wait (bounded) for the rest.
    deadline = time.monotonic() + DELIVERY_TIMEOUT
    while sink.received(prefix) - sink_before < emails and time.monotonic() < deadline:
        if not worker.running():
            problems.append("the outbox worker exited")
            break
        time.sleep(0.2)
    delivered = sink.received(prefix) - sink_before
    if delivered > emails:
        problems.append(f"{delivered - emails:,} more emails delivered than queued")

    in_flight = stored - answered
    line = (
        f"{label}: sign-on check: wrk sent {sent:,}, {answered:,} answered 303; "
        f"{stored:,} signatures and {emails:,} confirmation emails stored"
    )
    if in_flight > 0 and not problems:
        line += f" ({in_flight:,} were in flight when wrk stopped: stored, never answered)"
    line += f"; {delivered:,} delivered to the sink"
    if delivered < emails:
        line += f" within {DELIVERY_TIMEOUT:.0f} s (the rest still queued, not lost)"
    line += ": " + ("; ".join(problems) if problems else "nothing lost")
    report.note(line)
    report.note(f"{label}: {row}: " + cpu_line(cpu_before, cpu_after, result, report))
    report.rows.append(
        Row(
            row,
            label,
            result.rate,
            result.p50_ms,
            result.p99_ms,
            result.errors + len(problems),
        )
    )


def cpu_line(
    before: tuple[float, float, float],
    after: tuple[float, float, float],
    result: WrkResult,
    report: Report,
) -> str:
    """The CPU each process spent per answered request while wrk ran, against hello world's.

    Every answer of a sign-on run is a sign-on: anything but a 303 is an error.
    """
    answered = max(result.requests, 1)
    parts = [after[i] - before[i] for i in range(3)] + [result.cpu_seconds]
    names = ("gunicorn", "outbox worker", "SMTP sink and this script", "wrk")
    pairs = zip(names, parts, strict=True)
    spent = ", ".join(f"{name} {1000 * seconds / answered:.2f}" for name, seconds in pairs)
    line = f"CPU ms per request: {spent}; {1000 * sum(parts) / answered:.2f} in all"
    if report.baseline_cpu_ms:
        line += f" (hello world: {report.baseline_cpu_ms:.2f}, gunicorn and wrk)"
    return line


def stored_signatures(signed: sa.ColumnElement[bool]) -> tuple[int, int, int]:
    """(signatures, pending ones, their emails) once the numbers stop changing.

    ``settle`` waits for the server to be idle, but a POST that wrk dropped
    can still be in a worker when the other worker answers ``/healthz``; so
    the figures are read until two readings a second apart agree (at most
    ``STABLE_TIMEOUT`` seconds). Each reading is one statement: one snapshot.
    """
    query = sa.select(
        sa.select(sa.func.count()).select_from(Signature).where(signed).scalar_subquery(),
        sa.select(sa.func.count())
        .select_from(Signature)
        .where(signed, Signature.state == SignatureState.pending)
        .scalar_subquery(),
        sa.select(sa.func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.signature_id.in_(sa.select(Signature.id).where(signed)))
        .scalar_subquery(),
    )
    deadline = time.monotonic() + STABLE_TIMEOUT
    last: tuple[int, int, int] | None = None
    while True:
        with db.engine.connect() as connection:
            stored, pending, emails = connection.execute(query).one()
        if (stored, pending, emails) == last or time.monotonic() > deadline:
            return stored, pending, emails
        last = (stored, pending, emails)
        time.sleep(1.0)


def drain(
    worker_env: dict[str, str],
    label: str,
    settings: Settings,
    logs: Path,
    sink: Sink,
    report: Report,
) -> None:
    """Queue ``settings.emails`` emails, start a worker, time it until all are sent."""
    print(f"{label}: the outbox worker draining {settings.emails:,} emails", flush=True)
    seed.seed_outbox(settings.emails, worker_env["SIGNON_BASE_URL"])
    ours = OutboxMessage.recipient.like(f"{seed.DRAIN_RECIPIENT_PREFIX}%")
    timeout = 60 + settings.emails / 20
    sink_before = sink.received(seed.DRAIN_RECIPIENT_PREFIX)
    first: float | None = None
    start = time.perf_counter()
    with started(f"drain-{label}", outbox_command(), worker_env, logs) as worker:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and worker.running():
            done = count(OutboxMessage, ours, OutboxMessage.state == OutboxState.sent)
            if done and first is None:
                first = time.perf_counter() - start
            if done >= settings.emails:
                break
            time.sleep(0.1)
        elapsed = time.perf_counter() - start
        exited = not worker.running()
    done = count(OutboxMessage, ours, OutboxMessage.state == OutboxState.sent)
    failed = count(OutboxMessage, ours, OutboxMessage.state == OutboxState.failed)
    delivered = sink.received(seed.DRAIN_RECIPIENT_PREFIX) - sink_before
    problems = []
    if done < settings.emails:
        why = "the worker exited" if exited else f"not within {timeout:.0f} s"
        problems.append(f"{settings.emails - done:,} not sent ({why}; {failed:,} failed)")
    if delivered != done:
        problems.append(f"the sink received {delivered:,}")
    report.note(
        f"{label}: outbox drain: {done:,} of {settings.emails:,} sent in {elapsed:.1f} s, "
        f"the first {first or 0:.1f} s after the worker started: "
        + ("; ".join(problems) if problems else "all delivered once")
    )
    report.rows.append(
        Row(
            f"outbox worker, {settings.emails:,} emails",
            label,
            done / elapsed,
            errors=(settings.emails - done) + abs(delivered - done),
            unit="emails",
        )
    )


# --- the table -------------------------------------------------------------


def number(value: float) -> str:
    """A figure with as many digits as it deserves."""
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def share(ratio: float) -> str:
    """A ratio to hello world: "0.41", or "1/4,395" for a row far slower (a download).

    Every row has one, emails and downloads too, since absolute rates move
    with the machine's load from one run to the next and ratios much less.
    """
    if ratio >= 0.01:
        return f"{ratio:.2f}"
    return f"1/{1 / ratio:,.0f}"


def target(row: Row, report: Report) -> str:
    """The row's target and whether it was met: "≥ 0.40 yes", or "" without one."""
    baseline = report.baseline
    if row.rate is None:
        return ""
    if row.endpoint == SIGN_MORE_ROW and row.database == "PostgreSQL":
        sqlite = report.rate_of(SIGN_MORE_ROW, "SQLite")
        if sqlite is None:
            return ""
        return f"> SQLite ({number(sqlite)}) {'yes' if row.rate > sqlite else 'no'}"
    if row.growth_mb is not None:
        met = (row.p99_ms or 0) < DOWNLOAD_SECONDS * 1000 and row.growth_mb < DOWNLOAD_GROWTH_MB
        return (
            f"< {DOWNLOAD_SECONDS} s, < {DOWNLOAD_GROWTH_MB:.0f} MB "
            f"(+{max(row.growth_mb, 0):.1f}) {'yes' if met else 'no'}"
        )
    if row.unit:
        if not row.endpoint.startswith("outbox worker"):
            return ""
        return f"≥ {EMAIL_TARGET:.0f}/s {'yes' if row.rate >= EMAIL_TARGET else 'no'}"
    wanted = TARGETS.get(row.endpoint)
    if wanted is None or not baseline:
        return ""
    met = row.rate / baseline >= wanted
    if row.endpoint in LIST_ROWS:  # and quick for everyone
        met = met and row.p99_ms is not None and row.p99_ms < DEEP_PAGE_P99_MS
        return f"≥ {wanted:.2f}, p99 < {DEEP_PAGE_P99_MS:.0f} ms {'yes' if met else 'no'}"
    return f"≥ {wanted:.2f} {'yes' if met else 'no'}"


def table(report: Report) -> list[str]:
    """The Markdown table, its columns padded so that it also reads as text."""
    header = ["endpoint", "database", "requests/s", "p50", "p99", "errors", "of hello", "target"]
    lines = [header]
    for row in report.rows:
        rate = "–" if row.rate is None else number(row.rate)
        if row.unit and row.rate is not None:
            rate += f" {row.unit}/s"
        ratio = "–"
        if row.rate and report.baseline:
            ratio = share(row.rate / report.baseline)
        lines.append(
            [
                row.endpoint,
                row.database,
                rate,
                "–" if row.p50_ms is None else f"{number(row.p50_ms)} ms",
                "–" if row.p99_ms is None else f"{number(row.p99_ms)} ms",
                str(row.errors),
                ratio,
                target(row, report),
            ]
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    right = {2, 3, 4, 5, 6, 7}  # numbers

    def render(cells: list[str]) -> str:
        padded = [
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(cells)
        ]
        return "| " + " | ".join(padded) + " |"

    rule = [("-" * (w - 1) + ":") if i in right else "-" * w for i, w in enumerate(widths)]
    return [render(lines[0]), render(rule), *(render(cells) for cells in lines[1:])]


def machine(settings: Settings, code_at_start: tuple[str, str]) -> list[str]:
    """Where and how the run happened, a line per fact."""
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.partition(":")[2].strip()
                break
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    versions = [f"Python {platform.python_version()}", f"SQLite {sqlite3.sqlite_version}"]
    if "postgres" in settings.databases:
        with contextlib.suppress(RunFailed):
            versions.append("PostgreSQL " + postgres_sql(settings.postgres, "SHOW server_version"))
    code, fingerprint = code_state()
    if fingerprint != code_at_start[1]:
        code += f" (it changed during the run; at its start: {code_at_start[0]})"
    return [
        f"Machine: {cpus} CPUs (nproc), {cpu}; {', '.join(versions)}.",
        f"Code: {code}; run {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}.",
        f"Load: wrk -t{THREADS} -c{CONNECTIONS} -d{settings.seconds}s per row; gunicorn "
        f"{WORKERS} sync workers, production settings, rate limits off; "
        f"{settings.signatories:,} signatories.",
    ]


def code_state() -> tuple[str, str]:
    """The code measured, in words, and a fingerprint that changes with any edit."""
    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    changed = git("status", "--porcelain", "--untracked-files=no").splitlines()
    words = f"commit {commit}"
    if changed:
        files = "file" if len(changed) == 1 else "files"
        words += f" with uncommitted changes to {len(changed)} {files}"
    diff = hashlib.sha256(git("diff", "HEAD").encode()).hexdigest()
    return words, f"{commit}:{diff}"


def git(*args: str) -> str:
    """A read-only git command's output, or "" (no git, not a checkout)."""
    try:
        done = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def publish(
    report: Report, settings: Settings, elapsed: float, code_at_start: tuple[str, str]
) -> None:
    """Print the table and write it to bench/results/latest.md."""
    lines = table(report)
    facts = [*machine(settings, code_at_start), f"The run took {elapsed:.0f} s."]
    print()
    print("\n".join(lines))
    print()
    for note in report.notes:
        print(note)
    print()
    for fact in facts:
        print(fact)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    title = "# Viral statement benchmark (`bench/viral.py`" + (
        " --quick" if settings.quick else ""
    )
    markdown = [
        title + ")",
        "",
        *lines,
        "",
        *(f"- {note}" for note in report.notes),
        "",
        *(f"{fact}  " for fact in facts),
        "",
        "of hello: the row's rate divided by hello world's in the same run "
        "(1.00 = the framework's floor; 1/N: as long as N hello-world requests). "
        "See the docstring of `bench/viral.py`.",
        "",
    ]
    RESULTS.write_text("\n".join(markdown), "utf-8")
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}")


# --- main ------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> Settings:
    parser = argparse.ArgumentParser(
        description="Load a statement with many signatories under gunicorn, on SQLite and "
        "PostgreSQL, against a hello-world baseline.",
        epilog="Exit status: 0 no errors, 1 errors in the table, 2 the run failed.",
    )
    parser.add_argument("--signatories", type=int, help="verified signatories (100,000)")
    parser.add_argument("--seconds", type=int, help="wrk's duration per row (10)")
    parser.add_argument("--emails", type=int, help="emails the outbox worker drains (10,000)")
    parser.add_argument(
        "--sink-messages", type=int, default=2000, help="messages of the sink's ceiling (2,000)"
    )
    parser.add_argument(
        "--database",
        choices=["sqlite", "postgres", "both"],
        help="which database (both; sqlite with --quick)",
    )
    parser.add_argument(
        "--postgres",
        default=POSTGRES_SERVER,
        help=f"PostgreSQL server, without a database ({POSTGRES_SERVER}); "
        f"the run creates and drops {POSTGRES_DATABASE} on it",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="for CI: 5,000 signatories, 2 s per row, 1,000 emails, SQLite",
    )
    parser.add_argument(
        "--only",
        help="measure only these groups of rows, comma-separated: "
        + ", ".join(PARTS)
        + " (hello world and the sink's ceiling are always measured)",
    )
    args = parser.parse_args(argv)
    parts = frozenset(PARTS)
    if args.only:
        parts = frozenset(part.strip() for part in args.only.split(","))
        if not parts <= frozenset(PARTS):
            parser.error(f"--only takes {', '.join(PARTS)}, comma-separated")
    quick = args.quick
    database = args.database or ("sqlite" if quick else "both")
    settings = Settings(
        signatories=args.signatories or (5_000 if quick else 100_000),
        seconds=args.seconds or (2 if quick else 10),
        emails=args.emails or (1_000 if quick else 10_000),
        sink_messages=args.sink_messages,
        databases=["sqlite", "postgres"] if database == "both" else [database],
        postgres=args.postgres.rstrip("/"),
        quick=quick,
        parts=parts,
    )
    if min(settings.signatories, settings.seconds, settings.emails, settings.sink_messages) < 1:
        parser.error("--signatories, --seconds, --emails and --sink-messages must be positive")
    return settings


def on_sigterm(signum: int, _frame: FrameType | None) -> None:
    # As Ctrl-C does: unwind, so that every finally block stops what it started.
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    settings = parse_args(argv)
    signal.signal(signal.SIGTERM, on_sigterm)
    for tool in (BIN / "gunicorn", BIN / "flask", Path(WRK)):
        if not tool.exists():
            print(f"viral: {tool} is missing (run with .venv/bin/python)", file=sys.stderr)
            return 2
    start = time.monotonic()
    code_at_start = code_state()
    try:
        report = run(settings)
    except RunFailed as exc:
        print(f"viral: the run failed: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("viral: interrupted; everything it started is stopped.", file=sys.stderr)
        return 130
    publish(report, settings, time.monotonic() - start, code_at_start)
    return 1 if report.errors else 0


if __name__ == "__main__":
    sys.exit(main())
