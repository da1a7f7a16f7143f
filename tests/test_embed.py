"""The embedded counter, its JSON count, and the snippet admins copy."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from factories import make_signature, make_statement

from signon.database import utcnow, write_transaction
from signon.extensions import db
from signon.models import Signature, StatementState

EMBED = "/s/test-statement/embed"


def test_the_embed_shows_the_count_and_the_newest_named(app, client):
    with app.app_context():
        statement = make_statement()
        for n in range(7):
            make_signature(statement.id, org_name=f"Union {n}")
        make_signature(statement.id, org_name="Quiet Union", show_name=False)
        with write_transaction():
            for n in range(7):  # Union 6 the newest
                db.session.execute(
                    sa.update(Signature)
                    .where(Signature.org_name == f"Union {n}")
                    .values(verified_at=utcnow() - dt.timedelta(hours=10 - n))
                )
    response = client.get(EMBED)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.cache_control.public
    assert "Signed by <strong>8 organisations</strong>" in html
    newest = html[html.index('class="newest"') :]
    assert [f"Union {n}" in newest for n in range(7)] == [False, False] + [True] * 5
    assert newest.index("Union 6") < newest.index("Union 2")
    assert "Quiet Union" not in html
    assert 'target="_blank" rel="noopener"' in html and "#sign" in html
    assert "<form" not in html and "<script" not in html
    assert 'name="robots" content="noindex"' in html


def test_only_the_embed_may_be_framed(app_factory):
    app = app_factory(EMBED_FRAME_ANCESTORS="https://union.example")
    with app.app_context():
        make_statement()
    client = app.test_client()
    embed = client.get(EMBED)
    assert "frame-ancestors https://union.example" in embed.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in embed.headers
    revalidated = client.get(EMBED, headers={"If-None-Match": embed.headers["ETag"]})
    assert revalidated.status_code == 304
    assert (
        "frame-ancestors https://union.example" in revalidated.headers["Content-Security-Policy"]
    )
    page = client.get("/s/test-statement")
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"


def test_a_closed_statement_embeds_without_a_call_to_sign(app, client):
    with app.app_context():
        make_statement(state=StatementState.closed)
    html = client.get(EMBED).get_data(as_text=True)
    assert "Read the statement" in html and "sign the statement" not in html
    assert "No one has signed yet." in html


def test_the_count_is_json_any_site_may_read(app, client):
    with app.app_context():
        statement = make_statement()
        make_signature(statement.id, country="FR")
        make_signature(statement.id, country="DE", show_name=False)
    response = client.get("/s/test-statement/count.json", headers={"Origin": "https://x.example"})
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.json == {
        "slug": "test-statement",
        "title": "A Test Statement",
        "signatories": 2,
        "organisations": 2,
        "people": 0,
        "countries": 2,
        "taking_signatures": True,
        "url": "http://signon.test/s/test-statement",
    }
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert client.get("/s/nope/count.json").json["error"]["status"] == 404


def test_admins_find_the_snippet_to_paste(app, admin_client):
    with app.app_context():
        make_statement()
    html = admin_client.get("/admin/statements").get_data(as_text=True)
    assert "&lt;iframe src=&#34;http://signon.test/s/test-statement/embed&#34;" in html or (
        '&lt;iframe src="http://signon.test/s/test-statement/embed"' in html
    )
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in html.replace("&#34;", '"')


def test_cached_answers_link_to_the_configured_site_not_the_host_asked_for(app, client):
    """A forged Host header must not end up in an answer cached for everyone."""
    with app.app_context():
        make_statement()
    for url in ("/s/test-statement/count.json", EMBED, "/api/v1/statements/test-statement"):
        forged = client.get(url, headers={"Host": "evil.example"}).get_data(as_text=True)
        honest = client.get(url).get_data(as_text=True)
        assert "evil.example" not in forged + honest, url
        assert "http://signon.test/s/test-statement" in honest, url
