"""Email delivery as admins see it: counts, failing messages, a retry button."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ..database import write_transaction
from ..services import outbox_admin
from . import bp
from .common import checked
from .forms import ActionForm


@bp.get("/outbox")
@login_required
def outbox() -> str:
    """Email delivery at a glance: counts per state, and what is failing."""
    return render_template(
        "admin/outbox.html",
        counts=outbox_admin.state_counts(),
        messages=outbox_admin.troubled(),
        action_form=ActionForm(),
    )


@bp.post("/outbox/<id:message_id>/retry")
@login_required
def retry_email(message_id: int) -> Response:
    """Send a failed email again (after the cause was fixed)."""
    checked(ActionForm())
    with write_transaction():
        changed = outbox_admin.retry(message_id, current_user)
    if changed:
        flash(_("The email is queued again; the mail worker will send it."))
    else:
        flash(_("That email is not in the failed state; nothing changed."))
    return redirect(url_for(".outbox"))
