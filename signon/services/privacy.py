"""Keyed hashes: how personal values are kept, or compared, without storing them."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import secrets

from flask import current_app
from sqlalchemy import delete, update

from ..database import insert_ignoring_conflict, require_write, utcnow
from ..extensions import db
from ..models import NetworkKey, Signature


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
    """The keyed hash of the client's network that a signature keeps for a day.

    Enough to notice many signatures from one network, useless for finding
    the person. The key is the day's random ``NetworkKey``, not SECRET_KEY:
    IPv4 has only four billion addresses, so anyone holding a key could hash
    them all and read the networks back; a day's key is deleted once its
    hashes are cleared (``forget_networks``), and then nothing can. Call it
    inside a write transaction: the first signature of a day creates the key.
    """
    if not ip:
        return None
    key = _day_key(utcnow().date())
    return hmac.new(key, network_of(ip).encode(), hashlib.sha256).hexdigest()


def _day_key(day: dt.date) -> bytes:
    # Cached per app for the day: one query a day per process, not per request.
    cache: dict[dt.date, bytes] = current_app.extensions.setdefault("signon.network_keys", {})
    if day in cache:
        return cache[day]
    made_here: set[dt.date] = db.session.info.setdefault("signon.network_keys_made", set())
    found = db.session.get(NetworkKey, day)
    if found is None:
        require_write()
        db.session.execute(
            insert_ignoring_conflict(NetworkKey, ("day",)),
            {"day": day, "key": secrets.token_bytes(32)},
        )
        made_here.add(day)
        found = db.session.get(NetworkKey, day)
        assert found is not None
    if day not in made_here:
        # A key this session made is cached only once a later request reads
        # it back committed: if this unit rolls back, the key never existed,
        # and no process may go on hashing with it.
        cache.clear()  # only today's key is ever needed in memory
        cache[day] = found.key
    return found.key


# The signal of many signatures from one network looks back this far.
NETWORK_MEMORY = dt.timedelta(hours=24)


def forget_networks() -> int:
    """Clear network hashes older than a day, and the keys of past days.

    Returns how many signatures lost their hash. After this, no key exists
    that could tie an old signature to a network.
    """
    require_write()
    now = utcnow()
    cleared = db.session.execute(
        update(Signature)
        .where(Signature.ip_hash.is_not(None), Signature.created_at < now - NETWORK_MEMORY)
        .values(ip_hash=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    # Yesterday's key stays while its hashes may: a signature at 23:59
    # keeps its hash until 23:59 the next day.
    db.session.execute(
        delete(NetworkKey).where(NetworkKey.day < now.date() - dt.timedelta(days=1))
    )
    return cleared
