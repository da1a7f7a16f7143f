"""Headers, cookies, proxies and links: what every response promises."""

from __future__ import annotations

import re

import pytest
from factories import make_statement
from helpers import link_in, outbox, sign, signatures

from signon.services import tokens
from signon.services.privacy import network_hash

CACHEABLE = {
    "public.index",
    "public.statement",
    "public.signatories",
    "public.signatories_csv",
    "public.signatories_json",
    "public.figures",
    "public.embed",
    "public.count",
    "public.feed",
    "public.printable",
    "public.pack_key",
    "public.pack_check",
    "api.statement_list",
    "api.statement",
    "api.signatories",
    "api.openapi",
    "public.privacy",
    "public.versions",
}


def _url_for_rule(rule, token: str) -> str:
    values = {
        "slug": "test-statement",
        "token": token,
        "signature_id": "1",
        "statement_id": "1",
        "language": "es",
        "message_id": "1",
        "question_id": "1",
        "filename": "style.css",
    }
    url = rule.rule
    for argument in rule.arguments:
        url = re.sub(rf"<(?:[^:>]+:)?{argument}>", values[argument], url)
    return url


@pytest.fixture
def every_route(app, client, admin_client):
    """(endpoint, method, url, response) for every route of the URL map."""
    with app.app_context():
        make_statement()
    sign(client, "test-statement")
    token = link_in(outbox(app)[0], "confirm").rsplit("/", 1)[1]
    seen = []
    for rule in app.url_map.iter_rules():
        url = _url_for_rule(rule, token)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            who = admin_client if rule.endpoint.startswith("admin.") else client
            response = who.open(url, method=method)
            response.get_data()
            response.close()  # static files are streamed from an open file
            seen.append((rule.endpoint, method, url, response))
    assert len({endpoint for endpoint, *_ in seen}) >= 15
    return seen


def test_every_route_sends_the_security_headers(every_route):
    """CSP without inline script or other origins, no framing (but the embed), nosniff..."""
    for endpoint, method, url, response in every_route:
        where = f"{method} {url} ({endpoint})"
        csp = response.headers.get("Content-Security-Policy", "")
        assert "default-src 'self'" in csp and "script-src 'self'" in csp, where
        assert "unsafe-inline" not in csp and "http" not in csp, where
        if endpoint == "public.embed":  # the one page made to be framed
            assert "frame-ancestors *" in csp and "X-Frame-Options" not in response.headers
        else:
            assert "frame-ancestors 'none'" in csp, where
            assert response.headers["X-Frame-Options"] == "DENY", where
        assert response.headers["X-Content-Type-Options"] == "nosniff", where
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin", where
        assert "Strict-Transport-Security" not in response.headers, "HSTS is for production"


def test_only_public_pages_may_be_cached(every_route):
    """Statement, index and privacy pages are cacheable; all else is no-store."""
    for endpoint, method, url, response in every_route:
        control = response.cache_control
        if endpoint in CACHEABLE and method == "GET" and response.status_code in (200, 302):
            assert control.public, url
        elif endpoint not in ("static", "favicon"):  # our own files, public by nature
            assert control.no_store, f"{method} {url} ({endpoint}) must not be cached"


def test_a_rejected_form_with_typed_in_contact_details_is_not_cacheable(client, statement):
    """The 422 page echoes what was typed, so no cache may keep it."""
    response = sign(client, statement, consent=None)
    assert response.status_code == 422 and response.cache_control.no_store


def test_production_adds_hsts_and_secure_cookies(app_factory):
    """In production: HSTS, and admin cookies Secure, HttpOnly and SameSite."""
    app = app_factory(ENV="production", SECRET_KEY="k" * 64, BASE_URL="https://sign.example")
    client = app.test_client()
    response = client.get("/admin/login", base_url="https://sign.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_email_links_come_from_base_url_not_the_host_header(client, app, statement):
    """A forged Host header cannot point confirmation links at another server."""
    sign(client, statement, headers={"Host": "evil.example"})
    body = outbox(app)[0].body_text
    assert "evil.example" not in body
    assert link_in(outbox(app)[0], "confirm")
    assert "http://signon.test/confirm/" in body


def test_spoofed_forwarded_for_is_ignored_without_trusted_proxies(client, app, statement):
    """With no trusted proxy, X-Forwarded-For is just a header: the peer address counts."""
    sign(client, statement, headers={"X-Forwarded-For": "203.0.113.9"})
    with app.app_context():
        assert signatures(app)[0].ip_hash == network_hash("127.0.0.1")


def test_one_trusted_proxy_takes_only_the_address_it_saw(app_factory):
    """Behind one proxy, the client's own X-Forwarded-For entries are not believed."""
    app = app_factory(TRUSTED_PROXIES=1)
    client = app.test_client()
    with app.app_context():
        make_statement()
    # The client forged the first entry; our proxy appended the address it saw.
    sign(client, "test-statement", headers={"X-Forwarded-For": "198.51.100.1, 192.0.2.7"})
    with app.app_context():
        assert signatures(app)[0].ip_hash == network_hash("192.0.2.7")
        assert signatures(app)[0].ip_hash != network_hash("198.51.100.1")


def test_no_raw_ip_is_stored(client, app, statement):
    """The signature keeps a keyed hash of the IP, never the address."""
    sign(client, statement)
    row = signatures(app)[0]
    assert "127.0.0.1" not in repr(vars(row))
    assert re.fullmatch(r"[0-9a-f]{64}", row.ip_hash)


def test_tokens_are_bound_to_their_purpose(app, client, statement):
    """A withdraw token is no confirm token, and the reverse."""
    sign(client, statement)
    message = outbox(app)[0]
    withdraw_token = link_in(message, "withdraw").rsplit("/", 1)[1]
    with app.app_context(), pytest.raises(tokens.TokenInvalid):
        tokens.read_token(withdraw_token, tokens.CONFIRM)


def test_wrong_method_names_the_allowed_ones(client, statement):
    """A 405 keeps its Allow header and explains itself."""
    response = client.get(f"/s/{statement}/sign")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"].split(", ")
    assert "cannot be used that way" in response.get_data(as_text=True)
