"""Routes of the development mailbox."""

from __future__ import annotations

from flask import abort, render_template
from markupsafe import Markup
from sqlalchemy import select

from ..extensions import db
from ..models import OutboxMessage
from . import bp


@bp.get("/mailbox")
def mailbox() -> str:
    """Every email in the outbox, newest first."""
    messages = db.session.scalars(
        select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(200)
    ).all()
    return render_template("dev/mailbox.html", messages=messages)


@bp.get("/mailbox/<int:message_id>")
def message(message_id: int) -> str:
    """One email, its HTML part as the recipient would see it."""
    found = db.session.get(OutboxMessage, message_id)
    if found is None:
        abort(404, "There is no such email.")
    # Rendered by our own templates with autoescaping: safe to show as HTML.
    return render_template("dev/message.html", message=found, html=Markup(found.body_html))  # noqa: S704
