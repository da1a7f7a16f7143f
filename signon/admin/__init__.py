"""The admin area: login, the verification queue, email delivery, personal data.

One module per area, each registering its routes on ``bp``.
"""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from . import auth, outbox, people, questions, queue, statements  # noqa: E402, F401  (routes register on bp)
