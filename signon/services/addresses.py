"""Email addresses: validation and the canonical form used for uniqueness."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from email_validator import EmailNotValidError, validate_email
from flask import current_app

__all__ = [
    "EmailNotValidError",
    "canonical_email",
    "configured_canonical_email",
    "normalise_email",
]


def normalise_email(address: str, *, check_deliverability: bool = False) -> str:
    """Validate ``address`` and return it as it should be stored and mailed.

    Raises ``EmailNotValidError``, whose message is English only: forms show
    ``validators.email_problem`` instead.
    Internationalised domains are accepted and kept in their Unicode form
    (SMTP carries them as IDNA); a non-ASCII local part is refused, because
    it needs SMTPUTF8, which neither Flask-Mail nor most servers speak.
    """
    result = validate_email(
        address, check_deliverability=check_deliverability, allow_smtputf8=False
    )
    return result.normalized


def canonical_email(
    address: str,
    dotless_domains: Iterable[str],
    aliases: Mapping[str, str] | None = None,
) -> str:
    """The form two addresses share when they reach the same mailbox.

    Case is ignored everywhere, the domain is compared in its ASCII (IDNA)
    form and replaced by the one it is an alias of (googlemail.com is
    gmail.com), and for providers in ``dotless_domains`` (such as gmail.com)
    dots and a "+tag" in the local part are ignored as the provider ignores
    them. ``address`` must already be valid (see ``normalise_email``): an
    ASCII one is only split at its "@", not validated again, since that took
    a tenth of a sign-on; anything else goes through the validator, which
    gives its domain's ASCII form (and raises ``EmailNotValidError``). The
    per-address rate limit passes what was typed, valid or not: it needs a
    stable key, which an invalid ASCII address still gets.
    """
    local, _, domain = address.rpartition("@")
    if not address.isascii():
        result = validate_email(address, check_deliverability=False, allow_smtputf8=False)
        local, domain = result.local_part, result.ascii_domain or result.domain
    local = local.lower()
    domain = domain.lower()
    domain = {k.lower(): v.lower() for k, v in (aliases or {}).items()}.get(domain, domain)
    if domain in {d.lower() for d in dotless_domains}:
        local = local.split("+", 1)[0].replace(".", "")
    return f"{local}@{domain}"


def configured_canonical_email(address: str) -> str:
    """``canonical_email`` with the providers and aliases the site is configured with."""
    config = current_app.config
    return canonical_email(
        address, config["CANONICAL_EMAIL_DOMAINS"], config["EMAIL_DOMAIN_ALIASES"]
    )
