"""SMTP through Flask-Mail: a safer connection, messages from outbox rows, errors.

What the outbox worker needs to talk to a mail server, kept apart from the
queue logic in ``outbox``.
"""

from __future__ import annotations

import smtplib
import ssl
from email.utils import parseaddr
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
        context = ssl.create_default_context()
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
    ValueError,  # incl. UnicodeError: an address or header SMTP cannot carry
)


def connect() -> VerifiedConnection:
    """A connection to the configured server, to use as a context manager."""
    return VerifiedConnection(current_app.extensions["mail"])


def to_message(row: OutboxMessage) -> Message:
    """The Flask-Mail message for an outbox row, with a Message-ID of the site's."""
    config = current_app.config
    message = Message(
        subject=row.subject,
        recipients=[row.recipient],
        body=row.body_text,
        html=row.body_html,
        sender=config["MAIL_DEFAULT_SENDER"],
        extra_headers={"Auto-Submitted": "auto-generated"},
    )
    # Stable across retries, so a receiving system can drop a duplicate.
    message.msgId = f"<outbox-{row.id}.{row.created_at:%Y%m%d%H%M%S}@{site_domain()}>"
    return message


def site_domain() -> str:
    """The domain mail from this site speaks for: the sender's, else BASE_URL's host.

    Used for Message-IDs and the SMTP greeting, so neither carries this
    machine's name or IP address.
    """
    config = current_app.config
    sender = parseaddr(config["MAIL_DEFAULT_SENDER"])[1]
    domain = sender.rpartition("@")[2].lower()
    if domain and domain != "localhost":
        return domain
    return urlsplit(config["BASE_URL"]).hostname or "localhost"


def is_permanent(exc: Exception) -> bool:
    # A message that cannot even be written out will never go: failing it at
    # once keeps one bad row from blocking the queue behind it.
    if isinstance(exc, (BadHeaderError, ValueError)):
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
