"""Production: the app as docs/deploy.md runs it, walked over HTTP as nginx presents it.

Real processes on 127.0.0.1, in production mode (no SIGNON_ENV): gunicorn
with deploy.md's sync workers and options, two `flask outbox work`, an
aiosmtpd server, PostgreSQL, and Redis for the rate limits and the page
cache. Requests carry the headers deploy.md's nginx sets (Host,
X-Forwarded-For/Proto/Host, with SIGNON_TRUSTED_PROXIES=1), for a site
served at an https address. Every Redis key the app writes carries this
test's own prefix and is deleted afterwards.

PostgreSQL only: deploy.md runs several mail workers only on PostgreSQL,
and several app servers share one database only there.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
import redis
from flask import Flask
from helpers import ADMIN_EMAIL, ADMIN_PASSWORD, ON_POSTGRES, VALID_FORM, csrf_token, free_port
from processes import (
    Process,
    Processes,
    ProxiedBrowser,
    Recorder,
    Reply,
    mail_settings,
    production_env,
    smtp_server,
    wait_healthy,
    wait_until,
)
from sqlalchemy import select

from config import Config
from signon.extensions import db
from signon.models import OutboxMessage, OutboxState

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        not ON_POSTGRES,
        reason="production runs two mail workers and several app servers on one database: "
        "PostgreSQL only (set SIGNON_TEST_DATABASE_URL)",
    ),
]

REDIS_URL = os.environ.get("SIGNON_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
BASE_URL = "https://sign.example.test"
SLUG = "production-statement"
TITLE = "Production Smoke Statement"
STATEMENT_FILE = f"""---
slug: {SLUG}
title: {TITLE}
publisher: The Test Federation
published_on: 2026-01-01
state: open
needs_verification: true
---
A statement served as in production, with a footnote.[^1]

[^1]: A source.
"""
# deploy.md, "gunicorn": sync workers (gunicorn's default class) and these options.
DEPLOY_OPTIONS = ("--max-requests", "10000", "--max-requests-jitter", "1000")
# Production's own default: how long each process reuses a statement it read.
WINDOW = Config.STATEMENT_CACHE_SECONDS
SLACK = 1.0  # seconds allowed past WINDOW for scheduling on a busy machine
CONTACT = {
    "org_name": "Harbour Dockers Solidarity",
    "contact_name": "Mira Hiddenname",
    "contact_email": "mira.hidden@harbour.example.org",
    "contact_role": "Organiser",
}


# --- fixtures and helpers --------------------------------------------------


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own on the test Redis; its keys are deleted after.

    Requested before ``processes``, so it is torn down after every process stopped.
    """
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError:
        if os.environ.get("CI"):
            raise  # CI starts Redis: a missing server is a failure there
        pytest.skip("no Redis server at " + REDIS_URL)
    prefix = f"signon-test-{uuid.uuid4().hex}"
    try:
        yield prefix
    finally:
        keys = list(client.scan_iter(match=f"*{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


def redis_keys(prefix: str) -> list[str]:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=5)
    try:
        return [key.decode() for key in client.scan_iter(match=f"*{prefix}*", count=1000)]
    finally:
        client.close()


def settings(prefix: str, smtp_port: int) -> dict[str, object]:
    """Production settings as deploy.md writes them, on this test's Redis prefix."""
    return {
        "SECRET_KEY": "k" + secrets.token_hex(32),  # never all digits, so never JSON
        "BASE_URL": BASE_URL,
        "TRUSTED_PROXIES": 1,
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": f"{prefix}-limits",
        "CACHE_TYPE": "RedisCache",
        "CACHE_REDIS_URL": REDIS_URL,
        "CACHE_KEY_PREFIX": f"{prefix}-cache:",
        "MAIL_DEFAULT_SENDER": "Statements <statements@example.test>",
        # Only for the test's pace: production polls every 5 s.
        **mail_settings(smtp_port, OUTBOX_POLL_SECONDS=0.1),
    }


def gunicorn_options(tmp_path: Path, name: str) -> tuple[str, ...]:
    """deploy.md's options, and a control socket of this instance's own.

    gunicorn 27 opens a control socket at ~/.gunicorn/gunicorn.ctl by default;
    a second instance on the machine would take it over, and the first to
    stop would delete it.
    """
    socket = tmp_path / f"{name}.ctl"
    if len(str(socket)) > 100:  # AF_UNIX paths are short
        return (*DEPLOY_OPTIONS, "--no-control-socket")
    return (*DEPLOY_OPTIONS, "--control-socket", str(socket))


def operator_commands(
    processes: Processes, env: dict[str, str], tmp_path: Path
) -> list[tuple[Process, str]]:
    """Start what the README's operator runs before the site opens; ``finish`` waits.

    `flask statements import FILE.md`, and `flask admin create EMAIL
    --password-stdin` (one line of standard input: no terminal needed). The
    schema is there already: conftest built it with the same migrations
    `flask db upgrade` runs.
    """
    statement = tmp_path / "statement.md"
    statement.write_text(STATEMENT_FILE, "utf-8")
    return [
        (
            processes.flask(env, "statements", "import", str(statement)),
            f"Created statement /s/{SLUG}.",
        ),
        (
            processes.flask(
                env, "admin", "create", ADMIN_EMAIL, "--password-stdin", stdin=ADMIN_PASSWORD
            ),
            f"Created admin {ADMIN_EMAIL}.",
        ),
    ]


def finish(commands: list[tuple[Process, str]]) -> None:
    """Wait for each command to end; each must succeed and say ``expected``."""
    for process, expected in commands:
        try:
            code = process.wait(60)
        finally:
            process.stop()
        assert code == 0, process.output
        assert expected in process.stdout, process.output
        assert ADMIN_PASSWORD not in process.output


def text_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def path_of_link(message: EmailMessage, kind: str) -> str:
    """The path of the ``kind`` link in an email; the link must be under BASE_URL."""
    match = re.search(rf"(https?://[^/\s]+)(/{kind}/[A-Za-z0-9_.\-]+)", text_of(message))
    assert match, f"no {kind} link in:\n{text_of(message)}"
    assert match.group(1) == BASE_URL, "links are built from BASE_URL, never the request"
    return match.group(2)


def one_email(server: Recorder, address: str, subject: str, timeout: float = 10) -> EmailMessage:
    """Wait for the email to ``address`` whose subject starts with ``subject``."""

    def found() -> list[EmailMessage]:
        return [m for m in server.messages_to(address) if m["Subject"].startswith(subject)]

    got = server.messages_to
    assert wait_until(found, timeout, interval=0.05), [m["Subject"] for m in got(address)]
    [message] = found()
    return message


def sign_form(**changes: str) -> dict[str, str]:
    return {**VALID_FORM, **CONTACT, **changes}


def log_in(admin: ProxiedBrowser) -> Reply:
    """Log in with the admin's password; the login's response."""
    page = admin.get("/admin/login")
    assert page.status == 200, page.text
    form = {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "csrf_token": csrf_token(page.text)}
    response = admin.post("/admin/login", form)
    assert response.status == 302, response.text
    assert response.header("Location") == "/admin/"
    return response


def verify_in_queue(admin: ProxiedBrowser, org_name: str) -> float:
    """Verify the one signature in the queue; when (monotonic) the verification was done."""
    queue = admin.get("/admin/")
    assert queue.status == 200, queue.text
    assert org_name in queue.text
    assert queue.header("Cache-Control") == "no-store"
    [signature_id] = re.findall(r'action="/admin/signatures/(\d+)/verify"', queue.text)
    response = admin.post(
        f"/admin/signatures/{signature_id}/verify",
        {"csrf_token": csrf_token(queue.text)},
        page="/admin/",
    )
    done = time.monotonic()
    assert response.status == 302, response.text
    after = admin.get("/admin/")
    assert f"Signature #{signature_id} verified" in after.text
    assert org_name not in after.text
    return done


def stop_workers(workers: list[Process]) -> list[int]:
    """SIGTERM every mail worker; how many messages each says it sent."""
    for worker in workers:
        worker.send(signal.SIGTERM)
    codes = [worker.wait(10) for worker in workers]
    assert codes == [0] * len(workers), [w.output for w in workers]
    sent = []
    for worker in workers:
        [line] = [line for line in worker.stdout.splitlines() if line.startswith("Sent ")]
        sent.append(int(line.split()[1].rstrip(",")))
    return sent


def outbox_states(app: Flask) -> Counter[tuple[str, OutboxState]]:
    with app.app_context():
        rows = db.session.execute(select(OutboxMessage.kind, OutboxMessage.state)).all()
        db.session.remove()
    return Counter((kind, state) for kind, state in rows)


def assert_clean(processes: Processes) -> None:
    """No process logged an error, a traceback or anything of the contact."""
    for process in processes.started:
        output = process.output
        for sign in ("Traceback", "[ERROR]", " ERROR ", "[CRITICAL]"):
            assert sign not in output, f"{process.name}:\n{output[-3000:]}"
        for secret in (CONTACT["contact_name"], CONTACT["contact_email"]):
            assert secret not in output, f"{process.name} logged {secret!r}"


def assert_public(reply: Reply) -> None:
    """A public page as a proxy may cache it: no cookie, shared for a minute, an ETag."""
    assert reply.status == 200, reply.text
    assert reply.header("Cache-Control") == "public, max-age=0, s-maxage=60"
    assert reply.header("ETag")
    assert reply.headers.get_all("Set-Cookie") is None


def assert_hardened(reply: Reply) -> None:
    """The headers production adds to every response."""
    assert reply.header("Strict-Transport-Security") == "max-age=63072000; includeSubDomains"
    assert "default-src 'self'" in reply.header("Content-Security-Policy")
    assert reply.header("X-Content-Type-Options") == "nosniff"


def until(predicate: Callable[[], object], since: float, timeout: float) -> float:
    """Seconds from ``since`` (monotonic) until ``predicate()`` held; fails after ``timeout``."""
    remaining = since + timeout - time.monotonic()
    assert wait_until(predicate, remaining, interval=0.02), f"not within {timeout:.1f} s"
    return time.monotonic() - since


# --- one server, as deploy.md sets it up -----------------------------------


def test_production_smoke(redis_prefix, app_factory, processes, tmp_path):
    """deploy.md's production set-up, walked from the statement page to the public list."""
    app = app_factory()  # this test's database (reads the outbox for the checks)
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    port, smtp_port = free_port(), free_port()
    env = production_env(uri, tmp_path, **settings(redis_prefix, smtp_port))
    assert "SIGNON_ENV" not in env

    with smtp_server(Recorder(), smtp_port) as server:
        commands = operator_commands(processes, env, tmp_path)
        gunicorn = processes.gunicorn(
            env, port, workers=4, options=gunicorn_options(tmp_path, "web")
        )
        workers = [processes.worker(env) for _ in range(2)]
        finish(commands)
        wait_healthy(gunicorn, port)
        visitor = ProxiedBrowser(BASE_URL, port, client_ip="203.0.113.10")

        health = visitor.get("/healthz")
        assert health.status == 200, health.text
        assert json.loads(health.text) == {"status": "ok", "database": "ok"}
        assert health.header("Cache-Control") == "no-store"
        assert_hardened(health)

        # A visitor reads the statement and signs it.
        page = visitor.get(f"/s/{SLUG}")
        assert_public(page)
        assert_hardened(page)
        assert TITLE in page.text and "Sign on behalf of your organisation" in page.text
        assert "No one has signed yet." in page.text
        signed = visitor.post(f"/s/{SLUG}/sign", sign_form(), page=f"/s/{SLUG}")
        assert signed.status == 303, signed.text
        assert signed.header("Location") == f"/s/{SLUG}/signed"
        assert "Check your email" in visitor.get(f"/s/{SLUG}/signed").text

        # The contact opens the emailed link and presses the button.
        email = CONTACT["contact_email"]
        confirm_email = one_email(server, email, "Please confirm your signature")
        assert TITLE in confirm_email["Subject"]
        # The statement's publisher by name, at the configured sender's address.
        assert confirm_email["From"] == "The Test Federation <statements@example.test>"
        confirm = path_of_link(confirm_email, "confirm")
        button = visitor.get(confirm)
        assert button.status == 200 and "Confirm our signature" in button.text
        assert button.header("Cache-Control") == "no-store"
        pressed = visitor.post(confirm, {})
        assert pressed.status == 303, pressed.text
        assert "Your signature is confirmed" in visitor.get(confirm).text
        assert CONTACT["org_name"] not in visitor.get(f"/s/{SLUG}").text, "not before verified"

        # The admin made on the command line logs in and verifies it.
        admin = ProxiedBrowser(BASE_URL, port, client_ip="198.51.100.20")
        cookies = log_in(admin).headers.get_all("Set-Cookie")
        for name in ("session", "signon_admin_device"):
            [cookie] = [header for header in cookies if header.startswith(f"{name}=")]
            for flag in ("Secure", "HttpOnly", "SameSite=Lax"):
                assert flag in cookie, cookie
        verified_at = verify_in_queue(admin, CONTACT["org_name"])

        # Listed, within the second each process keeps a statement.
        def listed() -> bool:
            reply = visitor.get(f"/s/{SLUG}")
            return CONTACT["org_name"] in reply.text and "1 organisation" in reply.text

        elapsed = until(listed, verified_at, WINDOW + SLACK)
        print(f"\n[production] listed {elapsed:.2f} s after the verification")
        assert_public(visitor.get(f"/s/{SLUG}"))

        verified_email = one_email(server, email, "Your organisation is now listed")
        assert TITLE in verified_email["Subject"]
        assert path_of_link(verified_email, "withdraw")
        time.sleep(0.5)  # an email sent twice would arrive by now
        sent = stop_workers(workers)

    # Two mail workers, two emails, each delivered once.
    assert server.counts() == {email: 2}
    assert [m["Subject"] for m in server.messages_to(email)] == [
        confirm_email["Subject"],
        verified_email["Subject"],
    ]
    assert sum(sent) == 2, sent
    assert outbox_states(app) == {
        ("confirm", OutboxState.sent): 1,
        ("verified", OutboxState.sent): 1,
    }

    # Limits and pages really lived in Redis, under hashed keys only.
    keys = redis_keys(redis_prefix)
    assert any(f"{redis_prefix}-limits" in key for key in keys), keys
    assert any(key.startswith(f"{redis_prefix}-cache:page:") for key in keys), keys
    for key in keys:
        assert "203.0.113.10" not in key and "@" not in key, key

    gunicorn.stop()
    assert_clean(processes)


# --- two app servers -------------------------------------------------------


def test_two_app_processes_share_state(redis_prefix, app_factory, processes, tmp_path):
    """Two gunicorn instances, two mail workers, one PostgreSQL, one Redis: one site.

    The journey crosses instances; a change made through one shows on the
    other within STATEMENT_CACHE_SECONDS (each process's statement
    micro-cache) and stays shown; a rate limit counts requests to both.
    """
    app = app_factory()
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    port_a, port_b, smtp_port = free_port(), free_port(), free_port()
    env = production_env(uri, tmp_path, **settings(redis_prefix, smtp_port))
    page = f"/s/{SLUG}"
    org = CONTACT["org_name"]

    with smtp_server(Recorder(), smtp_port) as server:
        commands = operator_commands(processes, env, tmp_path)
        a = processes.gunicorn(env, port_a, workers=2, options=gunicorn_options(tmp_path, "a"))
        b = processes.gunicorn(env, port_b, workers=2, options=gunicorn_options(tmp_path, "b"))
        workers = [processes.worker(env) for _ in range(2)]
        finish(commands)
        wait_healthy(a, port_a)
        wait_healthy(b, port_b)
        visitor = ProxiedBrowser(BASE_URL, port_a, client_ip="203.0.113.30")

        def both(settled_after: float, check: Callable[[Reply], None]) -> str:
            """The page's one ETag on A and B, from ``settled_after`` (monotonic) on.

            Every reply of A and B, asked four times each, passes ``check`` and
            carries that ETag, and both revalidate it with a 304.
            """
            time.sleep(max(0.0, settled_after - time.monotonic()))
            replies = [visitor.get(page, port=port) for port in (port_a, port_b) * 4]
            for reply in replies:
                assert_public(reply)
                check(reply)
            etags = {reply.header("ETag") for reply in replies}
            assert len(etags) == 1, etags
            [etag] = etags
            # And revalidation: a 304 from either instance.
            for port in (port_a, port_b):
                assert visitor.get(page, {"If-None-Match": etag}, port=port).status == 304
            return etag

        def unlisted(reply: Reply) -> None:
            assert "No one has signed yet." in reply.text
            assert org not in reply.text

        def listed(reply: Reply) -> None:
            assert "1 organisation" in reply.text and org in reply.text

        def changed(port: int, etag: str, shows: str) -> Callable[[], bool]:
            """Whether ``port`` revalidates ``etag`` with a new page that ``shows`` this."""

            def check() -> bool:
                reply = visitor.get(page, {"If-None-Match": etag}, port=port)
                return reply.status == 200 and shows in reply.text

            return check

        # Before anything: the same page, under the same ETag, from both.
        etag_empty = both(0, unlisted)

        # Sign on A; confirm on B; B sees what A stored.
        signed = visitor.post(f"{page}/sign", sign_form(), page=page, port=port_a)
        assert signed.status == 303, signed.text
        email = CONTACT["contact_email"]
        confirm = path_of_link(
            one_email(server, email, "Please confirm your signature"), "confirm"
        )
        assert "Confirm our signature" in visitor.get(confirm, port=port_b).text
        assert visitor.post(confirm, {}, port=port_b).status == 303
        assert "Your signature is confirmed" in visitor.get(confirm, port=port_a).text

        # Verify on B: A's page, its ETag and its count change within the window.
        admin = ProxiedBrowser(BASE_URL, port_b, client_ip="198.51.100.40")
        log_in(admin)
        verified_at = verify_in_queue(admin, org)
        elapsed = until(changed(port_a, etag_empty, "1 organisation"), verified_at, WINDOW + SLACK)
        etag_listed = both(verified_at + WINDOW + 0.05, listed)
        assert etag_listed != etag_empty
        print(f"\n[two instances] A showed B's verification after {elapsed:.2f} s")

        # Withdraw on A (the link in the second email): gone from both.
        verified_email = one_email(server, email, "Your organisation is now listed")
        withdraw = path_of_link(verified_email, "withdraw")
        assert "Withdraw your signature" in visitor.get(withdraw, port=port_a).text
        gone = visitor.post(withdraw, {}, port=port_a)
        withdrawn_at = time.monotonic()
        assert gone.status == 303, gone.text
        assert gone.header("Location") == f"{page}/withdrawn"
        nobody = "No one has signed yet."
        elapsed = until(changed(port_b, etag_listed, nobody), withdrawn_at, WINDOW + SLACK)
        etag_after = both(withdrawn_at + WINDOW + 0.05, unlisted)
        assert etag_after not in (etag_empty, etag_listed)
        for port in (port_a, port_b):
            assert org not in visitor.get(f"{page}/signatories", port=port).text
        print(f"[two instances] B showed A's withdrawal after {elapsed:.2f} s")

        # RATELIMIT_SIGN_PER_ADDRESS, 5 per hour: the cheapest limit. Alternating
        # A, B, A, ... a memory store would count 3 on each (fewer per worker).
        flooder = ProxiedBrowser(BASE_URL, port_a, client_ip="192.0.2.50")
        flooded = "flood.target@example.org"
        form = sign_form(contact_email=flooded, org_name="Flood Target Org")
        assert Config.RATELIMIT_SIGN_PER_ADDRESS == "5 per hour"
        statuses = [
            flooder.post(f"{page}/sign", form, page=page, port=(port_a, port_b)[n % 2]).status
            for n in range(6)
        ]
        assert statuses == [303] * 5 + [429], statuses
        refused = flooder.post(f"{page}/sign", form, page=page, port=port_a)
        assert refused.status == 429
        assert refused.header("Cache-Control") == "no-store"
        assert "Please try again in" in refused.text
        assert int(refused.header("Retry-After")) > 0
        other = sign_form(contact_email="someone.else@example.org", org_name="Other Org")
        assert flooder.post(f"{page}/sign", other, page=page, port=port_b).status == 303

        # The journey's two emails, one for the flooded address, one for the other.
        assert server.wait_for(4, timeout=10), server.counts()
        time.sleep(0.5)  # an email sent twice would arrive by now
        sent = stop_workers(workers)

    assert server.counts() == {email: 2, flooded: 1, "someone.else@example.org": 1}
    assert sum(sent) == 4, sent
    states = outbox_states(app)
    assert {state for _, state in states} == {OutboxState.sent}, states

    keys = redis_keys(redis_prefix)
    assert any(f"{redis_prefix}-limits" in key and "addr:" in key for key in keys), keys
    for key in keys:
        assert "192.0.2.50" not in key and "@" not in key, key

    a.stop()
    b.stop()
    assert_clean(processes)
