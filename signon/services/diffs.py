"""Readable differences between two texts, word by word, for the public changelog."""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

# Words, each mark of punctuation, and the spaces between them (so that a
# diff keeps the line breaks): "workers." is "workers" and ".", and adding
# words before a full stop leaves the stop alone.
_TOKENS = re.compile(r"\s+|\w+|[^\w\s]")


@dataclass(frozen=True, slots=True)
class Piece:
    """A run of text that is in both texts, or only in the old, or only in the new."""

    kind: Literal["same", "removed", "added"]
    text: str


def word_diff(before: str, after: str) -> list[Piece]:
    """``before`` turned into ``after``: the runs of words kept, removed and added.

    Word by word rather than line by line: a statement's paragraph is one
    long line, and a changed comma should not mark the whole paragraph.
    """
    old, new = _TOKENS.findall(before or ""), _TOKENS.findall(after or "")
    pieces: list[Piece] = []
    # autojunk off: in a long text, common words ("the") must still match.
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            _add(pieces, "same", "".join(old[i1:i2]))
            continue
        if tag in ("delete", "replace"):
            _add(pieces, "removed", "".join(old[i1:i2]))
        if tag in ("insert", "replace"):
            _add(pieces, "added", "".join(new[j1:j2]))
    return pieces


def _add(pieces: list[Piece], kind: Literal["same", "removed", "added"], text: str) -> None:
    if not text:
        return
    if pieces and pieces[-1].kind == kind:
        pieces[-1] = Piece(kind, pieces[-1].text + text)
    else:
        pieces.append(Piece(kind, text))
