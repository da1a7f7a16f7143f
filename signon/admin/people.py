"""Personal data requests: find, export or erase what is held about an address."""

from __future__ import annotations

from flask import flash, jsonify, redirect, render_template, url_for
from flask_babel import ngettext
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ..database import checkpoint_after_erasure, write_transaction
from ..filters import number
from ..services import subject_access
from . import bp
from .common import checked
from .forms import PersonForm


@bp.route("/people", methods=["GET", "POST"])
@login_required
def people() -> str | tuple[str, int]:
    """Find everything held about one email address (POST: no address in URLs or logs)."""
    form = PersonForm()
    if not form.is_submitted():
        return render_template("admin/people.html", form=form, records=None)
    if not form.validate():
        return render_template("admin/people.html", form=form, records=None), 400
    records = subject_access.records_for(form.email.data)
    return render_template("admin/people.html", form=form, records=records)


@bp.post("/people/export")
@login_required
def export_person() -> Response:
    """Everything held about an address, as a JSON file for the person who asked."""
    form = checked(PersonForm())
    with write_transaction():
        records = subject_access.records_for(form.email.data)
        subject_access.record_export(records, current_user)
        payload = records.as_dict()
    response = jsonify(payload)
    response.headers["Content-Disposition"] = 'attachment; filename="signon-personal-data.json"'
    return response


@bp.post("/people/erase")
@login_required
def erase_person() -> Response:
    """Withdraw every signature of an address and erase its personal data."""
    form = checked(PersonForm())
    with write_transaction():
        count = subject_access.erase(form.email.data, current_user)
    checkpoint_after_erasure()
    # The count formatted for the language (flask_babel's own ``num`` would be the bare int).
    flash(
        ngettext(
            "Erased %(count)s signature and the emails queued for that address.",
            "Erased %(count)s signatures and the emails queued for that address.",
            count,
            count=number(count),
        )
    )
    return redirect(url_for(".people"))
