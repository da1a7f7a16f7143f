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
# Zero-width joiners are part of how Persian, Indic scripts and emoji are
# written, so they pass between two visible characters; every other
# invisible format character (zero-width space, word joiner, BOM, tags...)
# only serves to make two different strings look alike.
_JOINERS = set("\u200c\u200d")
# What an HTML parser would start a tag or comment with; "a < b" and "<3" pass.
_MARKUP = re.compile(r"<[A-Za-z/!?]")
_LINE_BREAKS = set("\n\r\x85\u2028\u2029")
# A spreadsheet opening an export treats a cell starting so as a formula.
_FORMULA_PREFIXES = ("=", "+", "-", "@")
# Scripts written together in one word: Japanese mixes these freely.
_SCRIPT_FAMILIES = {"HIRAGANA": "CJK", "KATAKANA": "CJK", "CJK": "CJK", "HANGUL": "CJK"}


def clean_text(value: Any) -> Any:
    """Filter: NFC-normalise, unify line ends and trim a submitted string."""
    if not isinstance(value, str):
        return value
    value = unicodedata.normalize("NFC", value)
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


class PlainText:
    """Text as a person types it: no control, invisible or markup characters."""

    def __init__(self, multiline: bool = False) -> None:
        self.multiline = multiline

    def __call__(self, form: Form, field: Field) -> None:
        value = field.data or ""
        for index, char in enumerate(value):
            if char in "\n\t" and self.multiline:
                continue
            if char in _LINE_BREAKS and not self.multiline:
                raise ValidationError("Please keep this to a single line.")
            if char == "\ufffd":
                raise ValidationError(
                    "Some characters did not arrive intact (shown as \ufffd); please retype them."
                )
            if char in _JOINERS and _between_visible(value, index):
                continue
            category = unicodedata.category(char)
            if category in ("Cc", "Cf") or char in _LINE_BREAKS or char in _BIDI_CONTROLS:
                raise ValidationError("Please remove the invisible control characters.")
        if _MARKUP.search(value):
            raise ValidationError("Please write plain text, without HTML tags.")


def _between_visible(value: str, index: int) -> bool:
    if index == 0 or index == len(value) - 1:
        return False
    before, after = value[index - 1], value[index + 1]
    return not (before.isspace() or after.isspace() or before in _JOINERS or after in _JOINERS)


class SingleScriptWords:
    """Each word in one alphabet, so "Rаinbow" (with a Cyrillic а) cannot pose
    as "Rainbow". Words in different alphabets side by side are fine."""

    def __call__(self, form: Form, field: Field) -> None:
        for word in re.split(r"[\W_]+", field.data or ""):
            scripts = {_script(char) for char in word if char.isalpha()}
            if len(scripts) > 1:
                names = " and ".join(sorted(s.title() for s in scripts))
                raise ValidationError(
                    f"“{word}” mixes {names} letters; please write each word in one alphabet."
                )


def _script(char: str) -> str:
    name = unicodedata.name(char, "UNKNOWN").split(" ")[0]
    return _SCRIPT_FAMILIES.get(name, name)


class NoFormulaPrefix:
    """Not starting with = + - @, which spreadsheets would run as a formula."""

    def __call__(self, form: Form, field: Field) -> None:
        if (field.data or "").startswith(_FORMULA_PREFIXES):
            raise ValidationError("Please start with a letter or a number.")


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
