"""Confirmation and withdrawal links: a page with a button, POST to act."""

from __future__ import annotations

from factories import make_statement
from helpers import link_in, outbox, sign, signatures

from signon.models import SignatureState
from signon.services import tokens
from signon.services.privacy import keyed_hash


def _signed(client, app, slug):
    sign(client, slug)
    return outbox(app)[-1]


def test_opening_the_link_shows_a_button_and_confirms_nothing(client, app, statement):
    """GET (what mail scanners do) only shows the page."""
    path = link_in(_signed(client, app, statement), "confirm")
    for _ in range(2):
        page = client.get(path)
        assert page.status_code == 200
        assert "Confirm our signature" in page.get_data(as_text=True)
    assert signatures(app)[0].state is SignatureState.pending


def test_pressing_the_button_confirms_and_twice_is_harmless(client, app, statement):
    """POST confirms; a second POST changes nothing and shows the same result."""
    path = link_in(_signed(client, app, statement), "confirm")
    first = client.post(path)
    assert first.status_code == 303 and first.headers["Location"] == path
    [row] = signatures(app)
    assert row.state is SignatureState.confirmed and row.confirmed_at is not None
    second = client.post(path)
    assert second.status_code == 303
    assert signatures(app)[0].confirmed_at == row.confirmed_at
    page = client.get(path).get_data(as_text=True)
    assert "Your signature is confirmed" in page and "checks each signature" in page
    assert len(outbox(app)) == 1, "no email until an admin verifies"


def test_without_verification_confirming_publishes_and_emails(client, app):
    """A statement that needs no verification lists the signature on confirmation."""
    with app.app_context():
        make_statement("open-list", needs_verification=False)
    path = link_in(_signed(client, app, "open-list"), "confirm")
    client.post(path)
    assert signatures(app)[0].state is SignatureState.verified
    assert [m.kind for m in outbox(app)] == ["confirm", "verified"]
    assert "Rainbow Workers Union" in client.get("/s/open-list").get_data(as_text=True)


def test_confirm_sets_no_cookie(client, app, statement):
    """The button works without any cookie; none is set."""
    path = link_in(_signed(client, app, statement), "confirm")
    assert "Set-Cookie" not in client.get(path).headers
    assert "Set-Cookie" not in client.post(path).headers


def test_expired_link_says_so_and_points_to_the_statement(app_factory):
    """An expired link gets a clear page with the way to a new one."""
    app = app_factory(CONFIRM_TOKEN_MAX_AGE=-1)
    client = app.test_client()
    with app.app_context():
        make_statement()
    path = link_in(_signed(client, app, "test-statement"), "confirm")
    for response in (client.get(path), client.post(path)):
        html = response.get_data(as_text=True)
        assert response.status_code == 400
        assert "This link has expired" in html
        assert 'href="/s/test-statement#sign"' in html
    assert signatures(app)[0].state is SignatureState.pending


def test_withdraw_erases_personal_data_and_kills_old_links(client, app, statement):
    """Withdrawing removes the signature from the list and erases its contact."""
    message = _signed(client, app, statement)
    confirm_path, withdraw_path = link_in(message, "confirm"), link_in(message, "withdraw")
    page = client.get(withdraw_path)
    assert page.status_code == 200 and "Withdraw and erase" in page.get_data(as_text=True)
    response = client.post(withdraw_path)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/s/{statement}/withdrawn"
    [row] = signatures(app)
    assert row.state is SignatureState.withdrawn and row.withdrawn_at is not None
    assert (row.contact_name, row.contact_email, row.email_canonical) == (None, None, None)
    assert (row.org_name, row.contact_role, row.ip_hash) == ("", None, None)
    assert outbox(app) == [], "queued emails with the contact's data are deleted"
    # A used confirm link cannot bring the signature back.
    assert client.post(confirm_path).status_code == 400
    assert client.post(withdraw_path).status_code == 400
    assert signatures(app)[0].state is SignatureState.withdrawn


def test_a_withdrawn_signatory_may_sign_again(client, app, statement):
    """After withdrawal the same address can sign afresh."""
    client.post(link_in(_signed(client, app, statement), "withdraw"))
    sign(client, statement)
    rows = signatures(app)
    assert [r.state for r in rows] == [SignatureState.withdrawn, SignatureState.pending]


def test_confirm_page_offers_to_withdraw_a_mistake(client, app, statement):
    """The confirm page links to withdrawal for a signature with wrong details."""
    html = client.get(link_in(_signed(client, app, statement), "confirm")).get_data(as_text=True)
    assert 'href="/withdraw/' in html


def test_a_statement_closed_meanwhile_cannot_be_confirmed(client, app, statement):
    """A pending signature of a statement that closed stays pending, with a clear page."""
    from signon.extensions import db
    from signon.models import Statement, StatementState

    path = link_in(_signed(client, app, statement), "confirm")
    with app.app_context():
        db.session.scalar(db.select(Statement)).state = StatementState.closed
        db.session.commit()
    assert "This statement is closed" in client.get(path).get_data(as_text=True)
    response = client.post(path)
    assert response.status_code == 409
    assert "stopped taking signatures" in response.get_data(as_text=True)
    assert signatures(app)[0].state is SignatureState.pending


def test_link_fingerprints_are_keyed(client, app, statement):
    """A link's readable payload cannot be matched against a guessed address."""
    import base64
    import hashlib
    import json

    token = link_in(_signed(client, app, statement), "confirm").rsplit("/", 1)[1]
    payload = token.split(".")[0]
    signature_id, fingerprint = json.loads(base64.urlsafe_b64decode(payload + "=="))
    guess = hashlib.sha256(f"{signature_id}:alex.private@example.org".encode()).hexdigest()
    assert fingerprint != guess[:16], "a plain hash of a guessed address must not match"
    from signon.services.privacy import keyed_hash

    material = f"{signature_id}:alex.private@example.org"
    with app.app_context():
        assert fingerprint == keyed_hash("token-fingerprint", material)[:16]
        app.config["SECRET_KEY"] = "another key entirely"
        assert fingerprint != keyed_hash("token-fingerprint", material)[:16]


def test_withdrawal_leaves_nothing_of_a_rejection_reason(admin_client, client, app, statement):
    """A reason an admin wrote is erased with the signature, audit log included."""
    import re

    from helpers import csrf_token

    from signon.extensions import db
    from signon.models import AuditEvent

    message = _signed(client, app, statement)
    client.post(link_in(message, "confirm"))
    queue = admin_client.get("/admin/").get_data(as_text=True)
    signature_id = re.search(r"/admin/signatures/(\d+)/reject", queue).group(1)
    admin_client.post(
        f"/admin/signatures/{signature_id}/reject",
        data={"csrf_token": csrf_token(queue), "reason": "Alex Private-Contact is not a union"},
    )
    client.post(link_in(message, "withdraw"))
    with app.app_context():
        details = db.session.scalars(db.select(AuditEvent.detail)).all()
    assert not any("Alex" in detail for detail in details)
    assert signatures(app)[0].rejection_reason is None


def test_withdrawal_ends_on_a_calm_page_even_if_the_statement_was_unpublished(
    client, app, statement
):
    """Erasing works and says so although the statement went back to draft."""
    from signon.extensions import db
    from signon.models import Statement, StatementState

    path = link_in(_signed(client, app, statement), "withdraw")
    with app.app_context():
        db.session.scalar(db.select(Statement)).state = StatementState.draft
        db.session.commit()
    page = client.post(path, follow_redirects=True)
    assert page.status_code == 200
    assert "Your signature is withdrawn" in page.get_data(as_text=True)
    assert signatures(app)[0].state is SignatureState.withdrawn


def _legacy_token(app, signature_id: int, canonical: str, purpose: str) -> str:
    """A link as emailed before link ids: it named the row id."""
    with app.app_context():
        fingerprint = keyed_hash("token-fingerprint", f"{signature_id}:{canonical}")[:16]
        return tokens._serializer(purpose).dumps([signature_id, fingerprint])


def test_links_emailed_before_link_ids_still_work(client, app, statement):
    """A withdraw link sent long ago (they never expire) still erases the signature."""
    sign(client, statement)
    [row] = signatures(app)
    token = _legacy_token(app, row.id, row.email_canonical, tokens.WITHDRAW)
    assert client.get(f"/withdraw/{token}").status_code == 200
    assert client.post(f"/withdraw/{token}").status_code == 303
    assert signatures(app)[0].state is SignatureState.withdrawn


def test_an_old_style_link_for_another_address_does_not_work(client, app, statement):
    """Knowing a row id is not enough: the fingerprint of the address must match."""
    sign(client, statement)
    [row] = signatures(app)
    token = _legacy_token(app, row.id, "someone.else@example.org", tokens.WITHDRAW)
    assert client.post(f"/withdraw/{token}").status_code == 400
    assert signatures(app)[0].state is SignatureState.pending
