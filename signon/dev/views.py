"""Routes of the development mailbox, and its delivery after every request."""

from __future__ import annotations

import logging

from flask import Response, abort, current_app, make_response, render_template, request
from flask.blueprints import BlueprintSetupState
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select

from ..extensions import db
from ..models import OutboxMessage, OutboxState
from ..security import CONTENT_SECURITY_POLICY
from ..services import outbox
from . import bp

log = logging.getLogger(__name__)


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
        abort(404, _("There is no such email."))
    # Rendered by our own templates with autoescaping: safe to show as HTML.
    html = Markup(found.body_html)  # noqa: S704
    page = render_template("dev/message.html", message=found, html=html)
    response = make_response(page)
    # Emails style themselves inline; let this development page show that.
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
        "style-src 'self'", "style-src 'self' 'unsafe-inline'"
    )
    return response


@bp.record_once
def _no_server_no_sending(state: BlueprintSetupState) -> None:
    # With no mail server there is nowhere to send to, so Flask-Mail is told
    # to go through the motions without connecting (its MAIL_SUPPRESS_SEND).
    # Decided here rather than in DevelopmentConfig: SIGNON_MAIL_SERVER is
    # read after the config class, and a server set that way must get real
    # mail. Needs mail.init_app to have run, as create_app does first.
    if not state.app.config["MAIL_SERVER"]:
        state.app.extensions["mail"].suppress = True


@bp.teardown_app_request
def deliver_to_mailbox(error: BaseException | None) -> None:
    """With no mail server, mark due email sent: it is read on the mailbox page.

    The outbox's own ``deliver_due`` does it, with Flask-Mail suppressed, so
    development runs the same delivery code as production. A teardown rather
    than an after-request hook: it runs once the response is complete (the
    view has committed or rolled back its transaction) and cannot alter it.
    Never lets an error out: a failed delivery is logged and retried after
    the next request.
    """
    if current_app.config["MAIL_SERVER"] or not current_app.extensions["mail"].suppress:
        return  # a real server: `flask outbox work` delivers
    if error is not None or request.endpoint == "static":
        return
    try:
        # Whatever the view left uncommitted was never meant to be kept (and
        # the session would discard it at teardown anyway).
        db.session.rollback()
        undelivered = db.session.scalar(
            select(OutboxMessage.id)
            .where(OutboxMessage.state.in_((OutboxState.queued, OutboxState.sending)))
            .limit(1)
        )
        # Most requests queue nothing: check with a read before deliver_due
        # takes SQLite's write lock.
        if undelivered is not None:
            outbox.deliver_due()
    except Exception:  # the response is already made: keep serving
        log.exception("delivering to the development mailbox failed")
