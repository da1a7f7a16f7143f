"""Development mailbox: read what the app would have emailed.

Registered only in the development environment (see ``create_app``): the
page shows contact names, addresses and working confirm links, which is
exactly what must never be reachable on a real site. With no mail server
configured, email is delivered to this mailbox (``views.deliver_to_mailbox``)
instead of waiting in the outbox for a worker that has nowhere to send it.
"""

from flask import Blueprint

bp = Blueprint("dev", __name__, url_prefix="/dev")

from . import views  # noqa: E402, F401  (routes register on bp)
