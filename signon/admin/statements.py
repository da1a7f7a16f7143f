"""Published statements as admins see them: figures, links, and what to paste to embed one."""

from __future__ import annotations

import tempfile

from flask import abort, render_template, send_file
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ..database import write_transaction
from ..extensions import db
from ..models import AuditAction, Statement
from ..services import audit, delivery, statements
from . import bp
from .common import checked
from .forms import ActionForm


@bp.get("/statements")
@login_required
def statements_page() -> str:
    """Every published statement with its counts, its public addresses and embed snippet."""
    published = statements.open_statements()
    return render_template(
        "admin/statements.html",
        statements=[(statement, statements.tally(statement)) for statement in published],
        action_form=ActionForm(),
    )


@bp.post("/statements/<slug:slug>/pack")
@login_required
def pack(slug: str) -> Response:
    """Download the statement's delivery pack (and note in the audit log who did)."""
    checked(ActionForm())
    statement = statements.statement_view(slug)
    if statement is None:
        abort(404, _("There is no published statement at this address."))
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 -- send_file closes it
    made = delivery.build(statement, spool)
    with write_transaction():
        audit.record(
            AuditAction.export,
            current_user,
            statement=db.session.get(Statement, statement.id),
            detail="delivery pack",
        )
    spool.seek(0)
    return send_file(
        spool, mimetype="application/zip", as_attachment=True, download_name=made.name
    )
