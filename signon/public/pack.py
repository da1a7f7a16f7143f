"""Checking a delivery pack: the site's public key, and a page that checks a pack.

The page takes an upload and stores nothing: it reads the archive, checks
its signature and sums, and says what it found. Having no effect, it needs
no CSRF defence; it is limited per network like the downloads.
"""

from __future__ import annotations

from flask import abort, current_app, make_response, render_template, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..extensions import csrf
from ..ratelimits import limiter, setting
from ..services import delivery
from ..web.pages import cacheable
from . import bp


@bp.get("/pack/key.pem")
def pack_key() -> Response:
    """The public half of the key that signs this site's delivery packs."""
    response = make_response(delivery.public_key_pem())
    response.mimetype = "application/x-pem-file"
    return cacheable(response)


@bp.get("/pack")
def pack_check() -> Response:
    """How a recipient checks a delivery pack, with a form that does it."""
    page = render_template("public/pack.html", verdict=None, fingerprint=delivery.fingerprint())
    return cacheable(make_response(page))


@bp.post("/pack")
@csrf.exempt  # no session and no effect: see the module's docstring
@limiter.limit(setting("RATELIMIT_EXPORT"))
def pack_check_upload() -> tuple[str, int]:
    """Check an uploaded pack and say what was found."""
    request.max_content_length = current_app.config["PACK_CHECK_MAX_BYTES"]
    upload = request.files.get("pack")
    if upload is None or not upload.filename:
        abort(400, _("Please choose the pack's ZIP file to check."))
    verdict = delivery.verify(upload.stream)
    page = render_template(
        "public/pack.html",
        verdict=verdict,
        filename=upload.filename,
        fingerprint=delivery.fingerprint(),
    )
    return page, 200
