"""The Atom feed of a statement's newly listed signatories (feedgen).

Entries are built from ``PublicSignatory`` alone, like every public output.
An entry's id is a hash of public fields, not the row's id, which would
tell how many signatures (pending ones too) exist.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from urllib.parse import urlsplit

from feedgen.feed import FeedGenerator
from flask_babel import gettext as _

from .countries import country_name
from .public import NamedStatement, PublicSignatory


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC)


def _entry_id(statement: NamedStatement, signatory: PublicSignatory, host: str) -> str:
    digest = hashlib.sha256(
        f"{statement.slug}\n{signatory.org_name}\n{signatory.verified_at.isoformat()}".encode()
    ).hexdigest()[:24]
    return f"tag:{host},{signatory.verified_at:%Y-%m-%d}:{statement.slug}/{digest}"


def atom(
    statement: NamedStatement,
    publisher: str,
    signatories: Iterable[PublicSignatory],
    *,
    page_url: str,
    feed_url: str,
    updated: dt.datetime,
    language: str,
) -> bytes:
    """The feed: the statement as its title, one entry per signatory, newest first.

    Written in ``language`` (the reader's): the words around the names, the
    types and the countries.
    """
    host = urlsplit(page_url).hostname or "localhost"
    feed = FeedGenerator()
    feed.id(feed_url)
    feed.title(_("Signatories: %(title)s", title=statement.title))
    feed.subtitle(
        _("Organisations newly listed as signatories of “%(title)s”.", title=statement.title)
    )
    feed.author({"name": publisher})
    feed.link(href=page_url, rel="alternate", type="text/html")
    feed.link(href=feed_url, rel="self", type="application/atom+xml")
    feed.language(language)
    feed.updated(_utc(updated))
    # feedgen puts the last entry added first: add the oldest first.
    for signatory in reversed(list(signatories)):
        entry = feed.add_entry()
        entry.id(_entry_id(statement, signatory, host))
        entry.title(signatory.org_name)
        entry.link(href=page_url, rel="alternate", type="text/html")
        entry.published(_utc(signatory.verified_at))
        entry.updated(_utc(signatory.verified_at))
        place = ", ".join(
            filter(None, (signatory.city, country_name(signatory.country, language)))
        )
        affiliation = signatory.affiliation and _(
            "%(affiliation)s (for identification only)", affiliation=signatory.affiliation
        )
        summary = " · ".join(filter(None, (signatory.type_label, affiliation, place)))
        if signatory.comment:
            summary += f"\n\n“{signatory.comment}”"
        entry.summary(summary)
    return feed.atom_str(pretty=True)
