"""Network hashes: keyed by a random key of the day, forgotten after a day."""

from __future__ import annotations

import datetime as dt

from factories import make_signature, make_statement
from helpers import sign, signatures
from sqlalchemy import select, update

from signon.database import utcnow, write_transaction
from signon.extensions import db
from signon.models import NetworkKey, Signature, SignatureState
from signon.services import privacy, signals


def test_the_stored_hash_comes_from_a_random_key_of_the_day(app, client, statement):
    """Not derived from SECRET_KEY: holding the secret key does not reproduce it."""
    sign(client, statement)
    [row] = signatures(app)
    with app.app_context():
        [key] = db.session.scalars(select(NetworkKey)).all()
        assert key.day == utcnow().date() and len(key.key) == 32
        assert row.ip_hash != privacy.keyed_hash("network", "127.0.0.1")
        assert row.ip_hash == privacy.network_hash("127.0.0.1")


def test_one_network_still_shows_as_one_within_the_day(app, client, statement):
    """The queue's signal works: two signatures from one network share a hash."""
    sign(client, statement, contact_email="a@example.org")
    sign(client, statement, contact_email="b@example.org")
    first, second = signatures(app)
    assert first.ip_hash == second.ip_hash
    with app.app_context():
        assert signals.signatures_per_network([first.ip_hash]) == {first.ip_hash: 2}


def test_retention_forgets_networks_older_than_a_day_and_their_keys(app, runner):
    """After the retention command no key exists that could tie an old signer to a network."""
    with app.app_context():
        statement = make_statement()
        old = make_signature(statement, SignatureState.verified, ip_hash="a" * 64).id
        new = make_signature(statement, SignatureState.verified, ip_hash="b" * 64).id
        with write_transaction():
            db.session.execute(
                update(Signature)
                .where(Signature.id == old)
                .values(created_at=utcnow() - dt.timedelta(hours=25))
            )
            today = utcnow().date()
            for age in (0, 1, 2, 30):
                db.session.add(NetworkKey(day=today - dt.timedelta(days=age), key=b"k" * 32))
    result = runner.invoke(args=["signatures", "purge-unconfirmed"])
    assert result.exit_code == 0, result.output
    assert "Forgot the network of 1 signature" in result.output
    with app.app_context():
        hashes = dict(db.session.execute(select(Signature.id, Signature.ip_hash)).all())
        assert hashes == {old: None, new: "b" * 64}
        days = sorted(db.session.scalars(select(NetworkKey.day)))
        assert days == [today - dt.timedelta(days=1), today]
