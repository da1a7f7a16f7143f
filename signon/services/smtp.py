"""SMTP through Flask-Mail: a safer connection, messages from outbox rows, errors.

What the outbox worker needs to talk to a mail server, kept apart from the
queue logic in ``outbox``.
"""

from __future__ import annotations

import datetime as dt
import functools
import secrets
import smtplib
import ssl
from dataclasses import dataclass, fields
from email.errors import MessageError
from email.headerregistry import Address
from email.policy import Compat32
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from flask_mail import BadHeaderError, Connection, Message

from ..models import OutboxMessage


class VerifiedConnection(Connection):
    """Flask-Mail's SMTP connection, with a timeout and certificate checks.

    Flask-Mail 0.10 opens SMTP without a timeout (a server that stops
    answering would hang the worker for ever) and calls ``starttls()``
    without an SSL context, which skips certificate verification.
    """

    def configure_host(self) -> smtplib.SMTP:
        mail = self.mail
        timeout = current_app.config["MAIL_TIMEOUT"]
        # Only for TLS: loading the system's certificates costs a millisecond.
        context = ssl.create_default_context() if mail.use_ssl or mail.use_tls else None
        host: smtplib.SMTP
        # The greeting names the site, not this machine (whose name or address
        # smtplib would otherwise announce, and servers write into Received:).
        name = site_domain()
        if mail.use_ssl:
            host = smtplib.SMTP_SSL(
                mail.server, mail.port, local_hostname=name, timeout=timeout, context=context
            )
        else:
            host = smtplib.SMTP(mail.server, mail.port, local_hostname=name, timeout=timeout)
        try:
            if mail.use_tls:
                host.starttls(context=context)
            if mail.username and mail.password:
                host.login(mail.username, mail.password)
        except BaseException:
            host.close()
            raise
        return host

    def __exit__(self, *exc_info: object) -> None:
        # After a failure the server may be gone; QUIT would raise again and
        # hide the error that matters.
        if self.host is not None:
            try:
                self.host.quit()
            except (smtplib.SMTPException, OSError):
                self.host.close()


# Errors of the server or of our settings, not of one message: retry later.
CONNECTION_ERRORS = (
    OSError,  # refused, unreachable, timed out, TLS failures
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    smtplib.SMTPHeloError,
    smtplib.SMTPAuthenticationError,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPNotSupportedError,
)


# Errors of one message: the server refused it, or it cannot be written out.
MESSAGE_ERRORS = (
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPDataError,
    BadHeaderError,
    MessageError,  # a header the email package refuses to write
    ValueError,  # incl. UnicodeError: an address or header SMTP cannot carry
)


def connect() -> VerifiedConnection:
    """A connection to the configured server, to use as a context manager."""
    return VerifiedConnection(current_app.extensions["mail"])


@dataclass(frozen=True, slots=True)
class Outgoing:
    """An outbox row's parts that its email is built from, read once per batch."""

    id: int
    kind: str
    recipient: str
    subject: str
    body_text: str
    body_html: str
    created_at: dt.datetime
    sender_name: str | None


OUTGOING_COLUMNS = tuple(getattr(OutboxMessage, f.name) for f in fields(Outgoing))


class _Message(Message):
    """Flask-Mail's message, written out with the classic (compat32) email policy.

    Flask-Mail writes with ``policy.SMTP``, whose header objects re-parse
    every header each time the generator reads it: half of the worker's time
    per message went there. The headers are already encoded strings, so the
    classic generator writes an equivalent message (a long non-ASCII subject
    is folded at other points) in half the time.
    """

    def as_bytes(self) -> bytes:
        message = self._message()
        # A boundary of our own, random enough never to occur in a part: the
        # generator's own is checked against the whole text with a regular
        # expression compiled afresh for each, a tenth of a message's time.
        for part in message.walk():
            if part.is_multipart():
                part.set_boundary(f"=_{secrets.token_hex(16)}")
        return message.as_bytes(policy=_WRITE_POLICY)


class _Policy(Compat32):
    """compat32, writing a one-line ASCII header as it is.

    The classic policy builds a ``Header`` object to write each of the
    message's twenty-odd headers, nearly all of them short ASCII lines
    (content types, the date, addresses already encoded by Flask-Mail) that
    it would write unchanged; the rest (a folded, encoded subject) still go
    through it. ``tests/test_outbox.py`` checks both write the same bytes.
    """

    def _fold(self, name: str, value: Any, sanitize: bool) -> str:
        # Printable ASCII, so no line break or control of any kind, and no
        # trailing space, which the classic writer would drop.
        plain = isinstance(value, str) and value.isascii() and value.isprintable()
        if plain and not value.endswith(" "):
            return f"{name}: {value}{self.linesep}"
        return super()._fold(name, value, sanitize)  # type: ignore[misc]


# No refolding: Flask-Mail's headers are folded already (refolded, a long
# encoded subject began with an empty line, read back with a leading space).
_WRITE_POLICY = _Policy(linesep="\r\n", max_line_length=None)


def to_message(row: Outgoing) -> Message:
    """The Flask-Mail message for an outbox row, with a Message-ID of the site's."""
    config = current_app.config
    message = _Message(
        subject=row.subject,
        recipients=[row.recipient],
        body=row.body_text,
        html=row.body_html,
        sender=_sender(config["MAIL_DEFAULT_SENDER"], row.sender_name),
        extra_headers={"Auto-Submitted": "auto-generated"},
    )
    # Stable across retries, so a receiving system can drop a duplicate.
    message.msgId = f"<outbox-{row.id}.{row.created_at:%Y%m%d%H%M%S}@{site_domain()}>"
    return message


def _sender(default: str, name: str | None) -> str:
    """The site's own address, under the publisher's name when the email has one.

    Only the name changes: the address stays the one SPF, DKIM and DMARC
    vouch for. The name is quoted as RFC 5322 wants, so a comma, colon or
    "<...>" in it ("Workers, Peasants & Students") stays part of the name and
    never becomes an address; Flask-Mail encodes a non-ASCII one.
    """
    if not name:
        return default
    return str(Address(display_name=name, addr_spec=envelope_sender()))


def envelope_sender() -> str:
    """The bare address of MAIL_DEFAULT_SENDER: SMTP's MAIL FROM, where bounces go."""
    return _bare_address(current_app.config["MAIL_DEFAULT_SENDER"])


def site_domain() -> str:
    """The domain mail from this site speaks for: the sender's, else BASE_URL's host.

    Used for Message-IDs and the SMTP greeting, so neither carries this
    machine's name or IP address.
    """
    config = current_app.config
    return _site_domain(config["MAIL_DEFAULT_SENDER"], config["BASE_URL"])


# Parsed once per setting, not for every message the worker sends.
@functools.lru_cache(maxsize=16)
def _bare_address(sender: str) -> str:
    return parseaddr(sender)[1]


@functools.lru_cache(maxsize=16)
def _site_domain(sender: str, base_url: str) -> str:
    domain = _bare_address(sender).rpartition("@")[2].lower()
    if domain and domain != "localhost":
        return domain
    return urlsplit(base_url).hostname or "localhost"


def is_permanent(exc: Exception) -> bool:
    # A message that cannot even be written out will never go: failing it at
    # once keeps one bad row from blocking the queue behind it.
    if isinstance(exc, (BadHeaderError, MessageError, ValueError)):
        return True
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    return getattr(exc, "smtp_code", 0) >= 500


def describe(exc: BaseException) -> str:
    # The class and SMTP code only: server messages often quote the address.
    code = getattr(exc, "smtp_code", None)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code = ",".join(str(c) for c, _ in exc.recipients.values())
    return f"{type(exc).__name__} {code}" if code else type(exc).__name__
