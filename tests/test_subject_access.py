"""Subject access and erasure: an admin can show, export and erase one person's data."""

from __future__ import annotations

import json

from factories import make_statement
from helpers import audit_log, csrf_token, outbox, sign, signatures

from signon.models import SignatureState


def _find(admin_client, email):
    token = csrf_token(admin_client.get("/admin/people").get_data(as_text=True))
    return admin_client.post("/admin/people", data={"email": email, "csrf_token": token})


def _act(admin_client, action, email):
    token = csrf_token(admin_client.get("/admin/people").get_data(as_text=True))
    return admin_client.post(f"/admin/people/{action}", data={"email": email, "csrf_token": token})


def _two_signatures(client, app):
    with app.app_context():
        make_statement("first")
        make_statement("second")
    sign(client, "first", contact_email="sam.person@gmail.com")
    sign(client, "second", contact_email="SamPerson+other@gmail.com", org_name="Second Org")
    sign(client, "first", contact_email="someone.else@example.org", org_name="Unrelated")


def test_find_shows_every_signature_of_the_address_across_statements(admin_client, client, app):
    """Canonical matching finds both signatures, and nothing of anyone else."""
    _two_signatures(client, app)
    response = _find(admin_client, "Sam.Person@gmail.com")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    assert "Rainbow Workers Union" in html and "Second Org" in html
    assert "Unrelated" not in html
    assert "2 emails to this address" in html


def test_export_is_a_complete_json_file_and_is_audited(admin_client, client, app):
    """The export holds the contact data and the emails; the audit log holds no address."""
    _two_signatures(client, app)
    response = _act(admin_client, "export", "sam.person@gmail.com")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert {s["statement"] for s in data["signatures"]} == {"first", "second"}
    assert data["signatures"][0]["contact_name"] == "Alex Private-Contact"
    assert len(data["emails"]) == 2 and data["emails"][0]["kind"] == "confirm"
    with app.app_context():
        [event] = audit_log(app)
        assert event.action == "export" and "@" not in event.detail


def test_erase_withdraws_everything_and_leaves_others_alone(admin_client, client, app):
    """Erasure withdraws each signature, deletes its emails, and is audited per signature."""
    _two_signatures(client, app)
    response = _act(admin_client, "erase", "sam.person@gmail.com")
    assert response.status_code == 302
    rows = signatures(app)
    assert [r.state for r in rows] == [
        SignatureState.withdrawn,
        SignatureState.withdrawn,
        SignatureState.pending,
    ]
    assert rows[0].contact_email is None and rows[1].org_name == ""
    assert [m.recipient for m in outbox(app)] == ["someone.else@example.org"]
    with app.app_context():
        actions = [e.action for e in audit_log(app)]
    assert actions == ["erase", "erase"]
    assert "Nothing is held" in _find(admin_client, "sam.person@gmail.com").get_data(as_text=True)


def test_requests_need_a_valid_address_and_the_csrf_token(admin_client, client, app):
    """A bad address is a form error; a POST without token is refused; nothing changes."""
    _two_signatures(client, app)
    assert _find(admin_client, "not an address").status_code == 400
    refused = admin_client.post("/admin/people/erase", data={"email": "sam.person@gmail.com"})
    assert refused.status_code == 400
    assert all(r.state is SignatureState.pending for r in signatures(app))
    # Without a session there is no CSRF token to match: refused before login.
    assert client.post("/admin/people/export", data={}).status_code == 400
