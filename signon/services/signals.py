"""Signals that help an admin decide on a signature."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import func, select

from ..database import utcnow
from ..extensions import db
from ..models import Signature

RECENT = dt.timedelta(hours=24)


def signatures_per_network(network_hashes: Iterable[str | None]) -> dict[str, int]:
    """How many signatures each network made in the last 24 hours (any statement).

    Many from one network is worth a look: one office signing for several
    organisations, or one person inventing them.
    """
    hashes = {h for h in network_hashes if h}
    if not hashes:
        return {}
    rows = db.session.execute(
        select(Signature.ip_hash, func.count(Signature.id))
        .where(Signature.ip_hash.in_(hashes), Signature.created_at >= utcnow() - RECENT)
        .group_by(Signature.ip_hash)
    )
    return {network: count for network, count in rows}  # noqa: C416 -- Row objects
