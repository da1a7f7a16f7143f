"""Admin accounts: creation, passwords, and the sessions of logged-in browsers.

A Flask session is a signed cookie: a copy of it stays valid for as long as
its signature does, whatever the app thinks of it. So an admin session is a
row in ``admin_session`` too, and the cookie only names it. Logging out,
"log out everywhere", a password change and deactivation delete rows, and a
copied cookie then opens nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import delete, or_, select

from ..database import require_write, utcnow
from ..extensions import db
from ..models import Admin, AdminSession, AuditAction
from . import audit
from .privacy import keyed_hash

MIN_PASSWORD_LENGTH = 12
# How stale last_seen_at may get before a request writes it again: the idle
# timeout is minutes long, so a write per minute at most is precise enough.
_TOUCH_EVERY = dt.timedelta(seconds=60)


class AdminError(ValueError):
    """An admin account cannot be created or changed as asked."""


def _hasher() -> PasswordHasher:
    config = current_app.config
    return PasswordHasher(
        time_cost=config["ARGON2_TIME_COST"], memory_cost=config["ARGON2_MEMORY_COST"]
    )


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AdminError(f"Use at least {MIN_PASSWORD_LENGTH} characters.")


def find_admin(email: str) -> Admin | None:
    """The admin account with this address, in any case."""
    return db.session.scalar(select(Admin).where(Admin.email == email.strip().lower()))


def create_admin(email: str, password: str) -> Admin:
    """A new admin account with an Argon2id password hash."""
    require_write()
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise AdminError("That is not an email address.")
    _check_password(password)
    if find_admin(email) is not None:
        raise AdminError("An admin with that email already exists.")
    admin = Admin(email=email, password_hash=_hasher().hash(password))
    db.session.add(admin)
    db.session.flush()
    return admin


def set_password(admin: Admin, password: str, *, by: Admin | None = None) -> None:
    """Give ``admin`` a new password and end every session it has."""
    require_write()
    _check_password(password)
    admin.password_hash = _hasher().hash(password)
    end_all_sessions(admin)
    audit.record(AuditAction.password_changed, by, subject_admin=admin)


def set_active(admin: Admin, active: bool, *, by: Admin | None = None) -> None:
    """Deactivate (ending every session) or reactivate an account."""
    require_write()
    admin.active = active
    if not active:
        end_all_sessions(admin)
    action = AuditAction.activate if active else AuditAction.deactivate
    audit.record(action, by, subject_admin=admin)


@dataclass(frozen=True)
class Authentication:
    """A password check's outcome: the admin, the hash that matched, maybe a stronger one."""

    admin: Admin
    verified_hash: str
    new_hash: str | None


def authenticate(email: str, password: str) -> Authentication | None:
    """Check a password without writing anything; None if it does not match.

    Run it outside a write transaction: Argon2 takes a noticeable time and
    must not hold SQLite's write lock. An unknown address costs the same hash
    computation as a wrong password, so response times do not reveal which
    accounts exist.
    """
    hasher = _hasher()
    admin = find_admin(email)
    if admin is None or not admin.active:
        _burn(hasher, password)
        return None
    try:
        hasher.verify(admin.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    new_hash = hasher.hash(password) if hasher.check_needs_rehash(admin.password_hash) else None
    return Authentication(admin=admin, verified_hash=admin.password_hash, new_hash=new_hash)


def start_session(login: Authentication) -> str | None:
    """Record a login and open a session for it; the token for the cookie.

    None if the account changed since the password was checked (outside this
    unit, see ``authenticate``): deactivated, or given a new password, which
    must not be undone by a login that raced it. Expired sessions of every
    admin are deleted on the way: logins are rare and this keeps the table
    small without a scheduled job.
    """
    require_write()
    admin = login.admin
    db.session.refresh(admin, with_for_update=True)
    if not admin.active or admin.password_hash != login.verified_hash:
        return None
    now = utcnow()
    if login.new_hash is not None:
        admin.password_hash = login.new_hash
    admin.last_login_at = now
    idle_cutoff, absolute_cutoff = _cutoffs(now)
    db.session.execute(
        delete(AdminSession).where(
            or_(
                AdminSession.last_seen_at < idle_cutoff,
                AdminSession.created_at < absolute_cutoff,
            )
        )
    )
    token = secrets.token_urlsafe(32)
    db.session.add(AdminSession(admin_id=admin.id, token_hash=_token_hash(token)))
    audit.record(AuditAction.login, admin, subject_admin=admin)
    return token


def record_failed_login(email: str) -> None:
    """Audit a failed login: the account when it exists, never the address typed."""
    require_write()
    admin = find_admin(email)
    audit.record(
        AuditAction.login_failed,
        None,
        subject_admin=admin,
        detail="" if admin is not None else "unknown account",
    )


@dataclass(frozen=True)
class SessionCheck:
    """What a request's session token stands for, read without writing."""

    admin: Admin | None  # None: no such session, ended, or the account is inactive
    bookkeeping: bool  # a write is due: sweep the ended session, or move the idle clock


def check_session(token: str) -> SessionCheck:
    """The active admin whose live session ``token`` names, or None.

    A session ends after ADMIN_SESSION_IDLE_MINUTES without a request, and
    ADMIN_SESSION_MAX_HOURS after the login whatever happens. Only a read:
    ``keep_session_books`` does the writing that ``bookkeeping`` asks for.
    """
    found = _session_row(token)
    if found is None:
        return SessionCheck(admin=None, bookkeeping=False)
    now = utcnow()
    if _ended(found, now):
        return SessionCheck(admin=None, bookkeeping=True)
    admin = db.session.get(Admin, found.admin_id)
    if admin is None or not admin.active:
        return SessionCheck(admin=None, bookkeeping=False)
    return SessionCheck(admin=admin, bookkeeping=now - found.last_seen_at >= _TOUCH_EVERY)


def keep_session_books(token: str) -> None:
    """Delete the session if it ended, else note that it was used just now."""
    require_write()
    found = _session_row(token)
    if found is None:
        return
    now = utcnow()
    if _ended(found, now):
        db.session.delete(found)
    else:
        found.last_seen_at = now


def _session_row(token: str) -> AdminSession | None:
    return db.session.scalar(
        select(AdminSession).where(AdminSession.token_hash == _token_hash(token))
    )


def _ended(found: AdminSession, now: dt.datetime) -> bool:
    idle_cutoff, absolute_cutoff = _cutoffs(now)
    return found.last_seen_at < idle_cutoff or found.created_at < absolute_cutoff


def end_session(token: str, admin: Admin) -> None:
    """Log one browser out: its session row goes, so every copy of the cookie dies."""
    require_write()
    db.session.execute(delete(AdminSession).where(AdminSession.token_hash == _token_hash(token)))
    audit.record(AuditAction.logout, admin, subject_admin=admin)


def log_out_everywhere(admin: Admin) -> int:
    """End every session of ``admin`` at its own request; how many there were."""
    count = end_all_sessions(admin)
    audit.record(AuditAction.logout_everywhere, admin, subject_admin=admin)
    return count


def end_all_sessions(admin: Admin) -> int:
    """Delete every session of ``admin``; how many there were."""
    require_write()
    return db.session.execute(
        delete(AdminSession).where(AdminSession.admin_id == admin.id)
    ).rowcount


def _cutoffs(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    config = current_app.config
    return (
        now - dt.timedelta(minutes=config["ADMIN_SESSION_IDLE_MINUTES"]),
        now - dt.timedelta(hours=config["ADMIN_SESSION_MAX_HOURS"]),
    )


def _token_hash(token: str) -> str:
    # Keyed: the table alone (a leaked backup) opens no session.
    return keyed_hash("admin-session", token)


def _burn(hasher: PasswordHasher, password: str) -> None:
    with contextlib.suppress(VerificationError):
        hasher.verify(_dummy_hash(hasher), password)


_DUMMY: dict[tuple[int, int], str] = {}


def _dummy_hash(hasher: PasswordHasher) -> str:
    key = (hasher.time_cost, hasher.memory_cost)
    if key not in _DUMMY:
        _DUMMY[key] = hasher.hash("not a password of anyone")
    return _DUMMY[key]
