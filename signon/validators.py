"""Field filters and validators shared by the forms."""

from __future__ import annotations

import re
import unicodedata
from typing import Any
from urllib.parse import urlsplit

from wtforms import Field, Form, ValidationError

# Right-to-left overrides and isolates reorder how a name is displayed and can
# make "Org A" look like another organisation; nobody needs them in a form.
_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# What an HTML parser would start a tag or comment with; "a < b" and "<3" pass.
_MARKUP = re.compile(r"<[A-Za-z/!?]")
_LINE_BREAKS = set("\n\r\x85\u2028\u2029")


def clean_text(value: Any) -> Any:
    """Filter: NFC-normalise, unify line ends and trim a submitted string."""
    if not isinstance(value, str):
        return value
    value = unicodedata.normalize("NFC", value)
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


class PlainText:
    """Text without control characters, direction overrides or HTML tags."""

    def __init__(self, multiline: bool = False) -> None:
        self.multiline = multiline

    def __call__(self, form: Form, field: Field) -> None:
        value = field.data or ""
        allowed = "\n\t" if self.multiline else ""
        for char in value:
            if char in allowed:
                continue
            if char in _LINE_BREAKS and not self.multiline:
                raise ValidationError("Please keep this to a single line.")
            if (
                char in _LINE_BREAKS
                or char in _BIDI_CONTROLS
                or unicodedata.category(char) == "Cc"
            ):
                raise ValidationError("Please remove the invisible control characters.")
        if _MARKUP.search(value):
            raise ValidationError("Please write plain text, without HTML tags.")


class WebsiteURL:
    """An http(s) address of a public website; adds https:// when left out."""

    message = "Please enter a website address such as https://example.org."

    def __call__(self, form: Form, field: Field) -> None:
        value = field.data or ""
        if not value:
            return
        if "://" not in value:
            value = "https://" + value
        try:
            parts = urlsplit(value)
            host = parts.hostname or ""
        except ValueError:
            raise ValidationError(self.message) from None
        if (
            parts.scheme not in ("http", "https")
            or "." not in host
            or parts.username
            or parts.password
            or any(c.isspace() for c in value)
        ):
            raise ValidationError(self.message)
        field.data = value
