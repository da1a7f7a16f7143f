"""The statement page, shared by the public view and the sign-on form's errors."""

from __future__ import annotations

from flask import abort, render_template
from sqlalchemy import select

from ..extensions import db
from ..models import Statement, StatementState
from ..services import statements
from ..services.markdown import render_markdown

# Shared caches (a reverse proxy, a CDN) may keep public pages this long, so
# they carry a spike; browsers revalidate every time (a 304 by ETag spares
# sending the page), so a signatory who was just listed sees it at once.
SHARED_CACHE_MAX_AGE = 60
# Named signatories shown on the statement page; the rest are a link away.
LISTED_ON_STATEMENT_PAGE = 100


def published_statement(slug: str) -> Statement | None:
    """The statement at ``slug`` if the public may see it (drafts are not public)."""
    statement = db.session.scalar(select(Statement).where(Statement.slug == slug))
    if statement is None or statement.state is StatementState.draft:
        return None
    return statement


def get_statement(slug: str) -> Statement:
    """The published statement at ``slug``, or 404."""
    statement = published_statement(slug)
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
        signatures=statements.listed_signatures(statement, LISTED_ON_STATEMENT_PAGE),
        form=form,
    )
