"""One function per email the app sends; each adds it to the outbox.

Emails to a signatory carry only what the site wrote and what that person
confirmed. A confirmation email goes to an address nobody has vouched for
yet, so it quotes nothing a stranger typed into the form: otherwise anyone
could make the site's own address deliver their text ("…re-verify at
https://evil.example") to someone else's inbox. The confirm page, behind
the link, shows what was entered.

Once confirmed (and verified), the organisation's name is the address
owner's own, and the "you are listed" email names it, escaped as HTML is.
Even so, only the site builds links, and the site's sentence stays the
site's: a name in which a mail program could see a web or email address, or
with a line break or an invisible control (a right-to-left override can make
the sentence around it read differently), is not quoted, and the email says
"your organisation" instead. The form refuses such names; this holds for
rows that never went through it. The contact's name is quoted nowhere: every
email greets with a plain "Hello," (the name tells the reader nothing they
do not know, and would be one more typed value in an inbox).

Every email extends ``email/_layout.html`` and ``email/_layout.txt``, which
carry the site name, the statement and withdraw links, and why the email
came. Numbers in sentences are worded here, with ``ngettext``, never with
plural rules written into a template.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from flask import current_app
from flask_babel import ngettext
from markupsafe import escape

from ..models import SignatoryKind, Signature, Statement
from . import outbox, tokens
from .languages import LOCALES, known_language, speaking
from .outbox import RenderedEmail
from .public import NamedStatement
from .urls import public_url, statement_url

# What a mail program might turn into a link: a scheme, "www.", an address's
# "@", or a dot (or an ideographic full stop) before two letters, as in
# "evil.example". Broader than the form's check on purpose: a false alarm
# only costs the name its place in one sentence.
_LINK_LIKE = re.compile(r"://|www[.\u3002]|@|[.\u3002][^\W\d_]{2}", re.IGNORECASE)
# Line breaks, controls and invisible format characters (bidi overrides, zero
# widths); the joiners Persian, Indic scripts and emoji are written with pass.
_NOT_INLINE = {"Cc", "Cf", "Zl", "Zp"}
_JOINERS = {"\u200c", "\u200d"}


def confirmation_email(signature: Signature, statement: NamedStatement) -> RenderedEmail:
    """Ask the contact to confirm the signature; offers the withdraw link too."""
    return _sign_on_email("confirm", signature, statement)


def already_signed_email(signature: Signature, statement: NamedStatement) -> RenderedEmail:
    """Tell the contact that their address was used to sign again; nothing changed."""
    return _sign_on_email("already_signed", signature, statement)


# The two emails the sign-on form sends quote nothing a signer typed (see
# above), so all of each but its links is the same for every signatory of
# one kind, of one statement, in one language. Each process renders these
# frames once, with stand-in links, and fills in each signatory's links:
# rendering was the largest part of a sign-on request. All of a statement's
# frames (both emails, both kinds, every language) are rendered together:
# a frame missing for the language or kind an earlier signatory used, and
# present for a new one's, would make a repeat answer slower. The key holds
# every value they are rendered from, so a changed title or publisher makes
# new frames, never stale ones; tests compare frames with full renders.
_SIGN_ON_EMAILS = ("confirm", "already_signed")
_CONFIRM_SLOT = "https://confirm.slot.invalid/"
_WITHDRAW_SLOT = "https://withdraw.slot.invalid/"
_MOST_STATEMENTS = 64  # whose frames a process keeps

_Frames = dict[tuple[str, SignatoryKind, str], RenderedEmail]


@dataclass(frozen=True)
class _StatementKey:
    """Every value a statement's sign-on emails show, in every language."""

    slug: str
    embargo_token: str | None  # its address while embargoed
    publisher: str
    titles: tuple[str, ...]  # in the order of LOCALES
    site_name: str
    base_url: str
    confirm_token_max_age: int


@dataclass(frozen=True)
class _StandIn:
    """What a frame's templates may read of a signature or statement, and no more."""

    kind: SignatoryKind | None = None
    publisher: str = ""


def _sign_on_email(kind: str, signature: Signature, statement: NamedStatement) -> RenderedEmail:
    config = current_app.config
    key = _StatementKey(
        slug=statement.slug,
        embargo_token=statement.embargo_token if getattr(statement, "embargoed", False) else None,
        publisher=statement.publisher,
        titles=tuple(statement.title_in(language) for language in LOCALES),
        site_name=config["SITE_NAME"],
        base_url=config["BASE_URL"],
        confirm_token_max_age=config["CONFIRM_TOKEN_MAX_AGE"],
    )
    kept = current_app.extensions.setdefault("signon.email_frames", {})
    frames: _Frames | None = kept.get(key)
    if frames is None:
        frames = _frames(statement, key)
        if len(kept) >= _MOST_STATEMENTS:
            kept.clear()
        kept[key] = frames
    with speaking(signature.language):
        # Both links, whichever email this is, so that both take as long.
        links = {
            _CONFIRM_SLOT: _link("signing.confirm", signature, tokens.CONFIRM),
            _WITHDRAW_SLOT: _link("signing.withdraw", signature, tokens.WITHDRAW),
        }
    return _filled(frames[known_language(signature.language), signature.kind, kind], links)


def _frames(statement: NamedStatement, key: _StatementKey) -> _Frames:
    """Every sign-on email of ``statement``, with stand-ins where its links go."""
    frames: _Frames = {}
    for language, title in zip(LOCALES, key.titles, strict=True):
        with speaking(language):  # the link's lifetime is in words
            context = {
                "sender_name": key.publisher,
                "statement": _StandIn(publisher=key.publisher),
                "statement_title": title,
                "statement_url": statement_url(statement, lang=language),
                "withdraw_url": _WITHDRAW_SLOT,
                "confirm_url": _CONFIRM_SLOT,
                "confirm_period": _duration(key.confirm_token_max_age),
                "site_name": key.site_name,
            }
            for signatory in SignatoryKind:
                for name in _SIGN_ON_EMAILS:
                    frames[language, signatory, name] = outbox.render(
                        name, email_kind=name, signature=_StandIn(kind=signatory), **context
                    )
    return frames


def _filled(frame: RenderedEmail, links: dict[str, str]) -> RenderedEmail:
    text, html = frame.body_text, frame.body_html
    for slot, url in links.items():
        text = text.replace(slot, url)
        html = html.replace(slot, str(escape(url)))
    return RenderedEmail(
        kind=frame.kind,
        subject=frame.subject,
        body_text=text,
        body_html=html,
        sender_name=frame.sender_name,
    )


def verified_email(signature: Signature, statement: NamedStatement) -> RenderedEmail:
    """Tell the contact their signature is public: listed by name, or counted without it."""
    return _render("verified", signature, statement, org_name=_quotable(signature.org_name))


def reconfirm_email(signature: Signature, statement: Statement) -> RenderedEmail:
    """Tell the contact the text they signed has changed; offer to sign the new one."""
    return _render(
        "reconfirm",
        signature,
        statement,
        org_name=_quotable(signature.org_name),
        signed_version=signature.signed_version,
        new_version=statement.version,
        versions_url=public_url("public.versions", slug=statement.slug, lang=signature.language),
        reconfirm_url=_link("signing.reconfirm", signature, tokens.RECONFIRM),
    )


def send(email: RenderedEmail, signature: Signature, *, store: bool = True) -> None:
    """Queue ``email`` for the signature's contact, in the caller's unit of work.

    ``store=False`` runs the same INSERT, which then stores nothing (see
    ``outbox.enqueue``).
    """
    assert signature.contact_email is not None, "no email for an erased signature"
    outbox.enqueue(email, signature.contact_email, signature=signature, store=store)


def _duration(seconds: int) -> str:
    """A link's lifetime in words, never overstated: "7 days", "36 hours", "1 minute"."""
    if seconds >= 86400 and seconds % 86400 == 0:
        days = seconds // 86400
        return ngettext("%(num)s day", "%(num)s days", days)
    if seconds >= 3600:
        hours = seconds // 3600
        return ngettext("%(num)s hour", "%(num)s hours", hours)
    minutes = max(seconds // 60, 0)
    return ngettext("%(num)s minute", "%(num)s minutes", minutes)


def _quotable(text: str | None) -> str | None:
    """``text`` if it is one line no mail program could make a link of, else None."""
    if not text:
        return None
    folded = unicodedata.normalize("NFKC", text)
    if _LINK_LIKE.search(folded) or any(
        unicodedata.category(char) in _NOT_INLINE and char not in _JOINERS for char in folded
    ):
        return None
    return text


def _render(
    kind: str, signature: Signature, statement: NamedStatement, **context: object
) -> RenderedEmail:
    """Every signature email names the statement and carries the withdraw link.

    ``statement`` is passed rather than read from ``signature.statement``: the
    sign-on form renders for a signature not yet in the database, with the
    statement the page already holds, and a lazy load would cost a query.
    It is written in the language the signatory signed in, whichever
    request (theirs, a repeat from another page, an admin's) sends it.
    """
    with speaking(signature.language):
        return outbox.render(
            kind,
            sender_name=statement.publisher,
            email_kind=kind,  # the layout titles the HTML with the email's subject
            statement=statement,
            statement_title=statement.title_in(signature.language),
            signature=signature,
            statement_url=statement_url(statement, lang=signature.language),
            withdraw_url=_link("signing.withdraw", signature, tokens.WITHDRAW),
            **context,
        )


def _link(endpoint: str, signature: Signature, purpose: str) -> str:
    """A link in the signatory's language, whoever follows it and however their browser is set."""
    token = tokens.make_token(signature, purpose)
    return public_url(endpoint, token=token, lang=signature.language)
