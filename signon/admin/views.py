"""Routes of the admin area."""

from __future__ import annotations

from typing import TypeVar
from urllib.parse import urlsplit

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from ..extensions import db, limiter, login_manager
from ..models import Admin, OutboxState, Signature
from ..ratelimits import login_email_key, setting
from ..services import admins, outbox_admin, signals, signing, subject_access
from . import bp
from .forms import ActionForm, CommentForm, LoginForm, PersonForm, RejectForm

F = TypeVar("F", bound=FlaskForm)

login_manager.login_view = "admin.login"
login_manager.login_message = "Please log in to see that page."


@login_manager.user_loader
def load_admin(admin_id: str) -> Admin | None:
    """The logged-in admin for Flask-Login; None once deactivated."""
    if not admin_id.isdigit():
        return None
    admin = db.session.get(Admin, int(admin_id))
    # Flask-Login checks is_active only when logging in; check every request
    # too, so deactivating an account ends the sessions it already has.
    return admin if admin is not None and admin.is_active else None


@bp.context_processor
def admin_context() -> dict[str, object]:
    """The logged-in admin, and the log-out button's form with its CSRF token."""
    return {"current_user": current_user, "logout_form": ActionForm()}


def _failed(response: Response) -> bool:
    return response.status_code != 302


# Only failed attempts count, per network and per account named: a brute
# force slows to a crawl while an admin who logs in is never held back.
@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(setting("RATELIMIT_LOGIN"), methods=["POST"], deduct_when=_failed)
@limiter.limit(
    setting("RATELIMIT_LOGIN_PER_ACCOUNT"),
    key_func=login_email_key,
    methods=["POST"],
    deduct_when=_failed,
)
def login() -> Response | str | tuple[str, int]:
    """Log in. A wrong password and an unknown address get the same answer."""
    form = LoginForm()
    if form.validate_on_submit():
        admin = admins.authenticate(form.email.data, form.password.data)
        if admin is not None:
            login_user(admin)
            return redirect(_safe_next(request.args.get("next")))
        form.password.errors.append("That email and password do not match an account.")
    status = 400 if form.errors else 200
    return render_template("admin/login.html", form=form), status


@bp.post("/logout")
def logout() -> Response:
    """Log out (a POST with CSRF, so no page can log an admin out)."""
    _checked(ActionForm())
    logout_user()
    flash("You are logged out.")
    return redirect(url_for(".login"))


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
        action_form=ActionForm(),
        reject_form=RejectForm(),
    )


@bp.post("/signatures/<id:signature_id>/verify")
@login_required
def verify(signature_id: int) -> Response:
    """Make a confirmed signature public."""
    signature = _signature_for(ActionForm(), signature_id)
    if signing.verify(signature, current_user):
        # No names in flash messages: they travel in the (signed, readable) cookie.
        flash(f"Signature #{signature_id} verified; the contact will be emailed.")
    else:
        flash("That signature was no longer waiting; nothing changed.")
    return redirect(url_for(".queue"))


@bp.post("/signatures/<id:signature_id>/reject")
@login_required
def reject(signature_id: int) -> Response:
    """Turn a confirmed signature down."""
    form = RejectForm()
    signature = _signature_for(form, signature_id)
    if signing.reject(signature, current_user, form.reason.data or ""):
        flash(f"Signature #{signature_id} rejected.")
    else:
        flash("That signature was no longer waiting; nothing changed.")
    return redirect(url_for(".queue"))


@bp.post("/signatures/<id:signature_id>/comment")
@login_required
def comment(signature_id: int) -> Response:
    """Publish or hide a signature's public comment."""
    form = CommentForm()
    signature = _signature_for(form, signature_id)
    approved = form.approved.data == "1"
    if signing.approve_comment(signature, current_user, approved):
        flash(f"Comment of signature #{signature_id} {'published' if approved else 'hidden'}.")
    return redirect(url_for(".queue"))


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
    _checked(ActionForm())
    if outbox_admin.retry(message_id, current_user):
        flash("The email is queued again; the mail worker will send it.")
    else:
        flash("That email is not in the failed state; nothing changed.")
    return redirect(url_for(".outbox"))


@bp.route("/people", methods=["GET", "POST"])
@login_required
def people() -> str | tuple[str, int]:
    """Find everything held about one email address (POST: no address in URLs or logs)."""
    form = PersonForm()
    if not form.is_submitted():
        return render_template("admin/people.html", form=form, records=None)
    if not form.validate():
        return render_template("admin/people.html", form=form, records=None), 400
    records = subject_access.records_for(form.email.data)
    return render_template("admin/people.html", form=form, records=records)


@bp.post("/people/export")
@login_required
def export_person() -> Response:
    """Everything held about an address, as a JSON file for the person who asked."""
    form = _checked(PersonForm())
    records = subject_access.records_for(form.email.data)
    subject_access.record_export(records, current_user)
    response = jsonify(records.as_dict())
    response.headers["Content-Disposition"] = 'attachment; filename="signon-personal-data.json"'
    return response


@bp.post("/people/erase")
@login_required
def erase_person() -> Response:
    """Withdraw every signature of an address and erase its personal data."""
    form = _checked(PersonForm())
    count = subject_access.erase(form.email.data, current_user)
    flash(f"Erased {count} signature(s) and the emails queued for that address.")
    return redirect(url_for(".people"))


def _checked(form: F) -> F:
    """``form`` validated, its CSRF token included, or a 400 that says what is wrong."""
    if not form.validate_on_submit():
        abort(400, "; ".join(e for errors in form.errors.values() for e in errors))
    return form


def _signature_for(form: FlaskForm, signature_id: int) -> Signature:
    _checked(form)
    signature = db.session.get(Signature, signature_id)
    if signature is None:
        abort(404, "There is no such signature.")
    return signature


def _safe_next(target: str | None) -> str:
    """``target`` if it is a path on this site, else the queue: no open redirect."""
    default = url_for(".queue")
    if not target or not target.startswith("/") or target.startswith("//"):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target:
        return default
    if any(ord(char) < 32 or ord(char) == 127 for char in target):
        return default  # urlsplit drops CR/LF/TAB silently; a header must not get them
    return target
