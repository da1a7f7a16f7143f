"""Signed, expiring, purpose-bound tokens for the links in emails.

Each purpose has its own salt, so a withdraw token is no confirm token. The
payload names the signature by its random link id (never the row id, which
would tell how many signatures exist) and a fingerprint of its contact data;
once a signature is erased the fingerprint no longer matches and every old
link to it stops working, so a used link cannot bring back what was erased.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..models import Signature
from .privacy import keyed_hash

CONFIRM = "confirm"
WITHDRAW = "withdraw"
RECONFIRM = "reconfirm"  # sign a statement's new version
_MAX_AGE_SETTING = {
    CONFIRM: "CONFIRM_TOKEN_MAX_AGE",
    WITHDRAW: "WITHDRAW_TOKEN_MAX_AGE",
    # As long as a withdraw link: a signatory may answer whenever they read it.
    RECONFIRM: "WITHDRAW_TOKEN_MAX_AGE",
}


class TokenError(Exception):
    """The token cannot be used."""


class TokenInvalid(TokenError):
    """Forged, mangled, for another purpose, or for data that no longer exists."""


# What a token names its signature by: the random link id, or, in links
# emailed before link ids existed, the row id. Those links must keep working:
# withdraw links never expire, and a signatory at risk may need one years on.
SignatureRef = str | int


@dataclass
class TokenExpired(TokenError):
    """Genuine but too old; ``ref`` says whose it was."""

    ref: SignatureRef


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"signon.{purpose}")


def _fingerprint(signature: Signature, ref: SignatureRef) -> str:
    # Keyed: the payload of a token is readable (base64), and a plain hash of
    # the address would let whoever sees a link (in a log, in a browser's
    # history) test guessed addresses against it.
    return keyed_hash("token-fingerprint", f"{ref}:{signature.email_canonical}")[:16]


def make_token(signature: Signature, purpose: str) -> str:
    """A token that authorises ``purpose`` on ``signature``."""
    return _serializer(purpose).dumps(
        [signature.link_id, _fingerprint(signature, signature.link_id)]
    )


def read_token(token: str, purpose: str) -> tuple[SignatureRef, str]:
    """What the token names its signature by, and the fingerprint it carries.

    Raises ``TokenExpired`` or ``TokenInvalid``.
    """
    max_age = current_app.config[_MAX_AGE_SETTING[purpose]]
    serializer = _serializer(purpose)
    try:
        payload = serializer.loads(token, max_age=max_age)
    except SignatureExpired as exc:
        # The signature is genuine, so its (still encoded) payload is ours.
        payload = serializer.load_payload(exc.payload) if exc.payload else None
        if _well_formed(payload):
            raise TokenExpired(payload[0]) from exc
        raise TokenInvalid from exc
    except BadSignature as exc:
        raise TokenInvalid from exc
    if not _well_formed(payload):
        raise TokenInvalid
    return payload[0], payload[1]


def check_fingerprint(
    signature: Signature | None, ref: SignatureRef, fingerprint: str
) -> Signature:
    """``signature`` if the token was made for its current data, else TokenInvalid."""
    if signature is None or signature.email_canonical is None:
        raise TokenInvalid
    if not hmac.compare_digest(_fingerprint(signature, ref), fingerprint):
        raise TokenInvalid
    return signature


def _well_formed(payload: object) -> bool:
    return (
        isinstance(payload, list)
        and len(payload) == 2
        and isinstance(payload[0], (str, int))
        and not isinstance(payload[0], bool)
        and isinstance(payload[1], str)
    )
