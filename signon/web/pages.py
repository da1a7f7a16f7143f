"""The statement's public pages: cached by version, revalidated without rendering.

A statement's ``public_version`` changes in the same transaction as anything
the public sees of it (services.statements.public_change). A page is keyed by
that version, so it is rendered once per version per process, and its ETag is
made from the key before anything is rendered: a revalidation (304) costs one
indexed lookup. Statements that list signatures as they are confirmed (no
verification) do not raise the version each time; their key also carries a
time slot of PUBLIC_MICROCACHE_SECONDS, so news shows within that long.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from functools import cache as once
from pathlib import Path
from typing import TypeVar

from flask import abort, current_app, make_response, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..extensions import cache
from ..i18n import language_key
from ..services import listing, statements
from ..services.languages import current_language
from ..services.markdown import render_markdown
from ..services.statements import StatementView, Tally

T = TypeVar("T")

# Shared caches (a reverse proxy, a CDN) may keep public pages this long, so
# they carry a spike; browsers revalidate every time (a 304 by ETag spares
# sending the page), so a signatory who was just listed sees it at once.
SHARED_CACHE_MAX_AGE = 60
# Named signatories shown on the statement page; the rest are a link away.
LISTED_ON_STATEMENT_PAGE = 100


@once
def release() -> str:
    """A fingerprint of the code, templates and catalogues: a new release makes new ETags.

    Computed from the files, so every process and machine running the same
    release agrees, and a browser never keeps a page an upgrade changed.
    """
    root = Path(__file__).resolve().parent.parent.parent
    digest = hashlib.sha256()
    for folder, pattern in (("signon", "*.py"), ("signon", "*.mo"), ("templates", "*.*")):
        for path in sorted((root / folder).rglob(pattern)):
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def page_key(statement: StatementView, *parts: object) -> str:
    """The cache key of one public page of ``statement``, by what it shows.

    The language too: a negotiated page is one URL in several languages
    (signon.i18n), and each must have its own ETag and cache entry.
    """
    return ":".join(str(part) for part in (version_key(statement), language_key(), *parts))


def version_key(statement: StatementView, *parts: object) -> str:
    """The cache key of what ``statement`` shows the same in every language.

    Figures, lists, downloads and the API's answers: one computation and one
    ETag serve every reader, and the answer does not vary on Accept-Language.
    """
    key: list[object] = [statement.id, statement.public_version, statement.is_open, release()]
    if not statement.needs_verification:
        window = current_app.config["PUBLIC_MICROCACHE_SECONDS"]
        key.append(int(time.time() // window))
    return ":".join(str(part) for part in (*key, *parts))


def cached(statement: StatementView, name: str, compute: Callable[[StatementView], T]) -> T:
    """``compute(statement)``, computed once per version of the statement (and process)."""
    key = f"{name}:{version_key(statement)}"
    found = cache.get(key)
    if found is None:
        found = compute(statement)
        cache.set(key, found)
    return found


def cached_tally(statement: StatementView) -> Tally:
    """The statement's public figures, counted once per version of it."""
    return cached(statement, "tally", statements.tally)


def etag_for(key: str) -> str:
    """The ETag of whatever is cached under ``key``."""
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def etag_matches(key: str) -> bool:
    """Whether the browser already has the page cached under ``key``."""
    return etag_for(key) in request.if_none_match


def public_page(key: str, render: Callable[[], str], mimetype: str = "text/html") -> Response:
    """The page ``render`` makes, cached under ``key``; a 304 if the browser has it.

    The ETag comes from the key, so checking it renders nothing.
    """
    etag = etag_for(key)
    if etag in request.if_none_match:
        response = make_response("", 304)
    else:
        html = cache.get("page:" + key)
        if html is None:
            html = render()
            cache.set("page:" + key, html)
        response = make_response(html)
        response.mimetype = mimetype
    response.set_etag(etag)
    return shared_cacheable(response)


def shared_cacheable(response: Response) -> Response:
    """Let shared caches keep a public page for a minute; browsers revalidate."""
    response.cache_control.public = True
    response.cache_control.max_age = 0
    response.cache_control.s_maxage = SHARED_CACHE_MAX_AGE
    return response


def cacheable(response: Response) -> Response:
    """Like ``shared_cacheable``, with an ETag hashed from the finished page.

    For pages that depend on no statement (the index, the privacy notice).
    """
    shared_cacheable(response)
    response.add_etag()
    return response.make_conditional(request)


def get_statement(slug: str, *, localized: bool = True) -> StatementView:
    """The published statement at ``slug``, in the reader's language where it has it; or 404.

    ``localized=False`` for data (downloads, the API, counts): the original
    text, and nothing that depends on the reader's language.

    Each process keeps what it read for STATEMENT_CACHE_SECONDS (one), so a
    spike of readers costs one query a second per process, not one a
    request; a change (a verification raising the public version, a
    statement closing) shows within that second.
    """
    ttl = current_app.config["STATEMENT_CACHE_SECONDS"]
    views: dict[str, tuple[float, StatementView]] = current_app.extensions.setdefault(
        "signon.statement_views", {}
    )
    now = time.monotonic()
    kept = views.get(slug)
    if kept is not None and now - kept[0] < ttl:
        return kept[1].in_language(current_language()) if localized else kept[1]
    statement = statements.statement_view(slug)
    if statement is None:
        views.pop(slug, None)
        abort(404, _("There is no statement at this address."))
    if ttl > 0:
        views[slug] = (now, statement)
    return statement.in_language(current_language()) if localized else statement


def render_statement(statement: StatementView, form: object) -> str:
    """The statement page, with ``form`` as the sign-on form (maybe with errors)."""
    return render_template(
        "public/statement.html",
        statement=statement,
        body=render_markdown(statement.body),
        tally=cached_tally(statement),
        signatories=listing.first(statement, LISTED_ON_STATEMENT_PAGE),
        form=form,
        sign_url=(
            url_for("signing.sign_embargoed", token=statement.embargo_token)
            if statement.embargoed
            else url_for("signing.sign", slug=statement.slug)
        ),
    )
