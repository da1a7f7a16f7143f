"""The words admins read for stored states, in their language.

The database keeps the English values (``queued``, ``verified``...); pages
show these labels instead. Each is translated when it is shown, with a
context, because one English word may need other forms in another language
(an email is "отправлено", a signature "подтверждена"). Every template has
them (``filters.init_app``).
"""

from __future__ import annotations

from flask_babel import pgettext

from ..models import OutboxState, SignatureState, StatementState


def outbox_state(state: OutboxState) -> str:
    """An email's state: queued, sending, sent, failed."""
    labels = {
        OutboxState.queued: pgettext("email state", "queued"),
        OutboxState.sending: pgettext("email state", "sending"),
        OutboxState.sent: pgettext("email state", "sent"),
        OutboxState.failed: pgettext("email state", "failed"),
    }
    return labels[OutboxState(state)]


def signature_state(state: SignatureState) -> str:
    """A signature's state: pending, confirmed, verified, rejected, withdrawn."""
    labels = {
        SignatureState.pending: pgettext("signature state", "pending"),
        SignatureState.confirmed: pgettext("signature state", "confirmed"),
        SignatureState.verified: pgettext("signature state", "verified"),
        SignatureState.rejected: pgettext("signature state", "rejected"),
        SignatureState.withdrawn: pgettext("signature state", "withdrawn"),
    }
    return labels[SignatureState(state)]


def statement_state(state: StatementState) -> str:
    """A statement's state, capitalised: Draft, Open, Closed."""
    labels = {
        StatementState.draft: pgettext("statement state", "Draft"),
        StatementState.open: pgettext("statement state", "Open"),
        StatementState.closed: pgettext("statement state", "Closed"),
    }
    return labels[StatementState(state)]
