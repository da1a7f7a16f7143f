"""Field filters and validators shared by the forms."""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from babel.lists import format_list
from email_validator import EmailNotValidError, EmailUndeliverableError
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import Field, Form, ValidationError

from .services.countries import country_choices
from .services.languages import current_locale
from .services.lookalikes import NEUTRAL_SCRIPTS, script, words

# Right-to-left overrides and isolates reorder how a name is displayed and can
# make "Org A" look like another organisation; nobody needs them in a form.
_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Zero-width joiners are part of how Persian, Indic scripts and emoji are
# written, so they pass between two visible characters (but see below); every other
# invisible format character (zero-width space, word joiner, BOM, tags...)
# only serves to make two different strings look alike.
_JOINERS = set("\u200c\u200d")
# Alphabets in which a joiner or variation selector changes nothing on screen,
# so next to their letters it only makes "Rainbow" differ from "Rainbow".
_UNJOINED_SCRIPTS = {"LATIN", "GREEK", "CYRILLIC"}
# Letters and marks that draw nothing: braille blank, Hangul fillers (NFKC
# turns U+3164 and U+FFA0 into U+1160), Khmer inherent vowels, the combining
# grapheme joiner, the Khitan filler and the musical null notehead.
# Marks a writer of Arabic, Hebrew or Persian puts in on purpose (left-to-right
# and right-to-left marks, the Arabic letter mark, the isolates, the soft
# hyphen): allowed in a statement's text, written by an admin, never in what
# a stranger types (the overrides, which reorder what is shown, never).
_AUTHOR_MARKS = set("\u200e\u200f\u061c\u2066\u2067\u2068\u2069\u00ad")
_BLANK_LOOKING = set("\u034f\u115f\u1160\u17b4\u17b5\u2800\u3164\uffa0\U00016fe4\U0001d159")
# What an HTML parser would start a tag or comment with; "a < b" and "<3" pass.
_MARKUP = re.compile(r"<[A-Za-z/!?]")
_LINE_BREAKS = set("\n\r\x85\u2028\u2029")
# A spreadsheet opening an export treats a cell starting so as a formula.
_FORMULA_PREFIXES = ("=", "+", "-", "@")
# Scripts written together in one word: Japanese mixes these, Korean adds Han.
_CJK_SCRIPTS = {"HAN", "HIRAGANA", "KATAKANA", "HANGUL", "BOPOMOFO"}
_NOT_INTACT = _l("Some characters did not arrive intact (shown as \ufffd); please retype them.")
# Unicode's script names (as lookalikes.script gives them) and their ISO 15924
# codes, under which Babel knows each script's name in every language.
_SCRIPT_CODES = {
    "ARABIC": "Arab",
    "ARMENIAN": "Armn",
    "BENGALI": "Beng",
    "CHEROKEE": "Cher",
    "CHINESE/JAPANESE/KOREAN": "Hani",
    "COPTIC": "Copt",
    "CYRILLIC": "Cyrl",
    "DEVANAGARI": "Deva",
    "ETHIOPIC": "Ethi",
    "GEORGIAN": "Geor",
    "GREEK": "Grek",
    "HEBREW": "Hebr",
    "LATIN": "Latn",
    "THAI": "Thai",
}
_LINK_MARKERS = re.compile(r"://|(?<![\w.-])www\.", re.IGNORECASE)
# Anchored at the "@", so a long text is scanned once, not once per character.
_EMAIL = re.compile(r"(?<=[^\s@])@[^\s@]+\.[^\W\d_]{2,}")
# A domain: labels, the last of 2+ characters with a letter (so "A.C.A.B.",
# "e.V." and "15.Mai" are not), a dot, then a top-level-domain-like run of
# letters (or punycode) that ends the token or is followed by a path.
_DOMAIN = re.compile(
    r"(?<![\w.-])(?:[\w-]+\.)*(?=[\w-]*[^\W\d_])[\w-]{2,}"
    r"\.(xn--[a-z0-9-]+|[^\W\d_]{2,})(?![\w-]|\.\w)(/?)",
    re.IGNORECASE,
)


def clean_text(value: Any) -> Any:
    """Filter: NFC-normalise, unify line ends and trim a submitted string."""
    if not isinstance(value, str):
        return value
    value = unicodedata.normalize("NFC", value)
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def clean_name(value: Any) -> Any:
    """Filter for one-line names: NFKC-fold, so "Ｒａｉｎｂｏｗ" and "𝐑𝐚𝐢𝐧𝐛𝐨𝐰" become "Rainbow"."""
    # Not for free text: NFKC would also turn "x²" into "x2" and "½" into "1⁄2".
    if isinstance(value, str):
        value = unicodedata.normalize("NFKC", value)
    return clean_text(value)


class PlainText:
    """Text as a person types it: no control, invisible or markup characters."""

    def __init__(
        self, multiline: bool = False, markup: bool = False, author: bool = False
    ) -> None:
        self.multiline = multiline
        # Markdown, rendered with HTML off and sanitised: "<b>" shows as text.
        self.markup = markup
        # A statement's own text: direction marks and isolates allowed.
        self.author = author

    def __call__(self, form: Form, field: Field) -> None:
        value = field.data or ""
        for index, char in enumerate(value):
            if char in "\n\t" and self.multiline:
                continue
            if self.author and char in _AUTHOR_MARKS:
                continue
            if char in _LINE_BREAKS and not self.multiline:
                raise ValidationError(_("Please keep this to a single line."))
            category = unicodedata.category(char)
            if char == "\ufffd":
                raise ValidationError(str(_NOT_INTACT))
            if category == "Cs":  # half of a character: a broken encoding, never typed
                raise ValidationError(
                    _("Some characters did not arrive intact; please retype them.")
                )
            if char in _BLANK_LOOKING:
                raise ValidationError(
                    _("Please remove the characters that show as blank space but are not spaces.")
                )
            if char in _JOINERS and _joins_visibly(value, index):
                continue
            if _is_variation_selector(char) and _varies_visibly(value, index):
                continue
            if (
                category in ("Cc", "Cf")
                or char in _LINE_BREAKS
                or char in _BIDI_CONTROLS
                or _is_variation_selector(char)
            ):
                raise ValidationError(_("Please remove the invisible control characters."))
        if not self.markup and _MARKUP.search(value):
            raise ValidationError(_("Please write plain text, without HTML tags."))


def _is_variation_selector(char: str) -> bool:
    return "\ufe00" <= char <= "\ufe0f" or "\U000e0100" <= char <= "\U000e01ef"


def _unjoined_letter(char: str) -> bool:
    return char.isalpha() and script(char) in _UNJOINED_SCRIPTS


def _base_before(value: str, index: int) -> str:
    """The character before ``index``, past accents, so "b\u0301" counts as a "b"."""
    while index > 0 and unicodedata.combining(value[index - 1]):
        index -= 1
    return value[index - 1] if index else " "


def _joins_visibly(value: str, index: int) -> bool:
    """A joiner between two visible characters, neither a Latin, Greek or Cyrillic letter."""
    if index == 0 or index == len(value) - 1:
        return False
    before, after = _base_before(value, index), value[index + 1]
    if before.isspace() or after.isspace() or before in _JOINERS or after in _JOINERS:
        return False
    return not (_unjoined_letter(before) or _unjoined_letter(after))


def _varies_visibly(value: str, index: int) -> bool:
    """A variation selector right after a visible character (an emoji, a Han ideograph)."""
    before = _base_before(value, index)
    return not (
        before.isspace()
        or before in _JOINERS
        or _is_variation_selector(before)
        or _unjoined_letter(before)
    )


class SingleScriptWords:
    """Each word in one alphabet, so "Rаinbow" (with a Cyrillic а) cannot pose
    as "Rainbow". Words in different alphabets side by side are fine."""

    def __call__(self, form: Form, field: Field) -> None:
        # words() keeps "Rainb\u200dоw" whole: joiners and marks do not split a word.
        for word in words(field.data or ""):
            scripts = {_script(char) for char in word if char.isalpha()} - NEUTRAL_SCRIPTS
            if len(scripts) > 1:
                raise ValidationError(
                    _(
                        "“%(word)s” mixes %(alphabets)s letters; "
                        "please write each word in one alphabet.",
                        word=_shorten(word),
                        alphabets=_script_names(scripts),
                    )
                )


def _script_names(scripts: set[str]) -> str:
    """ "Cyrillic and Latin", "кириллица и латиница": script names in the reader's language."""
    locale = current_locale()
    names = sorted(
        locale.scripts.get(_SCRIPT_CODES.get(name, ""), name.replace("_", " ").title())
        for name in scripts
    )
    return format_list(names, locale=locale)


def _shorten(text: str) -> str:
    return text if len(text) <= 40 else text[:39] + "…"


def _script(char: str) -> str:
    name = script(char)
    return "CHINESE/JAPANESE/KOREAN" if name in _CJK_SCRIPTS else name


class HasLetterOrDigit:
    """At least one letter or digit that shows, so a name cannot look blank."""

    def __call__(self, form: Form, field: Field) -> None:
        if not any(c.isalnum() and c not in _BLANK_LOOKING for c in field.data or ""):
            raise ValidationError(_("Please include at least one letter or number."))


class NoLinks:
    """No web or email address in a name, where it would reach inboxes as a link."""

    message = _l(
        "Please leave out web and email addresses; there is a separate field for the website."
    )

    def __init__(self, message: str | None = None) -> None:
        # The advice after "looks like a web address": the default points at
        # the website field, which only an organisation has.
        if message is not None:
            self.message = message

    def __call__(self, form: Form, field: Field) -> None:
        value = field.data or ""
        found = _LINK_MARKERS.search(value) or _EMAIL.search(value)
        found = found or next((m for m in _DOMAIN.finditer(value) if _is_domain(m)), None)
        if found:
            token = next(t for t in re.finditer(r"\S+", value) if t.end() > found.start())
            raise ValidationError(
                _(
                    "“%(text)s” looks like a web or email address. %(advice)s",
                    text=_shorten(token.group()),
                    advice=self.message,
                )
            )


def _is_domain(match: re.Match[str]) -> bool:
    tld, slash = match.group(1).lower(), match.group(2)
    # Without a path, two ASCII letters must be a real country code, or the
    # union "ver.di" would read as a web address.
    if slash or len(tld) != 2 or not tld.isascii():
        return True
    return tld in _country_tlds()


@cache
def _country_tlds() -> frozenset[str]:
    # ISO 3166-1 codes, plus the country-code domains that are not in it.
    return frozenset({"ac", "eu", "su", "uk"} | {code.lower() for code, _ in country_choices()})


class NoFormulaPrefix:
    """Not starting with = + - @, which spreadsheets would run as a formula."""

    def __call__(self, form: Form, field: Field) -> None:
        if (field.data or "").startswith(_FORMULA_PREFIXES):
            raise ValidationError(_("Please start with a letter or a number."))


class WebsiteURL:
    """An http(s) address of a public website; adds https:// when left out."""

    message = _l("Please enter a website address such as https://example.org.")

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
            raise ValidationError(str(self.message)) from None
        if (
            parts.scheme not in ("http", "https")
            or "." not in host
            or parts.username
            or parts.password
            or any(c.isspace() for c in value)
        ):
            raise ValidationError(str(self.message))
        field.data = value


def email_problem(address: str, error: EmailNotValidError) -> str:
    """What is wrong with an address, in the reader's language.

    email-validator explains in English only; its finding is sorted here into
    the few things a person can act on.
    """
    reason = str(error)
    if isinstance(error, EmailUndeliverableError):
        return _("The domain of this address does not receive email. Please check it.")
    if address.count("@") != 1:
        return _("An email address has one @ sign, as in name@example.org.")
    if "Internationalized characters before" in reason:
        return _(
            "We cannot send email to an address with letters outside the Latin alphabet "
            "before the @ sign. Please use another address."
        )
    if "after the @-sign" in reason or "domain" in reason.lower():
        return _("After the @ sign, please write a domain such as example.org.")
    if "before the @-sign" in reason:
        return _("The part before the @ sign is not valid. Please check it.")
    return _("Please enter a valid email address, such as name@example.org.")
