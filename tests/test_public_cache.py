"""Public pages are cached by version, yet never stale: news shows within a second or two."""

from __future__ import annotations

import time

import sqlalchemy as sa
from factories import make_admin, make_signature, make_statement
from flask import template_rendered
from helpers import csrf_token, link_in, outbox, sign, signatures

from signon.database import write_transaction
from signon.extensions import db
from signon.models import Admin, Signature, SignatureState
from signon.services import signing


def _get(client, path, etag=None):
    headers = {"If-None-Match": etag} if etag else {}
    return client.get(path, headers=headers)


def _renders(app, action) -> int:
    """How many templates ``action`` rendered."""
    seen = []

    def record(sender, template, context, **extra):
        seen.append(template.name)

    template_rendered.connect(record, app)
    try:
        action()
    finally:
        template_rendered.disconnect(record, app)
    return len(seen)


def test_revalidation_renders_nothing(client, app, statement):
    """A 304 is decided from the statement's version, before any template or count."""
    first = _get(client, f"/s/{statement}")
    etag = first.headers["ETag"].strip('"')
    responses = []
    assert _renders(app, lambda: responses.append(_get(client, f"/s/{statement}", etag))) == 0
    assert responses[0].status_code == 304
    assert responses[0].headers["ETag"] == first.headers["ETag"]


def test_a_page_is_rendered_once_per_version(client, app, statement):
    """The second visitor gets the same bytes without a render."""
    first = _get(client, f"/s/{statement}")
    second = []
    assert _renders(app, lambda: second.append(_get(client, f"/s/{statement}"))) == 0
    assert second[0].get_data() == first.get_data()


def test_a_verified_signatory_shows_at_once(client, app, statement, admin_client):
    """Verifying changes the ETag: the browser's revalidation brings the new list."""
    sign(client, statement)
    client.post(link_in(outbox(app)[0], "confirm"))
    before = _get(client, f"/s/{statement}")
    assert "Rainbow Workers Union" not in before.get_data(as_text=True)
    queue = admin_client.get("/admin/").get_data(as_text=True)
    admin_client.post(
        f"/admin/signatures/{signatures(app)[0].id}/verify",
        data={"csrf_token": csrf_token(queue)},
    )
    after = _get(client, f"/s/{statement}", before.headers["ETag"].strip('"'))
    assert after.status_code == 200
    assert "Rainbow Workers Union" in after.get_data(as_text=True)
    assert "1 organisation" in after.get_data(as_text=True)


def test_a_withdrawn_signatory_disappears_at_once(client, app, statement):
    """Withdrawing changes the ETag of the page and of the list."""
    sign(client, statement)
    message = outbox(app)[0]
    client.post(link_in(message, "confirm"))
    with app.app_context():
        admin_id = make_admin().id
        with write_transaction():
            signing.verify(db.session.get(Signature, 1), db.session.get(Admin, admin_id))
    shown = _get(client, f"/s/{statement}/signatories")
    assert "Rainbow Workers Union" in shown.get_data(as_text=True)
    client.post(link_in(message, "withdraw"))
    gone = _get(client, f"/s/{statement}/signatories", shown.headers["ETag"].strip('"'))
    assert gone.status_code == 200
    assert "Rainbow Workers Union" not in gone.get_data(as_text=True)


def test_without_verification_news_shows_within_the_micro_cache(app_factory):
    """Confirmations do not touch the statement row; the page is reused a second at most."""
    app = app_factory(PUBLIC_MICROCACHE_SECONDS=1)
    with app.app_context():
        slug = make_statement("open-list", needs_verification=False).slug
    client = app.test_client()
    empty = _get(client, f"/s/{slug}")
    sign(client, slug)
    client.post(link_in(outbox(app)[0], "confirm"))
    assert signatures(app)[0].state is SignatureState.verified
    time.sleep(1.05)
    fresh = _get(client, f"/s/{slug}", empty.headers["ETag"].strip('"'))
    assert fresh.status_code == 200
    assert "Rainbow Workers Union" in fresh.get_data(as_text=True)


def test_shared_caches_keep_a_page_a_minute_at_most(client, statement):
    """s-maxage bounds what a proxy or CDN may serve; browsers always revalidate."""
    response = _get(client, f"/s/{statement}")
    assert response.cache_control.s_maxage == 60
    assert response.cache_control.max_age == 0
    assert response.cache_control.public


def test_a_closing_deadline_changes_the_page_without_an_edit(app):
    """Whether the form is open is part of what a cached page is keyed by."""
    import datetime as dt

    from signon.database import utcnow

    with app.app_context():
        make_statement("ends-soon", signing_deadline=utcnow() + dt.timedelta(seconds=1))
    client = app.test_client()
    open_page = _get(client, "/s/ends-soon")
    assert "Sign the statement" in open_page.get_data(as_text=True)
    time.sleep(1.05)
    closed = _get(client, "/s/ends-soon", open_page.headers["ETag"].strip('"'))
    assert closed.status_code == 200
    assert "closed to new signatures" in closed.get_data(as_text=True)


def test_pages_out_of_range_are_refused_without_counting_again(client, app, statement):
    """Asking for page 9, 99, 999... costs one lookup each, not a count of every signature."""
    with app.app_context():
        make_signature(1, SignatureState.verified)
        engine = db.engine
    assert _get(client, f"/s/{statement}/signatories?page=1").status_code == 200
    counted = []

    def record(conn, cursor, sql, parameters, context, executemany):
        counted.append("count(" in sql.lower())

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        for page in (9, 99, 999):
            assert _get(client, f"/s/{statement}/signatories?page={page}").status_code == 404
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert counted and not any(counted)


def test_in_production_a_spike_of_readers_costs_one_query_a_second(app_factory):
    """With STATEMENT_CACHE_SECONDS a revalidation runs no SQL; a change shows within it."""
    app = app_factory(STATEMENT_CACHE_SECONDS=1.0)
    with app.app_context():
        statement_id = make_statement().id
        engine = db.engine
    client = app.test_client()
    etag = _get(client, "/s/test-statement").headers["ETag"].strip('"')
    queries = []

    def record(conn, cursor, sql, *rest):
        queries.append(sql)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        assert [_get(client, "/s/test-statement", etag).status_code for _ in range(20)] == [
            304
        ] * 20
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert not [q for q in queries if "statement" in q.lower()]
    with app.app_context():
        make_signature(statement_id, SignatureState.verified, org_name="Newly Verified Union")
    time.sleep(1.05)
    fresh = _get(client, "/s/test-statement", etag)
    assert fresh.status_code == 200
    assert "Newly Verified Union" in fresh.get_data(as_text=True)
