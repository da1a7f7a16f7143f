"""Logging in and out, and the check of the session on every admin request."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from ..database import in_write_transaction, write_transaction
from ..extensions import login_manager
from ..filters import number
from ..models import Admin
from ..ratelimits import (
    count_account_failure,
    limiter,
    login_account_network_key,
    login_wait,
    setting,
    wait_page,
)
from ..services import admins
from . import bp, devices
from .common import checked
from .forms import ActionForm, LoginForm

# The session cookie's key for the random id of the AdminSession row.
SESSION_TOKEN = "admin_session"  # noqa: S105 -- a key name, not a secret

login_manager.login_view = "admin.login"
login_manager.login_message = _l("Please log in to see that page.")
# Flask-Login flashes str(login_message): the lazy text, in the request's language.
login_manager.localize_callback = str
login_manager.login_message_category = "info"  # a request, not a success


@login_manager.user_loader
def load_admin(admin_id: str) -> Admin | None:
    """The logged-in admin, if the session the cookie names is still live.

    Checked on every request: deactivation, a password change, logging out
    (here or everywhere) and the idle and absolute timeouts all end it, and
    a copy of the cookie made before then opens nothing. A read; it writes
    only to move the idle clock on (once a minute) or sweep an ended session.
    """
    token = session.get(SESSION_TOKEN)
    if not isinstance(token, str):
        return None
    check = admins.check_session(token)
    if check.bookkeeping:
        if in_write_transaction():  # current_user first used inside a view's unit
            admins.keep_session_books(token)
        else:
            with write_transaction():
                admins.keep_session_books(token)
    admin = check.admin
    if admin is None or str(admin.id) != admin_id:
        return None
    return admin


@bp.context_processor
def admin_context() -> dict[str, object]:
    """The logged-in admin, and the log-out button's form with its CSRF token."""
    # formdata=None: the button only needs a CSRF token, never the request body.
    return {"current_user": current_user, "logout_form": ActionForm(formdata=None)}


def _failed(response: Response) -> bool:
    return response.status_code != 302


# Only failed attempts (a slowed-down one included) count against the network
# and the (account, network) pair: a brute force slows to a crawl while an
# admin who logs in is never held back. The account as a whole is slowed,
# never locked (ratelimits.login_wait, checked in the view after these).
@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(setting("RATELIMIT_LOGIN"), methods=["POST"], deduct_when=_failed)
@limiter.limit(
    setting("RATELIMIT_LOGIN_PER_ACCOUNT"),
    key_func=login_account_network_key,
    methods=["POST"],
    deduct_when=_failed,
)
def login() -> Response | str | tuple[str, int]:
    """Log in. A wrong password and an unknown address get the same answer."""
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data
        wait = None if devices.known(request, email) else login_wait()
        if wait is not None:
            return wait_page(wait)
        found = admins.authenticate(email, form.password.data)
        token = None
        if found is not None:
            with write_transaction():
                token = admins.start_session(found)
        if token is not None:
            # A fresh session: nothing from before the login (a planted
            # cookie, an old flash) carries over into the logged-in one.
            session.clear()
            session.permanent = True  # expires with ADMIN_SESSION_MAX_HOURS
            session[SESSION_TOKEN] = token
            login_user(found.admin)
            response = redirect(_safe_next(request.args.get("next")))
            devices.remember(request, response, email)
            return response
        with write_transaction():
            admins.record_failed_login(email)
        count_account_failure()
        form.password.errors.append(_("That email and password do not match an account."))
    status = 400 if form.errors else 200
    return render_template("admin/login.html", form=form), status


@bp.post("/logout")
def logout() -> Response:
    """Log out (a POST with CSRF, so no page can log an admin out)."""
    checked(ActionForm())
    token = session.get(SESSION_TOKEN)
    if current_user.is_authenticated and isinstance(token, str):
        with write_transaction():
            admins.end_session(token, current_user)
    logout_user()
    session.clear()
    flash(_("You are logged out."))
    return redirect(url_for(".login"))


@bp.post("/logout-everywhere")
@login_required
def logout_everywhere() -> Response:
    """End every session of this account, on every browser, this one included."""
    checked(ActionForm())
    with write_transaction():
        ended = admins.log_out_everywhere(current_user)
    logout_user()
    session.clear()
    # The count formatted for the language (flask_babel's own ``num`` would be the bare int).
    flash(
        ngettext(
            "You are logged out on every browser (%(count)s session ended).",
            "You are logged out on every browser (%(count)s sessions ended).",
            ended,
            count=number(ended),
        )
    )
    return redirect(url_for(".login"))


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
