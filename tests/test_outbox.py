"""The outbox worker against real SMTP conversations on loopback.

Every SMTP server here is real: aiosmtpd on 127.0.0.1 with a handler that
records envelopes (or refuses them), a port nothing listens on, or a socket
that accepts and never speaks. Nothing in smtplib or Flask-Mail is mocked.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import itertools
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller
from factories import make_statement
from flask import Flask
from helpers import free_port, make_due, outbox, sign
from sqlalchemy import select, update

from signon.database import utcnow, write_transaction
from signon.extensions import db, mail
from signon.models import OutboxMessage, OutboxState, Signature
from signon.services import outbox as outbox_service
from signon.services import signing

CONTACT = "alex.private@example.org"  # VALID_FORM's contact_email
SLUG = "test-statement"


# --- SMTP servers ----------------------------------------------------------


class Recorder:
    """An aiosmtpd handler that keeps every accepted message.

    ``rcpt_reply`` and ``data_reply`` map a recipient to the reply to give
    instead of "250"; a list of replies is used up one per conversation, so
    a server can refuse first and accept later.
    """

    def __init__(
        self,
        rcpt_reply: dict[str, str | list[str]] | None = None,
        data_reply: dict[str, str | list[str]] | None = None,
        on_data: Callable[[str], None] | None = None,
    ) -> None:
        self.rcpt_reply = rcpt_reply or {}
        self.data_reply = data_reply or {}
        self.on_data = on_data
        self.received: list[tuple[str, list[str], bytes]] = []
        self.attempts: list[bytes] = []  # every DATA, accepted or not
        self.greetings: list[str] = []  # the name each client gave in EHLO
        self.lock = threading.Lock()

    @staticmethod
    def _reply(replies: dict[str, str | list[str]], address: str) -> str | None:
        reply = replies.get(address)
        if isinstance(reply, list):
            return reply.pop(0) if reply else None
        return reply

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self._reply(self.rcpt_reply, address)
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        content = bytes(envelope.content)
        with self.lock:
            self.attempts.append(content)
            self.greetings.append(session.host_name)
        for address in envelope.rcpt_tos:
            reply = self._reply(self.data_reply, address)
            if reply is not None:
                return reply
        if self.on_data is not None:
            self.on_data(envelope.rcpt_tos[0])
        with self.lock:
            self.received.append((envelope.mail_from, list(envelope.rcpt_tos), content))
        return "250 Message accepted for delivery"

    @property
    def recipients(self) -> list[str]:
        with self.lock:
            return [rcpt for _, rcpts, _ in self.received for rcpt in rcpts]


@pytest.fixture
def smtp() -> Iterator[Callable[..., tuple[Recorder, int]]]:
    """Start aiosmtpd on 127.0.0.1: ``smtp(handler=None, port=None)`` → (handler, port)."""
    controllers: list[Controller] = []

    def start(handler: Recorder | None = None, port: int | None = None) -> tuple[Recorder, int]:
        handler = handler or Recorder()
        port = port or free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        controllers.append(controller)
        return handler, port

    yield start
    for controller in controllers:
        controller.stop()


@contextmanager
def silent_server(hold: float = 5.0) -> Iterator[int]:
    """A TCP server on 127.0.0.1 that accepts and never says a word; its port.

    Its thread ends by itself after ``hold`` seconds, or as soon as the block
    is left.
    """
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    stop = threading.Event()
    accepted: list[socket.socket] = []

    def serve() -> None:
        deadline = time.monotonic() + hold
        try:
            while not stop.is_set() and time.monotonic() < deadline:
                try:
                    connection, _ = listener.accept()
                except TimeoutError:
                    continue
                accepted.append(connection)
            # Holds every connection open, silent, until told to stop.
        finally:
            for connection in accepted:
                connection.close()
            listener.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(hold + 1)
        assert not thread.is_alive()


# --- helpers ---------------------------------------------------------------


def smtp_app(app_factory: Callable[..., Flask], port: int, **settings: object) -> Flask:
    """An app that really sends, to 127.0.0.1:``port``, with an open statement."""
    app = app_factory(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_SUPPRESS_SEND=False, **settings
    )
    with app.app_context():
        make_statement(SLUG)
    return app


def sign_as(app: Flask, *emails: str) -> None:
    """Sign the statement once per address; each request must answer 303."""
    client = app.test_client()
    for address in emails:
        response = sign(client, SLUG, contact_email=address)
        assert response.status_code == 303, response.get_data(as_text=True)


def deliver(app: Flask, limit: int | None = None) -> outbox_service.DeliveryReport:
    """One worker step, in a fresh app context."""
    with app.app_context():
        return outbox_service.deliver_due(limit)


def only(app: Flask) -> OutboxMessage:
    """The one message in the outbox."""
    messages = outbox(app)
    assert len(messages) == 1, messages
    return messages[0]


def parse(content: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(content, policy=email.policy.default)


# --- delivery --------------------------------------------------------------


def test_delivers_through_real_smtp_server(app_factory, smtp):
    """A confirmation email reaches a real SMTP server, complete, and its row is marked sent."""
    server, port = smtp()
    app = smtp_app(app_factory, port)
    sign_as(app, CONTACT)
    assert only(app).state is OutboxState.queued
    assert server.received == []  # the request only queued it

    report = deliver(app)

    assert (report.claimed, report.sent, report.retrying, report.failed) == (1, 1, 0, 0)
    assert len(server.received) == 1
    mail_from, rcpt_tos, content = server.received[0]
    assert rcpt_tos == [CONTACT]
    assert mail_from == "noreply@localhost"
    message = parse(content)
    assert message["To"] == CONTACT
    # From the statement's publisher by name, at the site's own address.
    assert message["From"] == "Test Publishers <noreply@localhost>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert "A Test Statement" in message["Subject"]
    assert message.is_multipart()
    types = {part.get_content_type() for part in message.walk()}
    assert {"text/plain", "text/html"} <= types
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    confirm = re.search(r"\S+/confirm/[A-Za-z0-9_.\-]+", text)
    assert confirm, text
    assert confirm.group(0).startswith("http://signon.test/confirm/")
    assert confirm.group(0) in html
    row = only(app)
    assert row.state is OutboxState.sent
    assert row.sent_at is not None
    assert row.claimed_at is None
    assert row.attempts == 0
    assert message["Message-ID"] == (
        f"<outbox-{row.id}.{row.created_at:%Y%m%d%H%M%S}@signon.test>"
    )
    # The link works on the site it names.
    path = confirm.group(0).removeprefix("http://signon.test")
    assert app.test_client().get(path).status_code == 200

    # Nothing left to do: a second run sends nothing more.
    assert deliver(app).claimed == 0
    assert len(server.received) == 1


def test_recorder_captures_message_under_testing(app, client, ctx):
    """Under TESTING (sending suppressed) Flask-Mail's recorder gets the message; row is sent."""
    make_statement(SLUG)
    assert sign(client, SLUG).status_code == 303

    with mail.record_messages() as recorded:
        report = outbox_service.deliver_due()

    assert report.sent == 1
    assert len(recorded) == 1
    assert recorded[0].recipients == [CONTACT]
    assert "A Test Statement" in recorded[0].subject
    assert recorded[0].extra_headers == {"Auto-Submitted": "auto-generated"}
    row = only(app)
    assert row.state is OutboxState.sent
    assert row.sent_at is not None


def test_refused_connection_retries_with_backoff_then_delivers(app_factory, smtp):
    """Refused SMTP: signing is unaffected, the row backs off, and goes once the server is up."""
    port = free_port()  # nothing listens here yet
    app = smtp_app(app_factory, port, OUTBOX_BACKOFF_SECONDS=120)
    started = time.monotonic()
    sign_as(app, CONTACT)
    assert time.monotonic() - started < 1.0
    row = only(app)
    assert (row.state, row.attempts, row.last_error) == (OutboxState.queued, 0, None)

    before = utcnow()
    report = deliver(app)
    after = utcnow()

    assert (report.claimed, report.sent, report.retrying, report.failed) == (1, 0, 1, 0)
    assert len(report.errors) == 1
    row = only(app)
    assert row.state is OutboxState.queued
    assert row.attempts == 1
    assert row.claimed_at is None
    assert row.last_error
    assert "ConnectionRefused" in row.last_error
    assert "@" not in row.last_error and "@" not in report.errors[0]
    delay = dt.timedelta(seconds=120)
    assert before + delay <= row.next_attempt_at <= after + delay
    # Not due yet: a worker leaves it alone.
    assert deliver(app).claimed == 0

    server, _ = smtp(port=port)
    assert deliver(app).claimed == 0  # still backing off
    make_due(app)
    report = deliver(app)

    assert (report.claimed, report.sent) == (1, 1)
    assert server.recipients == [CONTACT]
    row = only(app)
    assert row.state is OutboxState.sent
    assert row.sent_at is not None
    assert row.attempts == 1  # the history stays
    assert deliver(app).claimed == 0
    assert server.recipients == [CONTACT]


def test_backoff_doubles_up_to_cap_then_fails(app_factory):
    """Each failure doubles the wait (capped); after MAX_ATTEMPTS the row is failed, not gone."""
    app = smtp_app(
        app_factory,
        free_port(),
        OUTBOX_BACKOFF_SECONDS=10,
        OUTBOX_MAX_BACKOFF_SECONDS=30,
        OUTBOX_MAX_ATTEMPTS=5,
    )
    sign_as(app, CONTACT)

    for attempt, seconds in enumerate([10, 20, 30, 30], start=1):
        before = utcnow()
        report = deliver(app)
        after = utcnow()
        assert (report.claimed, report.retrying, report.failed) == (1, 1, 0)
        row = only(app)
        assert (row.state, row.attempts) == (OutboxState.queued, attempt)
        delay = dt.timedelta(seconds=seconds)
        assert before + delay <= row.next_attempt_at <= after + delay, attempt
        assert row.failed_at is None
        make_due(app)

    report = deliver(app)
    assert (report.claimed, report.retrying, report.failed) == (1, 0, 1)
    row = only(app)
    assert row.state is OutboxState.failed
    assert row.attempts == 5
    assert row.failed_at is not None
    assert row.last_error
    assert row.sent_at is None
    # Failed rows are kept, and never handed out again.
    make_due(app)
    assert deliver(app).claimed == 0
    assert only(app).state is OutboxState.failed


@pytest.mark.parametrize(
    ("stage", "reply", "state", "error"),
    [
        ("rcpt", "550 5.1.1 No such user", OutboxState.failed, "SMTPRecipientsRefused 550"),
        ("rcpt", "451 4.3.0 Try later", OutboxState.queued, "SMTPRecipientsRefused 451"),
        ("data", "554 5.6.0 Message refused", OutboxState.failed, "SMTPDataError 554"),
        ("data", "451 4.3.0 Try later", OutboxState.queued, "SMTPDataError 451"),
    ],
)
def test_smtp_reply_codes_decide_fail_or_retry(app_factory, smtp, stage, reply, state, error):
    """A 5xx refusal fails the message after one attempt; a 4xx one queues it for retry."""
    handler = Recorder(**{f"{stage}_reply": {CONTACT: reply}})
    server, port = smtp(handler)
    app = smtp_app(app_factory, port)
    sign_as(app, CONTACT)

    report = deliver(app)

    assert report.sent == 0
    assert (report.failed, report.retrying) == ((1, 0) if state is OutboxState.failed else (0, 1))
    assert server.received == []
    row = only(app)
    assert row.state is state
    assert row.attempts == 1
    assert row.last_error == error  # the code, never the server's text
    assert (row.failed_at is not None) == (state is OutboxState.failed)
    assert row.claimed_at is None
    if state is OutboxState.failed:
        make_due(app)
        assert deliver(app).claimed == 0


def test_retry_after_temporary_refusal_keeps_message_id(app_factory, smtp):
    """A message refused with 4xx at DATA is sent on retry with the same Message-ID."""
    handler = Recorder(data_reply={CONTACT: ["451 4.3.0 Try later"]})
    server, port = smtp(handler)
    app = smtp_app(app_factory, port)
    sign_as(app, CONTACT)

    assert deliver(app).retrying == 1
    make_due(app)
    assert deliver(app).sent == 1

    assert len(server.attempts) == 2
    first, second = (parse(content)["Message-ID"] for content in server.attempts)
    assert first == second
    assert server.recipients == [CONTACT]
    assert only(app).state is OutboxState.sent


def test_refused_recipient_does_not_stop_the_batch(app_factory, smtp):
    """One 550 recipient fails alone; the other messages of the batch are delivered."""
    bad = "nobody@example.org"
    server, port = smtp(Recorder(rcpt_reply={bad: "550 5.1.1 No such user"}))
    app = smtp_app(app_factory, port)
    sign_as(app, "first@example.org", bad, "third@example.org")

    report = deliver(app)

    assert (report.claimed, report.sent, report.failed, report.retrying) == (3, 2, 1, 0)
    assert server.recipients == ["first@example.org", "third@example.org"]
    states = {row.recipient: row.state for row in outbox(app)}
    assert states == {
        "first@example.org": OutboxState.sent,
        bad: OutboxState.failed,
        "third@example.org": OutboxState.sent,
    }


def test_connection_lost_mid_batch_retries_the_rest(app_factory, smtp):
    """Server closes mid-batch (421): sent ones stay sent, every message left is retried."""
    server, port = smtp(Recorder(rcpt_reply={"second@example.org": "421 4.3.2 Shutting down"}))
    app = smtp_app(app_factory, port, OUTBOX_BACKOFF_SECONDS=60)
    sign_as(app, "first@example.org", "second@example.org", "third@example.org")

    report = deliver(app)

    assert (report.claimed, report.sent, report.retrying, report.failed) == (3, 1, 2, 0)
    assert server.recipients == ["first@example.org"]
    rows = {row.recipient: row for row in outbox(app)}
    assert rows["first@example.org"].state is OutboxState.sent
    for address in ("second@example.org", "third@example.org"):
        row = rows[address]
        assert (row.state, row.attempts) == (OutboxState.queued, 1), address
        assert row.next_attempt_at > utcnow()
        assert row.claimed_at is None
    assert rows["third@example.org"].last_error == "SMTPServerDisconnected"


def test_a_message_that_cannot_be_written_fails_alone(app_factory, smtp):
    """A row SMTP cannot carry (a non-ASCII local part) fails at once; the queue moves on."""
    handler, port = smtp()
    app = smtp_app(app_factory, port)
    sign_as(app, "first@example.org", "second@example.org")
    with app.app_context(), write_transaction():
        db.session.execute(
            update(OutboxMessage).where(OutboxMessage.id == 1).values(recipient="ü@example.org")
        )
    report = deliver(app)
    assert (report.sent, report.failed) == (1, 1)
    assert handler.recipients == ["second@example.org"]
    states = [(m.recipient, m.state) for m in outbox(app)]
    assert states == [
        ("ü@example.org", OutboxState.failed),
        ("second@example.org", OutboxState.sent),
    ]


def test_server_dropping_the_connection_mid_message_is_retried(app_factory, smtp):
    """A server that hangs up during DATA delays the message; it goes once the server is well."""
    dropped: list[str] = []

    def hang_up_once(recipient: str) -> None:
        if not dropped:
            dropped.append(recipient)
            raise ConnectionResetError("hung up mid-message")

    handler, port = smtp(Recorder(on_data=hang_up_once))
    app = smtp_app(app_factory, port, OUTBOX_BACKOFF_SECONDS=0)
    sign_as(app, CONTACT)
    report = deliver(app)
    assert report.sent == 0 and only(app).state is OutboxState.queued
    assert only(app).attempts == 1, only(app).last_error
    make_due(app)
    assert deliver(app).sent == 1
    assert handler.recipients == [CONTACT] and only(app).state is OutboxState.sent


def test_silent_server_times_out(app_factory):
    """A server that accepts but never answers costs MAIL_TIMEOUT, not a hung worker."""
    with silent_server() as port:
        app = smtp_app(app_factory, port, MAIL_TIMEOUT=1)
        sign_as(app, CONTACT)
        started = time.monotonic()
        report = deliver(app)
        elapsed = time.monotonic() - started

    assert elapsed < 3.0
    assert (report.claimed, report.sent, report.retrying) == (1, 0, 1)
    row = only(app)
    assert (row.state, row.attempts) == (OutboxState.queued, 1)
    assert row.last_error
    assert row.next_attempt_at > utcnow()


# --- claiming --------------------------------------------------------------


def test_claim_of_dead_worker_is_taken_over_after_lease(app_factory, smtp):
    """Rows claimed by a worker that died are delivered, each exactly once, after the lease."""
    server, port = smtp()
    app = smtp_app(app_factory, port, OUTBOX_LEASE_SECONDS=600)
    sign_as(app, "first@example.org", "second@example.org")

    with app.app_context():
        claimed = outbox_service.claim_due(10).ids  # ... and the worker is killed here
    assert len(claimed) == 2
    for row in outbox(app):
        assert row.state is OutboxState.sending
        assert row.claimed_at is not None

    # Within the lease nobody else takes them.
    assert deliver(app).claimed == 0
    assert server.received == []

    with app.app_context(), write_transaction():
        db.session.execute(
            update(OutboxMessage).values(claimed_at=utcnow() - dt.timedelta(seconds=601))
        )
    report = deliver(app)

    assert (report.claimed, report.sent) == (2, 2)
    assert sorted(server.recipients) == ["first@example.org", "second@example.org"]
    assert all(row.state is OutboxState.sent for row in outbox(app))
    assert deliver(app).claimed == 0
    assert len(server.received) == 2


def test_zero_lease_reclaims_at_once(app_factory, smtp):
    """With OUTBOX_LEASE_SECONDS=0 an abandoned claim is taken over by the next run."""
    server, port = smtp()
    app = smtp_app(app_factory, port, OUTBOX_LEASE_SECONDS=0)
    sign_as(app, CONTACT)
    with app.app_context():
        assert len(outbox_service.claim_due(10).ids) == 1

    assert deliver(app).sent == 1
    assert server.recipients == [CONTACT]
    assert only(app).state is OutboxState.sent


def test_batch_size_limits_a_claim_and_work_drains_all(app_factory, smtp):
    """OUTBOX_BATCH_SIZE bounds a claim; work(once=True) then sends every message exactly once."""
    server, port = smtp()
    app = smtp_app(app_factory, port, OUTBOX_BATCH_SIZE=2)
    addresses = [f"person{i}@example.org" for i in range(5)]
    sign_as(app, *addresses)

    report = deliver(app)
    assert (report.claimed, report.sent) == (2, 2)
    assert server.recipients == addresses[:2]

    with app.app_context():
        total = outbox_service.work(once=True, stop=threading.Event(), poll_seconds=0.01)

    assert (total.claimed, total.sent, total.retrying, total.failed) == (3, 3, 0, 0)
    assert sorted(server.recipients) == addresses
    assert len(server.received) == 5
    assert all(row.state is OutboxState.sent for row in outbox(app))


def test_the_timed_duties_run_once_per_poll_not_before_every_batch(app_factory, smtp, monkeypatch):
    """A busy worker's batches do not each run the feed; a feed that queued runs again."""
    server, port = smtp()
    app = smtp_app(app_factory, port, OUTBOX_BATCH_SIZE=1)
    sign_as(app, *(f"person{i}@example.org" for i in range(4)))
    calls: list[int] = []

    def idle_feed() -> int:
        calls.append(0)
        return 0

    with app.app_context():
        total = outbox_service.work(
            once=True, stop=threading.Event(), poll_seconds=60, feed=idle_feed
        )
    assert total.sent == 4 and len(server.received) == 4
    assert len(calls) == 1  # four batches, one feed

    # A clock that moves 70 s a reading: every batch comes a poll interval later.
    clock = itertools.count(step=70)
    monkeypatch.setattr(outbox_service, "time", SimpleNamespace(monotonic=lambda: next(clock)))
    sign_as(app, *(f"later{i}@example.org" for i in range(3)))
    calls.clear()
    with app.app_context():
        total = outbox_service.work(
            once=True, stop=threading.Event(), poll_seconds=60, feed=idle_feed
        )
    assert total.sent == 3
    assert len(calls) == 4  # before each of the three batches and the empty one

    queued = iter([2, 1, 0])

    def busy_feed() -> int:
        return next(queued, 0)

    with app.app_context():
        outbox_service.work(once=True, stop=threading.Event(), poll_seconds=60, feed=busy_feed)
    assert next(queued, None) is None  # run until it queued nothing


# --- withdrawal ------------------------------------------------------------


def test_mail_speaks_for_the_site_not_the_machine(app_factory, smtp):
    """Message-ID and the SMTP greeting name the sender's domain, never this host."""
    server, port = smtp()
    app = smtp_app(app_factory, port, MAIL_DEFAULT_SENDER="Statements <statements@example.org>")
    sign_as(app, CONTACT)
    assert deliver(app).sent == 1
    [(mail_from, _, content)] = server.received
    assert mail_from == "statements@example.org"
    assert parse(content)["Message-ID"].endswith("@example.org>")
    assert server.greetings == ["example.org"]


def test_non_ascii_subject_and_sender_arrive_intact(app_factory, smtp):
    """A long Russian title and a sender name with accents survive SMTP's encodings."""
    title = "Солидарность с журналистами и правозащитниками Чечни: заявление организаций"
    server, port = smtp()
    app = app_factory(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=port,
        MAIL_SUPPRESS_SEND=False,
        MAIL_DEFAULT_SENDER="Statements <statements@example.org>",
    )
    with app.app_context():
        # The publisher's name is the email's sender name.
        make_statement("russian", title=title, publisher="Fédération Solidarité")
    assert sign(app.test_client(), "russian").status_code == 303
    assert deliver(app).sent == 1
    [(_, _, content)] = server.received
    assert all(len(line) <= 998 for line in content.split(b"\r\n"))  # RFC 5322
    message = parse(content)
    assert message["Subject"] == f"Please confirm your signature: {title}"
    assert message["From"].addresses[0].display_name == "Fédération Solidarité"
    assert message["From"].addresses[0].addr_spec == "statements@example.org"
    assert title in message.get_body(preferencelist=("plain",)).get_content()


@pytest.mark.parametrize(
    ("subject", "sender_name"),
    [
        ("Please confirm your signature: Plain", None),
        (
            "Подтвердите подпись: " + "Солидарность с журналистами Чечни " * 4,
            "Fédération Solidarité",
        ),
        ("تأكيد التوقيع: بيان التضامن", 'اتحاد "العمال", فرع <الشمال>'),
        (
            "Workers, Peasants & Students: a subject " + "long " * 40,
            "Workers, Peasants & Students",
        ),
    ],
)
def test_the_quick_header_writer_writes_what_the_classic_one_does(app, subject, sender_name):
    """smtp._Policy skips work for one-line ASCII headers, and changes no byte."""
    from email.policy import compat32

    from signon.services import smtp

    row = smtp.Outgoing(
        id=7,
        kind="confirm",
        recipient="jane.doe@example.org",
        subject=subject,
        body_text="Hello,\n\nОдин два три.\n",
        body_html="<p>Hello,</p><p>واحد</p>",
        created_at=dt.datetime(2026, 11, 30, 12, 0, 0),
        sender_name=sender_name,
    )
    with app.app_context():
        message = smtp.to_message(row)._message()
    for number, part in enumerate(message.walk()):
        if part.is_multipart():
            part.set_boundary(f"=_fixed{number}")
    classic = compat32.clone(linesep="\r\n", max_line_length=None)
    assert message.as_bytes(policy=smtp._WRITE_POLICY) == message.as_bytes(policy=classic)


def test_each_multipart_has_a_boundary_of_its_own(app):
    """The boundaries set before writing are random: never the same twice, never in a part."""
    from signon.services import smtp

    row = smtp.Outgoing(7, "confirm", "a@example.org", "S", "text", "<p>html</p>", utcnow(), None)
    with app.app_context():
        written = [parse(smtp.to_message(row).as_bytes()) for _ in range(2)]
    boundaries = [part.get_boundary() for message in written for part in message.walk()]
    boundaries = [b for b in boundaries if b]
    assert len(boundaries) == len(set(boundaries)) == 4
    assert [m.get_body(preferencelist=("plain",)).get_content() for m in written] == ["text"] * 2


def test_withdrawn_signature_is_not_mailed(app_factory, smtp):
    """Withdrawing deletes the signature's queued email; the worker sends nothing."""
    server, port = smtp()
    app = smtp_app(app_factory, port)
    sign_as(app, CONTACT)
    assert len(outbox(app)) == 1

    with app.app_context(), write_transaction():
        signature = db.session.scalars(select(Signature)).one()
        assert signing.withdraw(signature)

    assert outbox(app) == []
    report = deliver(app)
    assert (report.claimed, report.sent) == (0, 0)
    assert server.received == []


def test_withdrawal_during_batch_skips_the_message(app_factory, smtp):
    """A message deleted by a withdrawal after its batch was claimed is not sent."""
    errors: list[Exception] = []
    app: Flask | None = None

    def withdraw_second(recipient: str) -> None:
        # While the first message is on the wire, the second signatory withdraws.
        if recipient != "first@example.org":
            return
        try:
            with app.app_context(), write_transaction():
                signature = db.session.scalars(
                    select(Signature).where(Signature.contact_email == "second@example.org")
                ).one()
                signing.withdraw(signature)
        except Exception as exc:  # noqa: BLE001 -- the test reports it, not the SMTP server
            errors.append(exc)

    server, port = smtp(Recorder(on_data=withdraw_second))
    app = smtp_app(app_factory, port)
    sign_as(app, "first@example.org", "second@example.org")

    report = deliver(app)

    assert errors == []
    assert (report.claimed, report.sent, report.retrying, report.failed) == (2, 1, 0, 0)
    assert server.recipients == ["first@example.org"]
    assert [row.recipient for row in outbox(app)] == ["first@example.org"]


# --- command line ----------------------------------------------------------


def test_cli_work_once_drains_and_prints_counts(app_factory, smtp):
    """`flask outbox work --once` delivers what is due and prints its counts."""
    server, port = smtp(Recorder(rcpt_reply={"gone@example.org": "550 5.1.1 No such user"}))
    app = smtp_app(app_factory, port)
    sign_as(app, "first@example.org", "second@example.org", "gone@example.org")

    result = app.test_cli_runner().invoke(args=["outbox", "work", "--once"])

    assert result.exit_code == 0, result.output
    assert "Sent 2, retrying 0, failed 1." in result.output
    assert sorted(server.recipients) == ["first@example.org", "second@example.org"]
    result = app.test_cli_runner().invoke(args=["outbox", "work", "--once"])
    assert result.exit_code == 0, result.output
    assert "Sent 0, retrying 0, failed 0." in result.output
    assert len(server.received) == 2


@pytest.mark.parametrize("args", [[], ["--once"]])
def test_cli_work_refuses_without_mail_server(app_factory, args):
    """`flask outbox work` without MAIL_SERVER (sending on) fails, naming SIGNON_MAIL_SERVER."""
    app = app_factory(MAIL_SUPPRESS_SEND=False)
    with app.app_context():
        make_statement(SLUG)
    sign_as(app, CONTACT)

    result = app.test_cli_runner().invoke(args=["outbox", "work", *args])

    assert result.exit_code != 0
    assert "SIGNON_MAIL_SERVER" in result.output
    assert only(app).state is OutboxState.queued  # nothing was touched


def test_cli_work_once_under_testing_defaults(app, client):
    """Under TESTING defaults (Flask-Mail suppresses sending) `flask outbox work --once` runs."""
    with app.app_context():
        make_statement(SLUG)
    assert sign(client, SLUG).status_code == 303
    assert app.extensions["mail"].suppress  # Flask-Mail would not send

    result = app.test_cli_runner().invoke(args=["outbox", "work", "--once"])

    assert result.exit_code == 0, result.output
    assert "Sent 1, retrying 0, failed 0." in result.output


def test_once_with_no_backoff_does_not_burn_every_attempt(app_factory):
    """SMTP down and OUTBOX_BACKOFF_SECONDS=0: one --once run costs each message one attempt."""
    app = smtp_app(app_factory, free_port(), OUTBOX_BACKOFF_SECONDS=0)
    sign_as(app, CONTACT)
    with app.app_context():
        report = outbox_service.work(once=True, stop=threading.Event(), poll_seconds=0)
    assert report.retrying == 1 and report.failed == 0
    assert only(app).attempts == 1 and only(app).state is OutboxState.queued


def test_worker_survives_an_unreachable_database(tmp_path):
    """A database error is logged by class, the worker does not crash, --once exits 1."""
    from signon import create_app

    app = create_app(
        {
            "ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/signon.sqlite",
        }
    )
    with app.app_context():
        report = outbox_service.work(once=True, stop=threading.Event(), poll_seconds=0)
        assert report.database_errors == 1 and report.sent == 0
    result = app.test_cli_runner().invoke(args=["outbox", "work", "--once"])
    assert result.exit_code == 1
    assert "database could not be reached" in result.output
