"""Statements written in the admin: create, preview, publish, edit, versions, audit."""

from __future__ import annotations

import re

import pytest
from factories import make_signature, make_statement
from helpers import audit_log, csrf_token, sign, signatures

from signon.extensions import db
from signon.models import (
    AuditAction,
    AuditEvent,
    SignatureState,
    Statement,
    StatementState,
    StatementVersion,
)
from signon.services import authoring
from signon.services.diffs import Piece, word_diff

FORM = {
    "title": "Solidarity with the dock workers",
    "slug": "",
    "standfirst": "Unions everywhere stand with them.",
    "publisher": "Harbour Unions",
    "published_on": "2026-11-30",
    "language": "en",
    "body": "We stand with the dock workers.[^1]\n\n[^1]: Since 2026.\n",
    "state": "draft",
    "signing_deadline": "",
    "needs_verification": "y",
    "who_may_sign": "organisations",
}


def _editor_token(admin_client, url="/admin/statements/new") -> str:
    return csrf_token(admin_client.get(url).get_data(as_text=True))


def _create(admin_client, **changes):
    data = {**FORM, **changes, "csrf_token": _editor_token(admin_client), "save": "1"}
    return admin_client.post("/admin/statements/new", data=data)


def _statement(app, slug="solidarity-with-the-dock-workers") -> Statement:
    with app.app_context():
        found = db.session.scalar(db.select(Statement).where(Statement.slug == slug))
        if found is not None:
            found.versions  # noqa: B018 -- loaded before the session goes
            db.session.expunge_all()
        return found


def _edit(admin_client, statement_id: int, **changes):
    """Open the editor (its fingerprint and token), change fields, save."""
    url = f"/admin/statements/{statement_id}/edit"
    html = admin_client.get(url).get_data(as_text=True)
    data = _fields_of(html)
    data.update(changes)
    data.setdefault("save", "1")
    return admin_client.post(url, data=data)


def _fields_of(html: str) -> dict[str, str]:
    """What the editor's form would send as it stands (inputs, the checked, textareas)."""
    form = html[html.index('<form method="post" action="/admin/statements/') :]
    form = form[: form.index("</form>")]
    data: dict[str, str] = {}
    for tag in re.findall(r"<input [^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        kind = re.search(r'type="([^"]+)"', tag)
        if name is None:
            continue
        if kind and kind.group(1) in ("checkbox", "radio") and "checked" not in tag:
            continue
        data[name.group(1)] = _unescape(value.group(1)) if value else ""
    for name, text in re.findall(
        r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S
    ):
        data[name] = _unescape(text.removeprefix("\n"))
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option selected value="([^"]*)"', options) or re.search(
            r'<option value="([^"]*)" selected', options
        )
        data[name] = chosen.group(1) if chosen else ""
    return data


def _unescape(text: str) -> str:
    import html

    return html.unescape(text)


def test_a_logged_out_visitor_gets_the_login_page_never_the_editor(client, statement, app):
    with app.app_context():
        statement_id = db.session.scalar(db.select(Statement.id))
    for url in ("/admin/statements/new", f"/admin/statements/{statement_id}/edit"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/admin/login" in response.headers["Location"]
        response = client.post(url, data={**FORM, "save": "1"})
        assert response.status_code in (302, 400)
        assert "A Test Statement" not in response.get_data(as_text=True)
    assert _statement(app) is None


def test_saving_needs_the_csrf_token(admin_client, app):
    response = admin_client.post("/admin/statements/new", data={**FORM, "save": "1"})
    assert response.status_code == 400
    assert _statement(app) is None


def test_an_admin_writes_a_draft_that_the_public_cannot_see(admin_client, client, app):
    response = _create(admin_client)
    assert response.status_code == 302
    draft = _statement(app)
    assert draft.slug == "solidarity-with-the-dock-workers"  # suggested from the title
    assert draft.state is StatementState.draft
    assert draft.version == 0 and draft.versions == []
    assert draft.publisher == "Harbour Unions"
    assert client.get("/s/solidarity-with-the-dock-workers").status_code == 404
    assert "Solidarity with the dock workers" in admin_client.get("/admin/statements").get_data(
        as_text=True
    )
    [created] = audit_log(app)
    assert created.action is AuditAction.create_statement
    assert created.changes["title"] == [None, "Solidarity with the dock workers"]
    assert created.changes["state"] == [None, "draft"]


def test_a_draft_edit_makes_no_version_and_publishing_makes_the_first(admin_client, client, app):
    _create(admin_client)
    draft = _statement(app)
    _edit(admin_client, draft.id, body="We stand with the dock workers, a typo fixed.\n")
    assert _statement(app).versions == []
    response = _edit(admin_client, draft.id, state="open")
    assert response.status_code == 302
    published = _statement(app)
    assert published.state is StatementState.open
    assert [v.number for v in published.versions] == [1]
    assert published.versions[0].body == "We stand with the dock workers, a typo fixed.\n"
    page = client.get("/s/solidarity-with-the-dock-workers").get_data(as_text=True)
    assert "a typo fixed" in page
    assert "see what changed" not in page  # one version: nothing to compare
    actions = [event.action for event in audit_log(app)]
    assert actions == [
        AuditAction.create_statement,
        AuditAction.edit_statement,
        AuditAction.publish_statement,
    ]
    assert audit_log(app)[-1].changes == {"state": ["draft", "open"]}
    assert audit_log(app)[-1].detail == "version 1"


def test_a_published_edit_makes_a_version_with_a_public_diff(admin_client, client, app):
    _create(admin_client, state="open")
    statement = _statement(app)
    before = client.get("/s/solidarity-with-the-dock-workers")
    response = _edit(
        admin_client,
        statement.id,
        body="We stand with the dock workers and their families.[^1]\n\n[^1]: Since 2026.\n",
        note="Named the families",
        substantial="y",
    )
    assert response.status_code == 302
    statement = _statement(app)
    assert [v.number for v in statement.versions] == [1, 2]
    assert statement.versions[1].note == "Named the families"
    assert statement.versions[1].substantial
    # The page changed for browsers at once (a new ETag), and says so.
    after = client.get(
        "/s/solidarity-with-the-dock-workers", headers={"If-None-Match": before.headers["ETag"]}
    )
    assert after.status_code == 200
    assert "Version 2: see what changed" in after.get_data(as_text=True)
    changelog = client.get("/s/solidarity-with-the-dock-workers/versions")
    assert changelog.status_code == 200
    html = changelog.get_data(as_text=True)
    assert "Named the families" in html
    assert re.search(r'<ins><span class="visually-hidden">\[added: </span> and their', html)
    assert "First published." in html
    edit = [e for e in audit_log(app) if e.action is AuditAction.edit_statement][-1]
    assert edit.changes["body"][0].startswith("We stand with the dock workers.")
    assert edit.changes["body"][1].startswith("We stand with the dock workers and their families.")
    assert edit.detail == "version 2"


def test_a_settings_change_of_a_published_statement_makes_no_version(admin_client, app):
    _create(admin_client, state="open")
    statement = _statement(app)
    _edit(admin_client, statement.id, needs_verification="", signing_deadline="2027-01-31T18:00")
    statement = _statement(app)
    assert [v.number for v in statement.versions] == [1]
    assert not statement.needs_verification
    assert statement.signing_deadline.isoformat() == "2027-01-31T18:00:00"
    edit = audit_log(app)[-1]
    assert edit.action is AuditAction.edit_statement
    assert edit.changes == {
        "needs_verification": [True, False],
        "signing_deadline": [None, "2027-01-31T18:00:00"],
    }


def test_a_published_statement_keeps_its_address_and_stays_public(admin_client, client, app):
    _create(admin_client, state="open")
    statement = _statement(app)
    html = admin_client.get(f"/admin/statements/{statement.id}/edit").get_data(as_text=True)
    assert re.search(r'<input[^>]*id="slug"[^>]*readonly', html)
    assert 'value="draft"' not in html
    # A forged form changes neither.
    _edit(admin_client, statement.id, slug="another-address")
    assert _statement(app) is not None
    assert _statement(app, "another-address") is None
    response = _edit(admin_client, statement.id, state="draft")
    assert response.status_code == 400
    assert _statement(app).state is StatementState.open
    # Closing and reopening are audited as such.
    _edit(admin_client, statement.id, state="closed")
    assert "closed to new signatures" in client.get(
        "/s/solidarity-with-the-dock-workers"
    ).get_data(as_text=True)
    _edit(admin_client, statement.id, state="open")
    actions = [event.action for event in audit_log(app)][-2:]
    assert actions == [AuditAction.close_statement, AuditAction.reopen_statement]


def test_a_draft_may_change_its_address_but_not_to_one_taken(admin_client, app):
    make = _create(admin_client)
    assert make.status_code == 302
    with app.app_context():
        make_statement("taken")
    draft = _statement(app)
    response = _edit(admin_client, draft.id, slug="taken")
    assert response.status_code == 400
    assert "Another statement has this address already." in response.get_data(as_text=True)
    _edit(admin_client, draft.id, slug="dock-workers")
    assert _statement(app, "dock-workers").id == draft.id


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": ""}, "title", "Please fill in this field."),
        ({"body": "   "}, "body", "Please fill in this field."),
        ({"publisher": ""}, "publisher", "Please fill in this field."),
        ({"slug": "Not A Slug!"}, "slug", "Use only a-z, 0-9 and single dashes"),
        ({"title": "«»", "slug": ""}, "slug", "no letters a-z"),
        ({"published_on": "30/11/2026"}, "published_on", "Not a valid date value."),
        ({"signing_deadline": "tomorrow"}, "signing_deadline", "Not a valid datetime value."),
        ({"state": "launched"}, "state", "Not a valid choice."),
        ({"language": "xx"}, "language", "Not a valid choice."),
        ({"title": "x" * 301}, "title", "Field cannot be longer than 300 characters."),
        ({"title": "Bad\u202etitle"}, "title", "invisible control characters"),
        ({"title": "<b>Bold</b>"}, "title", "without HTML tags"),
    ],
)
def test_bad_input_is_named_beside_its_field_and_saves_nothing(
    admin_client, app, changes, field, message
):
    response = _create(admin_client, **changes)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f'href="#{field}"' in html  # the summary links to it
    assert message in html
    assert _statement(app) is None
    assert audit_log(app) == []


def test_the_preview_shows_the_public_rendering_and_saves_nothing(admin_client, client, app):
    body = (
        "Read **this**.[^1] <script>alert(1)</script> <img src=x onerror=alert(2)>\n\n"
        "[a link](javascript:alert(3)) and [a good one](https://example.org)\n\n"
        "[^1]: The note.\n"
    )
    data = {
        **FORM,
        "body": body,
        "title": "Fish & chips",
        "csrf_token": _editor_token(admin_client),
        "preview": "1",
    }
    response = admin_client.post("/admin/statements/new", data=data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    preview = html[html.index('<section class="preview"') :]
    assert "<strong>this</strong>" in preview
    assert 'class="footnote-ref"' in preview
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in preview
    assert "<img" not in preview
    assert 'href="javascript' not in preview  # shown as text, never a link
    assert 'href="https://example.org"' in preview
    assert "<h1" in preview and "Fish &amp; chips" in preview
    # What was typed is still in the form, and nothing was saved.
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt;" in html[: html.index('<section class="preview"')]
    )
    assert _statement(app, "fish-chips") is None
    assert audit_log(app) == []
    # The public page renders the same source the same way.
    _create(admin_client, body=body, title="Fish & chips", state="open")
    public = client.get("/s/fish-chips").get_data(as_text=True)
    rendered = re.search(r'<div class="body"[^>]*>(.*?)</div>\s*<nav class="share"', public, re.S)
    assert rendered is not None
    assert rendered.group(1) in preview


def test_two_admins_editing_at_once_do_not_undo_each_other(admin_client, app):
    _create(admin_client)
    statement = _statement(app)
    url = f"/admin/statements/{statement.id}/edit"
    mine = _fields_of(admin_client.get(url).get_data(as_text=True))
    _edit(admin_client, statement.id, title="Their title")  # someone else saves first
    response = admin_client.post(url, data={**mine, "title": "My title", "save": "1"})
    assert response.status_code == 409
    assert "Someone else saved this statement" in response.get_data(as_text=True)
    assert _statement(app).title == "Their title"
    # Having seen it, saving again replaces theirs.
    again = _fields_of(response.get_data(as_text=True))
    assert admin_client.post(url, data={**again, "save": "1"}).status_code == 302
    assert _statement(app).title == "My title"


def test_signatures_record_the_version_they_signed(admin_client, client, app):
    _create(admin_client, state="open", needs_verification="")
    statement = _statement(app)
    sign(client, statement.slug, contact_email="first@example.org")
    _edit(admin_client, statement.id, body="A new text.\n", substantial="y")
    with app.app_context():
        # The page cache holds a statement for a second; a new one sees version 2.
        app.extensions.pop("signon.statement_views", None)
    sign(client, statement.slug, contact_email="second@example.org")
    # A page read before the change, its form sent after it: the version read.
    sign(client, statement.slug, contact_email="third@example.org", version="1")
    # A version that does not exist is not believed: the current one.
    sign(client, statement.slug, contact_email="fourth@example.org", version="9")
    versions = {s.contact_email: s.signed_version for s in signatures(app)}
    assert versions == {
        "first@example.org": 1,
        "second@example.org": 2,
        "third@example.org": 1,
        "fourth@example.org": 2,
    }
    page = client.get(f"/s/{statement.slug}").get_data(as_text=True)
    assert '<input type="hidden" name="version" value="2">' in page
    with app.app_context():
        make_signature(statement.id, SignatureState.verified, signed_version=1)
        counts = authoring.signatures_by_version(db.session.get(Statement, statement.id))
    assert counts == {1: 1}  # the two signed above are not confirmed yet
    html = admin_client.get(f"/admin/statements/{statement.id}/edit").get_data(as_text=True)
    assert "Versions and who signed them" in html


def test_importing_a_changed_published_file_makes_a_version_too(ctx, app):
    from signon.database import write_transaction

    text = "---\nslug: imported\ntitle: Imported\npublisher: P\nstate: open\n---\n\nThe text.\n"
    with write_transaction():
        authoring.import_statement(text)
    with write_transaction():
        authoring.import_statement(text)  # unchanged: nothing new
    with write_transaction():
        authoring.import_statement(text.replace("The text.", "The new text."))
    numbers = db.session.scalars(db.select(StatementVersion.number).order_by("number")).all()
    assert numbers == [1, 2]
    events = db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == [
        AuditAction.create_statement,
        AuditAction.publish_statement,
        AuditAction.edit_statement,
    ]
    assert all(e.admin_id is None and "flask statements import" in e.detail for e in events)


def test_word_diff_marks_only_what_changed():
    assert word_diff("We stand with them.", "We stand with them all.") == [
        Piece("same", "We stand with them"),
        Piece("added", " all"),
        Piece("same", "."),
    ]
    assert word_diff("One two three", "One 2 three") == [
        Piece("same", "One "),
        Piece("removed", "two"),
        Piece("added", "2"),
        Piece("same", " three"),
    ]
    assert word_diff("same", "same") == [Piece("same", "same")]
    assert word_diff("", "new") == [Piece("added", "new")]


def _signed(app, statement_id: int, state: SignatureState, version: int | None, name: str):
    with app.app_context():
        return make_signature(
            statement_id, state, signed_version=version, org_name=name
        ).contact_email


def test_a_substantial_edit_asks_earlier_signatories_to_sign_again(admin_client, client, app):
    from helpers import link_in, outbox

    _create(admin_client, state="open")
    statement = _statement(app)
    listed = _signed(app, statement.id, SignatureState.verified, 1, "Listed Union")
    waiting = _signed(app, statement.id, SignatureState.confirmed, 1, "Waiting Union")
    pending = _signed(app, statement.id, SignatureState.pending, 1, "Pending Union")
    # A typo fix asks nobody.
    _edit(admin_client, statement.id, body="We stand with the dock workers!\n")
    assert [m.recipient for m in outbox(app)] == []
    response = _edit(
        admin_client,
        statement.id,
        body="We stand with the dock workers, and strike with them.\n",
        note="Now a strike",
        substantial="y",
    )
    assert response.status_code == 302
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 signatories of earlier versions are being asked" in page
    asked = {m.recipient: m for m in outbox(app)}
    assert set(asked) == {listed, waiting}  # not the pending one: it agreed to nothing yet
    assert pending not in asked
    email = asked[listed]
    assert (
        email.subject == "The statement you signed has changed: Solidarity with the dock workers"
    )
    assert "signed as version 1. The text now in force is version 3." in email.body_text
    assert "/s/solidarity-with-the-dock-workers/versions" in email.body_text

    # Until they answer, the public list says which version they signed.
    slug = "solidarity-with-the-dock-workers"
    html = client.get(f"/s/{slug}/signatories").get_data(as_text=True)
    assert "signed version 1" in html
    assert f'href="/s/{slug}/versions#version-1"' in html
    record = client.get(f"/s/{slug}/signatories.json").get_json()["signatories"][0]
    assert record["signed_version"] == 1

    # Opening the link changes nothing (mail scanners open links); pressing the button does.
    link = link_in(email, "reconfirm")
    shown = client.get(link)
    assert shown.status_code == 200
    assert "Listed Union" in shown.get_data(as_text=True)
    assert "We sign the new text" in shown.get_data(as_text=True)
    with app.app_context():
        app.extensions.pop("signon.statement_views", None)
    # The button signs the version the page showed, and only if it is still in force.
    assert client.post(link, data={"version": "2"}).status_code == 303
    assert {s.contact_email: s.signed_version for s in signatures(app)}[listed] == 1
    assert client.post(link, data={"version": "3"}).status_code == 303
    done = client.get(link).get_data(as_text=True)
    assert "signs version 3" in done
    versions = {s.contact_email: s.signed_version for s in signatures(app)}
    assert versions[listed] == 3 and versions[waiting] == 1
    assert "signed version 1" not in client.get(f"/s/{slug}/signatories").get_data(as_text=True)
    [event] = [e for e in audit_log(app) if e.action is AuditAction.reconfirm]
    assert event.admin_id is None
    # Asked once: a later save asks nobody again.
    before = len(outbox(app))
    _edit(admin_client, statement.id, note="", substantial="", needs_verification="")
    assert len(outbox(app)) == before


def test_the_worker_asks_the_rest_of_a_long_list_a_batch_at_a_time(admin_client, app, monkeypatch):
    from helpers import outbox

    from signon.admin import statements as admin_statements
    from signon.services import reconfirmation

    monkeypatch.setattr(admin_statements, "RECONFIRMATIONS_AT_ONCE", 2)
    _create(admin_client, state="open")
    statement = _statement(app)
    for n in range(5):
        _signed(app, statement.id, SignatureState.verified, 1, f"Union {n}")
    _edit(admin_client, statement.id, body="A changed text.\n", substantial="y")
    assert len(outbox(app)) == 2
    with app.app_context():
        assert reconfirmation.waiting(db.session.get(Statement, statement.id)) == 3
    result = app.test_cli_runner().invoke(args=["outbox", "work", "--once"])
    assert result.exit_code == 0, result.output
    assert len(outbox(app)) == 5
    assert len({m.recipient for m in outbox(app)}) == 5


def test_a_bad_reconfirm_link_says_what_to_do(client):
    response = client.get("/reconfirm/not-a-real-token")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "This link does not work" in html
    assert "To sign the new text, use the link in the most recent email" in html
    assert client.post("/reconfirm/not-a-real-token").status_code == 400


def test_a_translation_is_written_beside_the_original_and_marked_when_it_falls_behind(
    admin_client, client, app
):
    _create(admin_client, state="open")
    statement = _statement(app)
    url = f"/admin/statements/{statement.id}/translations/es"
    page = admin_client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "We stand with the dock workers." in html  # the original, beside the form
    assert 'lang="es"' in html
    token = csrf_token(html)
    spanish = {
        "title": "Solidaridad con los estibadores",
        "standfirst": "",
        "body": "Apoyamos a los <b>estibadores</b>.[^1]\n\n[^1]: Desde 2026.\n",
        "csrf_token": token,
    }
    preview = admin_client.post(url, data={**spanish, "preview": "1"})
    assert preview.status_code == 200
    shown = preview.get_data(as_text=True)
    shown = shown[shown.index('<section class="preview"') :]
    assert "&lt;b&gt;estibadores&lt;/b&gt;" in shown and 'class="footnote-ref"' in shown
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Statement)) == 1
    assert (
        client.get("/s/solidarity-with-the-dock-workers?lang=es")
        .get_data(as_text=True)
        .count("Solidaridad con los estibadores")
        == 0
    )
    saved = admin_client.post(url, data={**spanish, "save": "1"})
    assert saved.status_code == 302
    reader = client.get("/s/solidarity-with-the-dock-workers?lang=es").get_data(as_text=True)
    assert "Solidaridad con los estibadores" in reader
    assert "ha cambiado" not in reader
    edit = audit_log(app)[-1]
    assert edit.action is AuditAction.edit_statement and edit.detail == "translation es"
    assert edit.changes["title (es)"] == [None, "Solidaridad con los estibadores"]
    assert "up to date" in admin_client.get(f"/admin/statements/{statement.id}/edit").get_data(
        as_text=True
    )

    # The original changes: the translation needs updating, and readers are told.
    _edit(admin_client, statement.id, body="We stand with the dock workers, on strike.\n")
    with app.app_context():
        app.extensions.pop("signon.statement_views", None)
    reader = client.get("/s/solidarity-with-the-dock-workers?lang=es").get_data(as_text=True)
    assert "/s/solidarity-with-the-dock-workers/versions" in reader
    assert "Solidaridad con los estibadores" in reader
    editor = admin_client.get(f"/admin/statements/{statement.id}/edit").get_data(as_text=True)
    assert "needs updating" in editor
    assert "has changed since this translation was saved" in admin_client.get(url).get_data(
        as_text=True
    )
    # Saving it again (checked against the new original) clears the mark.
    html = admin_client.get(url).get_data(as_text=True)
    admin_client.post(url, data={**spanish, "csrf_token": csrf_token(html), "save": "1"})
    assert "up to date" in admin_client.get(f"/admin/statements/{statement.id}/edit").get_data(
        as_text=True
    )


def test_a_translation_into_the_original_language_or_an_unknown_one_is_not_found(
    admin_client, app
):
    _create(admin_client)
    statement = _statement(app)
    for language in ("en", "xx"):
        response = admin_client.get(f"/admin/statements/{statement.id}/translations/{language}")
        assert response.status_code == 404


def test_an_arabic_text_may_carry_the_direction_marks_its_writer_put_in(admin_client, app):
    """Marks and isolates are the author's tools; the overrides that reorder text are not."""
    body = "نص\u200f البيان (\u2066ABC\u2069) مع\u00ad فاصل.\n"
    response = _create(admin_client, title="\u2067بيان\u2069 2026", body=body, language="ar")
    assert response.status_code == 302, response.get_data(as_text=True)
    refused = _create(admin_client, title="Evil \u202etxt.exe", slug="evil")
    assert refused.status_code == 400
