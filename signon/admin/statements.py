"""Published statements as admins see them: figures, links, and what to paste to embed one."""

from __future__ import annotations

from flask import render_template
from flask_login import login_required

from ..services import statements
from . import bp


@bp.get("/statements")
@login_required
def statements_page() -> str:
    """Every published statement with its counts, its public addresses and embed snippet."""
    published = statements.open_statements()
    return render_template(
        "admin/statements.html",
        statements=[(statement, statements.tally(statement)) for statement in published],
    )
