"""Routes of the public area. None of them sets a cookie."""

from __future__ import annotations

from flask import abort, make_response, redirect, render_template, request, url_for
from sqlalchemy import text
from werkzeug.wrappers import Response

from ..extensions import db
from ..services import statements
from ..web.pages import cacheable, get_statement, render_statement
from ..web.sign_form import SignForm
from . import bp

SIGNATORIES_PER_PAGE = 100


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
    form = SignForm(formdata=None) if found.is_open else None
    return cacheable(make_response(render_statement(found, form)))


@bp.get("/s/<slug:slug>/signatories")
def signatories(slug: str) -> Response:
    """Every named, verified signatory, a page at a time."""
    found = get_statement(slug)
    tally = statements.tally(found)
    pages = max(1, -(-(tally.organisations - tally.unnamed) // SIGNATORIES_PER_PAGE))
    page = request.args.get("page", 1, type=int)
    if not 1 <= page <= pages:
        abort(404, "There is no such page of signatories.")
    listed = statements.listed_signatories(
        found, SIGNATORIES_PER_PAGE, (page - 1) * SIGNATORIES_PER_PAGE
    )
    return cacheable(
        make_response(
            render_template(
                "public/signatories.html",
                statement=found,
                tally=tally,
                signatories=listed,
                page=page,
                pages=pages,
            )
        )
    )


@bp.get("/privacy")
def privacy() -> Response:
    """The privacy notice signatories agree to."""
    return cacheable(make_response(render_template("public/privacy.html")))


@bp.get("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    """Liveness and a database round trip, for load balancers."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 -- any failure means "not healthy"
        db.session.rollback()
        return {"status": "error", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}, 200
