"""The outbox: emails are rows first, SMTP conversations later.

A change and the email it causes are committed in one transaction (see
``enqueue``), so an email is never sent for a change that rolled back and
never lost for one that committed. ``deliver_due`` is the worker's step: it
claims due rows, sends them through Flask-Mail, and records the outcome.

Delivery is at least once: a worker killed between the SMTP server's "250
OK" and the commit that marks the row sent will send that message again
after the lease expires. Each message carries a stable Message-ID, so mail
systems can recognise the duplicate.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, render_template
from flask_mail import Connection
from sqlalchemy import Boolean, Insert, and_, bindparam, case, literal, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from ..database import require_write, utcnow, write_transaction
from ..extensions import db
from ..models import OutboxMessage, OutboxState, Signature
from . import smtp

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RenderedEmail:
    """An email's three parts, rendered from its template folder."""

    kind: str
    subject: str
    body_text: str
    body_html: str
    # The name the email comes from (the statement's publisher); the address
    # is always the site's own (MAIL_DEFAULT_SENDER), which mail servers check.
    sender_name: str | None = None


def render(kind: str, *, sender_name: str | None = None, **context: Any) -> RenderedEmail:
    """Render ``templates/email/<kind>/{subject.txt, body.txt, body.html}``.

    An email is a name, a context and a template folder. It is rendered when
    queued, so the worker needs nothing but the row.
    """
    context.setdefault("site_name", current_app.config["SITE_NAME"])
    subject = render_template(f"email/{kind}/subject.txt", **context)
    return RenderedEmail(
        kind=kind,
        # Headers are single lines; templates are ours, but be certain.
        subject=" ".join(subject.split())[:300],
        body_text=render_template(f"email/{kind}/body.txt", **context),
        body_html=render_template(f"email/{kind}/body.html", **context),
        sender_name=" ".join(sender_name.split())[:200] if sender_name else None,
    )


def enqueue(
    email: RenderedEmail,
    recipient: str,
    *,
    signature: Signature | None = None,
    store: bool = True,
) -> None:
    """Add ``email`` to the outbox, in the caller's unit of work.

    It is sent only if that unit commits: a change and the email it causes
    land together or not at all. One INSERT, run now rather than at the
    session's flush: nothing reads the row back, and the ORM's flush took
    longer than the rest of a sign-on's SQL together.

    With ``store=False`` the same INSERT runs and stores nothing, for a path
    that must take as long as one that sends (``signing.submit``).
    """
    require_write()
    db.session.execute(
        _ENQUEUE,
        {
            "kind": email.kind,
            "signature_id": signature.id if signature is not None else None,
            "recipient": recipient,
            "subject": email.subject,
            "body_text": email.body_text,
            "body_html": email.body_html,
            "sender_name": email.sender_name,
            "store": store,
        },
    )


def _enqueue() -> Insert:
    """INSERT … SELECT of one row's values, WHERE :store.

    On the table, not the mapped class: a plain INSERT, with the columns'
    defaults (state, attempts, times) applied as for any other. Parameters
    are typed, since PostgreSQL must know a bare parameter's type.
    """
    table = OutboxMessage.__table__
    names = ("kind", "signature_id", "recipient", "subject", "body_text", "body_html")
    values = [bindparam(name, type_=table.c[name].type) for name in (*names, "sender_name")]
    row = select(*values).where(bindparam("store", type_=Boolean))
    return table.insert().from_select([*names, "sender_name"], row)


_ENQUEUE = _enqueue()


@dataclass
class DeliveryReport:
    """What one ``deliver_due`` call did."""

    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    database_errors: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Claim:
    """A batch one worker holds: the token it claimed with, and the ids."""

    token: str
    ids: list[int]


def claim_due(limit: int) -> Claim:
    """Atomically mark up to ``limit`` due messages as ``sending`` for one worker.

    One ``UPDATE … RETURNING`` does the claim. On PostgreSQL its subquery
    locks rows with ``FOR UPDATE SKIP LOCKED``, so concurrent workers each
    get different rows without waiting on one another. SQLite ignores
    ``FOR UPDATE``; there the claim runs inside ``BEGIN IMMEDIATE``, which
    lets one writer in at a time, so two workers cannot claim the same row.
    A ``sending`` row whose lease ran out belongs to a worker that died (a
    live one renews the lease of each message as it sends it) and is claimed
    again; the claim token tells the old worker, should it come back, that
    the row is no longer its own.
    """
    now = utcnow()
    lease = dt.timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])
    due = (
        select(OutboxMessage.id)
        .where(
            or_(
                and_(
                    OutboxMessage.state == OutboxState.queued,
                    OutboxMessage.next_attempt_at <= now,
                ),
                and_(
                    OutboxMessage.state == OutboxState.sending,
                    OutboxMessage.claimed_at < now - lease,
                ),
            )
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    token = uuid.uuid4().hex
    with write_transaction():
        ids = db.session.scalars(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(due.scalar_subquery()))
            .values(state=OutboxState.sending, claimed_at=now, claimed_by=token)
            .returning(OutboxMessage.id)
            .execution_options(synchronize_session=False)
        ).all()
    return Claim(token=token, ids=sorted(ids))


def deliver_due(limit: int | None = None, stop: threading.Event | None = None) -> DeliveryReport:
    """Claim due messages and send them over one SMTP connection.

    The batch is read once. Each message then costs one write transaction,
    which records the previous message as sent and renews this one's lease
    (and finds out whether it is still this worker's to send: a withdrawal
    may have deleted it, or another worker taken it over). The batch's last
    message is recorded on its own. When ``stop`` is set the message in hand
    is finished and the rest of the batch goes back to the queue at once,
    untried.
    """
    report = DeliveryReport()
    claim = claim_due(limit or current_app.config["OUTBOX_BATCH_SIZE"])
    report.claimed = len(claim.ids)
    if not claim.ids:
        return report
    messages = _read(claim.ids)
    pending = list(claim.ids)
    sent: smtp.Outgoing | None = None  # sent, not yet recorded
    try:
        with smtp.connect() as connection:
            while pending and not (stop is not None and stop.is_set()):
                message_id = pending[0]
                ours = _take_up(message_id, claim.token, sent, report)
                sent = None  # recorded
                if ours:
                    sent = _send_one(connection, messages[message_id], claim.token, report)
                pending.pop(0)  # after: a lost connection fails it with the rest
            if sent is not None:  # before QUIT, which a slow server can drag out
                _record_last(sent, claim.token, report)
                sent = None
    except smtp.CONNECTION_ERRORS as exc:
        # Nothing in the batch can go now: every message left counts an
        # attempt and backs off, so a dead server is not hammered.
        error = smtp.describe(exc)
        report.errors.append(error)
        gave_up = _record_failure(pending, claim.token, error, permanent=False)
        report.failed += gave_up
        report.retrying += len(pending) - gave_up
        log.warning("SMTP unavailable (%s); %d message(s) wait", error, len(pending))
        pending = []
    finally:
        # Whatever went wrong after it, a message the server accepted is sent.
        if sent is not None:
            _record_last(sent, claim.token, report)
    _release(pending, claim.token)
    return report


def _read(message_ids: list[int]) -> dict[int, smtp.Outgoing]:
    """The claimed messages' parts, in one query, as plain values."""
    rows = db.session.execute(
        select(*smtp.OUTGOING_COLUMNS).where(OutboxMessage.id.in_(message_ids))
    )
    messages = {row.id: smtp.Outgoing(*row) for row in rows}
    db.session.rollback()  # end the read; nothing of it is kept
    return messages


# The statements the worker runs for messages, built once.
_SENT_NOW = OutboxMessage.id == bindparam("sent_id")
# One per message: the previous message recorded as sent, and this one's
# lease renewed if it is still this worker's, in a single UPDATE (a round
# trip less on PostgreSQL); RETURNING says which rows it changed.
_TAKE_UP = (
    update(OutboxMessage)
    .where(
        OutboxMessage.claimed_by == bindparam("token"),
        or_(
            _SENT_NOW,
            and_(
                OutboxMessage.id == bindparam("message_id"),
                OutboxMessage.state == OutboxState.sending,
            ),
        ),
    )
    .values(
        state=case(
            (_SENT_NOW, literal(OutboxState.sent, OutboxMessage.state.type)),
            else_=OutboxMessage.state,
        ),
        sent_at=case((_SENT_NOW, bindparam("now")), else_=OutboxMessage.sent_at),
        claimed_at=case((_SENT_NOW, None), else_=bindparam("now")),
        claimed_by=case((_SENT_NOW, None), else_=OutboxMessage.claimed_by),
    )
    .returning(OutboxMessage.id)
    .execution_options(synchronize_session=False)
)
_MARK_SENT = (
    update(OutboxMessage)
    .where(
        OutboxMessage.id == bindparam("message_id"),
        OutboxMessage.claimed_by == bindparam("token"),
    )
    .values(state=OutboxState.sent, sent_at=bindparam("now"), claimed_at=None, claimed_by=None)
    .execution_options(synchronize_session=False)
)


def _take_up(
    message_id: int, token: str, sent: smtp.Outgoing | None, report: DeliveryReport
) -> bool:
    """Record ``sent``, and renew ``message_id``'s lease; False if it is lost.

    Renewing per message means the lease only has to outlast one SMTP
    conversation, however long the batch takes. False means another worker
    took the row over, or a withdrawal deleted it.
    """
    with write_transaction():
        changed = db.session.scalars(
            _TAKE_UP,
            {
                "sent_id": sent.id if sent is not None else None,
                "message_id": message_id,
                "token": token,
                "now": utcnow(),
            },
        ).all()
    if sent is not None:
        _count_sent(sent, report)
    return message_id in changed


def _send_one(
    connection: Connection, message: smtp.Outgoing, token: str, report: DeliveryReport
) -> smtp.Outgoing | None:
    """Send ``message``: itself if the server accepted it, None if it refused it."""
    try:
        connection.send(smtp.to_message(message), envelope_from=smtp.envelope_sender())
    except smtp.MESSAGE_ERRORS as exc:
        permanent = smtp.is_permanent(exc)
        error = smtp.describe(exc)
        report.errors.append(error)
        if _record_failure([message.id], token, error, permanent=permanent):
            report.failed += 1
        else:
            report.retrying += 1
        return None
    return message


def _record_sent(message: smtp.Outgoing, token: str) -> None:
    db.session.execute(_MARK_SENT, {"message_id": message.id, "token": token, "now": utcnow()})


def _record_last(message: smtp.Outgoing, token: str, report: DeliveryReport) -> None:
    """Record the batch's last sent message, in a transaction of its own."""
    with write_transaction():
        _record_sent(message, token)
    _count_sent(message, report)


def _count_sent(message: smtp.Outgoing, report: DeliveryReport) -> None:
    # Once committed only: a rolled-back record is tried again, not counted twice.
    report.sent += 1
    log.info("sent outbox message %d (%s)", message.id, message.kind)


def _record_failure(message_ids: list[int], token: str, error: str, *, permanent: bool) -> int:
    """Schedule retries with backoff, or give up; the number given up.

    Only rows this worker still holds are touched.
    """
    config = current_app.config
    gave_up = 0
    with write_transaction():
        rows = db.session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.id.in_(message_ids), OutboxMessage.claimed_by == token
            )
        ).all()
        now = utcnow()
        for row in rows:
            row.attempts += 1
            row.last_error = error[:500]
            row.claimed_at = None
            row.claimed_by = None
            if permanent or row.attempts >= config["OUTBOX_MAX_ATTEMPTS"]:
                row.state = OutboxState.failed
                row.failed_at = now
                gave_up += 1
                log.error("outbox message %d (%s) failed: %s", row.id, row.kind, error)
            else:
                delay = min(
                    config["OUTBOX_BACKOFF_SECONDS"] * 2 ** (row.attempts - 1),
                    config["OUTBOX_MAX_BACKOFF_SECONDS"],
                )
                row.state = OutboxState.queued
                row.next_attempt_at = now + dt.timedelta(seconds=delay)
    return gave_up


def _release(message_ids: list[int], token: str) -> None:
    """Hand untried messages back to the queue, due at once, no attempt counted."""
    if not message_ids:
        return
    with write_transaction():
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(message_ids), OutboxMessage.claimed_by == token)
            .values(state=OutboxState.queued, claimed_at=None, claimed_by=None)
            .execution_options(synchronize_session=False)
        )


def work(
    *,
    once: bool,
    stop: threading.Event,
    poll_seconds: float,
    feed: Callable[[], int] | None = None,
) -> DeliveryReport:
    """Deliver due messages until ``stop`` is set.

    With ``once``, return as soon as nothing is due: messages waiting for a
    later retry stay queued for the next run. A batch that met trouble is
    not followed at once by another (even with no backoff configured), so
    a failing server is retried at the poll interval, not in a tight loop.
    A database error is logged and waited out the same way (``once`` gives
    up instead); rows it left claimed are taken up again after the lease.

    ``feed``, if given, returns how many emails it queued: work that makes
    email a batch at a time (asking signatories to confirm a statement's new
    text) rather than in one long transaction. It runs before a batch when
    its last run queued some (the rest follow at once) or ``poll_seconds``
    have passed since it last ran. Not before every batch: while a spike of
    sign-ons keeps a worker sending a few emails at a time, its batches
    follow one another hundreds of times a second, and the feed's queries
    would take longer than the emails.
    """
    total = DeliveryReport()
    fed = 0
    fed_at = -math.inf  # time.monotonic() of the feed's last run
    while not stop.is_set():
        due = feed is not None and (fed or time.monotonic() - fed_at >= poll_seconds)
        fed = 0
        if due:
            fed_at = time.monotonic()
            try:
                fed = feed()
            except Exception as exc:  # noqa: BLE001 -- delivery must go on whatever it was
                # The class only, as below: a message could quote the row's data.
                log.error(
                    "error before delivering (launches, re-confirmations): %s", type(exc).__name__
                )
            finally:
                db.session.remove()
        try:
            report = deliver_due(stop=stop)
        except SQLAlchemyError as exc:
            # The class only: database messages can quote the row's data.
            log.error("database error while delivering: %s", type(exc).__name__)
            report = DeliveryReport(errors=[type(exc).__name__])
            total.database_errors += 1
        finally:
            db.session.remove()  # a fresh session per batch: nothing stale kept
        total.claimed += report.claimed
        total.sent += report.sent
        total.retrying += report.retrying
        total.failed += report.failed
        total.errors += report.errors
        if (report.claimed or fed) and not report.errors:
            continue
        if once:
            break
        stop.wait(poll_seconds)
    return total
