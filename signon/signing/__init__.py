"""Signing: the sign-on form's handler, confirmation and withdrawal."""

from flask import Blueprint

bp = Blueprint("signing", __name__)

from . import views  # noqa: E402, F401  (routes register on bp)
