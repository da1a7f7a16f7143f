"""Text validation: what people write passes, what disguises or breaks does not."""

from __future__ import annotations

import pytest
from helpers import VALID_FORM, sign, signatures
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from wtforms import Form, StringField

from signon.models import SignatureState
from signon.services.lookalikes import latin_lookalike, latin_lookalike_words
from signon.validators import (
    HasLetterOrDigit,
    NoFormulaPrefix,
    NoLinks,
    PlainText,
    SingleScriptWords,
    clean_name,
    clean_text,
)


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
        ("org_name", "ВВС Русская служба"),  # a whole word in one alphabet, even if Latin-looking
        (
            "org_name",
            "Профспілка обʼєднання",
        ),  # Ukrainian apostrophe U+02BC belongs to no alphabet
        ("org_name", "मज़दूर क्‍ष संघ"),  # ZWJ after a Devanagari virama
        ("org_name", "渡󠄁辺 Union"),  # an ideographic variation selector in a Japanese name
        ("comment", "Pride 🏳️‍🌈 always"),  # emoji with variation selector and ZWJ
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
        # A joiner or variation selector beside a Latin, Greek or Cyrillic letter shows nothing.
        ("org_name", "Rainb\u200d\u043e\u200dw Union", "invisible"),
        ("org_name", "Rainb\u200c\u043ew Union", "invisible"),
        ("org_name", "Rain\u200dbow Union", "invisible"),
        ("org_name", "Сою\u200dз", "invisible"),
        ("org_name", "Rainb\ufe0fow", "invisible"),
        ("org_name", "Rainb\U000e0100ow", "invisible"),
        ("org_name", "Rainb\u0301\u200dow", "invisible"),  # an accent does not hide the letter
        ("org_name", "Rainb\u0301\ufe0fow", "invisible"),
        ("contact_name", "Al\u200cex", "invisible"),
        ("contact_name", "Alex\u200d1", "invisible"),
        # Characters that draw nothing, though they are not spaces.
        ("org_name", "\u2800", "blank space"),
        ("org_name", "\u3164", "blank space"),
        ("org_name", "Rainbow\u115f\u1160Union", "blank space"),
        ("contact_name", "\uffa0", "blank space"),
        ("city", "Berlin \u3164", "blank space"),
        ("comment", "\u2800\u2800", "blank space"),
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


@pytest.mark.parametrize("escaped", ["%FF%FE%C3%28", "%ED%A0%80"])  # the second: a lone surrogate
def test_invalid_utf8_in_the_body_is_refused_and_stores_nothing(client, app, statement, escaped):
    """Escaped bytes that are not UTF-8 are refused, not stored as literal "%FF"."""
    body = "&".join(f"{k}={v}" for k, v in VALID_FORM.items() if k != "org_name")
    response = client.post(
        f"/s/{statement}/sign",
        data=f"org_name=Union{escaped}&{body}".encode(),
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


# The name fields (org_name, contact_name, contact_role, city) as they should
# be configured in signon/signing/forms.py; tested here on a form of their own.
class NameForm(Form):
    name = StringField(
        filters=[clean_name],
        # The formula check early: the first error is the one shown beside the field.
        validators=[
            PlainText(),
            NoFormulaPrefix(),
            SingleScriptWords(),
            NoLinks(),
            HasLetterOrDigit(),
        ],
    )


def _name(value: str) -> NameForm:
    form = NameForm(MultiDict({"name": value}))
    form.validate()
    return form


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("Ｒａｉｎｂｏｗ", "Rainbow"),  # fullwidth
        ("𝐑𝐚𝐢𝐧𝐛𝐨𝐰 Union", "Rainbow Union"),  # mathematical bold
        ("\u00a0Rainbow\u3000Union\u2003", "Rainbow Union"),  # other spaces are spaces
        ("ｶﾞｲﾄﾞ", "ガイド"),  # halfwidth katakana
        ("東京ユニオン", "東京ユニオン"),
        ("ВВС", "ВВС"),  # Cyrillic and Latin-looking: accepted, flagged for admins instead
    ],
)
def test_names_are_stored_in_their_nfkc_form(value, stored):
    """Fullwidth and mathematical letters in a name are stored as the plain letters."""
    form = _name(value)
    assert form.name.errors == []
    assert form.name.data == stored


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("𝐑\u0430inbow", "mixes Cyrillic and Latin"),  # the bold R is a Latin R
        ("＝SUM(A1)", "start with a letter"),  # the fullwidth = is an =
        ("﹤b﹥Union", "without HTML tags"),
        ("\u2800", "at least one letter"),
        ("\u3164\u3164", "at least one letter"),
        ("\u115f\u1160", "at least one letter"),
        ("...", "at least one letter"),
        ("— ★ —", "at least one letter"),
        ("\ud800", "did not arrive intact"),
        ("Union \udfff", "did not arrive intact"),
    ],
)
def test_names_that_disguise_or_look_blank_are_refused(value, message):
    """A name needs a visible letter or digit, and may not disguise itself."""
    assert any(message in error for error in _name(value).name.errors)


@pytest.mark.parametrize(
    "value",
    [
        "Rainb\u200d\u043e\u200dw",  # joiners
        "Rainb\u200c\u043e\u200cw",
        "Rainb\ufe0f\u043e\ufe0fw",  # variation selectors
        "Rainb\U000e0100\u043e\U000e0100w",
        "Rainb\u0301\u043e\u0301w",  # combining marks
    ],
)
def test_joiners_selectors_and_marks_do_not_split_a_word(value):
    """The alphabet check reads the word as it shows, not as the code points split it."""

    class Words(Form):
        name = StringField(validators=[SingleScriptWords()])

    form = Words(MultiDict({"name": value}))
    assert not form.validate()
    assert "mixes Cyrillic and Latin" in form.name.errors[0]


@pytest.mark.parametrize("value", ["\ud800", "a\udfffb\r\n", " \ud83d "])
def test_lone_surrogates_are_refused_by_every_text_field_without_crashing(value):
    """Half a UTF-16 pair cannot be stored; the filters pass it on, PlainText refuses it."""
    assert clean_name(value) == clean_text(value) == value.strip().replace("\r\n", "\n")

    class Comment(Form):
        text = StringField(filters=[clean_text], validators=[PlainText(multiline=True)])

    form = Comment(MultiDict({"text": value}))
    assert not form.validate()
    assert "did not arrive intact" in form.text.errors[0]


LINKS = [
    "https://evil.example",
    "Union (see http://x)",
    "www.evil",
    "Visit WWW.Union",
    "alex@evil.com",
    "Write to re-verify@evil.co.uk now",
    "evil.example/path",
    "re-verify at evil.com",
    "re-verify at evil.com.",
    "(evil.com)",
    "EVIL.COM",
    "evil.de",
    "evil.xn--p1ai",
    "пример.рф",
    "ver.di/login",
    "Ｅｖｉｌ．ｃｏｍ",  # fullwidth, folded by NFKC
]
NOT_LINKS = [
    "Workers' Union No. 5",
    "St. Mary's Church",
    "A.C.A.B. Collective",
    "Example e.V.",
    "Union Ltd.",
    "ver.di Jugend",  # the German union; "di" is no country
    "ver.di",
    "J.R.R. Tolkien Society",
    "Dipl.-Ing. Maria Muster",
    "Spółdzielnia Sp. z o.o.",
    "S.p.A. Lavoratori",
    "Ph.D. Students' Union",
    "Acme Co.,Ltd.",
    "15.Mai Kollektiv",
    "1.FC Union",
    "Workers@Home",
    "Union v2.0",
]


@pytest.mark.parametrize("value", LINKS)
def test_web_and_email_addresses_are_refused_in_names(value):
    """A link in a name would reach the inbox a stranger typed in as a link."""
    errors = _name(value).name.errors
    assert any("Please leave out web and email addresses" in error for error in errors), errors
    assert any("separate field for the website" in error for error in errors)


@pytest.mark.parametrize("value", NOT_LINKS)
def test_names_with_dots_and_abbreviations_are_accepted(value):
    """Abbreviations, initials and legal forms are not web addresses."""
    assert _name(value).name.errors == []


def test_the_refusal_names_the_part_that_looks_like_an_address():
    """The person sees which part to change, e.g. a missing space in "Dr.Smith"."""
    (error,) = _name("Ask Dr.Smith").name.errors
    assert error.startswith("“Dr.Smith” looks like a web or email address.")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("ВВС", ["ВВС"]),  # Cyrillic "BBC"
        ("ВВС News", ["ВВС"]),
        ("ΚΑΙ Union", ["ΚΑΙ"]),  # Greek "KAI"
        ("R\u0430inbow", ["R\u0430inbow"]),  # a mixed word reads as Latin too
        ("ＢＢＣ", []),  # fullwidth Latin is Latin
        ("Союз рабочих", []),
        ("Она в Москве", []),  # "в" is one letter; "Она" has н, no Latin letter
        ("BBC", []),
        ("東京ユニオン", []),
        ("", []),
    ],
)
def test_latin_lookalike_words_are_flagged_for_admins(text, words):
    """Whole words in another alphabet that read as Latin are flagged, not refused."""
    assert latin_lookalike_words(text) == words
    assert latin_lookalike(text) is bool(words)


@settings(max_examples=300, deadline=None)
@given(value=st.text(st.characters(exclude_categories=()), max_size=60))
def test_any_text_in_a_name_is_refused_or_clean_never_an_exception(value):
    """Surrogates included: the name chain refuses or yields a clean, visible, link-free name."""
    form = _name(value)
    latin_lookalike(value)
    if form.name.errors:
        return
    data = form.name.data
    assert data == data.strip()
    assert any(c.isalnum() for c in data)
    assert not any(0xD800 <= ord(c) <= 0xDFFF or c in "\u2800\u3164\u1160" for c in data)
    assert "://" not in data and "www." not in data.lower()
