"""The public statement page: text, footnotes, figures, form, verified list."""

from __future__ import annotations

from factories import make_signature, make_statement

from signon.extensions import db
from signon.models import OrganisationType, Signature, SignatureState, StatementState
from signon.services.markdown import render_markdown


def _verified(statement_id: int, name: str, country: str, **fields: object) -> Signature:
    state = fields.pop("state", SignatureState.verified)
    return make_signature(
        statement_id,
        state,
        org_name=name,
        org_type=OrganisationType.collective,
        country=country,
        **fields,
    )


def test_markdown_renders_footnotes_and_keeps_no_script():
    """Footnotes become a linked list; HTML in the source is shown, never run."""
    html = render_markdown(
        "Text[^1] <script>alert(1)</script> [x](javascript:alert(1))\n\n"
        '<img src=x onerror="alert(1)">\n\n[^1]: The Guardian.\n'
    )
    assert 'class="footnote-ref"' in html and "The Guardian." in html
    assert "<script" not in html and "<img" not in html
    assert 'href="javascript:' not in html


def test_statement_page_shows_text_publisher_date_and_form(client, app):
    """The page shows the statement, who published it, and the sign-on form."""
    with app.app_context():
        make_statement()
    page = client.get("/s/test-statement")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "A Test Statement" in html and "Test Publishers" in html
    assert 'class="footnotes"' in html
    assert 'action="/s/test-statement/sign' in html
    assert "No one has signed yet." in html


def test_counts_organisations_and_countries_of_verified_signatures_only(client, app):
    """'N organisations from M countries' counts verified signatures, named or not."""
    with app.app_context():
        statement = make_statement()
        _verified(statement.id, "Alpha Union", "DE")
        _verified(statement.id, "Beta Collective", "DE")
        _verified(statement.id, "Gamma Group", "FR", show_name=False)
        _verified(statement.id, "Pending Org", "BR", state=SignatureState.pending)
    html = client.get("/s/test-statement").get_data(as_text=True)
    assert "3 organisations" in html and "2 countries" in html
    assert "Alpha Union" in html and "Beta Collective" in html
    assert "Gamma Group" not in html, "a count-only signature must not be named"
    assert "And 1 organisation that asked not to be named" in html
    assert "Pending Org" not in html


def test_websites_are_nofollow_ugc_and_comments_need_approval(client, app):
    """Signatories' links carry rel=nofollow ugc; comments show once approved."""
    with app.app_context():
        statement = make_statement()
        _verified(
            statement.id, "Alpha Union", "DE", website="https://alpha.example", comment="Hidden"
        )
        _verified(statement.id, "Beta", "FR", comment="Approved words", comment_approved=True)
        db.session.commit()
    html = client.get("/s/test-statement").get_data(as_text=True)
    assert 'href="https://alpha.example" rel="nofollow ugc noopener"' in html
    assert "Approved words" in html and "Hidden" not in html


def test_public_pages_set_no_cookie_and_are_cacheable(client, app):
    """Visitors get no cookie; pages carry Cache-Control and an ETag that revalidates."""
    with app.app_context():
        make_statement()
    for url in ("/s/test-statement", "/privacy", "/"):
        response = client.get(url, follow_redirects=True)
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers, url
        assert "Cookie" not in response.headers.get("Vary", ""), url
    page = client.get("/s/test-statement")
    assert page.cache_control.public and page.cache_control.s_maxage == 60
    assert page.cache_control.max_age == 0, "browsers revalidate, so news shows at once"
    again = client.get("/s/test-statement", headers={"If-None-Match": page.headers["ETag"]})
    assert again.status_code == 304


def test_drafts_are_not_public_and_closed_statements_take_no_signatures(client, app):
    """A draft is a 404; a closed statement shows its list but no form."""
    with app.app_context():
        make_statement("draft-one", state=StatementState.draft)
        make_statement("closed-one", state=StatementState.closed)
    assert client.get("/s/draft-one").status_code == 404
    closed = client.get("/s/closed-one").get_data(as_text=True)
    assert "closed to new signatures" in closed and "<form" not in closed


def test_index_lists_published_statements_or_goes_to_the_only_one(client, app):
    """/ redirects to a lone statement and lists several."""
    with app.app_context():
        make_statement("first")
    assert client.get("/").headers["Location"] == "/s/first"
    with app.app_context():
        make_statement("second")
        make_statement("hidden", state=StatementState.draft)
    html = client.get("/").get_data(as_text=True)
    assert "/s/first" in html and "/s/second" in html and "/s/hidden" not in html


def test_unknown_statement_is_a_clear_404(client):
    """An unknown slug gets a page that says so."""
    response = client.get("/s/nothing-here")
    assert response.status_code == 404
    assert "There is no statement at this address." in response.get_data(as_text=True)


def test_healthz_checks_the_database(client):
    """/healthz answers 200 with the database reachable."""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_long_lists_continue_on_the_signatories_pages(client, app):
    """Past the statement page's share, every named signatory is a page away."""
    from signon.public.views import SIGNATORIES_PER_PAGE

    with app.app_context():
        statement = make_statement()
        total = SIGNATORIES_PER_PAGE + 5
        for n in range(total):
            _verified(statement.id, f"Org {n:03d}", "DE")
        _verified(statement.id, "Hidden Org", "FR", show_name=False)
        db.session.commit()
    html = client.get("/s/test-statement").get_data(as_text=True)
    assert f"See all {total} named signatories" in html
    assert "Org 000" in html and f"Org {total - 1:03d}" not in html
    first = client.get("/s/test-statement/signatories").get_data(as_text=True)
    assert "Page 1 of 2." in first and 'rel="next"' in first
    second = client.get("/s/test-statement/signatories?page=2")
    html2 = second.get_data(as_text=True)
    assert second.status_code == 200 and second.cache_control.public
    assert f"Org {total - 1:03d}" in html2 and "Hidden Org" not in html2
    assert "asked not to be named" in html2
    assert client.get("/s/test-statement/signatories?page=3").status_code == 404
    assert client.get("/s/test-statement/signatories?page=x").status_code == 200


def test_the_tally_reads_as_one_sentence(client, app):
    """No gap before the full stop: the tally's flex row holds one sentence."""
    with app.app_context():
        statement = make_statement()
        _verified(statement.id, "One Union", "DE")
        _verified(statement.id, "Two Union", "FR")
    html = client.get("/s/test-statement").get_data(as_text=True)
    assert "from <strong>2 countries</strong>.</span>" in html
