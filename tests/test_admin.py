"""Admin: accounts, login, the verification queue, verify and reject."""

from __future__ import annotations

from factories import make_admin
from helpers import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    audit_log,
    csrf_token,
    link_in,
    outbox,
    sign,
    signatures,
)

from signon.extensions import db
from signon.models import Admin, SignatureState


def _confirmed(client, app, slug, **changes):
    sign(client, slug, **changes)
    client.post(link_in(outbox(app)[-1], "confirm"))
    return signatures(app)[-1]


def _post(admin_client, url, **data):
    token = csrf_token(admin_client.get("/admin/").get_data(as_text=True))
    return admin_client.post(url, data={"csrf_token": token, **data})


def test_passwords_are_stored_as_argon2id(ctx):
    """The stored hash is Argon2id, never the password."""
    admin = make_admin("Someone@Example.org", "a long enough password")
    assert admin.email == "someone@example.org"
    assert admin.password_hash.startswith("$argon2id$")
    assert "a long enough password" not in admin.password_hash


def test_admin_pages_need_a_login(client):
    """The queue sends a visitor to the login page."""
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login")


def test_login_does_not_reveal_whether_an_account_exists(client, app):
    """A wrong password and an unknown address get the same answer."""
    with app.app_context():
        make_admin(ADMIN_EMAIL, ADMIN_PASSWORD)
    answers = []
    for email in (ADMIN_EMAIL, "nobody@example.org"):
        token = csrf_token(client.get("/admin/login").get_data(as_text=True))
        response = client.post(
            "/admin/login",
            data={"email": email, "password": "wrong password!", "csrf_token": token},
        )
        html = response.get_data(as_text=True)
        answers.append((response.status_code, "do not match an account" in html))
    assert answers == [(400, True), (400, True)]


def test_login_then_logout(admin_client):
    """A logged-in admin sees the queue; after logging out, no longer."""
    assert admin_client.get("/admin/").status_code == 200
    response = _post(admin_client, "/admin/logout")
    assert response.status_code == 302
    assert admin_client.get("/admin/").status_code == 302


def test_deactivated_admin_cannot_log_in(client, app):
    """An inactive account is refused like a wrong password."""
    with app.app_context():
        make_admin(ADMIN_EMAIL, ADMIN_PASSWORD)
        db.session.scalar(db.select(Admin)).active = False
        db.session.commit()
    token = csrf_token(client.get("/admin/login").get_data(as_text=True))
    response = client.post(
        "/admin/login",
        data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 400


def test_queue_shows_confirmed_signatures_with_their_contact(admin_client, client, app, statement):
    """Confirmed signatures wait in the queue; pending ones do not."""
    _confirmed(client, app, statement)
    sign(client, statement, contact_email="pending@example.org", org_name="Still Pending")
    page = admin_client.get("/admin/")
    html = page.get_data(as_text=True)
    assert "Rainbow Workers Union" in html and "alex.private@example.org" in html
    assert "Still Pending" not in html
    assert "no-store" in page.headers["Cache-Control"]


def test_verify_lists_the_signature_emails_the_contact_and_is_audited(
    admin_client, client, app, statement
):
    """Verify makes the signature public and queues the 'you are listed' email."""
    row = _confirmed(client, app, statement)
    response = _post(admin_client, f"/admin/signatures/{row.id}/verify")
    assert response.status_code == 302
    [row] = signatures(app)
    assert row.state is SignatureState.verified and row.verified_at is not None
    verified = outbox(app)[-1]
    assert verified.kind == "verified" and verified.recipient == "alex.private@example.org"
    assert "now appears among the signatories" in verified.body_text
    assert link_in(verified, "withdraw")
    html = client.get(f"/s/{statement}").get_data(as_text=True)
    assert "Rainbow Workers Union" in html and "1 organisation" in html
    [event] = audit_log(app)
    assert (event.action, event.signature_id, event.admin_id) == ("verify", row.id, 1)


def test_verifying_twice_sends_one_email(admin_client, client, app, statement):
    """Verify is idempotent: the second press changes nothing."""
    row = _confirmed(client, app, statement)
    _post(admin_client, f"/admin/signatures/{row.id}/verify")
    _post(admin_client, f"/admin/signatures/{row.id}/verify")
    assert [m.kind for m in outbox(app)] == ["confirm", "verified"]


def test_reject_keeps_the_signature_off_the_list_with_a_reason(
    admin_client, client, app, statement
):
    """Reject records the reason, emails nobody, and is audited."""
    row = _confirmed(client, app, statement)
    _post(admin_client, f"/admin/signatures/{row.id}/reject", reason="Not an organisation")
    [row] = signatures(app)
    assert row.state is SignatureState.rejected
    assert row.rejection_reason == "Not an organisation"
    assert [m.kind for m in outbox(app)] == ["confirm"]
    assert "Rainbow Workers Union" not in client.get(f"/s/{statement}").get_data(as_text=True)
    with app.app_context():
        assert [e.action for e in audit_log(app)] == ["reject"]


def test_pending_signatures_cannot_be_verified(admin_client, client, app, statement):
    """Only confirmed signatures can be verified: the email was never proven."""
    sign(client, statement)
    _post(admin_client, "/admin/signatures/1/verify")
    assert signatures(app)[0].state is SignatureState.pending


def test_admin_actions_need_the_csrf_token(admin_client, client, app, statement):
    """A verify POST without the token is refused and changes nothing."""
    row = _confirmed(client, app, statement)
    response = admin_client.post(f"/admin/signatures/{row.id}/verify")
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    assert signatures(app)[0].state is SignatureState.confirmed


def _fail_all_email(app):
    from signon.models import OutboxMessage, OutboxState

    with app.app_context():
        for message in db.session.scalars(db.select(OutboxMessage)):
            message.state = OutboxState.failed
            message.attempts = 8
            message.last_error = "SMTPRecipientsRefused 550"
        db.session.commit()


def test_failed_email_is_shown_to_admins_and_can_be_retried(admin_client, client, app, statement):
    """A failed message is visible (queue alert, delivery page) and retry requeues it."""
    sign(client, statement)
    _fail_all_email(app)
    assert "1 email could not be delivered" in admin_client.get("/admin/").get_data(as_text=True)
    page = admin_client.get("/admin/outbox").get_data(as_text=True)
    assert "SMTPRecipientsRefused 550" in page and "<strong>1</strong> failed" in page
    response = _post(admin_client, "/admin/outbox/1/retry")
    assert response.status_code == 302
    [message] = outbox(app)
    assert (message.state.value, message.attempts, message.failed_at) == ("queued", 0, None)
    with app.app_context():
        assert [e.action for e in audit_log(app)] == ["retry-email"]


def test_retry_needs_a_failed_message_and_the_csrf_token(admin_client, client, app, statement):
    """Retry changes nothing for a queued message, and refuses a POST without token."""
    sign(client, statement)
    _post(admin_client, "/admin/outbox/1/retry")
    assert outbox(app)[0].attempts == 0
    _fail_all_email(app)
    assert admin_client.post("/admin/outbox/1/retry").status_code == 400
    assert outbox(app)[0].state.value == "failed"


def test_comments_are_published_only_when_an_admin_says_so(admin_client, client, app, statement):
    """A comment shows on the public list after approval, and can be hidden again."""
    row = _confirmed(client, app, statement, comment="Borders are for crossing.")
    _post(admin_client, f"/admin/signatures/{row.id}/verify")
    public = f"/s/{statement}"
    assert "Borders are for crossing." not in client.get(public).get_data(as_text=True)
    _post(admin_client, f"/admin/signatures/{row.id}/comment", approved="1")
    assert "Borders are for crossing." in client.get(public).get_data(as_text=True)
    _post(admin_client, f"/admin/signatures/{row.id}/comment", approved="0")
    assert "Borders are for crossing." not in client.get(public).get_data(as_text=True)
    with app.app_context():
        actions = [e.action for e in audit_log(app)]
    assert actions == ["verify", "approve-comment", "hide-comment"]
    bad = _post(admin_client, f"/admin/signatures/{row.id}/comment", approved="maybe")
    assert bad.status_code == 400


def test_queue_flags_many_signatures_from_one_network(admin_client, client, app, statement):
    """Three signatures from one network in a day are pointed out to the admin."""
    for n in range(3):
        _confirmed(client, app, statement, contact_email=f"n{n}@example.org")
    html = admin_client.get("/admin/").get_data(as_text=True)
    assert "3 signatures from this network in 24 hours" in html


def test_deactivating_an_admin_ends_their_open_session(admin_client, app):
    """An account switched off is logged out on its next request."""
    assert admin_client.get("/admin/").status_code == 200
    with app.app_context():
        db.session.scalar(db.select(Admin)).active = False
        db.session.commit()
    assert admin_client.get("/admin/").status_code == 302


def test_a_latin_look_alike_in_another_alphabet_is_accepted_and_flagged(
    admin_client, client, app, statement
):
    """A Cyrillic "ВВС" is a real name and also what "BBC" looks like: the queue says so."""
    _confirmed(client, app, statement, org_name="ВВС Русская служба")
    _confirmed(client, app, statement, org_name="Союз журналистов", contact_email="b@example.org")
    queue = admin_client.get("/admin/").get_data(as_text=True)
    flag = "letters that look Latin"
    assert queue.count(flag) == 1
    flagged_row = queue[: queue.index(flag)].rsplit("<tr>", 1)[1]
    assert "ВВС Русская служба" in flagged_row
