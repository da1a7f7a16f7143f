"""The lifecycle of a signature: submit, confirm, verify, reject, withdraw.

Each operation changes the signature, adds the email the change causes to the
outbox and records admin actions in the audit log, all inside the caller's
unit of work (``database.write_transaction``): a change and its email land
together or not at all, and operations compose (erasing a person withdraws
each of their signatures in one unit).
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import Insert, bindparam, delete, insert, select, union_all
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from ..database import insert_ignoring_conflict, require_write, utcnow
from ..extensions import db
from ..models import (
    Admin,
    AuditAction,
    OrganisationType,
    OutboxMessage,
    SignatoryKind,
    Signature,
    SignatureAnswer,
    SignatureState,
    StatementQuestion,
)
from ..models.signature import new_link_id
from . import audit, mail, statements, tokens
from .addresses import configured_canonical_email
from .outbox import RenderedEmail
from .privacy import network_hash
from .public import NamedStatement


@dataclass(frozen=True)
class SignatureData:
    """What the sign-on form collects, already validated and normalised.

    A person's ``org_name`` is their own name, which is also their
    ``contact_name``; they have no ``org_type``, website or role.
    """

    org_name: str
    org_type: OrganisationType | None
    country: str
    contact_name: str
    contact_email: str
    kind: SignatoryKind = SignatoryKind.organisation
    affiliation: str = ""
    city: str = ""
    website: str = ""
    contact_role: str = ""
    comment: str = ""
    show_name: bool = True
    language: str = "en"  # the page's, for every email to the contact
    # The version of the text on the page the form was sent from (pages are
    # cached, and a form takes minutes to fill in); None: the current one.
    read_version: int | None = None
    # (question id, answer) for the statement's own questions answered.
    answers: tuple[tuple[int, str], ...] = ()


class Submission(enum.Enum):
    """What ``submit`` did. Views must not show it: the page is always the same."""

    created = "created"
    resent = "resent"
    notified = "notified"
    unchanged = "unchanged"


@dataclass(frozen=True)
class PreparedSubmission:
    """A sign-on looked up and its email rendered, ready for ``submit``.

    ``prepare`` does what needs no lock (the lookup, and the email filled
    into its kept frame, or rendered whole the first time) before the write
    transaction, because on SQLite that transaction holds the database's one
    write lock: every millisecond spent inside it is a millisecond no other
    sign-on can use.
    """

    statement: NamedStatement
    row: dict[str, object]  # the signature to insert, if the address is new
    canonical: str
    seen: tuple[str, SignatureState] | None  # the address's signature (link id, state), as read
    email: RenderedEmail
    answers: tuple[tuple[int, str], ...] = ()  # stored with a new signature only


def _signed_version(statement: NamedStatement, read: int | None) -> int | None:
    """The version the signer read, if the form says a real one; else the current one.

    None before the first publication: founding signatures are bound to
    version 1 at the launch (services.authoring).
    """
    if read is not None and 1 <= read <= statement.version:
        return read
    return statement.version or None


def prepare(statement: NamedStatement, data: SignatureData) -> PreparedSubmission:
    """Look the address up and render the email it is due, without writing.

    A new address gets the confirmation email of the signature about to be
    created (its link id is chosen here); a known one, the email its
    signature's state calls for. ``submit`` checks that nothing changed
    meanwhile and renders again if it did.
    """
    canonical = configured_canonical_email(data.contact_email)
    row: dict[str, object] = {
        "link_id": new_link_id(),
        "statement_id": statement.id,
        "kind": data.kind,
        "org_name": data.org_name,
        "org_type": data.org_type,
        "country": data.country,
        "city": data.city,
        "website": data.website,
        "comment": data.comment,
        "affiliation": data.affiliation,
        "show_name": data.show_name,
        "contact_name": data.contact_name,
        "contact_email": data.contact_email,
        "email_canonical": canonical,
        "contact_role": data.contact_role or None,
        "language": data.language,
        "signed_version": _signed_version(statement, data.read_version),
        "founding": statement.embargoed,
    }
    existing = db.session.scalar(
        _BY_ADDRESS, {"statement_id": statement.id, "canonical": canonical}
    )
    if existing is None:
        # Never added to the session: only rendered from.
        email = mail.confirmation_email(Signature(**row), statement)
        seen = None
    else:
        email = _due_email(existing, statement)
        seen = (existing.link_id, existing.state)
    return PreparedSubmission(statement, row, canonical, seen, email, data.answers)


def submit(prepared: PreparedSubmission, *, ip: str | None) -> Submission:
    """Record a new pending signature and queue its confirmation email.

    If this address (canonicalised) already signed the statement, nothing is
    created. An unconfirmed signature gets a fresh confirmation email, any
    other a notice that the address was used again; either at most once per
    CONFIRM_RESEND_INTERVAL.

    Both paths do the same work, so that response times do not tell whether
    an address signed: the same lookup and rendering in ``prepare``, the same
    INSERT (which a repeat's unique key turns into nothing), the same
    INSERT … SELECT of the answers (which then finds no row) and the same
    locked SELECT here; only whether the email is queued differs (a repeat
    within the interval drops it). ``bench/signing_timing.py`` measures it.
    """
    require_write()
    now = utcnow()
    db.session.execute(
        insert_ignoring_conflict(Signature, ("statement_id", "email_canonical")),
        {
            **prepared.row,
            "ip_hash": network_hash(ip),
            "created_at": now,
            "consented_at": now,
        },
    )
    if prepared.answers:
        db.session.execute(_answers_of_new_signature(prepared))
    # Locked (PostgreSQL), so two simultaneous repeats cannot both re-send.
    signature = db.session.scalars(
        _BY_ADDRESS_LOCKED,
        {"statement_id": prepared.statement.id, "canonical": prepared.canonical},
    ).one()
    if signature.link_id == prepared.row["link_id"]:
        email = prepared.email
        if prepared.seen is not None:
            # The signature prepare() found was withdrawn or purged since:
            # this one is new, and its email must carry its own links.
            email = mail.confirmation_email(signature, prepared.statement)
        _send(email, signature, now, due=True)
        return Submission.created
    email = prepared.email
    # Signed, confirmed, verified or replaced since ``prepare`` looked: rare,
    # so rendering under the lock is fine. Compared by link id, not row id:
    # SQLite can give a purged row's id to a new one.
    if prepared.seen != (signature.link_id, signature.state):
        email = _due_email(signature, prepared.statement)
    interval = dt.timedelta(seconds=current_app.config["CONFIRM_RESEND_INTERVAL"])
    last = signature.confirmation_sent_at
    due = last is None or now - last >= interval
    _send(email, signature, now, due=due)
    if not due:
        return Submission.unchanged
    return Submission.resent if signature.state is SignatureState.pending else Submission.notified


def _send(email: RenderedEmail, signature: Signature, now: dt.datetime, *, due: bool) -> None:
    """Queue ``email`` and note when, if it is ``due``; else run the same statements idle.

    A repeat within CONFIRM_RESEND_INTERVAL sends nothing, yet it runs the
    same UPDATE and INSERT as a sending one, which then change and store
    nothing: an address probed twice in a quarter of an hour must not
    answer faster than a new one. What is left (0.06 ms in
    ``bench/signing_timing.py --set CONFIRM_RESEND_INTERVAL=900``, from
    0.19 ms) is the database storing a new row's pages. It tells little:
    the first probe of an address that never signed creates a pending
    signature, so every later probe of it takes this path too.
    """
    db.session.execute(_SENT_AT, {"signature_id": signature.id, "sent_at": now, "due": due})
    if due:  # the loaded row says so too, for whatever reads it in this unit
        set_committed_value(signature, "confirmation_sent_at", now)
    mail.send(email, signature, store=due)


def _answers_of_new_signature(prepared: PreparedSubmission) -> Insert:
    """The answers, inserted for the signature just created, and only for it.

    One INSERT … SELECT on both paths: a repeat's row does not carry the new
    link id, so nothing is inserted and the two paths take the same time.
    Joined to the statement's questions as they are now, so that an answer
    to a question removed while the form was open (the page's copy of the
    statement is kept a second) is dropped, never a failed foreign key.
    """
    selects = [
        select(Signature.id, StatementQuestion.id, sa.literal(value, sa.String))
        .join(StatementQuestion, StatementQuestion.statement_id == Signature.statement_id)
        .where(
            Signature.link_id == prepared.row["link_id"],
            StatementQuestion.id == question_id,
        )
        for question_id, value in prepared.answers
    ]
    rows = selects[0] if len(selects) == 1 else union_all(*selects)
    return insert(SignatureAnswer).from_select(["signature_id", "question_id", "value"], rows)


# A statement's signature by address, built once (building it took as long
# as running it); ``submit`` locks the row it finds.
_BY_ADDRESS = select(Signature).where(
    Signature.statement_id == bindparam("statement_id"),
    Signature.email_canonical == bindparam("canonical"),
)
_BY_ADDRESS_LOCKED = _BY_ADDRESS.with_for_update()
# An UPDATE now rather than a changed attribute for the session's flush,
# which cost more than the statement (the signature is not read again);
# one that is not ``due`` writes the value the row already holds.
_SENT_AT = (
    sa.update(Signature.__table__)
    .where(Signature.__table__.c.id == bindparam("signature_id"))
    .values(
        confirmation_sent_at=sa.case(
            (bindparam("due", type_=sa.Boolean), bindparam("sent_at", type_=sa.DateTime)),
            else_=Signature.__table__.c.confirmation_sent_at,
        )
    )
)


def _due_email(signature: Signature, statement: NamedStatement) -> RenderedEmail:
    """What signing again sends: the confirmation again while pending, else a notice."""
    if signature.state is SignatureState.pending:
        return mail.confirmation_email(signature, statement)
    return mail.already_signed_email(signature, statement)


def awaiting_verification() -> list[Signature]:
    """Confirmed signatures waiting for an admin, oldest confirmation first."""
    return list(
        db.session.scalars(
            select(Signature)
            # A query each, not one per row.
            .options(
                joinedload(Signature.statement),
                selectinload(Signature.answers).joinedload(SignatureAnswer.question),
            )
            .where(Signature.state == SignatureState.confirmed)
            .order_by(Signature.confirmed_at, Signature.id)
        )
    )


def signature_for_token(token: str, purpose: str, *, lock: bool = False) -> Signature:
    """The signature a confirm or withdraw link is for; ``lock`` it to change it.

    Raises ``tokens.TokenExpired`` or ``tokens.TokenInvalid``; an erased
    signature's links are invalid.
    """
    ref, fingerprint = tokens.read_token(token, purpose)
    signature = signature_by_ref(ref, lock=lock)
    return tokens.check_fingerprint(signature, ref, fingerprint)


def signature_by_ref(ref: tokens.SignatureRef, *, lock: bool = False) -> Signature | None:
    """The signature an emailed link names: by link id, or by row id in older links."""
    column = Signature.id if isinstance(ref, int) else Signature.link_id
    query = select(Signature).where(column == ref)
    return db.session.scalar(query.with_for_update() if lock else query)


def _lock(signature: Signature) -> None:
    # Re-read under a row lock (PostgreSQL; SQLite's BEGIN IMMEDIATE already
    # excludes other writers), so two admins cannot both act on one state.
    # OF signature: the row may have been loaded with its statement joined,
    # and PostgreSQL cannot lock the nullable side of an outer join.
    db.session.refresh(signature, with_for_update={"of": Signature})


class StatementClosed(Exception):
    """The statement stopped taking signatures before this one was confirmed."""


def confirm(token: str) -> Signature:
    """Confirm the signature behind ``token``; harmless when repeated.

    A statement that needs no verification makes it public at once, and the
    contact is told so by email. That does not raise the statement's public
    version: confirmations come at the pace of the spike, and a row updated by
    each would be the hot row every petition site trips on. The public pages
    of such statements are cached for a second or two instead (web/pages.py).

    Raises ``StatementClosed`` for a pending signature whose statement closed
    (or passed its deadline) meanwhile.
    """
    require_write()
    signature = signature_for_token(token, tokens.CONFIRM, lock=True)
    if signature.state is SignatureState.pending and not signature.statement.is_open:
        raise StatementClosed
    verify_now = not signature.statement.needs_verification
    if signature.confirm(verify=verify_now) and verify_now:
        mail.send(mail.verified_email(signature, signature.statement), signature)
    return signature


def verify(signature: Signature, admin: Admin) -> bool:
    """An admin makes a confirmed signature public; the contact is emailed."""
    require_write()
    _lock(signature)
    changed = signature.verify()
    if changed:
        mail.send(mail.verified_email(signature, signature.statement), signature)
        audit.record(AuditAction.verify, admin, signature=signature)
        statements.public_change(signature.statement_id)
    return changed


def reject(signature: Signature, admin: Admin, reason: str = "") -> bool:
    """An admin turns a confirmed signature down; the signatory is not emailed."""
    require_write()
    _lock(signature)
    changed = signature.reject(reason.strip())
    if changed:
        # The reason stays on the signature only, where withdrawal erases it.
        audit.record(AuditAction.reject, admin, signature=signature)
    return changed


def approve_comment(signature: Signature, admin: Admin, approved: bool) -> bool:
    """Publish (or hide again) a signature's public comment."""
    require_write()
    _lock(signature)
    changed = bool(signature.comment) and signature.comment_approved is not approved
    if changed:
        signature.comment_approved = approved
        action = AuditAction.approve_comment if approved else AuditAction.hide_comment
        audit.record(action, admin, signature=signature)
        statements.public_change(signature.statement_id)
    return changed


def withdraw(signature: Signature, admin: Admin | None = None) -> bool:
    """Take the signature off every list and erase its personal data.

    Queued emails go too: they hold the contact's name and address; and the
    answers to the statement's questions. After the
    caller commits, ``database.checkpoint_after_erasure()`` pushes the erased
    values out of SQLite's write-ahead log.
    """
    require_write()
    _lock(signature)
    changed = signature.withdraw()
    if changed:
        db.session.execute(delete(OutboxMessage).where(OutboxMessage.signature_id == signature.id))
        # The answers to the statement's questions are the signatory's words too.
        db.session.execute(
            delete(SignatureAnswer).where(SignatureAnswer.signature_id == signature.id)
        )
        action = AuditAction.withdraw if admin is None else AuditAction.erase
        audit.record(action, admin, signature=signature)
        statements.public_change(signature.statement_id)
    return changed
