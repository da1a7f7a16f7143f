"""Routes of the development mailbox."""

from __future__ import annotations

from flask import Response, abort, make_response, render_template
from markupsafe import Markup
from sqlalchemy import select

from ..extensions import db
from ..models import OutboxMessage
from ..security import CONTENT_SECURITY_POLICY
from . import bp


@bp.get("/mailbox")
def mailbox() -> str:
    """Every email in the outbox, newest first."""
    messages = db.session.scalars(
        select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(200)
    ).all()
    return render_template("dev/mailbox.html", messages=messages)


@bp.get("/mailbox/<id:message_id>")
def message(message_id: int) -> Response:
    """One email, its HTML part as the recipient would see it."""
    found = db.session.get(OutboxMessage, message_id)
    if found is None:
        abort(404, "There is no such email.")
    # Rendered by our own templates with autoescaping: safe to show as HTML.
    page = render_template("dev/message.html", message=found, html=Markup(found.body_html))  # noqa: S704
    response = make_response(page)
    # Emails style themselves inline; let this development page show that.
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
        "style-src 'self'", "style-src 'self' 'unsafe-inline'"
    )
    return response
