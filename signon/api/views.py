"""The API's routes. Each answers JSON, cached and revalidated like the pages."""

from __future__ import annotations

import json
from typing import Any

from flask import abort, jsonify, request
from flask_babel import gettext as _
from marshmallow import ValidationError
from werkzeug.wrappers import Response

from ..filters import number
from ..models import SignatoryKind
from ..ratelimits import limiter, setting
from ..services import exports, listing, statements
from ..services.countries import country_name
from ..services.statements import StatementView
from ..services.urls import public_url
from ..web.list_form import PEOPLE, org_type_of
from ..web.pages import (
    cacheable,
    cached,
    cached_tally,
    get_statement,
    public_page,
    version_key,
)
from . import bp
from .schemas import SignatoryQuerySchema
from .spec import openapi_document

limiter.limit(setting("RATELIMIT_API"))(bp)

_QUERY = SignatoryQuerySchema()


def _json(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def _summary(statement: StatementView) -> dict[str, Any]:
    tally = cached_tally(statement)
    return {
        "slug": statement.slug,
        "title": statement.title,
        "publisher": statement.publisher,
        "published_on": statement.published_on.isoformat() if statement.published_on else None,
        "state": statement.state.value,
        "taking_signatures": statement.is_open,
        "signatories": tally.signatories,
        "organisations": tally.organisations,
        "people": tally.people,
        "countries": tally.countries,
        "unnamed": tally.unnamed,
        "version": statement.version,
        "links": {
            "self": public_url("api.statement", slug=statement.slug),
            "html": public_url("public.statement", slug=statement.slug),
            "signatories": public_url("api.signatories", slug=statement.slug),
            "versions": public_url("public.versions", slug=statement.slug),
        },
    }


@bp.get("/statements")
def statement_list() -> Response:
    """Every published statement, newest first, with its headline figures."""
    found = statements.published_views()  # one query, not one per statement
    response = jsonify(statements=[_summary(statement) for statement in found])
    return cacheable(response)


@bp.get("/statements/<slug:slug>")
def statement(slug: str) -> Response:
    """One statement, with its named signatories counted by country and by type."""
    found = get_statement(slug, localized=False)

    def render() -> str:
        figures = cached(found, "figures", listing.figures)
        return _json(
            _summary(found)
            | {
                "by_country": [
                    {"country": code, "country_name": country_name(code), "signatories": n}
                    for code, n in figures.countries
                ],
                # In English, like country_name: data for programs, whatever the language.
                "by_type": [
                    {
                        "type": org_type.value if org_type else PEOPLE,
                        "label": org_type.english_label if org_type else "Individual",
                        "signatories": n,
                    }
                    for org_type, n in figures.types
                ],
            }
        )

    return public_page(version_key(found, "api-statement"), render, "application/json")


@bp.get("/statements/<slug:slug>/signatories")
def signatories(slug: str) -> Response:
    """A page of the statement's named signatories: searched, filtered, sorted."""
    found = get_statement(slug, localized=False)
    try:
        args = _QUERY.load(request.args)
    except ValidationError as error:
        abort(400, _explain(error.messages))
    selection = listing.Selection(
        words=listing.search_words(args["q"]),
        country=args["country"],
        org_type=org_type_of(args["type"]),
        kind=SignatoryKind.person if args["type"] == PEOPLE else None,
        order=listing.Order(args["sort"]),
    )
    page, per_page = args["page"], args["per_page"]
    if selection.narrowed:
        total = cached(found, "count:" + selection.key(), lambda s: listing.count(s, selection))
    else:
        tally = cached_tally(found)
        total = tally.named
    pages = max(1, -(-total // per_page))
    if page > pages:
        abort(
            404,
            _(
                "There is no page %(page)s: the last is %(pages)s.",
                page=number(page),
                pages=number(pages),
            ),
        )
    # Links echo the arguments as given (the search as typed): they are in the key.
    query = {name: request.args[name] for name in _QUERY.fields if name in request.args}
    key = version_key(found, "api-signatories", sorted(query.items()), page, per_page)

    def render() -> str:
        listed = listing.signatories(
            found, selection, per_page, (page - 1) * per_page, found=total
        )

        def link(to: int) -> str:
            return public_url("api.signatories", slug=slug, **(query | {"page": to}))

        links = {"self": link(page)}
        if page < pages:
            links["next"] = link(page + 1)
        if page > 1:
            links["prev"] = link(page - 1)
        return _json(
            {
                "total": total,
                "page": page,
                "pages": pages,
                "per_page": per_page,
                "signatories": [exports.record(signatory) for signatory in listed],
                "links": links,
            }
        )

    return public_page(key, render, "application/json")


@bp.get("/openapi.json")
def openapi() -> Response:
    """This API described in OpenAPI 3.1."""
    return cacheable(jsonify(openapi_document()))


def _explain(messages: dict[str, Any] | list[Any] | object) -> str:
    """marshmallow's errors as one sentence: "page: Must be greater than or equal to 1."."""
    if isinstance(messages, dict):
        return " ".join(f"{name}: {_explain(errors)}" for name, errors in messages.items())
    if isinstance(messages, list):
        return " ".join(_explain(message) for message in messages)
    return str(messages)  # a message, maybe a lazy string (schemas), translated now
