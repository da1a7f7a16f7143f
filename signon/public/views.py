"""Routes of the public area. None of them sets a cookie."""

from __future__ import annotations

import json

from flask import (
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    stream_template,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import text
from werkzeug.wrappers import Response

from ..database import end_read_transaction
from ..extensions import cache, db
from ..i18n import language_key
from ..ratelimits import limiter, sent_in_full, setting
from ..security import CONTENT_SECURITY_POLICY
from ..services import feeds, listing, statements
from ..services.languages import current_language
from ..services.markdown import render_markdown
from ..services.urls import public_url
from ..services.versions import changelog
from ..web.list_form import ListForm
from ..web.pages import (
    cacheable,
    cached,
    cached_tally,
    etag_for,
    etag_matches,
    get_statement,
    page_key,
    public_page,
    release,
    render_statement,
    shared_cacheable,
    version_key,
)
from ..web.sign_form import sign_form
from . import bp

SIGNATORIES_PER_PAGE = 100
# The chart of countries shows this many bars, the rest as one; the table has all.
TOP_COUNTRIES_CHARTED = 15
# The chart of days shows the last this many; the table has all.
DAYS_CHARTED = 60
# The newest named signatories the embedded counter shows.
EMBED_NEWEST = 5
# Entries in the Atom feed: the newest, as feeds go.
FEED_ENTRIES = 50


@bp.get("/")
def index() -> Response:
    """The published statements; the statement itself when there is only one."""
    published = statements.open_statements()
    if len(published) == 1:
        return cacheable(redirect(url_for(".statement", slug=published[0].slug)))
    return cacheable(make_response(render_template("public/index.html", statements=published)))


@bp.get("/s/<slug:slug>")
def statement(slug: str) -> Response:
    """A statement: text, footnotes, figures, sign-on form, verified list."""
    found = get_statement(slug)

    def render() -> str:
        return render_statement(found, sign_form(found, formdata=None) if found.is_open else None)

    return public_page(page_key(found, "statement"), render)


@bp.get("/s/<slug:slug>/versions")
def versions(slug: str) -> Response:
    """The statement's changelog: each published version, its date, and what it changed."""
    found = get_statement(slug)

    def render() -> str:
        # The diffs change only with a new version, not with each verification
        # (which makes a new page key): computed once per version and release.
        key = f"changelog:{found.id}:{found.version}:{release()}"
        versions = cache.get(key)
        if versions is None:
            versions = changelog(found)
            cache.set(key, versions)
        return render_template("public/versions.html", statement=found, versions=versions)

    return public_page(page_key(found, "versions"), render)


def _not_a_search() -> bool:
    return not request.args.get("q", "").strip()


@bp.get("/s/<slug:slug>/signatories")
# A new search is a scan of the list and a page of the cache: limited per
# network, while browsing and filtering are not.
@limiter.limit(setting("RATELIMIT_SEARCH"), exempt_when=_not_a_search)
def signatories(slug: str) -> Response:
    """The named, verified signatories: searched, filtered, sorted, grouped, a page at a time."""
    found = get_statement(slug)
    page = request.args.get("page", 1, type=int)
    tally = cached_tally(found)
    # Most readers only page through the whole list: their requests skip
    # the form (WTForms took 40 % of a cached page) until a page is rendered.
    form = ListForm(request.args) if request.args.keys() - {"page"} else None
    if form is not None and not form.validate():
        form.offer(cached(found, "countries", listing.countries))
        html = render_template("public/signatories.html", statement=found, tally=tally, form=form)
        return make_response(html, 400)
    selection = form.selection() if form is not None else listing.Selection()
    echoed = form.query_args if form is not None else {}
    # The key holds what the page echoes (the search as typed, in the box and
    # every link), not only what it selects: "élan!" and "elan" find the same
    # signatories, but one visitor's text must not be shown to the next.
    key = page_key(found, "signatories", sorted(echoed.items()), page)
    if etag_matches(key):  # a 304 before counting or rendering anything
        return public_page(key, str)
    if selection.narrowed:
        total = cached(found, "count:" + selection.key(), lambda s: listing.count(s, selection))
    else:
        total = tally.named
    pages = max(1, -(-total // SIGNATORIES_PER_PAGE))
    if not 1 <= page <= pages:
        abort(404, _("There is no such page of signatories."))

    def render() -> str:
        shown = form if form is not None else ListForm(request.args)
        shown.offer(cached(found, "countries", listing.countries))
        offset = (page - 1) * SIGNATORIES_PER_PAGE
        if shown.group.data:
            # Grouped in the order of the reader's country names (the page
            # is keyed by language), and paged in that same order.
            counts = listing.by_country_name(
                listing.countries(found, selection), current_language()
            )
            groups = listing.grouped(found, selection, counts, SIGNATORIES_PER_PAGE, offset)
            listed = []
        else:
            groups = []
            listed = listing.signatories(
                found, selection, SIGNATORIES_PER_PAGE, offset, found=total
            )
        return render_template(
            "public/signatories.html",
            statement=found,
            tally=tally,
            form=shown,
            found=total,
            signatories=listed,
            groups=groups,
            page=page,
            pages=pages,
        )

    return public_page(key, render)


@bp.get("/s/<slug:slug>/figures")
def figures(slug: str) -> Response:
    """The named signatories by country, by type and by day: charts with their tables."""
    found = get_statement(slug)

    def render() -> str:
        return render_template(
            "public/figures.html",
            statement=found,
            tally=cached_tally(found),
            figures=listing.figures(found),
            top_countries=TOP_COUNTRIES_CHARTED,
            days_charted=DAYS_CHARTED,
        )

    return public_page(page_key(found, "figures"), render)


@bp.get("/s/<slug:slug>/embed")
def embed(slug: str) -> Response:
    """A small page for an iframe on the publisher's site: the count, the newest, a button.

    The one page other sites may frame (EMBED_FRAME_ANCESTORS). It holds no
    form and no action: a framed page that can do nothing cannot be turned
    against the person looking at it (clickjacking). Its links open the
    statement in a new tab.
    """
    found = get_statement(slug)

    def render() -> str:
        newest = listing.Selection(order=listing.Order.newest)
        return render_template(
            "public/embed.html",
            statement=found,
            tally=cached_tally(found),
            newest=listing.signatories(found, newest, EMBED_NEWEST),
        )

    response = public_page(page_key(found, "embed"), render)
    ancestors = current_app.config["EMBED_FRAME_ANCESTORS"]
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
        "frame-ancestors 'none'", f"frame-ancestors {ancestors}"
    )
    return response


@bp.get("/s/<slug:slug>/count.json")
def count(slug: str) -> Response:
    """The statement's figures, for a publisher's own counter (any origin may read it)."""
    found = get_statement(slug, localized=False)

    def render() -> str:
        tally = cached_tally(found)
        return json.dumps(
            {
                "slug": found.slug,
                "title": found.title,
                "signatories": tally.signatories,
                "organisations": tally.organisations,
                "people": tally.people,
                "countries": tally.countries,
                "taking_signatures": found.is_open,
                "url": public_url("public.statement", slug=found.slug),
            },
            ensure_ascii=False,
        )

    return public_page(version_key(found, "count"), render, "application/json")


@bp.get("/s/<slug:slug>/feed.atom")
def feed(slug: str) -> Response:
    """An Atom feed of the newest named signatories, for feed readers and newsrooms."""
    found = get_statement(slug)

    def render() -> str:
        tally = cached_tally(found)
        newest = listing.Selection(order=listing.Order.newest)
        return feeds.atom(
            found,
            found.publisher,
            listing.signatories(found, newest, FEED_ENTRIES),
            page_url=public_url("public.statement", slug=found.slug, lang=current_language()),
            feed_url=public_url("public.feed", slug=found.slug),
            updated=max(filter(None, (found.public_changed_at, tally.latest))),
            language=current_language(),
        ).decode()

    return public_page(page_key(found, "feed"), render, "application/atom+xml")


@bp.get("/s/<slug:slug>/print")
@limiter.limit(setting("RATELIMIT_EXPORT"), deduct_when=sent_in_full)
def printable(slug: str) -> Response:
    """The statement with its footnotes and every named signatory, laid out for paper.

    As long as the list: streamed like the downloads, revalidated by the
    statement's version, and limited like them.
    """
    found = get_statement(slug)
    key = page_key(found, "print")
    if etag_matches(key):
        return public_page(key, str)
    html = stream_template(
        "public/print.html",
        statement=found,
        body=render_markdown(found.body),
        tally=cached_tally(found),
        signatories=listing.stream(found, between=end_read_transaction),
    )
    response = Response(html, mimetype="text/html")
    response.set_etag(etag_for(key))
    return shared_cacheable(response)


@bp.get("/privacy")
def privacy() -> Response:
    """The privacy notice signatories agree to: rendered once per release and language."""
    key = f"privacy:{release()}:{language_key()}"
    return public_page(key, lambda: render_template("public/privacy.html"))


@bp.get("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    """Liveness and a database round trip, for load balancers."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 -- any failure means "not healthy"
        db.session.rollback()
        return {"status": "error", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}, 200
