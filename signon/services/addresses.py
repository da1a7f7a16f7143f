"""Email addresses: validation and the canonical form used for uniqueness."""

from __future__ import annotations

from collections.abc import Iterable

from email_validator import EmailNotValidError, validate_email

__all__ = ["EmailNotValidError", "canonical_email", "normalise_email"]


def normalise_email(address: str, *, check_deliverability: bool = False) -> str:
    """Validate ``address`` and return it as it should be stored and mailed.

    Raises ``EmailNotValidError`` with a message fit to show the person.
    Internationalised domains are accepted and kept in their Unicode form
    (SMTP carries them as IDNA); a non-ASCII local part is refused, because
    it needs SMTPUTF8, which neither Flask-Mail nor most servers speak.
    """
    result = validate_email(
        address, check_deliverability=check_deliverability, allow_smtputf8=False
    )
    return result.normalized


def canonical_email(address: str, dotless_domains: Iterable[str]) -> str:
    """The form two addresses share when they reach the same mailbox.

    Case is ignored everywhere, the domain is compared in its ASCII (IDNA)
    form, and for providers in ``dotless_domains`` (such as gmail.com) dots
    and a "+tag" in the local part are ignored as the provider ignores them.
    ``address`` must already be valid (see ``normalise_email``).
    """
    result = validate_email(address, check_deliverability=False, allow_smtputf8=False)
    local = result.local_part.lower()
    domain = (result.ascii_domain or result.domain).lower()
    if domain in {d.lower() for d in dotless_domains}:
        local = local.split("+", 1)[0].replace(".", "")
    return f"{local}@{domain}"
