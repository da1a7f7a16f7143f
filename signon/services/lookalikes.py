"""Words that read as Latin but are written in another alphabet, such as Cyrillic
"ВВС" posing as "BBC".

Such words are legitimate in their own alphabet, so forms accept them; this
module only lets admins see which signatures deserve a second look. The
look-alike tables come from the Unicode confusables data shipped with
``confusable-homoglyphs``, not from hand-made lists.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from confusable_homoglyphs import categories, confusables

# Joiners and variation selectors (and other combining marks) do not end a word
# on screen, so they must not end one here: "Rainb\u200dоw" is one word.
_JOINERS = frozenset("\u200c\u200d")
# Characters that belong to no alphabet of their own (digits, "ʼ", "ー", marks).
NEUTRAL_SCRIPTS = frozenset({"COMMON", "INHERITED"})


def words(text: str) -> list[str]:
    """The words of ``text`` as a reader sees them, NFKC-folded, marks and joiners dropped."""
    # NFKC first: fullwidth "Ｒ" and mathematical "𝐑" are the letter R.
    folded = unicodedata.normalize("NFKC", text)
    kept = "".join(
        char
        for char in folded
        if char not in _JOINERS and not unicodedata.category(char).startswith("M")
    )
    return [word for word in re.split(r"[\W_]+", kept) if word]


def script(char: str) -> str:
    """The Unicode script of a character, e.g. "LATIN", "CYRILLIC", "COMMON"."""
    return categories.alias(char)


def latin_lookalike_words(text: str) -> list[str]:
    """The words of ``text`` with a non-Latin letter whose letters all look like Latin ones."""
    found = []
    for word in words(text):
        letters = [char for char in word if char.isalpha()]
        # A single letter names nothing; Russian "в" and "с" are everyday words.
        if len(letters) < 2:
            continue
        foreign = [char for char in letters if script(char) not in {"LATIN", *NEUTRAL_SCRIPTS}]
        if foreign and all(_looks_like_basic_latin(char) for char in foreign):
            found.append(word)
    return found


def latin_lookalike(text: str) -> bool:
    """Whether some word of ``text`` is in another alphabet but reads as Latin ("ВВС")."""
    return bool(latin_lookalike_words(text))


@cache
def _looks_like_basic_latin(char: str) -> bool:
    # Only plain A-Z/a-z count: the data also pairs most Cyrillic letters with
    # rare phonetic Latin letters (в ~ ʙ, н ~ ʜ), which would flag every Russian word.
    matches = confusables.is_confusable(char, preferred_aliases=["latin"]) or []
    return any(
        glyph["c"].isascii() and glyph["c"].isalpha()
        for match in matches
        for glyph in match["homoglyphs"]
    )
