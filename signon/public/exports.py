"""Downloads of the public list, CSV and JSON, narrowed like the list page.

Streamed from a cursor, so a list of 100,000 costs the same memory as one of
ten. Revalidated by the same versioned key as the pages (an unchanged list
is a 304 that reads nothing) and by Last-Modified, for crawlers that only
keep dates. Each full download counts against a per-network limit: it is the
one public request that costs about a second.
"""

from __future__ import annotations

from collections.abc import Iterator

from flask import Response, abort, request, stream_with_context
from werkzeug.http import is_resource_modified

from ..database import end_read_transaction
from ..ratelimits import limiter, sent_in_full, setting
from ..services import exports, listing
from ..services.public import PublicSignatory
from ..services.statements import StatementView, Tally
from ..services.urls import public_url
from ..web.list_form import ListForm
from ..web.pages import (
    cached_tally,
    etag_for,
    get_statement,
    shared_cacheable,
    version_key,
)
from . import bp


@bp.get("/s/<slug:slug>/signatories.csv")
@limiter.limit(setting("RATELIMIT_EXPORT"), deduct_when=sent_in_full)
def signatories_csv(slug: str) -> Response:
    """The listed signatories as CSV, one row each, public fields only."""
    return _download(slug, "csv")


@bp.get("/s/<slug:slug>/signatories.json")
@limiter.limit(setting("RATELIMIT_EXPORT"), deduct_when=sent_in_full)
def signatories_json(slug: str) -> Response:
    """The listed signatories as one JSON object, with the statement's figures."""
    return _download(slug, "json")


def _download(slug: str, kind: str) -> Response:
    found = get_statement(slug, localized=False)
    form = ListForm(request.args)
    if not form.validate():
        # str(): some messages are lazy strings, translated when read.
        abort(400, " ".join(str(error) for errors in form.errors.values() for error in errors))
    selection = form.selection()
    tally = cached_tally(found)
    # The key holds what the file echoes (its "filters"), not only what it selects.
    etag = etag_for(version_key(found, kind, sorted(form.query_args.items())))
    last_modified = max(filter(None, (found.public_changed_at, tally.latest)))
    if not is_resource_modified(request.environ, etag=etag, last_modified=last_modified):
        response = Response(status=304)
    elif kind == "csv":
        response = Response(
            stream_with_context(
                exports.csv_chunks(
                    _rows(found, selection), [q.label for q in found.public_questions]
                )
            ),
            mimetype="text/csv",
        )
    else:
        head = _json_head(found, form, selection, tally)
        response = Response(
            stream_with_context(exports.json_chunks(head, _rows(found, selection))),
            mimetype="application/json",
        )
    response.set_etag(etag)
    response.last_modified = last_modified
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{found.slug}-signatories.{kind}"'
    )
    return shared_cacheable(response)


def _rows(statement: StatementView, selection: listing.Selection) -> Iterator[PublicSignatory]:
    """The rows, a read transaction per batch (see listing.stream)."""
    return listing.stream(statement, selection, batch=1000, between=end_read_transaction)


def _json_head(
    statement: StatementView, form: ListForm, selection: listing.Selection, tally: Tally
) -> dict[str, object]:
    """What the JSON file says before its list: the statement, its figures, the filters."""
    listed = tally.named
    if selection.narrowed:
        listed = listing.count(statement, selection)
    return {
        "statement": {
            "slug": statement.slug,
            "title": statement.title,
            "publisher": statement.publisher,
            "url": public_url("public.statement", slug=statement.slug),
        },
        # Not "signatories": that key holds the list itself, after the head.
        "verified": tally.signatories,
        "organisations": tally.organisations,
        "people": tally.people,
        "countries": tally.countries,
        "unnamed": tally.unnamed,
        "filters": {name: value for name, value in form.query_args.items() if name != "group"},
        "listed": listed,
    }
