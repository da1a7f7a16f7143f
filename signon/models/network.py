"""The keys that hash signers' networks, one per day, deleted soon after."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..database import utcnow
from ..extensions import db


class NetworkKey(db.Model):
    """A random key for one UTC day's network hashes.

    Random rather than derived from SECRET_KEY: once the row is deleted (by
    the retention command, two days on), nobody, not even someone holding the
    secret key and an old copy of the signature table, can test which network
    a past signer used.
    """

    __tablename__ = "network_key"

    day: Mapped[dt.date] = mapped_column(primary_key=True)
    key: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
