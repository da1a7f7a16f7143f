"""Asking signatories of an earlier version to sign a statement's new text.

When an admin publishes a substantial change (one that alters what
signatories agreed to), everyone whose live signature is bound to an
earlier version is emailed once, through the outbox, with a link to sign
the new version. Nobody is taken off the list for not answering: until they
do, the public list says which version they signed.

The emails are queued by the outbox worker a batch at a time
(``queue_due``), not by the admin's request: a statement with 100,000
signatories would otherwise hold the database's write lock, and the
request, for minutes.
"""

from __future__ import annotations

from sqlalchemy import Select, func, or_, select

from ..database import require_write
from ..extensions import db
from ..models import AuditAction, Signature, SignatureState, Statement
from . import audit, mail, statements, tokens
from .signing import signature_for_token

# Signatures whose contacts are asked: confirmed by their contact, listed or
# waiting to be. A pending one has not agreed to anything yet.
_LIVE = (SignatureState.confirmed, SignatureState.verified)


def _due() -> Select:
    """Signatures (with their statements) bound to a version before a substantial change."""
    return (
        select(Signature, Statement)
        .join(Statement, Signature.statement_id == Statement.id)
        .where(
            Statement.substantial_version > 0,
            # The same condition again, as the statements a signature may
            # belong to: it leads both databases to the few statements that
            # changed and their signatures' index, instead of scanning every
            # live signature (36 ms at 100,000, where it now takes 1 ms).
            Signature.statement_id.in_(
                select(Statement.id).where(Statement.substantial_version > 0)
            ),
            Signature.state.in_(_LIVE),
            Signature.contact_email.is_not(None),
            or_(
                Signature.signed_version.is_(None),
                Signature.signed_version < Statement.substantial_version,
            ),
            or_(
                Signature.reconfirm_asked_for.is_(None),
                Signature.reconfirm_asked_for < Statement.substantial_version,
            ),
        )
    )


def any_due() -> bool:
    """Whether anyone is waiting to be asked: a read, so an idle worker takes no write lock."""
    return db.session.execute(_due().with_only_columns(Signature.id).limit(1)).first() is not None


def queue_due(limit: int = 50, statement: Statement | None = None) -> int:
    """Queue the "please confirm the new text" email for up to ``limit`` signatories.

    In the caller's unit of work; returns how many were queued (0: none due).
    Only ``statement``'s, if given. Each signature is asked once per
    substantial version; on PostgreSQL, rows another worker is asking are
    skipped, so nobody is asked twice.
    """
    require_write()
    queued = 0
    query = _due().order_by(Signature.id).limit(limit)
    if statement is not None:
        query = query.where(Statement.id == statement.id)
    for signature, found in db.session.execute(
        query.with_for_update(skip_locked=True, of=Signature)
    ):
        statement_now = found
        mail.send(mail.reconfirm_email(signature, statement_now), signature)
        signature.reconfirm_asked_for = statement_now.substantial_version
        queued += 1
    return queued


def waiting(statement: Statement) -> int:
    """How many signatories of ``statement`` are still to be asked."""
    query = _due().where(Statement.id == statement.id).with_only_columns(func.count())
    return db.session.scalar(query) or 0


def reconfirm(token: str, version: int | None) -> tuple[Signature, bool]:
    """Bind the link's signature to ``version``, its statement's newest; whether that changed.

    ``version`` is the one the page showed: if another was published since,
    nothing changes (the page shows the newer text to sign). Raises
    ``tokens.TokenExpired`` or ``tokens.TokenInvalid``, like every emailed link.
    """
    require_write()
    signature = signature_for_token(token, tokens.RECONFIRM, lock=True)
    statement = signature.statement
    if (
        signature.state not in _LIVE
        or signature.signed_version == statement.version
        or version != statement.version
    ):
        return signature, False
    signature.signed_version = statement.version
    audit.record(AuditAction.reconfirm, None, signature=signature, statement=statement)
    statements.public_change(statement.id)
    return signature, True
