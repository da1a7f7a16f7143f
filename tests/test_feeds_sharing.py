"""The Atom feed, sharing metadata and links, and the printable statement."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import sqlalchemy as sa
from factories import make_signature, make_statement
from helpers import OWN_SCRIPTS, scripts_in

from signon.database import utcnow, write_transaction
from signon.extensions import db
from signon.models import Signature
from signon.services import signing

ATOM = "{http://www.w3.org/2005/Atom}"
FEED = "/s/test-statement/feed.atom"


def _statement_with_signatories(app, names: list[str]) -> None:
    with app.app_context():
        statement = make_statement(
            body="We stand with the **dock workers** on strike.[^1]\n\n[^1]: A source.\n"
        )
        for name in names:
            make_signature(statement.id, org_name=name, country="FR", city="Lyon")
        make_signature(
            statement.id, org_name="Quiet Union", show_name=False, contact_name="Hidden"
        )
        with write_transaction():
            for hours, name in enumerate(reversed(names)):
                db.session.execute(
                    sa.update(Signature)
                    .where(Signature.org_name == name)
                    .values(verified_at=utcnow() - dt.timedelta(hours=hours))
                )


def test_the_feed_lists_the_newest_named_signatories(app, client):
    _statement_with_signatories(app, ["First Union", "Second Collective", "Third NGO"])
    response = client.get(FEED)
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    assert response.cache_control.public and response.headers["ETag"]
    root = ET.fromstring(response.get_data())
    assert root.find(f"{ATOM}title").text == "Signatories: A Test Statement"
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
    assert links == {
        # The page in the feed's language (Accept-Language, else English).
        "alternate": "http://signon.test/s/test-statement?lang=en",
        "self": "http://signon.test/s/test-statement/feed.atom",
    }
    entries = root.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text for e in entries] == [
        "Third NGO",
        "Second Collective",
        "First Union",
    ]
    assert entries[0].find(f"{ATOM}summary").text == "Union · Lyon, France"
    ids = [e.find(f"{ATOM}id").text for e in entries]
    assert len(set(ids)) == 3 and all(i.startswith("tag:signon.test,") for i in ids)
    body = response.get_data(as_text=True)
    assert "Quiet Union" not in body and "Hidden" not in body and "@example.org" not in body


def test_a_withdrawn_signatory_leaves_the_feed(app, client):
    _statement_with_signatories(app, ["First Union", "Second Collective"])
    etag = client.get(FEED).headers["ETag"]
    with app.app_context():
        signature = db.session.scalar(
            sa.select(Signature).where(Signature.org_name == "First Union")
        )
        with write_transaction():
            signing.withdraw(signature)
    again = client.get(FEED, headers={"If-None-Match": etag})
    assert again.status_code == 200 and "First Union" not in again.get_data(as_text=True)


def test_the_statement_page_announces_its_feed_and_describes_itself(app, client):
    _statement_with_signatories(app, ["First Union"])
    html = client.get("/s/test-statement").get_data(as_text=True)
    assert (
        '<link rel="alternate" type="application/atom+xml" title="New signatories: '
        'A Test Statement" href="http://signon.test/s/test-statement/feed.atom">'
    ) in html
    assert '<meta property="og:title" content="A Test Statement">' in html
    assert (
        '<meta property="og:description" content="We stand with the dock workers on strike.">'
        in html
    )
    assert '<meta property="og:url" content="http://signon.test/s/test-statement">' in html
    assert '<meta name="twitter:card" content="summary">' in html


def test_share_links_are_plain_links_that_load_nothing(app, client):
    _statement_with_signatories(app, [])
    html = client.get("/s/test-statement").get_data(as_text=True)
    share = html[html.index('class="share"') : html.index("</nav>", html.index('class="share"'))]
    assert "https://t.me/share/url?url=http%3A//signon.test/s/test-statement" in share
    assert "mailto:?subject=A%20Test%20Statement" in share
    for tag in ("<script", "<iframe", "<img", "<link"):
        assert tag not in share
    assert scripts_in(html) == OWN_SCRIPTS and "<iframe" not in html


def test_the_printable_statement_has_its_footnotes_and_the_full_list(app, client):
    names = [f"Union {n:03d}" for n in range(150)]
    _statement_with_signatories(app, names)
    response = client.get("/s/test-statement/print")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.cache_control.public
    assert 'class="footnotes' in html and "A source." in html
    assert all(f"<strong>{name}</strong>" in html for name in names)
    assert "Quiet Union" not in html
    assert "1 of them asked not to be named and is not listed." in html
    revalidated = client.get(
        "/s/test-statement/print", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert revalidated.status_code == 304
