"""Load: many organisations sign at once through gunicorn, and nothing is lost.

Real processes on 127.0.0.1: gunicorn with several workers on this test's
database (the SQLite copy or the PostgreSQL database conftest prepares),
`flask outbox work` as a subprocess, and aiosmtpd as the mail server. Every
signature must be stored once, its confirmation email queued once and
delivered once; nobody may be told "database is locked" (or any 5xx), and no
contact detail may reach the server's logs.

These are tests, not benchmarks: they print their throughput and assert
nothing about speed.
"""

from __future__ import annotations

import signal
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from factories import make_statement
from flask import Flask
from helpers import ON_POSTGRES, VALID_FORM, free_port
from processes import (
    Processes,
    Recorder,
    app_env,
    get_status,
    mail_settings,
    post_form,
    run_worker_once,
    smtp_server,
    wait_healthy,
    wait_until,
)
from sqlalchemy import select

from signon.extensions import db
from signon.models import OutboxMessage, OutboxState, Signature

pytestmark = pytest.mark.slow

SLUG = "load-statement"
ORGANISATIONS = 200
THREADS = 32


# --- fixtures and helpers --------------------------------------------------


def setup_app(app_factory) -> tuple[Flask, str]:
    """This test's app with an open statement; the database URI subprocesses use."""
    app = app_factory()
    with app.app_context():
        make_statement(SLUG)
    return app, app.config["SQLALCHEMY_DATABASE_URI"]


def organisation(number: int) -> dict[str, str]:
    """The form of organisation ``number``: its own name, contact and address."""
    return {
        **VALID_FORM,
        "org_name": f"Load Test Collective {number:03d}",
        "contact_name": f"Privatus Contactus-{number:03d}",
        "contact_email": f"contact.{number:03d}@org{number:03d}.example.org",
    }


def burst(port: int, forms: list[dict[str, str] | None], threads: int = THREADS) -> tuple:
    """Send every form at once from ``threads`` threads (None: GET the statement page).

    Returns the (status, Location) of each request, in order, and the
    seconds the burst took.
    """

    def one(form: dict[str, str] | None) -> tuple[int, str]:
        if form is None:
            return get_status(port, f"/s/{SLUG}"), ""
        return post_form(port, f"/s/{SLUG}/sign", form)

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        results = list(pool.map(one, forms, timeout=45))
    return results, time.monotonic() - started


def summary(label: str, requests: int, elapsed: float, workers: int) -> None:
    backend = "postgresql" if ON_POSTGRES else "sqlite"
    print(
        f"\n[load] {label}: {requests} requests, {elapsed:.2f} s, "
        f"{requests / elapsed:.0f} requests/s ({workers} gunicorn workers, {backend})"
    )


def assert_no_contact_details(output: str, forms: list[dict[str, str]], who: str) -> None:
    """No contact email or name appears in ``output``."""
    leaked = [
        value
        for form in forms
        for value in (form["contact_email"], form["contact_name"])
        if value in output
    ]
    assert leaked == [], f"{who} logged contact details: {leaked[:5]}"


def assert_clean_server_log(output: str) -> None:
    assert "locked" not in output.lower(), output[-3000:]
    assert "Traceback" not in output, output[-3000:]
    assert "[ERROR]" not in output, output[-3000:]


def stored(app: Flask) -> tuple[Counter[str], Counter[str], Counter[OutboxState]]:
    """Signature emails, outbox recipients and outbox states, counted."""
    with app.app_context():
        emails = Counter(db.session.scalars(select(Signature.contact_email)).all())
        rows = db.session.execute(select(OutboxMessage.recipient, OutboxMessage.state)).all()
        db.session.remove()
    return emails, Counter(r for r, _ in rows), Counter(s for _, s in rows)


def drain(processes: Processes, uri: str, instance: Path, expected: list[str]) -> Recorder:
    """Deliver the outbox with `flask outbox work --once` into aiosmtpd; the recorder."""
    port = free_port()
    with smtp_server(Recorder(), port) as server:
        code, output = run_worker_once(processes, app_env(uri, instance, **mail_settings(port)))
    assert code == 0, output
    assert f"Sent {len(expected)}, retrying 0, failed 0." in output, output
    assert "locked" not in output.lower(), output
    return server


# --- tests -----------------------------------------------------------------


@pytest.mark.parametrize("submissions", [1, 2], ids=["once", "twice"])
def test_burst_of_signatures_loses_nothing(app_factory, processes, tmp_path, submissions):
    """200 organisations sign at once (each once, or twice at the same moment).

    Every request answers 303; each address is stored once, queued once
    (a repeat within the resend interval sends nothing), and delivered once.
    """
    app, uri = setup_app(app_factory)
    port = free_port()
    gunicorn = processes.gunicorn(
        app_env(uri, tmp_path, BASE_URL=f"http://127.0.0.1:{port}", RATELIMIT_ENABLED=False),
        port,
        workers=4,
    )
    wait_healthy(gunicorn, port)

    forms = [organisation(n) for n in range(ORGANISATIONS)]
    # A repeat goes right after its first submission, so the two run together.
    requests = [form for form in forms for _ in range(submissions)]
    results, elapsed = burst(port, requests)
    summary(f"{submissions}x{ORGANISATIONS} signatures", len(requests), elapsed, workers=4)

    statuses = Counter(status for status, _ in results)
    assert statuses == {303: len(requests)}, statuses
    assert {location for _, location in results} == {f"/s/{SLUG}/signed"}
    addresses = [form["contact_email"] for form in forms]
    expected = Counter(addresses)
    emails, recipients, states = stored(app)
    assert emails == expected
    assert recipients == expected
    assert states == {OutboxState.queued: ORGANISATIONS}

    server = drain(processes, uri, tmp_path, addresses)
    assert server.counts() == expected
    assert stored(app)[2] == {OutboxState.sent: ORGANISATIONS}

    gunicorn.stop()
    assert_clean_server_log(gunicorn.output)
    assert_no_contact_details(gunicorn.output, forms, "gunicorn")
    for process in processes.started:
        assert_no_contact_details(process.output, forms, process.name)


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's single writer lock")
def test_sqlite_writers_queue_instead_of_failing(app_factory, processes, tmp_path):
    """SQLite: 8 web workers and a running mail worker write at once; nobody sees "locked".

    Signatures, page views and the outbox worker's claims and updates all
    contend for SQLite's one write lock; with BEGIN IMMEDIATE and a busy
    timeout they queue for it, and every message still goes exactly once.
    """
    app, uri = setup_app(app_factory)
    port, smtp_port = free_port(), free_port()
    settings = {"SQLITE_BUSY_TIMEOUT_MS": 30000, "RATELIMIT_ENABLED": False}
    workers = 8
    gunicorn = processes.gunicorn(
        app_env(uri, tmp_path, BASE_URL=f"http://127.0.0.1:{port}", **settings),
        port,
        workers=workers,
    )
    wait_healthy(gunicorn, port)

    forms = [organisation(n) for n in range(300)]
    # Every third request reads the statement page (its figures count signatures).
    requests: list[dict[str, str] | None] = []
    for n, form in enumerate(forms):
        requests.append(form)
        if n % 2:
            requests.append(None)
    expected = Counter(form["contact_email"] for form in forms)

    with smtp_server(Recorder(), smtp_port) as server:
        worker = processes.worker(
            app_env(
                uri,
                tmp_path,
                **mail_settings(smtp_port, OUTBOX_POLL_SECONDS=0.1, OUTBOX_BATCH_SIZE=10),
                **settings,
            )
        )
        results, elapsed = burst(port, requests, threads=64)
        summary("300 signatures + 150 page views, SQLite", len(requests), elapsed, workers)
        delivered = server.wait_for(len(forms), timeout=30)
        worker.send(signal.SIGTERM)
        code = worker.wait(10)
    assert delivered, f"{len(server.recipients)} of {len(forms)} delivered:\n{worker.output}"
    assert code == 0, worker.output

    statuses = Counter(status for status, _ in results)
    assert statuses == {303: len(forms), 200: len(requests) - len(forms)}, statuses
    emails, recipients, states = stored(app)
    assert emails == expected
    assert recipients == expected
    assert states == {OutboxState.sent: len(forms)}
    assert server.counts() == expected

    gunicorn.stop()
    for process in (gunicorn, worker):
        assert "locked" not in process.stderr.lower(), process.stderr[-3000:]
        assert "Traceback" not in process.output, process.output[-3000:]
        assert_no_contact_details(process.output, forms, process.name)


def test_each_gunicorn_has_its_control_socket_in_the_test_directory(
    app_factory, processes, tmp_path
):
    """Two app servers of one test keep their control sockets apart, and out of $HOME.

    gunicorn 27 opens one at ~/.gunicorn/gunicorn.ctl unless told otherwise;
    a second instance would take it over, and the first to stop delete it.
    """
    _, uri = setup_app(app_factory)
    sockets = [processes.logs / "gunicorn.ctl", processes.logs / "gunicorn-2.ctl"]
    if any(len(str(socket)) > 100 for socket in sockets):
        pytest.skip("the temporary directory's path is too long for a Unix socket")
    home = tmp_path / "home"
    home.mkdir()
    ports = [free_port(), free_port()]
    servers = []
    for port in ports:
        env = app_env(uri, tmp_path, BASE_URL=f"http://127.0.0.1:{port}")
        env.pop("XDG_RUNTIME_DIR", None)  # gunicorn's default would be there, not in $HOME
        servers.append(processes.gunicorn({**env, "HOME": str(home)}, port, workers=1))
    for server, port in zip(servers, ports, strict=True):
        wait_healthy(server, port)
    assert wait_until(lambda: all(socket.is_socket() for socket in sockets), timeout=10), [
        server.output for server in servers
    ]
    servers[0].stop()
    assert sockets[1].is_socket(), "stopping one server left the other's socket alone"
    assert get_status(ports[1], "/healthz") == 200
    assert not (home / ".gunicorn").exists()
