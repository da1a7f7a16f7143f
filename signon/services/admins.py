"""Admin accounts: creation and password checks."""

from __future__ import annotations

import contextlib

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import func, select

from ..database import begin_write, utcnow
from ..extensions import db
from ..models import Admin

MIN_PASSWORD_LENGTH = 12


class AdminError(ValueError):
    """An admin account cannot be created as asked."""


def _hasher() -> PasswordHasher:
    config = current_app.config
    return PasswordHasher(
        time_cost=config["ARGON2_TIME_COST"], memory_cost=config["ARGON2_MEMORY_COST"]
    )


def create_admin(email: str, password: str) -> Admin:
    """A new admin account with an Argon2id password hash."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise AdminError("That is not an email address.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AdminError(f"Use at least {MIN_PASSWORD_LENGTH} characters.")
    begin_write()
    if db.session.scalar(select(Admin).where(Admin.email == email)) is not None:
        db.session.rollback()
        raise AdminError("An admin with that email already exists.")
    admin = Admin(email=email, password_hash=_hasher().hash(password))
    db.session.add(admin)
    db.session.commit()
    return admin


def authenticate(email: str, password: str) -> Admin | None:
    """The active admin with these credentials, or None.

    An unknown address costs the same hash computation as a wrong password,
    so response times do not reveal which accounts exist.
    """
    hasher = _hasher()
    admin = db.session.scalar(
        select(Admin).where(func.lower(Admin.email) == email.strip().lower())
    )
    if admin is None or not admin.active:
        _burn(hasher, password)
        return None
    try:
        hasher.verify(admin.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    begin_write()
    if hasher.check_needs_rehash(admin.password_hash):
        admin.password_hash = hasher.hash(password)
    admin.last_login_at = utcnow()
    db.session.commit()
    return admin


def _burn(hasher: PasswordHasher, password: str) -> None:
    with contextlib.suppress(VerificationError):
        hasher.verify(_dummy_hash(hasher), password)


_DUMMY: dict[tuple[int, int], str] = {}


def _dummy_hash(hasher: PasswordHasher) -> str:
    key = (hasher.time_cost, hasher.memory_cost)
    if key not in _DUMMY:
        _DUMMY[key] = hasher.hash("not a password of anyone")
    return _DUMMY[key]
