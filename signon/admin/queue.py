"""The verification queue: verify, reject, publish or hide comments."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ..database import write_transaction
from ..models import OutboxState
from ..services import lookalikes, outbox_admin, signals, signing
from . import bp
from .common import checked, signature_or_404
from .forms import ActionForm, CommentForm, RejectForm


@bp.get("/")
@login_required
def queue() -> str:
    """Confirmed signatures waiting for a decision, oldest first."""
    waiting = signing.awaiting_verification()
    return render_template(
        "admin/queue.html",
        signatures=waiting,
        failed_emails=outbox_admin.state_counts()[OutboxState.failed],
        per_network=signals.signatures_per_network(s.ip_hash for s in waiting),
        # A person's affiliation is published with their name: checked alike.
        lookalike={
            s.id
            for s in waiting
            if lookalikes.latin_lookalike(s.org_name) or lookalikes.latin_lookalike(s.affiliation)
        },
        action_form=ActionForm(),
        reject_form=RejectForm(),
    )


@bp.post("/signatures/<id:signature_id>/verify")
@login_required
def verify(signature_id: int) -> Response:
    """Make a confirmed signature public."""
    checked(ActionForm())
    with write_transaction():
        changed = signing.verify(signature_or_404(signature_id), current_user)
    if changed:
        # No names in flash messages: they travel in the (signed, readable) cookie.
        flash(_("Signature #%(id)s verified; the contact will be emailed.", id=signature_id))
    else:
        flash(_("That signature was no longer waiting; nothing changed."))
    return redirect(url_for(".queue"))


@bp.post("/signatures/<id:signature_id>/reject")
@login_required
def reject(signature_id: int) -> Response:
    """Turn a confirmed signature down."""
    form = checked(RejectForm())
    with write_transaction():
        changed = signing.reject(
            signature_or_404(signature_id), current_user, form.reason.data or ""
        )
    if changed:
        flash(_("Signature #%(id)s rejected.", id=signature_id))
    else:
        flash(_("That signature was no longer waiting; nothing changed."))
    return redirect(url_for(".queue"))


@bp.post("/signatures/<id:signature_id>/comment")
@login_required
def comment(signature_id: int) -> Response:
    """Publish or hide a signature's public comment."""
    form = checked(CommentForm())
    approved = form.approved.data == "1"
    with write_transaction():
        changed = signing.approve_comment(signature_or_404(signature_id), current_user, approved)
    if changed:
        if approved:
            flash(_("Comment of signature #%(id)s published.", id=signature_id))
        else:
            flash(_("Comment of signature #%(id)s hidden.", id=signature_id))
    return redirect(url_for(".queue"))
