"""Before launch: founding signatories sign through a private link; the launch makes it public."""

from __future__ import annotations

import datetime as dt
import re

from factories import make_statement
from helpers import audit_log, csrf_token, link_in, outbox, sign, signatures

from signon.database import utcnow, write_transaction
from signon.extensions import db
from signon.models import AuditAction, SignatureState, Statement, StatementState
from signon.services import authoring

SLUG = "founding-statement"


def _draft(app, **fields) -> int:
    with app.app_context():
        return make_statement(SLUG, state=StatementState.draft, **fields).id


def _post(admin_client, url: str):
    token = csrf_token(admin_client.get("/admin/statements").get_data(as_text=True))
    return admin_client.post(url, data={"csrf_token": token})


def _private_link(admin_client, statement_id: int) -> str:
    assert _post(admin_client, f"/admin/statements/{statement_id}/private-link").status_code == 302
    html = admin_client.get(f"/admin/statements/{statement_id}/edit").get_data(as_text=True)
    found = re.search(r'id="private-link" type="text" readonly value="[^"]*(/e/[\w-]+)"', html)
    assert found, "the editor shows the private link"
    return found.group(1)


def _statement(app) -> Statement:
    with app.app_context():
        found = db.session.scalar(db.select(Statement).where(Statement.slug == SLUG))
        db.session.expunge_all()
        return found


def test_founding_signatories_sign_through_the_private_link_and_are_listed_at_launch(
    app, client, admin_client
):
    statement_id = _draft(app)
    assert client.get(f"/s/{SLUG}").status_code == 404  # a draft is not public
    link = _private_link(admin_client, statement_id)
    assert len(link.rsplit("/", 1)[1]) >= 32  # unguessable

    page = client.get(link)
    assert page.status_code == 200
    # Never indexed, never cached, no Referer carrying the token to other sites.
    assert page.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-store" in page.headers["Cache-Control"]
    assert page.headers["Referrer-Policy"] == "same-origin"
    html = page.get_data(as_text=True)
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert f'action="{link}/sign#sign"' in html
    assert "Please do not share the link." in html
    assert 'rel="canonical"' not in html and "Share this statement" not in html

    # A founding signature: signed, confirmed from the email, verified.
    response = sign(client, SLUG, org_name="Founding Union", path=f"{link}/sign")
    assert response.status_code == 303
    assert response.headers["Location"] == f"{link}/signed"
    assert client.get(f"{link}/signed").status_code == 200
    email = outbox(app)[-1]
    assert link in email.body_text  # the email's "read the statement" is the private link
    assert f"/s/{SLUG}" not in email.body_text.replace(link, "")
    client.post(link_in(email, "confirm"))
    [signature] = signatures(app)
    assert signature.state is SignatureState.confirmed and signature.founding
    queue = admin_client.get("/admin/").get_data(as_text=True)
    assert "Founding Union" in queue
    _post(admin_client, f"/admin/signatures/{signature.id}/verify")
    told = outbox(app)[-1]  # not "you are listed": the list is not public yet
    assert told.subject == "Your signature is verified: A Test Statement"
    assert "is not public yet: from its launch" in told.body_text
    assert "now appears among the signatories" not in told.body_text
    editor = admin_client.get(f"/admin/statements/{statement_id}/edit").get_data(as_text=True)
    assert "1 founding signature is verified and will be listed at launch." in editor
    assert client.get(f"/s/{SLUG}").status_code == 404  # still not public

    # The launch: public, with its founding list already on it.
    assert _post(admin_client, f"/admin/statements/{statement_id}/launch").status_code == 302
    with app.app_context():
        app.extensions.pop("signon.statement_views", None)
    public = client.get(f"/s/{SLUG}")
    assert public.status_code == 200
    assert "Founding Union" in public.get_data(as_text=True)
    assert "founding signatory" in public.get_data(as_text=True)
    record = client.get(f"/s/{SLUG}/signatories.json").get_json()["signatories"][0]
    assert record["founding"] is True
    # The private link no longer opens the form: the founders' emails lead to the public page.
    moved = client.get(link)
    assert moved.status_code == 303 and moved.headers["Location"] == f"/s/{SLUG}"
    assert client.post(f"{link}/sign").status_code == 303
    launched = _statement(app)
    assert launched.state is StatementState.open and launched.version == 1
    assert launched.launched_at is not None
    actions = [event.action for event in audit_log(app)]
    assert AuditAction.launch_statement in actions
    assert AuditAction.publish_statement not in actions


def test_a_revoked_private_link_is_refused_at_once(app, client, admin_client):
    statement_id = _draft(app)
    link = _private_link(admin_client, statement_id)
    sign(client, SLUG, path=f"{link}/sign")  # pending, not yet confirmed
    assert _post(admin_client, f"/admin/statements/{statement_id}/private-link/revoke").status_code
    page = client.get(link)
    assert page.status_code == 404
    assert "This private link does not work" in page.get_data(as_text=True)
    assert sign(
        client, SLUG, path=f"{link}/sign", contact_email="late@example.org"
    ).status_code == (404)
    assert client.get(f"{link}/signed").status_code == 404
    # A founding signature not yet confirmed can no longer be.
    confirm = link_in(outbox(app)[-1], "confirm")
    assert client.post(confirm).status_code == 409
    assert len(signatures(app)) == 1
    events = [e for e in audit_log(app) if e.action is AuditAction.edit_statement]
    assert [e.detail for e in events] == ["private link created", "private link revoked"]
    assert all("/e/" not in str(e.changes) for e in events)  # the secret is not logged
    # A new link is a new secret.
    assert _private_link(admin_client, statement_id) != link


def test_the_launch_at_a_set_time(app, client, runner):
    _draft(app, launch_at=utcnow() + dt.timedelta(hours=1))
    result = runner.invoke(args=["statements", "launch-due"])
    assert result.exit_code == 0 and "Statements launched: 0." in result.output
    assert client.get(f"/s/{SLUG}").status_code == 404
    with app.app_context(), write_transaction():
        assert authoring.launch_due(utcnow() + dt.timedelta(hours=2)) == 1
    assert _statement(app).state is StatementState.open
    assert client.get(f"/s/{SLUG}").status_code == 200
    [event] = [e for e in audit_log(app) if e.action is AuditAction.publish_statement]
    assert event.admin_id is None and "launch_at" in event.detail


def test_the_outbox_worker_launches_what_is_due(app, client):
    _draft(app, launch_at=utcnow() - dt.timedelta(minutes=1))
    result = app.test_cli_runner().invoke(args=["outbox", "work", "--once"])
    assert result.exit_code == 0, result.output
    assert _statement(app).state is StatementState.open


def test_a_private_link_is_for_drafts_only(app, admin_client):
    with app.app_context():
        statement_id = make_statement(SLUG).id  # open
    response = _post(admin_client, f"/admin/statements/{statement_id}/private-link")
    assert response.status_code == 409
    assert _statement(app).embargo_token is None


def test_a_made_up_private_link_is_not_found(client, app):
    _draft(app)
    assert client.get("/e/" + "x" * 32).status_code == 404
    assert client.get("/e/" + "x" * 500).status_code == 404


def test_at_launch_founders_sign_version_1_and_earlier_translations_are_current(
    app, client, admin_client
):
    statement_id = _draft(app)
    link = _private_link(admin_client, statement_id)
    html = client.get(link).get_data(as_text=True)
    sign(client, SLUG, org_name="Early Union", path=f"{link}/sign")
    client.post(link_in(outbox(app)[-1], "confirm"))
    [signature] = signatures(app)
    _post(admin_client, f"/admin/signatures/{signature.id}/verify")
    # A leaked private link does not tell who signed: the count, not the names.
    html = client.get(link).get_data(as_text=True)
    assert "Early Union" not in html
    with app.app_context(), write_transaction():
        statement = db.session.get(Statement, statement_id)
        authoring.save_translation(
            statement, "es", {"title": "Temprano", "standfirst": None, "body": "Texto.\n"}, None
        )
    _post(admin_client, f"/admin/statements/{statement_id}/launch")
    [signature] = signatures(app)
    assert signature.signed_version == 1 and signature.founding
    with app.app_context():
        translation = db.session.get(Statement, statement_id).translations[0]
        assert not translation.outdated
    editor = admin_client.get(f"/admin/statements/{statement_id}/edit").get_data(as_text=True)
    assert "up to date" in editor


def test_a_launch_time_or_deadline_in_the_past_is_refused(app, admin_client):
    from test_statement_editor import _edit

    statement_id = _draft(app)
    past = (utcnow() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    soon = (utcnow() + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    later = (utcnow() + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = _edit(admin_client, statement_id, launch_at=past)
    assert response.status_code == 400
    assert "This time has passed" in response.get_data(as_text=True)
    assert _statement(app).launch_at is None
    response = _edit(admin_client, statement_id, signing_deadline=past)
    assert response.status_code == 400
    response = _edit(admin_client, statement_id, launch_at=later, signing_deadline=soon)
    assert response.status_code == 400
    assert "The deadline must come after the launch." in response.get_data(as_text=True)
    assert (
        _edit(admin_client, statement_id, launch_at=soon, signing_deadline=later).status_code
        == 302
    )
    assert _statement(app).launch_at is not None


def test_a_launch_time_keeps_the_statement_a_draft_until_then(app, admin_client):
    from test_statement_editor import _edit

    statement_id = _draft(app)
    soon = (utcnow() + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = _edit(admin_client, statement_id, launch_at=soon, state="open")
    assert response.status_code == 400
    assert "stays a draft until then" in response.get_data(as_text=True)
    assert _statement(app).state is StatementState.draft


def test_the_editor_says_when_a_launch_time_passed_without_a_launch(app, admin_client):
    _draft(app, launch_at=utcnow() - dt.timedelta(minutes=5))
    statement_id = _statement(app).id
    html = admin_client.get(f"/admin/statements/{statement_id}/edit").get_data(as_text=True)
    assert "The launch time has passed and the statement is still a draft" in html
