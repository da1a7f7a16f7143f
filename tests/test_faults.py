"""Faults: the mail worker killed, stopped, doubled, or left without a server.

`flask outbox work` runs as a real subprocess against this test's database
(the SQLite copy or the PostgreSQL database conftest prepares) and a real
aiosmtpd server on 127.0.0.1. Delivery is at least once (see the docstring
of signon/services/outbox.py): a worker killed between the server's "250"
and its commit sends that one message again; nothing else is ever lost or
doubled.
"""

from __future__ import annotations

import datetime as dt
import signal
import subprocess
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from factories import make_statement
from flask import Flask
from helpers import VALID_FORM, free_port, make_due, sign
from processes import (
    Recorder,
    app_env,
    mail_settings,
    post_form,
    run_worker_once,
    smtp_server,
    wait_healthy,
    wait_until,
)
from sqlalchemy import select, update

from signon.database import utcnow, write_transaction
from signon.extensions import db
from signon.models import OutboxMessage, OutboxState

pytestmark = pytest.mark.slow

SLUG = "fault-statement"


# --- fixtures and helpers --------------------------------------------------


def addresses(count: int) -> list[str]:
    return [f"signatory.{n:03d}@org{n:03d}.example.org" for n in range(count)]


def queued_app(app_factory, emails: list[str]) -> tuple[Flask, str]:
    """An app with an open statement signed once per address (in process).

    Returns the app and the database URI for subprocesses.
    """
    app = app_factory()
    with app.app_context():
        make_statement(SLUG)
    client = app.test_client()
    for address in emails:
        response = sign(client, SLUG, contact_email=address)
        assert response.status_code == 303, response.get_data(as_text=True)
    return app, app.config["SQLALCHEMY_DATABASE_URI"]


def rows(app: Flask) -> dict[str, OutboxMessage]:
    """The outbox by recipient (one message each in these tests)."""
    with app.app_context():
        messages = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        db.session.expunge_all()
        db.session.remove()
    by_recipient = {message.recipient: message for message in messages}
    assert len(by_recipient) == len(messages), "more than one message for an address"
    return by_recipient


def states(app: Flask) -> Counter[OutboxState]:
    return Counter(row.state for row in rows(app).values())


def sent_count(output: str) -> int:
    """N from the worker's last line, "Sent N, retrying R, failed F." """
    line = [line for line in output.splitlines() if line.startswith("Sent ")][-1]
    return int(line.split()[1].rstrip(","))


# --- a worker killed -------------------------------------------------------


def test_worker_killed_mid_batch_loses_nothing(app_factory, processes, tmp_path):
    """SIGKILL mid-batch: claimed rows wait out the lease, then go; at most one goes twice."""
    emails = addresses(10)
    app, uri = queued_app(app_factory, emails)
    port = free_port()
    with smtp_server(Recorder(delay=0.3), port) as server:
        env = app_env(uri, tmp_path, **mail_settings(port, OUTBOX_BATCH_SIZE=10))
        worker = processes.worker(env)
        assert server.wait_for(2, timeout=20), worker.output
        worker.kill_group()  # SIGKILL, at once: no handler runs
        killed_at = time.monotonic()
        worker.wait(5)
        received_before = server.counts()
        assert 2 <= sum(received_before.values()) <= 3, received_before

        # Nothing is lost: sent rows were received, every other row is still claimed.
        at_kill = rows(app)
        assert set(at_kill) == set(emails)
        by_state = Counter(row.state for row in at_kill.values())
        assert set(by_state) <= {OutboxState.sent, OutboxState.sending}, by_state
        assert by_state[OutboxState.sending] >= 7, by_state
        sent_at_kill = {a for a, row in at_kill.items() if row.state is OutboxState.sent}
        assert sent_at_kill <= set(received_before)
        # What the server took but the worker never recorded: at most the one in flight.
        in_flight = set(received_before) - sent_at_kill
        assert len(in_flight) <= 1, in_flight
        print(
            f"\n[kill] server had {sum(received_before.values())}, rows sent "
            f"{len(sent_at_kill)}, sending {by_state[OutboxState.sending]}, "
            f"accepted but unrecorded {len(in_flight)}"
        )

        # A worker started after the lease ran out delivers the rest.
        server.delay = 0.0
        time.sleep(max(0.0, killed_at + 1.2 - time.monotonic()))
        env = app_env(uri, tmp_path, **mail_settings(port, OUTBOX_LEASE_SECONDS=1))
        code, output = run_worker_once(processes, env)
    assert code == 0, output
    assert sent_count(output) == by_state[OutboxState.sending]

    counts = server.counts()
    assert set(counts) == set(emails)  # everyone got their email
    twice = {address for address, count in counts.items() if count > 1}
    assert twice <= in_flight  # at-least-once: only the message in flight repeats
    assert max(counts.values()) <= 2
    assert all(counts[a] == 1 for a in sent_at_kill)
    assert states(app) == {OutboxState.sent: 10}


# --- a worker stopped ------------------------------------------------------


def test_sigterm_while_idle_exits_at_once(app_factory, processes, tmp_path):
    """SIGTERM to an idle worker: exit code 0 straight away, not after the poll interval."""
    emails = addresses(1)
    app, uri = queued_app(app_factory, emails)
    port = free_port()
    with smtp_server(Recorder(), port) as server:
        env = app_env(uri, tmp_path, **mail_settings(port, OUTBOX_POLL_SECONDS=30))
        worker = processes.worker(env)
        # Delivering the one message proves the worker is in its loop, signals handled.
        assert server.wait_for(1, timeout=20), worker.output
        assert wait_until(lambda: states(app) == {OutboxState.sent: 1}, timeout=5)
        time.sleep(0.3)  # now waiting for the next poll, in 30 s
        stopped = time.monotonic()
        worker.send(signal.SIGTERM)
        code = worker.wait(5)
        elapsed = time.monotonic() - stopped
    assert code == 0, worker.output
    assert elapsed < 3, elapsed
    assert "Sent 1, retrying 0, failed 0." in worker.stdout
    assert server.recipients == emails


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_stop_signal_finishes_the_message_in_flight(app_factory, processes, tmp_path, signum):
    """SIGTERM or Ctrl-C while a slow server takes a message: it ends sent, exit code 0."""
    emails = addresses(1)
    app, uri = queued_app(app_factory, emails)
    port = free_port()
    with smtp_server(Recorder(delay=2.0), port) as server:
        worker = processes.worker(app_env(uri, tmp_path, **mail_settings(port)))
        assert wait_until(lambda: server.started, timeout=20), worker.output
        worker.send(signum)  # the message is on the wire, the server still thinking
        code = worker.wait(10)
    assert code == 0, worker.output
    assert server.recipients == emails
    assert states(app) == {OutboxState.sent: 1}  # not stuck "sending" until the lease
    assert "Sent 1, retrying 0, failed 0." in worker.stdout


def test_sigterm_mid_batch_stops_after_the_message_in_hand(app_factory, processes, tmp_path):
    """SIGTERM during a batch: the worker stops after the message in hand, nothing left claimed.

    `flask outbox work --help`: "SIGTERM or Ctrl-C finish the message in hand
    first". A supervisor allows a stop only so long (Docker 10 s, Kubernetes
    30 s) before SIGKILL, which leaves the rest of the batch `sending` until
    OUTBOX_LEASE_SECONDS (10 minutes) and sends the message in flight twice.
    """
    emails = addresses(10)
    app, uri = queued_app(app_factory, emails)
    port = free_port()
    with smtp_server(Recorder(delay=1.0), port) as server:
        worker = processes.worker(app_env(uri, tmp_path, **mail_settings(port)))
        assert wait_until(lambda: server.started, timeout=20), worker.output
        worker.send(signal.SIGTERM)
        try:
            code = worker.wait(4)  # the message in hand takes 1 s; the batch 10 s
        except subprocess.TimeoutExpired:
            code = None
        assert code == 0, f"still running 4 s after SIGTERM, {len(server.recipients)} sent"
    final = rows(app)
    assert not [a for a, row in final.items() if row.state is OutboxState.sending]
    assert {a for a, row in final.items() if row.state is OutboxState.sent} == set(
        server.recipients
    )
    assert max(server.counts().values()) == 1


# --- two workers -----------------------------------------------------------


@pytest.mark.parametrize("mode", ["once", "polling"])
def test_two_workers_never_send_a_message_twice(app_factory, processes, tmp_path, mode):
    """Two workers on one database and server: 100 messages, each delivered exactly once.

    "once": two `--once` runs started together. "polling": two long-running
    workers polling every 50 ms, and all 100 messages become due at one
    instant, so both claim at the same time.
    """
    emails = addresses(100)
    app, uri = queued_app(app_factory, emails)
    port = free_port()
    settings = mail_settings(port, OUTBOX_BATCH_SIZE=5, OUTBOX_POLL_SECONDS=0.05)
    env = app_env(uri, tmp_path, **settings)
    if mode == "polling":
        with app.app_context():
            with write_transaction():
                db.session.execute(
                    update(OutboxMessage).values(next_attempt_at=utcnow() + dt.timedelta(days=1))
                )
            db.session.remove()
    with smtp_server(Recorder(delay=0.02), port) as server:
        workers = [processes.worker(env, once=mode == "once") for _ in range(2)]
        if mode == "polling":
            time.sleep(2.5)  # both are up and polling (nothing is due)
            assert [w.poll() for w in workers] == [None, None], workers[0].output
            assert server.recipients == []
            make_due(app)
            assert server.wait_for(100, timeout=30), [w.output for w in workers]
            time.sleep(0.5)  # anything sent twice would arrive now
            for worker in workers:
                worker.send(signal.SIGTERM)
        codes = [worker.wait(30) for worker in workers]
    outputs = [worker.output for worker in workers]
    assert codes == [0, 0], outputs
    assert server.counts() == Counter(emails)
    assert len(server.received) == 100
    assert states(app) == {OutboxState.sent: 100}
    shares = [sent_count(worker.stdout) for worker in workers]
    print(f"\n[two workers, {mode}] messages sent by each: {shares}")
    assert sum(shares) == 100
    assert all(shares), f"one worker sent everything, the test proved nothing: {shares}"
    for output in outputs:
        assert "locked" not in output.lower(), output


def test_live_worker_keeps_its_claim_past_the_lease(app_factory, processes, tmp_path):
    """A batch that outlasts OUTBOX_LEASE_SECONDS is not sent a second time by another worker.

    The docs: "after this, mail claimed by a *dead* worker is sent by
    another". Here both workers are alive; 10 messages at 0.5 s each take
    5 s, the lease is 2 s.
    """
    emails = addresses(10)
    app, uri = queued_app(app_factory, emails)
    port = free_port()
    settings = mail_settings(
        port, OUTBOX_BATCH_SIZE=10, OUTBOX_LEASE_SECONDS=2, OUTBOX_POLL_SECONDS=0.2
    )
    with smtp_server(Recorder(delay=0.5), port) as server:
        workers = [processes.worker(app_env(uri, tmp_path, **settings)) for _ in range(2)]
        assert server.wait_for(10, timeout=30), [w.output for w in workers]
        time.sleep(1.5)  # duplicates, if any, arrive now
        for worker in workers:
            worker.send(signal.SIGTERM)
        codes = [worker.wait(30) for worker in workers]
    assert codes == [0, 0], [w.output for w in workers]
    assert states(app) == {OutboxState.sent: 10}
    twice = sorted(address for address, count in server.counts().items() if count > 1)
    assert twice == [], f"{len(twice)} of 10 messages sent twice by two live workers"


# --- no mail server --------------------------------------------------------


def test_smtp_down_during_a_burst(app_factory, processes, tmp_path):
    """No SMTP server: signing works, the worker queues for retry, later delivers once."""
    app = app_factory()
    with app.app_context():
        make_statement(SLUG)
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    smtp_port, web_port = free_port(), free_port()  # nothing listens on smtp_port
    mail = mail_settings(smtp_port)
    gunicorn = processes.gunicorn(
        app_env(uri, tmp_path, BASE_URL=f"http://127.0.0.1:{web_port}", **mail), web_port
    )
    wait_healthy(gunicorn, web_port)

    emails = addresses(20)
    forms = [{**VALID_FORM, "contact_email": address} for address in emails]
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(
            pool.map(lambda form: post_form(web_port, f"/s/{SLUG}/sign", form), forms, timeout=30)
        )
    print(f"\n[smtp down] 20 signatures in {time.monotonic() - started:.2f} s")
    assert Counter(status for status, _ in results) == {303: 20}
    gunicorn.stop()
    assert "Traceback" not in gunicorn.output, gunicorn.output

    code, output = run_worker_once(processes, app_env(uri, tmp_path, **mail))
    assert code == 0, output
    assert "Sent 0, retrying 20, failed 0." in output
    queued = rows(app)
    assert set(queued) == set(emails)
    for row in queued.values():
        assert (row.state, row.attempts) == (OutboxState.queued, 1)
        assert row.last_error == "ConnectionRefusedError"
        assert row.next_attempt_at > utcnow()

    with smtp_server(Recorder(), smtp_port) as server:
        make_due(app)
        env = app_env(uri, tmp_path, **mail_settings(smtp_port, OUTBOX_BACKOFF_SECONDS=0))
        code, output = run_worker_once(processes, env)
        assert code == 0, output
        assert "Sent 20, retrying 0, failed 0." in output
        code, output = run_worker_once(processes, env)  # nothing left to send
        assert code == 0, output
        assert "Sent 0, retrying 0, failed 0." in output
    assert server.counts() == Counter(emails)
    final = rows(app)
    assert {(row.state, row.attempts) for row in final.values()} == {(OutboxState.sent, 1)}
