"""URL converters: malformed identifiers end in a 404 before reaching the database."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import BaseConverter, IntegerConverter


class SlugConverter(BaseConverter):
    """A statement slug: a-z, 0-9 and single dashes (see statements.import)."""

    regex = r"[a-z0-9]+(?:-[a-z0-9]+)*"


class IdConverter(IntegerConverter):
    """A row id that fits the database's integer column (no overflow errors)."""

    def __init__(self, map: object) -> None:
        super().__init__(map, min=1, max=2**31 - 1)


def init_app(app: Flask) -> None:
    """Register the converters; call before any blueprint is registered."""
    app.url_map.converters["slug"] = SlugConverter
    app.url_map.converters["id"] = IdConverter
