"""Subject access requests: show, export and erase what is held about a person."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import joinedload

from ..database import require_write, utcnow
from ..extensions import db
from ..models import Admin, AuditAction, OutboxMessage, Signature
from . import audit
from .addresses import configured_canonical_email
from .signing import withdraw


@dataclass
class SubjectRecords:
    """Everything held about one email address (a subject access request)."""

    email: str
    signatures: list[Signature]
    messages: list[OutboxMessage]

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready copy, for the person who asked."""
        return {
            "email": self.email,
            "exported_at": utcnow().isoformat(timespec="seconds") + "Z",
            "signatures": [_signature_dict(s) for s in self.signatures],
            "emails": [
                {
                    "kind": m.kind,
                    "to": m.recipient,
                    "subject": m.subject,
                    "state": m.state.value,
                    "queued_at": _iso(m.created_at),
                    "sent_at": _iso(m.sent_at),
                }
                for m in self.messages
            ],
        }


def records_for(email: str) -> SubjectRecords:
    """The signatures (any statement) and emails held for ``email``.

    Signatures match on the canonical address, so "A.B@gmail.com" finds
    what "ab+x@gmail.com" signed, as it does for uniqueness.
    """
    canonical = configured_canonical_email(email)
    signatures = list(
        db.session.scalars(
            select(Signature)
            .options(joinedload(Signature.statement))
            .where(Signature.email_canonical == canonical)
            .order_by(Signature.id)
        )
    )
    ids = [s.id for s in signatures]
    messages = list(
        db.session.scalars(
            select(OutboxMessage)
            .where(
                or_(
                    OutboxMessage.signature_id.in_(ids),
                    func.lower(OutboxMessage.recipient) == email.strip().lower(),
                )
            )
            .order_by(OutboxMessage.id)
        )
    )
    return SubjectRecords(email=email, signatures=signatures, messages=messages)


def erase(email: str, admin: Admin) -> int:
    """Withdraw and erase every signature of ``email``; how many were erased.

    Emails addressed to it that belong to no signature are deleted too. All
    of it happens in the caller's one unit of work: if anything fails, no
    signature of the person is left half-erased.
    """
    require_write()
    records = records_for(email)
    erased = sum(withdraw(signature, admin) for signature in records.signatures)
    db.session.execute(
        delete(OutboxMessage).where(func.lower(OutboxMessage.recipient) == email.strip().lower())
    )
    return erased


def _signature_dict(signature: Signature) -> dict[str, Any]:
    return {
        "statement": signature.statement.slug,
        "statement_title": signature.statement.title,
        "state": signature.state.value,
        "kind": signature.kind.value,
        # A person's own name, for one who signed in their own name.
        "organisation": signature.org_name,
        "organisation_type": signature.org_type.value if signature.org_type else None,
        "affiliation": signature.affiliation,
        "answers": [
            {
                "question": answer.question.label,
                "answer": answer.value,
                "public": answer.question.public,
            }
            for answer in signature.answers
        ],
        "country": signature.country,
        "city": signature.city,
        "website": signature.website,
        "comment": signature.comment,
        "comment_approved": signature.comment_approved,
        "listed_by_name": signature.show_name,
        "contact_name": signature.contact_name,
        "contact_email": signature.contact_email,
        "contact_role": signature.contact_role,
        "language": signature.language,
        "signed_version": signature.signed_version,
        "founding": signature.founding,
        "network_hash": signature.ip_hash,
        "signed_at": _iso(signature.created_at),
        "confirmed_at": _iso(signature.confirmed_at),
        "verified_at": _iso(signature.verified_at),
        "rejected_at": _iso(signature.rejected_at),
        "withdrawn_at": _iso(signature.withdrawn_at),
    }


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value else None


def record_export(records: SubjectRecords, admin: Admin) -> None:
    """Audit that an admin exported a person's data (the count, not the address)."""
    audit.record(
        AuditAction.export,
        admin,
        detail=f"{len(records.signatures)} signature(s), {len(records.messages)} email(s)",
    )
