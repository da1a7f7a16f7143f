"""Signing: the form's happy path, repeats, canonical emails, honeypot, origin."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
import sqlalchemy as sa
from email_validator import validate_email
from factories import make_signature, make_statement
from helpers import VALID_FORM, link_in, outbox, sign, signatures

from signon.extensions import db
from signon.models import Signature, SignatureState
from signon.services.addresses import canonical_email


def test_signing_stores_a_pending_signature_and_queues_its_email(client, app, statement):
    """A valid form makes one pending row and one confirmation email, then PRG."""
    response = sign(client, statement)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/s/{statement}/signed"
    [row] = signatures(app)
    assert row.state is SignatureState.pending
    assert row.org_name == "Rainbow Workers Union" and row.country == "DE"
    assert row.show_name is True and row.ip_hash and len(row.ip_hash) == 64
    [message] = outbox(app)
    assert message.kind == "confirm" and message.recipient == "alex.private@example.org"
    assert message.signature_id == row.id


def test_signing_page_and_response_set_no_cookie(client, statement):
    """Signatories get no cookie at any step of signing."""
    response = sign(client, statement)
    assert "Set-Cookie" not in response.headers
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and "Set-Cookie" not in page.headers
    assert "Check your email" in page.get_data(as_text=True)


def test_repeat_submission_shows_the_same_page_and_creates_no_row(client, app, statement):
    """Signing twice with one address: same answer, one row (the resend is rate limited)."""
    first = sign(client, statement)
    second = sign(client, statement, org_name="Another Name")
    assert (first.status_code, first.headers["Location"]) == (
        second.status_code,
        second.headers["Location"],
    )
    assert (
        client.get(first.headers["Location"]).data == client.get(second.headers["Location"]).data
    )
    [row] = signatures(app)
    assert row.org_name == "Rainbow Workers Union", "a repeat must not overwrite"
    assert len(outbox(app)) == 1, "within the resend interval nothing is re-sent"


def test_repeat_after_the_resend_interval_resends_the_confirmation(app_factory):
    """An unconfirmed signatory who signs again gets a fresh link."""
    app = app_factory(CONFIRM_RESEND_INTERVAL=0)
    client = app.test_client()
    with app.app_context():
        slug = make_statement().slug
    sign(client, slug)
    sign(client, slug, contact_email="ALEX.PRIVATE@EXAMPLE.ORG")
    assert len(signatures(app)) == 1
    assert [m.kind for m in outbox(app)] == ["confirm", "confirm"]


def test_repeat_of_a_confirmed_signature_tells_its_contact(app_factory):
    """Once confirmed, signing again changes nothing; the contact hears of it, not the sender."""
    app = app_factory(CONFIRM_RESEND_INTERVAL=0)
    client = app.test_client()
    with app.app_context():
        statement = make_statement()
        slug = statement.slug
        make_signature(
            statement, SignatureState.confirmed, contact_email=VALID_FORM["contact_email"]
        )
    response = sign(client, slug)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/s/{slug}/signed")
    [notice] = outbox(app)
    assert notice.kind == "already_signed"
    assert "Nothing has changed" in notice.body_text
    assert [s.state for s in signatures(app)] == [SignatureState.confirmed]


def test_repeats_within_the_interval_send_nothing_more(client, app, statement):
    """A repeat soon after the last email sends none, whatever the state."""
    sign(client, statement)
    sign(client, statement)
    assert [m.kind for m in outbox(app)] == ["confirm"]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Someone@Example.org", "someone@example.ORG"),
        ("first.last@gmail.com", "FirstLast+petitions@gmail.com"),
        ("a.b@googlemail.com", "ab+x@googlemail.com"),
    ],
)
def test_canonical_duplicates_are_one_signatory(client, app, statement, first, second):
    """Case, and dots/+tags at providers that ignore them, do not make a second row."""
    sign(client, statement, contact_email=first)
    sign(client, statement, contact_email=second)
    assert len(signatures(app)) == 1


def test_dots_and_tags_count_elsewhere():
    """At ordinary domains, dots and +tags are part of the address."""
    domains = ["gmail.com"]
    assert canonical_email("a.b@example.org", domains) != canonical_email(
        "ab@example.org", domains
    )
    assert canonical_email("a+b@example.org", domains) == "a+b@example.org"


def test_idn_domains_are_accepted_and_compared_in_ascii(client, app, statement):
    """An internationalised domain signs; its Unicode and punycode forms are one."""
    assert sign(client, statement, contact_email="info@bücher.example").status_code == 303
    sign(client, statement, contact_email="info@xn--bcher-kva.example")
    [row] = signatures(app)
    assert row.email_canonical == "info@xn--bcher-kva.example"


def test_honeypot_filled_shows_success_and_stores_nothing(client, app, statement):
    """A bot that fills the hidden field sees the usual page; nothing is kept."""
    response = sign(client, statement, reference_code="http://spam.example")
    assert response.status_code == 303
    assert signatures(app) == [] and outbox(app) == []


def test_invalid_form_keeps_what_was_typed_and_says_why(client, app, statement):
    """Errors appear beside their field and the other answers stay filled in."""
    response = sign(client, statement, contact_email="not-an-email", consent=None)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="contact_email-error"' in html and 'id="consent-error"' in html
    assert "Please agree to the privacy notice to sign." in html
    assert 'value="Rainbow Workers Union"' in html and 'value="not-an-email"' in html
    assert '<option selected value="DE">' in html
    assert signatures(app) == []


def test_count_only_choice_is_recorded(client, app, statement):
    """'Do not show our name' is stored as show_name=False."""
    sign(client, statement, listing="count")
    assert signatures(app)[0].show_name is False


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://signon.test"},  # BASE_URL's origin
        {"Referer": "http://signon.test/s/test-statement"},
        {},  # no browser: nothing to compare, the other defences apply
    ],
)
def test_same_origin_posts_are_accepted(client, app, statement, headers):
    """Pages at the configured public origin may post the form."""
    response = client.post(f"/s/{statement}/sign", data=VALID_FORM, headers=headers)
    assert response.status_code == 303


def test_the_host_header_does_not_widen_the_allowed_origin(client, app, statement):
    """A request naming its own Host is still judged against BASE_URL alone."""
    response = client.post(
        f"/s/{statement}/sign",
        data=VALID_FORM,
        headers={"Host": "evil.example", "Origin": "http://evil.example"},
    )
    assert response.status_code == 403
    assert signatures(app) == []


def test_development_also_accepts_the_address_it_is_served_on(app_factory):
    """`make run` serves 127.0.0.1 or localhost, whatever BASE_URL says."""
    app = app_factory(ENV="development")
    with app.app_context():
        slug = make_statement().slug
    response = app.test_client().post(
        f"/s/{slug}/sign", data=VALID_FORM, headers={"Origin": "http://localhost"}
    )
    assert response.status_code == 303


def test_signing_deadline_closes_the_form(client, app):
    """After the deadline the form is gone and a late POST is refused."""
    with app.app_context():
        statement = make_statement()
        statement.signing_deadline = dt.datetime(2000, 1, 1)
        db.session.commit()
    assert "<form" not in client.get("/s/test-statement").get_data(as_text=True)
    assert sign(client, "test-statement").status_code == 409
    assert signatures(app) == []


def test_a_local_part_smtp_cannot_carry_is_refused_beside_the_field(client, app, statement):
    """'ü@example.org' needs SMTPUTF8: a form error, not a message that never goes."""
    response = sign(client, statement, contact_email="ü@example.org")
    assert response.status_code == 422
    assert 'id="contact_email-error"' in response.get_data(as_text=True)
    assert signatures(app) == []


def test_googlemail_and_gmail_are_one_mailbox(client, app, statement):
    """jane.doe@gmail.com and janedoe@googlemail.com make one signature, not two."""
    sign(client, statement, contact_email="jane.doe@gmail.com")
    sign(client, statement, contact_email="JaneDoe+news@googlemail.com")
    [row] = signatures(app)
    assert row.email_canonical == "janedoe@gmail.com"


def test_domain_aliases_are_configurable(app_factory):
    """An operator can add the aliases their signatories' providers use."""
    app = app_factory(
        CANONICAL_EMAIL_DOMAINS=["proton.me"],
        EMAIL_DOMAIN_ALIASES={"protonmail.com": "proton.me", "pm.me": "proton.me"},
    )
    with app.app_context():
        slug = make_statement().slug
    client = app.test_client()
    for address in ("a.b@protonmail.com", "ab+x@pm.me", "a.b@proton.me"):
        sign(client, slug, contact_email=address)
    assert [s.email_canonical for s in signatures(app)] == ["ab@proton.me"]


def test_links_carry_no_row_id(client, app, statement):
    """A confirm link names a random id, so it tells nobody how many signatures exist."""
    sign(client, statement)
    [row] = signatures(app)
    token = link_in(outbox(app)[0], "confirm").rsplit("/", 1)[1]
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert payload[0] == row.link_id and len(row.link_id) >= 20
    assert row.id not in payload


def _statements_run(app, form: dict) -> list[str]:
    """The kinds of SQL statement one sign-on POST runs, in order."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()[:3]).upper())

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        response = app.test_client().post("/s/test-statement/sign", data=form)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 303
    return seen


@pytest.mark.parametrize("resend_interval", [0, 900])
def test_new_and_repeated_signatures_run_the_same_statements(app_factory, resend_interval):
    """Response time cannot tell whether an address signed: both paths do the same work.

    Also a repeat within the resend interval, which sends nothing: its
    UPDATE and INSERT run and store nothing. bench/signing_timing.py
    measures the times themselves.
    """
    app = app_factory(CONFIRM_RESEND_INTERVAL=resend_interval)
    with app.app_context():
        statement = make_statement()
        old = make_signature(statement, SignatureState.verified, contact_email="old@example.org")
        sent_at = old.confirmation_sent_at
    for n in range(2):  # the day's network key is made, then read back and cached
        sign(app.test_client(), "test-statement", contact_email=f"warm-up{n}@example.org")
    new = _statements_run(app, {**VALID_FORM, "contact_email": "new@example.org"})
    repeat = _statements_run(app, {**VALID_FORM, "contact_email": "old@example.org"})
    assert new == repeat
    assert [s.split()[0] for s in new].count("INSERT") == 2  # signature attempt, email
    kinds = [m.kind for m in outbox(app)]
    with app.app_context():
        now_sent_at = db.session.get(Signature, old.id).confirmation_sent_at
    if resend_interval:
        assert kinds == ["confirm"] * 3 and now_sent_at == sent_at
    else:
        assert kinds.count("already_signed") == 1 and now_sent_at > sent_at


@pytest.mark.parametrize("state", [SignatureState.pending, SignatureState.verified])
def test_a_signature_withdrawn_while_signing_again_gets_a_working_email(app, state):
    """prepare() saw the address's signature; it is gone before submit(): a new one, new links."""
    from signon.database import write_transaction
    from signon.services import signing, statements

    address = "again@example.org"
    with app.app_context():
        statement = make_statement()
        old = make_signature(statement, state, contact_email=address)
        data = signing.SignatureData(
            org_name="Signing Again Collective", org_type="union", country="DE",
            contact_name="Sam", contact_email=address,
        )  # fmt: skip
        prepared = signing.prepare(statements.statement_view("test-statement"), data)
        with write_transaction():
            signing.withdraw(db.session.get(Signature, old.id))
        with write_transaction():
            assert signing.submit(prepared, ip=None) is signing.Submission.created
    [message] = [m for m in outbox(app) if m.recipient == address]
    assert message.kind == "confirm"
    client = app.test_client()
    for kind in ("confirm", "withdraw"):
        page = client.get(link_in(message, kind))
        assert page.status_code == 200, (kind, page.get_data(as_text=True))
        assert "Signing Again Collective" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    "address",
    [
        "A.B+x@GMail.com",
        "first.last+tag@googlemail.com",
        "x@Exa-Mple.ORG",
        "info@XN--BCHER-KVA.example",
        "o'brien@example.org",
        "a.b@sub.example.co.uk",
        "info@bücher.example",
    ],
)
def test_canonical_form_is_the_validators_with_or_without_validating_again(address):
    """Split at its "@" (ASCII) or validated again (the IDN), the validator's parts result."""
    domains, aliases = ["gmail.com"], {"googlemail.com": "gmail.com"}
    result = validate_email(address, check_deliverability=False, allow_smtputf8=False)
    local = result.local_part.lower()
    domain = aliases.get(result.ascii_domain.lower(), result.ascii_domain.lower())
    if domain in domains:
        local = local.split("+", 1)[0].replace(".", "")
    assert canonical_email(address, domains, aliases) == f"{local}@{domain}"
