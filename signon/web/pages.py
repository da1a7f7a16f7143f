"""The statement page, shared by the public view and the sign-on form's errors."""

from __future__ import annotations

from flask import abort, render_template, request
from werkzeug.wrappers import Response

from ..models import Statement
from ..services import statements
from ..services.markdown import render_markdown

# Shared caches (a reverse proxy, a CDN) may keep public pages this long, so
# they carry a spike; browsers revalidate every time (a 304 by ETag spares
# sending the page), so a signatory who was just listed sees it at once.
SHARED_CACHE_MAX_AGE = 60
# Named signatories shown on the statement page; the rest are a link away.
LISTED_ON_STATEMENT_PAGE = 100


def cacheable(response: Response) -> Response:
    """Let shared caches keep a public page; browsers revalidate it by ETag."""
    response.cache_control.public = True
    response.cache_control.max_age = 0
    response.cache_control.s_maxage = SHARED_CACHE_MAX_AGE
    response.add_etag()
    return response.make_conditional(request)


def get_statement(slug: str) -> Statement:
    """The published statement at ``slug``, or 404."""
    statement = statements.published_statement(slug)
    if statement is None:
        abort(404, "There is no statement at this address.")
    return statement


def render_statement(statement: Statement, form: object) -> str:
    """The statement page, with ``form`` as the sign-on form (maybe with errors)."""
    return render_template(
        "public/statement.html",
        statement=statement,
        body=render_markdown(statement.body),
        tally=statements.tally(statement),
        signatories=statements.listed_signatories(statement, LISTED_ON_STATEMENT_PAGE),
        form=form,
    )
