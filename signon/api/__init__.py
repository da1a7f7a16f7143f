"""The read-only JSON API, ``/api/v1``: statements, their figures, their signatories.

Public data only (services.public), cacheable like the pages, open to every
origin for GET (CORS), rate-limited per network, and described by an OpenAPI
3.1 document generated from its schemas (``/api/v1/openapi.json``).
"""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from . import views  # noqa: E402, F401  (routes register on bp)
