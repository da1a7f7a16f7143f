"""Keyed hashes: how personal values are kept, or compared, without storing them."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress

from flask import current_app


def keyed_hash(purpose: str, value: str) -> str:
    """HMAC-SHA256 of ``value`` under a key derived from SECRET_KEY for ``purpose``.

    Keyed, so that small spaces (IPv4 addresses, guessed email addresses)
    cannot be hashed in advance by someone who sees the result; one key per
    purpose, so a value hashed for one use cannot be matched in another.
    """
    secret = current_app.config["SECRET_KEY"].encode()
    key = hmac.new(secret, f"signon.{purpose}".encode(), hashlib.sha256).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def network_of(ip: str) -> str:
    """The network an address stands for: an IPv4 address itself, an IPv6 /64.

    One IPv6 host or household is handed a whole /64, so counting single
    IPv6 addresses would let anyone dodge rate limits with fresh ones.
    """
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def network_hash(ip: str | None) -> str | None:
    """A keyed hash of the client's network; the address itself is never stored.

    Enough to notice many signatures from one network, useless for finding
    the person.
    """
    if not ip:
        return None
    return keyed_hash("network", network_of(ip))
