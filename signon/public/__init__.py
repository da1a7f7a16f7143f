"""Public pages: the statements, the privacy notice, the health check."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from . import exports, pack, views  # noqa: E402, F401  (routes register on bp)
