"""Emails: each kind's subject, text and HTML, and what an email may quote or link.

The snapshot tests compare every email with the files in
tests/snapshots/emails/<name>.{subject.txt,txt,html}, the tokens in its links
replaced by TOKEN. After changing an email on purpose, set
SIGNON_UPDATE_SNAPSHOTS=1 to write the files instead of comparing them:

    SIGNON_UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/test_emails.py

then read the diff before committing it.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest
from factories import make_signature, make_statement
from flask import Flask

from signon.models import SignatoryKind, Signature, SignatureState
from signon.services import mail
from signon.services.outbox import RenderedEmail

SNAPSHOTS = Path(__file__).parent / "snapshots" / "emails"
TEMPLATES = Path(__file__).parent.parent / "templates" / "email"
UPDATE = os.environ.get("SIGNON_UPDATE_SNAPSHOTS") == "1"
BASE_URL = "http://signon.test"  # TestingConfig's

SNAPSHOT_SIGNER = {
    "org_name": "Snapshot Workers Union",
    "city": "Testville",
    "comment": "In solidarity with the test.",
    "contact_name": "Sam Snapshot",
    "contact_email": "sam@example.org",
    "contact_role": "Secretary",
}
# Every free-text field a signer controls gets one of these: each could reach
# an inbox as a link someone else chose.
FREE_TEXT_FIELDS = ("org_name", "city", "comment", "contact_name", "contact_role")
HOSTILE_VALUES = [
    "https://evil.example/x",
    "evil.example",
    "<a href=https://evil.example>",
    "sam@evil.example",
]

Render = Callable[[Signature], RenderedEmail]
# name: the signature's state, whether its name is listed, and the email.
EMAILS: dict[str, tuple[SignatureState, bool, Render]] = {
    "confirm": (SignatureState.pending, True, mail.confirmation_email),
    "already_signed": (SignatureState.verified, True, mail.already_signed_email),
    "verified_listed": (SignatureState.verified, True, mail.verified_email),
    "verified_unnamed": (SignatureState.verified, False, mail.verified_email),
    "reconfirm": (SignatureState.verified, True, lambda s, st: _reconfirm_email(s, st)),
}


def _reconfirm_email(signature: Signature, statement) -> RenderedEmail:
    """The email asking a signatory of version 1 to sign version 2."""
    signature.signed_version, statement.version = 1, 2
    return mail.reconfirm_email(signature, statement)


URL_ATTRIBUTES = frozenset({"href", "src", "action", "background"})
VAGUE_LINK_TEXTS = {"here", "click here", "this link", "link", "this", "more"}


def _email(
    app: Flask, name: str, title: str = "Solidarity With The Test", **fields: object
) -> RenderedEmail:
    """Email ``name`` for a new signature of the snapshot statement, its tokens normalised."""
    state, show_name, render = EMAILS[name]
    with app.app_context():
        statement = make_statement("snapshot-statement", title=title)
        signature = make_signature(
            statement, state, show_name=show_name, **{**SNAPSHOT_SIGNER, **fields}
        )
        email = render(signature, statement)
    return RenderedEmail(
        kind=email.kind,
        subject=email.subject,
        body_text=_normalise(email.body_text),
        body_html=_normalise(email.body_html),
    )


def _normalise(body: str) -> str:
    """Tokens are random per signature (and dated): each becomes TOKEN."""
    return re.sub(r"/(confirm|withdraw|reconfirm)/[A-Za-z0-9_.\-]+", r"/\1/TOKEN", body)


def _compare(path: Path, rendered: str) -> None:
    """``rendered`` must equal the snapshot at ``path``; written instead when updating."""
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rendered + "\n", encoding="utf-8", newline="")
        return
    assert path.exists(), f"no snapshot {path.name}: run with SIGNON_UPDATE_SNAPSHOTS=1"
    expected = path.read_bytes().decode("utf-8")
    assert rendered + "\n" == expected, (
        f"{path.name} differs; if on purpose, run with SIGNON_UPDATE_SNAPSHOTS=1"
    )


def _addresses(text: str) -> list[str]:
    """What a mail program would make a link of by its scheme or its "www."."""
    return re.findall(r"(?:https?://|www\.)[^\s<>\"']*", text, re.IGNORECASE)


class _Html(HTMLParser):
    """An email's links, their texts, its visible text, and raw URLs that cannot wrap."""

    VOID = frozenset({"br", "meta", "img", "hr", "input", "link", "wbr"})

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []
        self.link_texts: list[str] = []
        self.text: list[str] = []
        self.unbreakable: list[str] = []
        self._open: list[tuple[str, str]] = []  # (tag, style) of each open element
        self._link: list[str] | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        self.hrefs += [value for name, value in attributes.items() if name in URL_ATTRIBUTES]
        if tag == "a":
            self._link = []
        if tag not in self.VOID:
            self._open.append((tag, attributes.get("style", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._link is not None:
            self.link_texts.append(" ".join("".join(self._link).split()))
            self._link = None
        while self._open and self._open.pop()[0] != tag:
            pass

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._link is not None:
            self._link.append(data)
        elif _addresses(data) and not any(
            "word-break: break-all" in style for _, style in self._open
        ):
            self.unbreakable.append(data)


@pytest.mark.parametrize("name", EMAILS)
def test_email_matches_its_snapshot(app, name):
    """Subject, text and HTML are exactly the reviewed snapshots."""
    email = _email(app, name)
    _compare(SNAPSHOTS / f"{name}.subject.txt", email.subject)
    _compare(SNAPSHOTS / f"{name}.txt", email.body_text)
    _compare(SNAPSHOTS / f"{name}.html", email.body_html)


# A person signing in their own name, and the other languages: snapshot
# name, the email, and what differs from the organisation in English.
PERSON = {
    "kind": SignatoryKind.person,
    "org_name": "Sam Snapshot",
    "org_type": None,
    "contact_role": None,
    "affiliation": "Test University",
}
VARIANTS = {
    "confirm_person": ("confirm", PERSON),
    "verified_person_unnamed": ("verified_unnamed", PERSON),
    "reconfirm_person": ("reconfirm", PERSON),
    "confirm_es": ("confirm", {"language": "es"}),
    "confirm_ru": ("confirm", {"language": "ru"}),
    "confirm_ar": ("confirm", {"language": "ar"}),
    "verified_listed_ru": ("verified_listed", {"language": "ru"}),
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_a_persons_email_and_other_languages_match_their_snapshots(app, variant):
    """The wording for a person, and each language's, are reviewed snapshots too."""
    name, fields = VARIANTS[variant]
    email = _email(app, name, **fields)
    _compare(SNAPSHOTS / f"{variant}.subject.txt", email.subject)
    _compare(SNAPSHOTS / f"{variant}.txt", email.body_text)
    _compare(SNAPSHOTS / f"{variant}.html", email.body_html)


@pytest.mark.parametrize("hostile", HOSTILE_VALUES)
@pytest.mark.parametrize("name", EMAILS)
def test_only_the_site_builds_links(app, name, hostile):
    """With a would-be link in every typed field, each link and URL is the site's own."""
    email = _email(app, name, **dict.fromkeys(FREE_TEXT_FIELDS, hostile))
    html = _Html(email.body_html)
    assert html.hrefs
    assert all(href.startswith(f"{BASE_URL}/") for href in html.hrefs), html.hrefs
    for text in (email.subject, email.body_text, "".join(html.text)):
        assert all(url.startswith(f"{BASE_URL}/") for url in _addresses(text)), text
    for part in (email.subject, email.body_text, email.body_html):
        assert "evil" not in part


def test_confirmation_quotes_nothing_the_signer_typed(app):
    """The confirm email goes to an unvouched address: no typed value appears in it."""
    email = _email(app, "confirm")
    for value in SNAPSHOT_SIGNER.values():
        for part in (email.subject, email.body_text, email.body_html):
            assert value not in part


def test_html_escapes_the_organisation_name(app):
    """A "<" in the organisation's name reaches the HTML as "&lt;", never as markup."""
    email = _email(app, "verified_listed", org_name="Workers <United> & Friends")
    assert "Workers &lt;United&gt; &amp; Friends" in email.body_html
    assert "<United>" not in email.body_html
    assert "Workers <United> & Friends now appears" in email.body_text


def test_html_title_escapes_the_subject(app):
    """The subject titles the HTML escaped, though subject.txt itself is plain text."""
    email = _email(app, "confirm", title="Solidarity <b>With</b> The Test")
    assert email.subject == "Please confirm your signature: Solidarity <b>With</b> The Test"
    assert "<b>" not in email.body_html
    assert (
        "<title>Please confirm your signature: Solidarity &lt;b&gt;With&lt;/b&gt; The Test</title>"
        in email.body_html
    )


@pytest.mark.parametrize(
    "org_name",
    [
        "Snapshot Workers Union\n\n-- \nsignon\nTo keep your signature, reply with your password",
        "Snapshot Workers Union\u2028Reply with your password",
        "\u202enoinU srekroW tohspanS",  # a right-to-left override
        "Snapshot\u200b Workers Union",  # a zero-width space
        "ver.di",  # a false alarm: the name stays out, the sentence stays right
    ],
)
def test_the_sites_own_sentence_wins_over_a_typed_name(app, org_name):
    """A name that could break, reorder or link the site's sentence is left out of it."""
    email = _email(app, "verified_listed", org_name=org_name)
    assert "Hello,\n\nYour organisation now appears among the signatories" in email.body_text
    assert "<p>Your organisation now appears among the signatories" in email.body_html
    assert email.body_text.count("\n-- \n") == 1
    assert "password" not in email.body_text + email.body_html


def test_a_name_in_another_script_is_quoted_and_isolated(app):
    """A right-to-left name is quoted, in <bdi> so it cannot reorder the sentence around it."""
    name = "اتحاد العمال"
    email = _email(app, "verified_listed", org_name=name)
    assert f"<bdi>{name}</bdi> now appears" in email.body_html
    assert f"{name} now appears" in email.body_text


@pytest.mark.parametrize("name", EMAILS)
def test_text_and_html_carry_the_same_links(app, name):
    """The plain-text twin has every link of the HTML, and no other."""
    email = _email(app, name)
    assert set(_Html(email.body_html).hrefs) == set(_addresses(email.body_text))


@pytest.mark.parametrize("name", EMAILS)
def test_links_say_where_they_go(app, name):
    """Every HTML link has descriptive text: no "click here", no bare URL."""
    html = _Html(_email(app, name).body_html)
    assert html.link_texts
    for text in html.link_texts:
        assert text and text.lower() not in VAGUE_LINK_TEXTS
        assert not _addresses(text), f"a bare URL as link text: {text}"


@pytest.mark.parametrize("name", EMAILS)
def test_a_raw_url_wraps_on_a_narrow_screen(app, name):
    """A URL shown as text may break anywhere, so a 320 px phone never scrolls sideways."""
    assert _Html(_email(app, name).body_html).unbreakable == []


@pytest.mark.parametrize(
    ("seconds", "phrase"),
    [
        (86400, "1 day"),
        (7 * 86400, "7 days"),
        (36 * 3600, "36 hours"),
        (3600, "1 hour"),
        (90, "1 minute"),
    ],
)
def test_the_link_lifetime_is_worded_by_plural_rules(app_factory, seconds, phrase):
    """The confirm link's lifetime is a worded phrase, never overstated."""
    email = _email(app_factory(CONFIRM_TOKEN_MAX_AGE=seconds), "confirm")
    assert f"The link works for {phrase}." in email.body_text
    assert f"The link works for {phrase}." in email.body_html


def test_every_email_extends_the_shared_layouts():
    """Header, footer and links are written once: each email only extends the layouts."""
    kinds = [folder for folder in TEMPLATES.iterdir() if folder.is_dir()]
    assert {kind.name for kind in kinds} == {"confirm", "already_signed", "verified", "reconfirm"}
    for kind in kinds:
        html = (kind / "body.html").read_text(encoding="utf-8")
        text = (kind / "body.txt").read_text(encoding="utf-8")
        assert html.startswith('{% extends "email/_layout.html" %}')
        assert text.startswith('{% extends "email/_layout.txt" %}')
        for body in (html, text):
            assert "withdraw_url" not in body and "statement_url" not in body
            assert "site_name" not in body and "-- " not in body


# The sign-on emails are rendered once per statement, language and kind of
# signatory, then given each signatory's links (services/mail.py): they must
# be exactly what a full render of the same email gives.
@pytest.mark.parametrize("name", ["confirm", "already_signed"])
def test_a_sign_on_email_is_its_full_render(app, name):
    """Kept frames filled with links equal a render of everything, for each signatory."""
    with app.app_context():
        statement = make_statement("frames", title="Frames & <Links>", publisher="Ünion “Α”")
        # Each twice and interleaved: the second of each is filled from its
        # kept frame, and must not be another language's or kind's.
        for language, kind in 2 * list(itertools.product(("en", "es", "ru", "ar"), SignatoryKind)):
            person = {"org_type": None} if kind is SignatoryKind.person else {}
            signature = make_signature(
                statement, SignatureState.pending, kind=kind, language=language, **person
            )
            framed = EMAILS[name][2](signature, statement)
            confirm: dict[str, str] = {}
            with mail.speaking(language):
                if name == "confirm":
                    confirm["confirm_url"] = mail._link("signing.confirm", signature, "confirm")
                    confirm["confirm_period"] = mail._duration(app.config["CONFIRM_TOKEN_MAX_AGE"])
                full = mail._render(name, signature, statement, **confirm)
            # Tokens are dated to the second: compare with them normalised.
            for part in ("subject", "body_text", "body_html", "sender_name"):
                assert _normalise(getattr(framed, part)) == _normalise(getattr(full, part))
            # Every link is this signatory's own, none a stand-in or another's.
            assert set(_tokens_of(framed.body_text)) == {signature.link_id}
            assert set(_tokens_of(framed.body_html)) == {signature.link_id}
            assert "slot.invalid" not in framed.body_text + framed.body_html


def test_a_changed_title_makes_a_new_sign_on_email(app):
    """A kept frame is keyed by what it shows: an edit is in the next email at once."""
    with app.app_context():
        statement = make_statement("retitled", title="The First Title")
        signature = make_signature(statement, SignatureState.pending)
        assert "The First Title" in mail.confirmation_email(signature, statement).subject
        statement.title = "The Second Title"
        email = mail.confirmation_email(signature, statement)
        assert "The Second Title" in email.subject and "First" not in email.body_html


def _tokens_of(body: str) -> list[str]:
    """The link ids inside the confirm and withdraw tokens of ``body``."""
    from itsdangerous import URLSafeSerializer

    found = []
    for token in re.findall(r"/(?:confirm|withdraw)/([A-Za-z0-9_.\-]+)", body):
        payload = URLSafeSerializer("unused").load_payload(token.split(".")[0].encode())
        found.append(payload[0])
    return found


def test_a_statements_sign_on_emails_are_framed_all_at_once(app):
    """The first email of a statement frames every language and kind of signatory.

    Otherwise a repeat whose signatory signed in another language would pay
    for a render that a new signature does not: a timing signal.
    """
    with app.app_context():
        statement = make_statement("all-at-once")
        signature = make_signature(statement, SignatureState.pending, language="ru")
        mail.confirmation_email(signature, statement)
        [frames] = app.extensions["signon.email_frames"].values()
    assert set(frames) == {
        (language, kind, name)
        for language in ("en", "es", "ru", "ar")
        for kind in SignatoryKind
        for name in ("confirm", "already_signed")
    }
