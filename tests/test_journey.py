"""The whole journey through the test client, and what it must never show."""

from __future__ import annotations

import logging
import re

from factories import make_admin
from helpers import ADMIN_EMAIL, ADMIN_PASSWORD, csrf_token, link_in, outbox, sign

from signon.services import outbox as outbox_service

CONTACT = {
    "contact_name": "Zarina Verysecret",
    "contact_email": "zarina.verysecret@example.org",
    "contact_role": "Clandestine Treasurer",
}


def _walk_the_journey(app, client):
    """Publish, sign, confirm by email, verify as admin; return the admin client."""
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    with app.app_context():
        make_admin(ADMIN_EMAIL, ADMIN_PASSWORD)

    # A visitor reads the statement and signs it.
    page = client.get("/s/wsa-chechnya-2017")
    assert page.status_code == 200 and "Sign the statement" in page.get_data(as_text=True)
    form = {
        "org_name": "Queer Solidarity Collective",
        "org_type": "collective",
        "country": "AR",
        "city": "Rosario",
        "website": "qsc.example.org",
        "comment": "Never again.",
        "listing": "listed",
        "consent": "y",
        **CONTACT,
    }
    signed = client.post("/s/wsa-chechnya-2017/sign", data=form, follow_redirects=True)
    assert "Check your email" in signed.get_data(as_text=True)

    # The contact opens the emailed link and presses the button.
    [message] = outbox(app)
    assert message.subject == (
        "Please confirm your signature: WSA Statement on the Atrocities Committed in Chechnya"
    )
    confirm = link_in(message, "confirm")
    assert "Confirm our signature" in client.get(confirm).get_data(as_text=True)
    confirmed = client.post(confirm, follow_redirects=True).get_data(as_text=True)
    assert "Your signature is confirmed" in confirmed

    # Not listed until an admin verifies it.
    html = client.get("/s/wsa-chechnya-2017").get_data(as_text=True)
    assert "Queer Solidarity Collective" not in html

    admin = app.test_client()
    login = admin.get("/admin/login").get_data(as_text=True)
    admin.post(
        "/admin/login",
        data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "csrf_token": csrf_token(login)},
    )
    queue = admin.get("/admin/").get_data(as_text=True)
    assert "Queer Solidarity Collective" in queue
    signature_id = re.search(r"/admin/signatures/(\d+)/verify", queue).group(1)
    admin.post(f"/admin/signatures/{signature_id}/verify", data={"csrf_token": csrf_token(queue)})
    return admin


def test_publish_sign_confirm_verify_list(app, client):
    """From an empty site to a verified, listed, counted signatory."""
    _walk_the_journey(app, client)
    html = client.get("/s/wsa-chechnya-2017").get_data(as_text=True)
    assert "Queer Solidarity Collective" in html
    assert "1 organisation" in html and "1 country" in html
    assert "Collective · Rosario, Argentina" in html
    kinds = [m.kind for m in outbox(app)]
    assert kinds == ["confirm", "verified"]


def test_contact_details_appear_on_no_public_page(app, client):
    """After the journey, no public URL shows a contact's name, email or role."""
    _walk_the_journey(app, client)
    public = [
        rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods
        and not rule.rule.startswith(("/admin", "/dev", "/static"))
        and not rule.arguments - {"slug"}
    ]
    assert public, "the URL map has public pages"
    for rule in public:
        url = rule.rule.replace("<slug:slug>", "wsa-chechnya-2017")
        body = client.get(url, follow_redirects=True).get_data(as_text=True)
        for secret in CONTACT.values():
            assert secret not in body, f"{secret!r} leaked on {url}"
            assert secret.split()[-1] not in body, f"part of {secret!r} leaked on {url}"


def test_no_log_line_carries_contact_details_or_the_ip(app, caplog):
    """Signing, confirming, verifying, delivering and refusing log nothing personal."""
    caplog.set_level(logging.DEBUG)
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "203.0.113.77"
    _walk_the_journey(app, client)
    with app.app_context():
        outbox_service.deliver_due()  # the worker's log lines too
    sign(client, "wsa-chechnya-2017", contact_email="not-an-email", consent=None)
    logged = "\n".join(f"{r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records)
    assert caplog.records, "the journey logs something (delivery at least)"
    for secret in [*CONTACT.values(), "203.0.113.77"]:
        assert secret not in logged


def test_an_unexpected_error_is_logged_without_its_message(app, caplog):
    """A 500 logs the exception's class and stack, never its message (it may quote data)."""

    address = CONTACT["contact_email"]

    def boom() -> str:
        raise RuntimeError(f"Key (email_canonical)=({address}) already exists")

    app.add_url_rule("/test-boom", "test_boom", boom)
    caplog.set_level(logging.DEBUG)
    response = app.test_client().get("/test-boom")
    assert response.status_code == 500
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "RuntimeError" in logged and "boom" in logged
    assert address not in logged
