"""Statement text: Markdown with footnotes, rendered to sanitised HTML.

Two layers, on purpose: markdown-it runs with raw HTML disabled, so markup in
the source is shown as text; nh3 (Ammonia) then keeps only the tags and
attributes that Markdown itself produces, and only http(s)/mailto links and
in-page anchors, so even a renderer bug cannot let a script through.
"""

from __future__ import annotations

from functools import cache, lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup
from mdit_py_plugins.footnote import footnote_plugin

_TAGS = {
    "a", "blockquote", "br", "code", "em", "h2", "h3", "h4", "hr", "li", "ol",
    "p", "pre", "section", "strong", "sup", "ul",
}  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "id", "class", "title"},
    "li": {"id", "class"},
    "ol": {"class", "start"},
    "section": {"class"},
    "sup": {"class"},
    "hr": {"class"},
}


@cache
def _parser() -> MarkdownIt:
    return (
        MarkdownIt("commonmark", {"html": False, "typographer": True})
        .enable(["replacements", "smartquotes"])
        .use(footnote_plugin)
    )


@lru_cache(maxsize=64)
def render_markdown(source: str) -> Markup:
    """Safe HTML for a statement's Markdown ``source`` (kept for the next view)."""
    html = _parser().render(source)
    clean = nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    return Markup(clean)  # noqa: S704 -- sanitised just above


@lru_cache(maxsize=64)
def summary(source: str, length: int = 200) -> str:
    """The first paragraph of ``source`` as plain text, cut at a word: for sharing cards.

    Footnote references and markup go; the text is what a reader sees.
    """
    for token in _parser().parse(source):
        if token.type == "inline" and token.children is not None:
            text = "".join(
                child.content for child in token.children if child.type in ("text", "code_inline")
            )
            text = " ".join(text.split())
            if text:
                break
    else:
        return ""
    if len(text) <= length:
        return text
    return text[: length - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"
