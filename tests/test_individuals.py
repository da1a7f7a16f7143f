"""People signing in their own name, beside organisations or instead of them."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
import sqlalchemy as sa
from factories import make_signature, make_statement
from helpers import audit_log, csrf_token, link_in, outbox, signatures
from test_outbox import deliver, parse, smtp  # noqa: F401 (smtp is a fixture)

from signon.database import write_transaction
from signon.extensions import db
from signon.models import (
    OrganisationType,
    SignatoryKind,
    Signature,
    SignatureState,
    Statement,
    WhoMaySign,
)

PERSON = {
    "person_name": "Dana Example",
    "affiliation": "University of Nowhere",
    "country": "FR",
    "city": "Lyon",
    "contact_email": "dana@example.org",
    "comment": "With you.",
    "person_listing": "count",
    "consent": "y",
}
ORGANISATION = {
    "org_name": "Rainbow Workers Union",
    "org_type": "union",
    "country": "DE",
    "contact_name": "Alex Private-Contact",
    "contact_email": "alex.private@example.org",
    "listing": "listed",
    "consent": "y",
}


def _statement(app, slug: str, who: WhoMaySign, **fields) -> str:
    with app.app_context():
        return make_statement(slug, who_may_sign=who, **fields).slug


def _verify_all(admin_client) -> None:
    """Confirmed signatures verified by an admin, through the queue."""
    while True:
        queue = admin_client.get("/admin/").get_data(as_text=True)
        found = re.search(r"/admin/signatures/(\d+)/verify", queue)
        if found is None:
            return
        response = admin_client.post(
            f"/admin/signatures/{found.group(1)}/verify",
            data={"csrf_token": csrf_token(queue)},
        )
        assert response.status_code == 302


def test_an_individual_signs_end_to_end_and_is_counted_without_their_name(
    app, client, admin_client
):
    slug = _statement(app, "people", WhoMaySign.individuals)
    page = client.get(f"/s/{slug}").get_data(as_text=True)
    assert 'name="person_name"' in page and 'name="affiliation"' in page
    assert 'name="org_name"' not in page and 'name="contact_role"' not in page
    assert 'name="kind"' not in page  # the statement says who signs
    # A person's name is not listed unless they ask: "count me" comes checked.
    assert re.search(
        r'<input checked id="person_listing-0" name="person_listing"[^>]+value="count"', page
    )

    response = client.post(f"/s/{slug}/sign", data=PERSON)
    assert response.status_code == 303
    [signature] = signatures(app)
    assert signature.kind is SignatoryKind.person and signature.org_type is None
    assert (signature.org_name, signature.contact_name) == ("Dana Example", "Dana Example")
    assert signature.affiliation == "University of Nowhere" and signature.website == ""
    assert signature.show_name is False and signature.contact_role is None

    [message] = outbox(app)
    assert "in their own name" in message.body_text and "organisation" not in message.body_text
    confirm = link_in(message, "confirm")
    html = client.get(confirm).get_data(as_text=True)
    assert "University of Nowhere" in html and "Confirm my signature" in html
    assert client.post(confirm).status_code == 303
    _verify_all(admin_client)
    verified = outbox(app)[-1]
    assert "your name is not shown" in verified.body_text

    page = client.get(f"/s/{slug}").get_data(as_text=True)
    assert "Signed by <strong>1 person</strong> from <strong>1 country</strong>." in page
    assert "Also counted, not named at their request: 1 person." in page
    for private in ("Dana Example", "University of Nowhere", "dana@example.org"):
        assert private not in page
        assert private not in client.get(f"/s/{slug}/signatories.csv").get_data(as_text=True)


def test_a_listed_individual_appears_with_their_affiliation_in_every_public_form(
    app, client, admin_client
):
    slug = _statement(app, "people", WhoMaySign.individuals)
    client.post(f"/s/{slug}/sign", data={**PERSON, "person_listing": "listed"})
    client.post(link_in(outbox(app)[0], "confirm"))
    _verify_all(admin_client)

    page = client.get(f"/s/{slug}").get_data(as_text=True)
    assert "<bdi>Dana Example</bdi>" in page
    assert "Individual · <bdi>University of Nowhere (for identification only)</bdi>" in page
    assert "dana@example.org" not in page

    download = client.get(f"/s/{slug}/signatories.csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(download.lstrip("\ufeff"))))
    assert [(r["name"], r["kind"], r["type"], r["affiliation"]) for r in rows] == [
        ("Dana Example", "person", "", "University of Nowhere")
    ]
    [record] = client.get(f"/api/v1/statements/{slug}/signatories").json["signatories"]
    assert (record["kind"], record["type"], record["affiliation"]) == (
        "person",
        None,
        "University of Nowhere",
    )
    summary = client.get(f"/api/v1/statements/{slug}").json
    assert (summary["signatories"], summary["organisations"], summary["people"]) == (1, 0, 1)
    assert summary["by_type"] == [{"type": "person", "label": "Individual", "signatories": 1}]
    feed = client.get(f"/s/{slug}/feed.atom").get_data(as_text=True)
    assert "Individual · University of Nowhere (for identification only) · Lyon, France" in feed


def test_a_statement_open_to_both_asks_who_signs_and_uses_only_that_shape(app, client):
    slug = _statement(app, "both", WhoMaySign.both)
    page = client.get(f"/s/{slug}").get_data(as_text=True)
    assert 'name="kind"' in page and 'class="either-kind"' in page
    assert 'name="org_name"' in page and 'name="person_name"' in page

    # A person leaves the organisation's fields empty; typed ones are ignored.
    response = client.post(
        f"/s/{slug}/sign", data={**PERSON, "kind": "person", "org_type": "bogus", "website": "x"}
    )
    assert response.status_code == 303
    # An organisation leaves the person's fields empty.
    response = client.post(f"/s/{slug}/sign", data={**ORGANISATION, "kind": "organisation"})
    assert response.status_code == 303
    person, organisation = signatures(app)
    assert (person.kind, person.org_type, person.website) == (SignatoryKind.person, None, "")
    assert (organisation.kind, organisation.org_type) == (
        SignatoryKind.organisation,
        OrganisationType.union,
    )
    assert organisation.affiliation == "" and organisation.show_name is True


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({**ORGANISATION, "kind": "organisation", "org_name": ""}, "org_name", "Please fill in"),
        ({**PERSON, "kind": "person", "person_name": ""}, "person_name", "Please fill in"),
        ({**PERSON, "kind": "robot"}, "kind", "Please choose one of the two options."),
        ({**PERSON, "kind": "person", "person_listing": "x"}, "person_listing", "Please choose"),
        (
            {**PERSON, "kind": "person", "affiliation": "http://evil.example"},
            "affiliation",
            "",
        ),
    ],
)
def test_the_chosen_shape_is_validated_like_every_other_field(app, client, data, field, message):
    slug = _statement(app, "both", WhoMaySign.both)
    response = client.post(f"/s/{slug}/sign", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="{field}-error"' in html and message in html
    assert html.count('class="error"') == 1  # the other shape's empty fields are no error
    assert signatures(app) == []


def test_a_statement_for_organisations_takes_no_person_whatever_the_form_says(app, client):
    slug = _statement(app, "orgs", WhoMaySign.organisations)
    response = client.post(f"/s/{slug}/sign", data={**PERSON, "kind": "person"})
    assert response.status_code == 422
    assert 'id="org_name-error"' in response.get_data(as_text=True)
    assert signatures(app) == []


def test_counts_say_organisations_and_people_in_every_language(app, client):
    with app.app_context():
        statement = make_statement("both", who_may_sign=WhoMaySign.both)
        for _ in range(2):
            make_signature(statement, country="DE")
        for n in range(5):
            make_signature(
                statement, kind=SignatoryKind.person, org_type=None, country="FR", show_name=n < 2
            )
    page = client.get("/s/both").get_data(as_text=True)
    assert "Signed by <strong>2 organisations and 5 people</strong> from" in page
    assert "Also counted, not named at their request: 3 people." in page
    expected = {
        "es": "2 organizaciones y 5 personas",
        "ru": "2 организации и 5 человек",
        "ar": "منظمتان و5 أشخاص",
    }
    for language, phrase in expected.items():
        html = client.get(f"/s/both?lang={language}").get_data(as_text=True)
        assert phrase in html, language
    figures = client.get("/s/both/figures").get_data(as_text=True)
    assert 'href="/s/both/signatories?type=person">Individual</a>' in figures
    found = client.get("/s/both/signatories?type=person").get_data(as_text=True)
    assert "2 signatories match." in found
    grouped = client.get("/s/both/signatories?type=person&group=1").get_data(as_text=True)
    assert 'id="group-FR"' in grouped and 'id="group-DE"' not in grouped  # orgs are German
    assert grouped.count("Individual ·") == 2  # the two named people, and no organisation
    api = client.get("/api/v1/statements/both/signatories?type=person").json
    assert api["total"] == 2 and {s["kind"] for s in api["signatories"]} == {"person"}
    assert client.get("/api/v1/statements/both/signatories?type=robot").status_code == 400


def test_withdrawal_erases_a_persons_name_and_affiliation(app, client):
    slug = _statement(app, "people", WhoMaySign.individuals)
    client.post(f"/s/{slug}/sign", data=PERSON)
    withdraw = link_in(outbox(app)[0], "withdraw")
    assert client.post(withdraw).status_code == 303
    [signature] = signatures(app)
    assert signature.state is SignatureState.withdrawn
    assert (signature.org_name, signature.affiliation, signature.contact_name) == ("", "", None)
    assert signature.kind is SignatoryKind.person  # what is left counts, and names nobody


def test_the_database_refuses_a_person_with_a_type_or_an_erased_one_with_an_affiliation(app):
    with app.app_context():
        statement = make_statement("people", who_may_sign=WhoMaySign.individuals)
        with pytest.raises(sa.exc.IntegrityError), write_transaction():
            db.session.add(
                Signature(
                    statement_id=statement.id,
                    kind=SignatoryKind.person,
                    org_name="Dana",
                    org_type=OrganisationType.union,
                    country="FR",
                    contact_email="d@example.org",
                    email_canonical="d@example.org",
                )
            )
        with pytest.raises(sa.exc.IntegrityError):
            make_signature(statement, affiliation="An organisation has none")
        with pytest.raises(sa.exc.IntegrityError):
            make_signature(
                statement, kind=SignatoryKind.person, org_type=None, website="https://x.example"
            )
        signature = make_signature(statement, kind=SignatoryKind.person, org_type=None)
        with pytest.raises(sa.exc.IntegrityError), write_transaction():
            db.session.execute(
                sa.update(Signature)
                .where(Signature.id == signature.id)
                .values(
                    state="withdrawn",
                    withdrawn_at=sa.func.now(),
                    org_name="",
                    name_key="",
                    city="",
                    contact_name=None,
                    contact_email=None,
                    email_canonical=None,
                    ip_hash=None,
                    affiliation="Still here",
                )
            )


def test_a_persons_data_export_holds_their_kind_and_affiliation(app, client, admin_client):
    slug = _statement(app, "people", WhoMaySign.individuals)
    client.post(f"/s/{slug}/sign", data=PERSON)
    token = csrf_token(admin_client.get("/admin/people").get_data(as_text=True))
    response = admin_client.post(
        "/admin/people/export", data={"email": "dana@example.org", "csrf_token": token}
    )
    [record] = json.loads(response.get_data(as_text=True))["signatures"]
    assert record["kind"] == "person" and record["organisation_type"] is None
    assert record["affiliation"] == "University of Nowhere"


def test_who_may_sign_is_set_in_the_editor_and_audited(app, admin_client):
    from test_statement_editor import _edit

    with app.app_context():
        statement_id = make_statement("orgs").id
    response = _edit(admin_client, statement_id, who_may_sign="both")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Statement, statement_id).who_may_sign is WhoMaySign.both
    assert audit_log(app)[-1].changes == {"who_may_sign": ["organisations", "both"]}
    response = _edit(admin_client, statement_id, who_may_sign="everyone")
    assert response.status_code == 400


def test_the_confirmation_reaches_a_real_smtp_server_in_the_persons_words(app_factory, smtp):  # noqa: F811
    server, port = smtp()
    app = app_factory(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_SUPPRESS_SEND=False)
    slug = _statement(app, "people", WhoMaySign.individuals)
    assert app.test_client().post(f"/s/{slug}/sign", data=PERSON).status_code == 303
    assert deliver(app).sent == 1
    [(_sender, _recipients, content)] = server.received
    body = parse(content).get_body(("plain",)).get_content()
    assert "in their own name with this email address" in body
    assert "Dana Example" not in body  # a stranger's text stays out of emails
