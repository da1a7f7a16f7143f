"""Admin sessions end on the server: logout, everywhere, password, deactivation, time."""

from __future__ import annotations

import datetime as dt
from http.cookies import SimpleCookie

import pytest
from factories import make_admin
from helpers import ADMIN_EMAIL, ADMIN_PASSWORD, audit_log, csrf_token
from sqlalchemy import update

from signon.database import utcnow, write_transaction
from signon.extensions import db
from signon.models import AdminSession

PRIVATE_PAGES = ["/admin/", "/admin/people", "/admin/outbox"]


def _login(app, email=ADMIN_EMAIL, password=ADMIN_PASSWORD, environ=None):
    client = app.test_client()
    if environ:
        client.environ_base.update(environ)
    page = client.get("/admin/login").get_data(as_text=True)
    response = client.post(
        "/admin/login", data={"email": email, "password": password, "csrf_token": csrf_token(page)}
    )
    return client, response


def _session_cookie(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None, "no session cookie"
    return cookie.value


def _copy_of(app, cookie: str):
    """Another browser holding a copy of ``cookie`` (stolen, or from before logout)."""
    thief = app.test_client()
    thief.set_cookie("session", cookie, domain="localhost")
    return thief


def _opens(client, path: str) -> bool:
    return client.get(path).status_code == 200


@pytest.fixture
def admin(app):
    with app.app_context():
        make_admin(ADMIN_EMAIL, ADMIN_PASSWORD)


def _post_button(client, path: str):
    token = csrf_token(client.get("/admin/").get_data(as_text=True))
    return client.post(path, data={"csrf_token": token})


def test_a_copied_cookie_dies_with_logout(app, admin):
    """After logout, a copy of the session cookie taken before opens no admin page."""
    client, response = _login(app)
    assert response.status_code == 302
    copy = _copy_of(app, _session_cookie(client))
    assert all(_opens(copy, path) for path in PRIVATE_PAGES)
    assert _post_button(client, "/admin/logout").status_code == 302
    for path in PRIVATE_PAGES:
        answer = copy.get(path)
        assert answer.status_code == 302 and "/admin/login" in answer.headers["Location"], path


def test_log_out_everywhere_ends_every_browser(app, admin):
    """The button ends this session and every other one of the account."""
    first, _ = _login(app)
    second, _ = _login(app)
    assert _opens(first, "/admin/") and _opens(second, "/admin/")
    assert _post_button(first, "/admin/logout-everywhere").status_code == 302
    assert not _opens(first, "/admin/")
    assert not _opens(second, "/admin/")
    actions = [e.action for e in audit_log(app, sessions=True)]
    assert actions == ["login", "login", "logout-everywhere"]


@pytest.mark.parametrize(
    "command",
    [
        ["admin", "password", ADMIN_EMAIL, "--password-stdin"],
        ["admin", "deactivate", ADMIN_EMAIL],
    ],
    ids=["password-change", "deactivation"],
)
def test_password_change_and_deactivation_end_every_session(app, admin, command):
    """Both end the sessions the account has now, cookie copies included."""
    client, _ = _login(app)
    copy = _copy_of(app, _session_cookie(client))
    result = app.test_cli_runner().invoke(args=command, input="a brand new password\n")
    assert result.exit_code == 0, result.output
    assert not _opens(client, "/admin/") and not _opens(copy, "/admin/")


def test_a_new_password_works_and_the_old_one_does_not(app, admin):
    """`flask admin password` really changes the password."""
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["admin", "password", ADMIN_EMAIL, "--password-stdin"], input="a brand new password\n"
    )
    assert result.exit_code == 0, result.output
    assert _login(app)[1].status_code == 400
    assert _login(app, password="a brand new password")[1].status_code == 302


def test_idle_sessions_end(app_factory):
    """Without a request for ADMIN_SESSION_IDLE_MINUTES the session is over."""
    app = app_factory(ADMIN_SESSION_IDLE_MINUTES=30)
    with app.app_context():
        make_admin(ADMIN_EMAIL, ADMIN_PASSWORD)
    client, _ = _login(app)
    _age_sessions(app, last_seen=dt.timedelta(minutes=29))
    assert _opens(client, "/admin/"), "29 minutes idle is still fine"
    _age_sessions(app, last_seen=dt.timedelta(minutes=31))
    assert not _opens(client, "/admin/")


def test_sessions_end_after_their_absolute_lifetime(app_factory):
    """However busy, a session ends ADMIN_SESSION_MAX_HOURS after login."""
    app = app_factory(ADMIN_SESSION_MAX_HOURS=12)
    with app.app_context():
        make_admin(ADMIN_EMAIL, ADMIN_PASSWORD)
    client, _ = _login(app)
    _age_sessions(app, created=dt.timedelta(hours=12, minutes=1))
    assert not _opens(client, "/admin/")


def test_the_cookie_expires_with_the_session(app, admin):
    """The browser drops the cookie itself after the absolute lifetime."""
    _, response = _login(app)
    [header] = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
    cookie = SimpleCookie(header)["session"]
    assert cookie["expires"], "a permanent cookie with an expiry date"
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


def test_login_starts_a_fresh_session(app, admin):
    """Whatever the browser had before logging in does not become the logged-in session."""
    client = app.test_client()
    client.get("/admin/login")
    before = _session_cookie(client)
    page = client.get("/admin/login").get_data(as_text=True)
    client.post(
        "/admin/login",
        data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "csrf_token": csrf_token(page)},
    )
    after = _session_cookie(client)
    assert after != before
    assert not _opens(_copy_of(app, before), "/admin/")


def test_the_database_holds_no_usable_session_token(app, admin):
    """Only a keyed hash of the cookie's session id is stored."""
    client, _ = _login(app)
    with app.app_context():
        [row] = db.session.scalars(db.select(AdminSession)).all()
        stored = row.token_hash
    assert stored not in _session_cookie(client)


def test_logins_failures_and_logouts_are_audited(app, admin):
    """Who logged in, who failed (the account, never the address typed), who left."""
    _login(app, password="wrong password!")
    _login(app, email="nobody@example.org", password="wrong password!")
    client, _ = _login(app)
    _post_button(client, "/admin/logout")
    events = audit_log(app, sessions=True)
    assert [e.action for e in events] == ["login-failed", "login-failed", "login", "logout"]
    known, unknown, login, logout = events
    assert known.subject_admin_id == 1 and known.admin_id is None
    assert unknown.subject_admin_id is None and unknown.detail == "unknown account"
    assert "nobody" not in unknown.detail
    assert login.admin_id == logout.admin_id == 1


def _age_sessions(app, *, last_seen=None, created=None) -> None:
    with app.app_context(), write_transaction():
        values = {}
        if last_seen is not None:
            values["last_seen_at"] = utcnow() - last_seen
        if created is not None:
            values["created_at"] = utcnow() - created
        db.session.execute(update(AdminSession).values(**values))


@pytest.mark.parametrize("change", ["password", "deactivate"])
def test_a_login_that_races_a_change_gets_no_session(app, admin, change):
    """A password checked just before a change or deactivation does not open a session."""
    from signon.models import Admin
    from signon.services import admins

    with app.app_context():
        checked = admins.authenticate(ADMIN_EMAIL, ADMIN_PASSWORD)
        assert checked is not None
        with write_transaction():
            account = db.session.scalar(db.select(Admin))
            if change == "password":
                admins.set_password(account, "a brand new password")
            else:
                admins.set_active(account, False)
        with write_transaction():
            assert admins.start_session(checked) is None
        with write_transaction():
            assert db.session.scalars(db.select(AdminSession)).all() == []


def test_please_log_in_is_a_request_not_a_success(client):
    """The message on the way to the login page is styled as information."""
    page = client.get("/admin/", follow_redirects=True).get_data(as_text=True)
    assert '<div class="flash flash-info" role="status" tabindex="-1" data-focus-on-load>' in page
    assert "Please log in to see that page." in page
