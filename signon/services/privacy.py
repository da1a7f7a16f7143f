"""Personal data handling that more than one area needs."""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app


def ip_hash(ip: str | None) -> str | None:
    """A keyed hash of an IP address; the address itself is never stored.

    Keyed with a key derived from SECRET_KEY, so the small IPv4 space cannot
    be hashed in advance by someone who obtains a copy of the database.
    """
    if not ip:
        return None
    key = hmac.new(
        current_app.config["SECRET_KEY"].encode(), b"signon.ip-hash", hashlib.sha256
    ).digest()
    return hmac.new(key, ip.encode(), hashlib.sha256).hexdigest()
