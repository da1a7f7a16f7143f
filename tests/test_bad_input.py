"""Bad input: every malformed, hostile or stale request gets a 4xx status or a
form error a person can act on; never a 500, never a stored row or email.
"""

from __future__ import annotations

import io
import re
from html import unescape

import pytest
from factories import make_admin, make_statement
from helpers import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    VALID_FORM,
    audit_log,
    csrf_token,
    link_in,
    outbox,
    sign,
    signatures,
)

from signon.models import SignatureState, StatementState

# A sentence a person can read: a capital, some words, a full stop.
SENTENCE = re.compile(r"[A-Z][^<>]{8,}?[.!?]")
CROSS_SITE = "This form can only be sent from this site's own pages."
BAD_LINK = "This link does not work"


# --- helpers ---------------------------------------------------------------


def text_of(response) -> str:
    """The response body as text."""
    return response.get_data(as_text=True)


def visible_text(response) -> str:
    """What a person reads in the page's <main>, tags removed."""
    html = text_of(response)
    main = re.search(r"<main[^>]*>(.*)</main>", html, re.S)
    words = re.sub(r"<[^>]+>", " ", main.group(1) if main else html)
    return " ".join(unescape(words).split())


def assert_humane(response) -> None:
    """No server error, no traceback, and an HTML page that says something in words."""
    assert response.status_code < 500, visible_text(response)[:300]
    body = text_of(response)
    assert "Traceback" not in body
    assert 'File "' not in body
    if response.mimetype == "text/html":
        assert SENTENCE.search(visible_text(response)), body[:500]


def field_error(response, field: str) -> str:
    """The error text shown next to ``field`` (empty when there is none)."""
    pattern = rf'<p class="error" id="{field}-error">(.*?)</p>'
    return " ".join(unescape(e) for e in re.findall(pattern, text_of(response), re.S))


def assert_nothing_stored(app) -> None:
    """No signature row and no queued email."""
    assert signatures(app) == []
    assert outbox(app) == []


def assert_form_error(app, response, field: str, message: str = "") -> None:
    """422, the statement page with a readable error at ``field``, and nothing stored."""
    assert response.status_code == 422, (response.status_code, visible_text(response)[:300])
    assert_humane(response)
    assert "Please correct the" in visible_text(response)
    error = field_error(response, field)
    assert SENTENCE.search(error), f"no readable error at {field}: {error!r}"
    assert message in error
    assert_nothing_stored(app)


def assert_refused(app, response, status: int, message: str = "") -> None:
    """``status``, a readable page carrying ``message``, and nothing stored."""
    assert response.status_code == status, (response.status_code, visible_text(response)[:300])
    assert_humane(response)
    assert message in visible_text(response)
    assert_nothing_stored(app)


def snapshot(app) -> tuple:
    """Everything a bad request must leave alone: signatures, outbox, audit log."""
    rows = [
        (s.id, s.state, s.email_canonical, s.confirmed_at, s.verified_at, s.rejected_at)
        for s in signatures(app)
    ]
    return rows, [m.id for m in outbox(app)], len(audit_log(app))


def token_of(path: str) -> str:
    """The token at the end of a /confirm/ or /withdraw/ path."""
    return path.rsplit("/", 1)[1]


def one_char_changed(token: str, at: int = 3) -> str:
    """``token`` with the character at ``at`` (inside the signed payload) replaced."""
    new = "B" if token[at] == "A" else "A"
    return token[:at] + new + token[at + 1 :]


def log_in(client, next_url: str | None = None):
    """Log ``client`` in as the test admin; the login response."""
    page = text_of(client.get("/admin/login"))
    return client.post(
        "/admin/login",
        query_string={"next": next_url} if next_url is not None else None,
        data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "csrf_token": csrf_token(page)},
    )


@pytest.fixture
def links(app, client, statement) -> tuple[str, str]:
    """A pending signature's (confirm path, withdraw path) from its email."""
    assert sign(client, statement).status_code == 303
    (message,) = outbox(app)
    return link_in(message, "confirm"), link_in(message, "withdraw")


@pytest.fixture
def confirmed(app, client, links) -> int:
    """The id of a confirmed signature waiting for an admin."""
    assert client.post(links[0]).status_code == 303
    (row,) = signatures(app)
    assert row.state is SignatureState.confirmed
    return row.id


# --- the sign-on form: missing, overlong and malformed fields ---------------

REQUIRED_FIELDS = {
    "org_name": "Please fill in this field.",
    "org_type": "Please choose the type of organisation.",
    "country": "Please choose a country.",
    "contact_name": "Please fill in this field.",
    "contact_email": "Please fill in this field.",
    "consent": "Please agree to the privacy notice to sign.",
    "listing": "Please choose how your organisation appears.",
}


@pytest.mark.parametrize(("field", "message"), REQUIRED_FIELDS.items(), ids=REQUIRED_FIELDS)
@pytest.mark.parametrize("value", [None, ""], ids=["missing", "empty"])
def test_required_field_absent(app, client, statement, field, message, value):
    """A required field left out or empty is named next to the field."""
    response = sign(client, statement, **{field: value})
    assert_form_error(app, response, field, message)


@pytest.mark.parametrize("field", ["org_name", "contact_name", "contact_email"])
def test_required_text_field_only_whitespace(app, client, statement, field):
    """Spaces, tabs and line breaks alone do not fill in a required text field."""
    response = sign(client, statement, **{field: " \t\r\n "})
    assert_form_error(app, response, field, REQUIRED_FIELDS[field])


# The longest value each text field accepts; one character more is refused.
LIMITS = {
    "org_name": 200,
    "city": 100,
    "website": 300,
    "contact_name": 200,
    "contact_email": 254,
    "contact_role": 100,
    "comment": 280,
}


def longest(field: str, extra: int = 0) -> str:
    """A value otherwise valid for ``field`` of exactly LIMITS[field] + extra characters."""
    size = LIMITS[field] + extra
    if field == "website":
        prefix = "https://example.org/"
        return prefix + "a" * (size - len(prefix))
    if field == "contact_email":  # 64-character local part, 63-character labels
        domain = "b" * 63 + "." + "c" * 63 + "." + "d" * 57 + ".org"
        return "a" * (size - len(domain) - 1) + "@" + domain
    return "x" * size


@pytest.mark.parametrize("field", LIMITS)
def test_overlong_text_field(app, client, statement, field):
    """One character over the limit is refused with the limit in the message."""
    response = sign(client, statement, **{field: longest(field, extra=1)})
    assert_form_error(app, response, field, f"longer than {LIMITS[field]} characters")


@pytest.mark.parametrize("field", LIMITS)
def test_longest_text_field_is_stored_whole(app, client, statement, field):
    """Exactly at the limit is accepted and stored unchanged (the column is wide enough)."""
    value = longest(field)
    assert len(value) == LIMITS[field]
    assert sign(client, statement, **{field: value}).status_code == 303
    (row,) = signatures(app)
    assert getattr(row, field) == value


def test_website_without_scheme_at_the_limit(app, client, statement):
    """A 300-character website without a scheme is refused or stored within 300 characters."""
    value = "example.org/" + "a" * 288
    response = sign(client, statement, website=value)
    assert_humane(response)
    assert response.status_code in (303, 422)
    assert all(len(row.website) <= LIMITS["website"] for row in signatures(app))


BAD_EMAILS = [
    pytest.param("not-an-email", id="no-at-sign"),
    pytest.param("a@b", id="no-dot-in-domain"),
    pytest.param("two@@example.org", id="two-at-signs"),
    pytest.param("spaces in@example.org", id="space-in-local-part"),
    pytest.param("a@example.org\r\nBcc: victim@example.org", id="crlf-header-injection"),
    pytest.param("a@example.org\nX: y", id="lf-header-injection"),
    pytest.param("a\x00@example.org", id="nul-byte"),
]


@pytest.mark.parametrize("email", BAD_EMAILS)
def test_invalid_email(app, client, statement, email):
    """An address that cannot be mailed is refused at the email field."""
    assert_form_error(app, sign(client, statement, contact_email=email), "contact_email")


TEXT_FIELDS = list(LIMITS)
MARKUP = {"script": "<script>alert(1)</script>", "img-onerror": "<img src=x onerror=alert(1)>"}


@pytest.mark.parametrize("markup", MARKUP.values(), ids=MARKUP.keys())
@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_html_in_text_field(app, client, statement, field, markup):
    """HTML or script in any text field is refused at that field."""
    value = markup if field == "contact_email" else VALID_FORM[field] + " " + markup
    assert_form_error(app, sign(client, statement, **{field: value}), field)


HARMLESS_COMMENTS = [
    pytest.param("We <3 you all", id="heart"),
    pytest.param("Solidarity > borders, a > b", id="greater-than"),
    pytest.param("Line one\r\nline two", id="two-lines"),
    pytest.param(
        "Workers < bosses? No: 1 < 2",
        id="less-than-before-a-word",
    ),
]


@pytest.mark.parametrize("comment", HARMLESS_COMMENTS)
def test_harmless_comment_is_accepted(app, client, statement, comment):
    """Angle brackets that are no tag are plain text: accepted and stored."""
    response = sign(client, statement, comment=comment)
    assert response.status_code == 303, field_error(response, "comment")
    (row,) = signatures(app)
    assert row.comment == comment.replace("\r\n", "\n")


CONTROL_CHARS = {"nul": "\x00", "bell": "\x07", "ansi-escape": "\x1b[31m"}


@pytest.mark.parametrize("char", CONTROL_CHARS.values(), ids=CONTROL_CHARS.keys())
@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_control_character_in_text_field(app, client, statement, field, char):
    """NUL (which PostgreSQL cannot store) and other control characters are refused."""
    valid = VALID_FORM[field]
    value = valid[:4] + char + valid[4:]
    assert_form_error(app, sign(client, statement, **{field: value}), field)


LINE_BREAKS = {
    "crlf": "\r\nBcc: victim@example.org",
    "lf": "\nSecond line",
    "cr": "\rX",
    "unicode-line-separator": "\u2028X",
    "next-line": "\x85X",
}


@pytest.mark.parametrize("brk", LINE_BREAKS.values(), ids=LINE_BREAKS.keys())
@pytest.mark.parametrize("field", ["org_name", "contact_name", "city", "contact_role"])
def test_line_break_in_single_line_field(app, client, statement, field, brk):
    """Single-line fields end up in email bodies: a line break is refused."""
    response = sign(client, statement, **{field: VALID_FORM[field] + brk})
    assert_form_error(app, response, field, "single line")


@pytest.mark.parametrize(
    "char", ["\u202e", "\u2066"], ids=["right-to-left-override", "left-to-right-isolate"]
)
def test_direction_override_in_org_name(app, client, statement, char):
    """Characters that reorder how a name displays are refused."""
    response = sign(client, statement, org_name=f"Good Org {char}gro liveE")
    assert_form_error(app, response, "org_name", "invisible control characters")


BAD_CHOICES = [
    pytest.param("org_type", "king", id="org_type-king"),
    pytest.param("org_type", "union\x00", id="org_type-nul"),
    pytest.param("country", "XX", id="country-XX"),
    pytest.param("country", "ZZZ", id="country-ZZZ"),
    pytest.param("country", "de", id="country-lowercase"),
    pytest.param("listing", "maybe", id="listing-maybe"),
]


@pytest.mark.parametrize(("field", "value"), BAD_CHOICES)
def test_invalid_choice(app, client, statement, field, value):
    """A value that is not one of the offered choices is refused at the field."""
    assert_form_error(app, sign(client, statement, **{field: value}), field)


BAD_WEBSITES = [
    pytest.param("javascript:alert(1)", id="javascript"),
    pytest.param("ftp://example.org", id="ftp"),
    pytest.param("http://user:pass@example.org", id="credentials"),
    pytest.param("not a url", id="words"),
    pytest.param("https://localhost", id="no-dot"),
]


@pytest.mark.parametrize("website", BAD_WEBSITES)
def test_invalid_website(app, client, statement, website):
    """Only an http(s) address of a public site is taken, with an example in the message."""
    response = sign(client, statement, website=website)
    assert_form_error(app, response, "website", "https://example.org")


def test_website_without_scheme_gets_https(app, client, statement):
    """A bare domain is accepted and stored with https://."""
    assert sign(client, statement, website="example.org").status_code == 303
    (row,) = signatures(app)
    assert row.website == "https://example.org"


# --- the sign-on request itself -----------------------------------------------


def test_post_without_body(app, client, statement):
    """An empty POST is a form with every required field missing."""
    response = client.post(f"/s/{statement}/sign")
    assert response.status_code == 422
    assert_humane(response)
    for field, message in REQUIRED_FIELDS.items():
        assert message in field_error(response, field)
    assert_nothing_stored(app)


def test_post_bigger_than_max_content_length(app, client, statement):
    """A body over MAX_CONTENT_LENGTH (64 KiB) is refused with 413 before it is read."""
    assert app.config["MAX_CONTENT_LENGTH"] == 64 * 1024
    data = {**VALID_FORM, "comment": "x" * (65 * 1024)}
    response = client.post(f"/s/{statement}/sign", data=data)
    assert_refused(app, response, 413, "too large")


# Bodies a browser's form never sends. Flask-WTF would read JSON as the form,
# with numbers, lists and objects where text belongs.
JSON_BODIES = {
    "form-as-json": {**VALID_FORM},
    "numbers": {**VALID_FORM, "org_name": 12, "country": 3.5},
    "booleans": {**VALID_FORM, "org_name": True, "consent": False},
    "objects": {**VALID_FORM, "org_name": {"a": 1}, "contact_email": ["a@b.org"]},
    "whole-list": [1, 2],
    "lone-surrogate": {**VALID_FORM, "org_name": "\ud800", "contact_name": "x\udfff"},
}
OTHER_TYPES = {
    "xml": ("application/xml", b"<form/>"),
    "plain-text": ("text/plain", b"org_name=Rainbow"),
    "json-text": ("application/json", b"[1,2]"),
    "broken-json": ("application/json", b"{not json"),
    "json-null": ("application/json", b"null"),
}


@pytest.mark.parametrize("body", JSON_BODIES.values(), ids=JSON_BODIES.keys())
def test_json_body_is_refused_as_unsupported(app, client, statement, body):
    """Every JSON body, however shaped, gets 415 and a sentence; nothing is stored."""
    response = client.post(f"/s/{statement}/sign", json=body)
    assert_refused(app, response, 415, "web form")


@pytest.mark.parametrize(("mimetype", "body"), OTHER_TYPES.values(), ids=OTHER_TYPES.keys())
def test_other_content_types_are_refused(app, client, statement, mimetype, body):
    """A body that is not a form is 415, whatever it holds."""
    response = client.post(f"/s/{statement}/sign", data=body, content_type=mimetype)
    assert_refused(app, response, 415, "web form")


def test_a_field_sent_as_a_file_is_refused(app, client, statement):
    """No form takes files: a text field sent as a file part is a 400, not a 500."""
    data = {**VALID_FORM, "org_name": (io.BytesIO(b"Rainbow"), "name.txt")}
    response = client.post(f"/s/{statement}/sign", data=data, content_type="multipart/form-data")
    assert_refused(app, response, 400, "takes no files")


def test_a_multipart_form_without_files_is_a_form(app, client, statement):
    """multipart/form-data is how some clients send forms: it works like any form."""
    response = client.post(
        f"/s/{statement}/sign", data=VALID_FORM, content_type="multipart/form-data"
    )
    assert response.status_code == 303
    assert len(signatures(app)) == 1


@pytest.mark.parametrize("body", JSON_BODIES.values(), ids=JSON_BODIES.keys())
def test_json_login_is_refused_as_unsupported(app, client, body):
    """The admin login answers JSON with 415 too, never a 500."""
    response = client.post("/admin/login", json=body)
    assert response.status_code == 415
    assert_humane(response)


@pytest.mark.parametrize(
    "path", ["/confirm/x", "/withdraw/x", "/admin/logout", "/admin/people/erase"]
)
def test_every_form_endpoint_refuses_json(app, client, path):
    """The content check stands before every POST, not only the sign-on form."""
    response = client.post(path, json={"csrf_token": "x"})
    assert response.status_code == 415
    assert_humane(response)


WRONG_METHODS = [
    pytest.param("GET", lambda slug, c, w: f"/s/{slug}/sign", id="GET-sign"),
    pytest.param("PUT", lambda slug, c, w: f"/s/{slug}/sign", id="PUT-sign"),
    pytest.param("PUT", lambda slug, c, w: c, id="PUT-confirm"),
    pytest.param("DELETE", lambda slug, c, w: c, id="DELETE-confirm"),
    pytest.param("DELETE", lambda slug, c, w: w, id="DELETE-withdraw"),
    pytest.param("PATCH", lambda slug, c, w: w, id="PATCH-withdraw"),
]


@pytest.mark.parametrize(("method", "path"), WRONG_METHODS)
def test_wrong_method(app, client, statement, links, method, path):
    """A method a route does not take is 405 and changes nothing."""
    before = snapshot(app)
    response = client.open(path(statement, *links), method=method)
    assert response.status_code == 405
    assert_humane(response)
    assert "cannot be used that way" in visible_text(response)
    assert snapshot(app) == before


CROSS_ORIGIN = [
    pytest.param({"Origin": "https://evil.example"}, id="origin-evil"),
    pytest.param({"Referer": "https://evil.example/sign-here"}, id="referer-only-evil"),
    pytest.param({"Origin": "null"}, id="origin-null"),
    pytest.param({"Origin": "http://localhost.evil.example"}, id="origin-lookalike"),
    pytest.param({"Origin": "https://localhost"}, id="origin-other-scheme"),
    pytest.param(
        {"Origin": "http://[evil"},
        id="origin-unparseable",
    ),
    pytest.param(
        {"Referer": "http://[::1/page"},
        id="referer-unparseable",
    ),
]


@pytest.mark.parametrize("headers", CROSS_ORIGIN)
def test_cross_origin_post_is_refused(app, client, statement, headers):
    """A POST a browser sent from another site is 403 with a clear message."""
    response = client.post(f"/s/{statement}/sign", data=VALID_FORM, headers=headers)
    assert_refused(app, response, 403, CROSS_SITE)


SAME_ORIGIN = [
    pytest.param({}, id="no-origin-header"),
    pytest.param({"Origin": "http://signon.test"}, id="origin-base-url"),
    pytest.param({"Referer": "http://signon.test/s/test-statement"}, id="referer-base-url"),
]


@pytest.mark.parametrize("headers", SAME_ORIGIN)
def test_same_origin_post_passes(app, client, statement, headers):
    """The site's own origin (BASE_URL's) passes the check."""
    response = client.post(f"/s/{statement}/sign", data=VALID_FORM, headers=headers)
    assert response.status_code == 303
    assert len(signatures(app)) == 1


def test_confirm_from_another_site_is_refused(app, client, links):
    """The same-origin check guards the confirm button too."""
    before = snapshot(app)
    response = client.post(links[0], headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert_humane(response)
    assert snapshot(app) == before


def test_server_error_page_has_a_human_heading(app):
    """Even the last-resort 500 page is headed in words, with no traceback."""

    def boom() -> str:
        raise RuntimeError("unexpected")

    app.add_url_rule("/test-boom", "test_boom", boom)
    response = app.test_client().get("/test-boom")
    assert response.status_code == 500
    assert "Traceback" not in text_of(response)
    assert "Nothing you sent was stored" in visible_text(response)
    assert "Internal Server Error" in visible_text(response)


# --- which statement ----------------------------------------------------------

MISSING_STATEMENTS = [
    pytest.param("no-such-statement", id="unknown-slug"),
    pytest.param("a" * 500, id="very-long-slug"),
    pytest.param(
        "%00",
        id="nul-in-slug",
    ),
]


@pytest.mark.parametrize("slug", MISSING_STATEMENTS)
def test_sign_missing_statement(app, client, statement, slug):
    """Signing a statement that does not exist is 404."""
    response = client.post(f"/s/{slug}/sign", data=VALID_FORM)
    assert_refused(app, response, 404, "at this address")


@pytest.mark.parametrize(
    ("state", "status", "message"),
    [
        (StatementState.draft, 404, "no statement at this address"),
        (StatementState.closed, 409, "not taking signatures"),
    ],
    ids=["draft", "closed"],
)
def test_sign_statement_not_open(app, client, state, status, message):
    """A draft is not public (404); a closed statement takes no signatures (409)."""
    with app.app_context():
        make_statement(slug="not-open", state=state)
    response = client.post("/s/not-open/sign", data=VALID_FORM)
    assert_refused(app, response, status, message)


# --- confirm and withdraw links -----------------------------------------------

BAD_LINKS = [
    pytest.param(lambda c, w: "/confirm/not-a-token", id="garbage-confirm"),
    pytest.param(lambda c, w: "/withdraw/not-a-token", id="garbage-withdraw"),
    pytest.param(lambda c, w: "/confirm/" + "A" * 2000, id="very-long-token"),
    pytest.param(lambda c, w: "/confirm/a%00b", id="nul-in-token"),
    pytest.param(lambda c, w: c[:-1], id="confirm-truncated-by-one"),
    pytest.param(lambda c, w: c[: len(c) // 2], id="confirm-cut-in-half"),
    pytest.param(lambda c, w: w[:-1], id="withdraw-truncated-by-one"),
    pytest.param(lambda c, w: "/confirm/" + one_char_changed(token_of(c)), id="confirm-1-char"),
    pytest.param(lambda c, w: "/withdraw/" + one_char_changed(token_of(w)), id="withdraw-1-char"),
    pytest.param(lambda c, w: "/confirm/" + token_of(w), id="withdraw-token-on-confirm"),
    pytest.param(lambda c, w: "/withdraw/" + token_of(c), id="confirm-token-on-withdraw"),
]


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("bad_link", BAD_LINKS)
def test_bad_link(app, client, links, bad_link, method):
    """A mangled or misused link is a 400 page that explains itself; nothing changes."""
    before = snapshot(app)
    response = client.open(bad_link(*links), method=method)
    assert response.status_code == 400
    assert_humane(response)
    assert BAD_LINK in visible_text(response)
    assert snapshot(app) == before


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_expired_confirm_link(app_factory, method):
    """An expired confirm link says so and points back to the statement's form."""
    app = app_factory(CONFIRM_TOKEN_MAX_AGE=-1)
    with app.app_context():
        slug = make_statement().slug
    client = app.test_client()
    assert sign(client, slug).status_code == 303
    path = link_in(outbox(app)[0], "confirm")
    before = snapshot(app)
    response = client.open(path, method=method)
    assert response.status_code == 400
    assert_humane(response)
    assert "This link has expired" in visible_text(response)
    assert f'href="/s/{slug}#sign"' in text_of(response)
    assert snapshot(app) == before
    assert signatures(app)[0].state is SignatureState.pending


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("which", [0, 1], ids=["confirm-link", "withdraw-link"])
def test_link_replayed_after_withdrawal(app, client, links, which, method):
    """Once withdrawn, the old links are invalid and the signature stays withdrawn."""
    assert client.post(links[1]).status_code == 303
    assert signatures(app)[0].state is SignatureState.withdrawn
    before = snapshot(app)
    response = client.open(links[which], method=method)
    assert response.status_code == 400
    assert_humane(response)
    assert BAD_LINK in visible_text(response)
    assert snapshot(app) == before
    assert signatures(app)[0].state is SignatureState.withdrawn


# --- admin --------------------------------------------------------------------


@pytest.fixture
def admin(app) -> str:
    """The test admin exists; its email."""
    with app.app_context():
        make_admin(ADMIN_EMAIL, ADMIN_PASSWORD)
    return ADMIN_EMAIL


def test_login_without_csrf_token(app, admin):
    """A login POST without the CSRF token is 400 and logs nobody in."""
    client = app.test_client()
    client.get("/admin/login")
    response = client.post("/admin/login", data={"email": admin, "password": ADMIN_PASSWORD})
    assert response.status_code == 400
    assert_humane(response)
    assert "reload the page" in visible_text(response)
    assert client.get("/admin/").status_code == 302


def _failed_login(app, email: str, password: str):
    client = app.test_client()
    page = text_of(client.get("/admin/login"))
    data = {"email": email, "password": password, "csrf_token": csrf_token(page)}
    return client.post("/admin/login", data=data), client


def _without_variables(html: str, email: str) -> str:
    """The page with its CSRF token and the echoed address blanked out."""
    html = re.sub(r'(name="csrf_token" type="hidden" value=")[^"]+', r"\1", html)
    return html.replace(email, "EMAIL")


def test_wrong_password_and_unknown_email_look_the_same(app, admin):
    """Nobody learns from the answer which addresses have an account."""
    wrong_password, c1 = _failed_login(app, admin, "not the password")
    unknown_email, c2 = _failed_login(app, "nobody@example.org", ADMIN_PASSWORD)
    assert wrong_password.status_code == unknown_email.status_code == 400
    for response in (wrong_password, unknown_email):
        assert_humane(response)
        assert "do not match" in field_error(response, "password")
    assert _without_variables(text_of(wrong_password), admin) == _without_variables(
        text_of(unknown_email), "nobody@example.org"
    )
    assert c1.get("/admin/").status_code == c2.get("/admin/").status_code == 302


@pytest.mark.parametrize(
    "email",
    [
        pytest.param("admin@example.org\r\nX: y", id="crlf"),
        pytest.param("x" * 300 + "@example.org", id="overlong"),
        pytest.param(
            "admin\x00@example.org",
            id="nul",
        ),
    ],
)
def test_login_with_bad_email(app, admin, email):
    """A malformed address on the login form is a 400 form, not a server error."""
    response, client = _failed_login(app, email, ADMIN_PASSWORD)
    assert response.status_code == 400
    assert_humane(response)
    assert client.get("/admin/").status_code == 302


def _foreign_token(app) -> str:
    """A valid CSRF token, but from another admin session."""
    other = app.test_client()
    assert log_in(other).status_code == 302
    return csrf_token(text_of(other.get("/admin/")))


BAD_CSRF = [
    pytest.param(lambda app: None, id="missing"),
    pytest.param(lambda app: "", id="empty"),
    pytest.param(lambda app: "not-a-token", id="garbage"),
    pytest.param(_foreign_token, id="from-another-session"),
]


@pytest.mark.parametrize("action", ["verify", "reject"])
@pytest.mark.parametrize("make_token", BAD_CSRF)
def test_admin_action_without_valid_csrf(app, admin_client, confirmed, action, make_token):
    """Verify/reject with a missing or foreign CSRF token is 400 and changes nothing."""
    data = {"reason": "spam"} if action == "reject" else {}
    token = make_token(app)
    if token is not None:
        data["csrf_token"] = token
    before = snapshot(app)
    response = admin_client.post(f"/admin/signatures/{confirmed}/{action}", data=data)
    assert response.status_code == 400
    assert_humane(response)
    assert snapshot(app) == before
    assert signatures(app)[0].state is SignatureState.confirmed


@pytest.mark.parametrize("action", ["verify", "reject"])
@pytest.mark.parametrize(
    "signature_id",
    [
        pytest.param("999999", id="unknown-id"),
        pytest.param("abc", id="not-a-number"),
        pytest.param("-1", id="negative"),
        pytest.param(
            "99999999999999999999999",
            id="beyond-integer-range",
        ),
    ],
)
def test_admin_action_on_missing_signature(app, admin_client, signature_id, action):
    """Acting on a signature that does not exist is 404 and changes nothing."""
    token = csrf_token(text_of(admin_client.get("/admin/")))
    before = snapshot(app)
    response = admin_client.post(
        f"/admin/signatures/{signature_id}/{action}", data={"csrf_token": token}
    )
    assert response.status_code == 404
    assert_humane(response)
    assert snapshot(app) == before


OPEN_REDIRECTS = [
    pytest.param("https://evil.example", id="absolute-url"),
    pytest.param("//evil.example", id="scheme-relative"),
    pytest.param("/\\evil.example", id="backslash"),
    pytest.param("\\\\evil.example", id="two-backslashes"),
    pytest.param("javascript:alert(1)", id="javascript"),
    pytest.param("/\t/evil.example", id="tab-between-slashes"),
    pytest.param("https:evil.example", id="scheme-without-slashes"),
    pytest.param("/\r\nSet-Cookie: evil=1", id="header-injection"),
]


@pytest.mark.parametrize("next_url", OPEN_REDIRECTS)
def test_login_next_is_never_an_open_redirect(app, admin, next_url):
    """After logging in, ?next= only ever leads to a path on this site."""
    response = log_in(app.test_client(), next_url)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/")
    assert not location.startswith("//")
    assert "\\" not in location
    assert "evil" not in location


def test_login_next_keeps_a_local_path(app, admin):
    """A genuine local ?next= is honoured (the guard is not simply always the queue)."""
    response = log_in(app.test_client(), "/admin/?page=2")
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/?page=2"
