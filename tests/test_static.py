"""The favicon: linked from every page, and answered at /favicon.ico."""

from __future__ import annotations

from pathlib import Path

import signon

FAVICON = Path(signon.__file__).parent / "static" / "favicon.svg"


def test_favicon_ico_answers_with_the_svg_cacheable_for_a_day(client):
    """Browsers ask for /favicon.ico whatever the page says: no 404 in the console."""
    with client.get("/favicon.ico") as response:
        assert response.status_code == 200
        assert response.mimetype == "image/svg+xml"
        assert response.data == FAVICON.read_bytes()
        assert response.cache_control.public
        assert response.cache_control.max_age == 86400
        assert not response.cache_control.no_store


def test_favicon_ico_answers_a_conditional_request_with_304(client):
    """A browser revalidating the icon gets no body back."""
    with client.get("/favicon.ico") as first:
        etag = first.headers["ETag"]
    with client.get("/favicon.ico", headers={"If-None-Match": etag}) as response:
        assert response.status_code == 304


def test_pages_link_the_svg_icon(client):
    """The icon is linked from the page head, and the link works."""
    page = client.get("/privacy").get_data(as_text=True)
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    with client.get("/static/favicon.svg") as response:
        assert response.status_code == 200
        assert response.mimetype == "image/svg+xml"


def test_the_icon_is_a_small_self_contained_svg():
    """No script, nothing fetched from elsewhere (the CSP would block it anyway)."""
    svg = FAVICON.read_text("utf-8")
    assert svg.startswith("<svg ") and svg.rstrip().endswith("</svg>")
    assert "<script" not in svg and "href" not in svg
    assert len(svg) < 1024
