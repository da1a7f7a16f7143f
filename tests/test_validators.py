"""Text validation: what people write passes, what disguises or breaks does not."""

from __future__ import annotations

import pytest
from conftest import VALID_FORM, sign, signatures
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signon.models import SignatureState


def _error(response, field: str) -> str:
    html = response.get_data(as_text=True)
    start = html.find(f'id="{field}-error">')
    assert start != -1, f"no error shown beside {field}"
    return html[start : html.find("</p>", start)]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("org_name", "Союз Workers"),  # two alphabets, one per word
        ("org_name", "東京ユニオン"),  # Japanese mixes kanji and katakana
        ("org_name", "اتحاد کارگران می\u200cخواهد"),  # ZWNJ inside a Persian word
        ("org_name", "Workers' Union No. 5 (Łódź)"),
        ("contact_name", "José Ñúñez-O'Brien"),
        ("comment", "We stand with you 👩\u200d👩\u200d👧 — always."),  # emoji ZWJ sequence
        ("comment", "-- the collective"),  # only exports neutralise formulas here
        ("city", "São Paulo"),
    ],
)
def test_what_people_write_is_accepted(client, app, statement, field, value):
    """Names in any script, joiners inside words, emoji sequences: all fine."""
    assert sign(client, statement, **{field: value}).status_code == 303
    assert getattr(signatures(app)[0], field) == value


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("org_name", "R\u0430inbow Workers Union", "mixes Cyrillic and Latin"),
        ("org_name", "Rainb\u03bfw Union", "mixes Greek and Latin"),
        ("org_name", "Rainbow\u200bWorkers", "invisible"),
        ("org_name", "\u200dRainbow", "invisible"),
        ("org_name", "Rainbow\u2060Union", "invisible"),
        ("org_name", "\ufeffRainbow", "invisible"),
        ("contact_name", "Alex\u00adander", "invisible"),
        ("org_name", "Rainbow \U000e0041Union", "invisible"),  # a tag character
        ("org_name", '=HYPERLINK("http://x")', "start with a letter"),
        ("org_name", "+1 Union", "start with a letter"),
        ("org_name", "-2+3", "start with a letter"),
        ("org_name", "@SUM(A1)", "start with a letter"),
        ("city", "=cmd|' /C calc'!A0", "start with a letter"),
        ("contact_name", "@alex", "start with a letter"),
        ("contact_role", "=1+1", "start with a letter"),
        ("org_name", "Union \ufffd broken", "did not arrive intact"),
    ],
)
def test_disguises_and_formulas_are_refused_beside_the_field(
    client, app, statement, field, value, message
):
    """Homoglyph words, invisible characters and formula prefixes get a form error."""
    response = sign(client, statement, **{field: value})
    assert response.status_code == 422
    assert message in _error(response, field)
    assert signatures(app) == []


def test_invalid_utf8_in_the_body_is_refused_and_stores_nothing(client, app, statement):
    """Escaped bytes that are not UTF-8 are refused, not stored as literal "%FF"."""
    body = "&".join(f"{k}={v}" for k, v in VALID_FORM.items() if k != "org_name")
    response = client.post(
        f"/s/{statement}/sign",
        data=f"org_name=Union%FF%FE{'%C3%28'}&{body}".encode(),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert "did not arrive as UTF-8" in response.get_data(as_text=True)
    assert signatures(app) == []


TEXT_FIELDS = ["org_name", "city", "website", "contact_name", "contact_role", "comment"]


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    field=st.sampled_from([*TEXT_FIELDS, "contact_email", "org_type", "country", "listing"]),
    value=st.text(max_size=320),
)
def test_any_text_in_any_field_is_stored_whole_or_refused_never_500(
    client, app, statement, field, value
):
    """For arbitrary text: 303 with exactly one clean row, or 422 with none; never 5xx."""
    before = len(signatures(app))
    email = f"prop{before}@example.org"
    response = sign(client, statement, **{"contact_email": email, field: value})
    assert response.status_code in (303, 422), response.status_code
    rows = signatures(app)
    if response.status_code == 422:
        assert len(rows) == before
        return
    assert len(rows) == before + 1
    row = rows[-1]
    assert row.state is SignatureState.pending
    for name in ("org_name", "city", "contact_name", "contact_role"):
        stored = getattr(row, name) or ""
        assert not any(ord(c) < 32 for c in stored), (name, stored)
        assert stored == stored.strip()
    assert len(row.org_name) <= 200 and len(row.website) <= 300 and len(row.comment) <= 280


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    local=st.from_regex(r"[a-z]{1,10}(\.[a-z]{1,5})?", fullmatch=True),
    tag=st.text("abc123", max_size=5),
)
def test_gmail_variants_of_one_address_make_one_signature(client, app, statement, local, tag):
    """Dots and +tags at gmail.com never create a second signature."""
    plain = local.replace(".", "") + "@gmail.com"
    variant = local + (f"+{tag}" if tag else "") + "@GMail.com"
    sign(client, statement, contact_email=plain)
    sign(client, statement, contact_email=variant)
    matching = [s for s in signatures(app) if s.email_canonical == plain]
    assert len(matching) == 1
