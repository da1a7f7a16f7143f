"""Factories: rows in any state, made directly, without the form or the mailbox.

Each takes keyword overrides and commits in a unit of work of its own; call
them inside an application context. They go through the models' own
transitions, so what they make is what the app itself would have made.
"""

from __future__ import annotations

import itertools

from signon.database import utcnow, write_transaction
from signon.extensions import db
from signon.models import (
    Admin,
    OrganisationType,
    Signature,
    SignatureState,
    Statement,
    StatementState,
    StatementVersion,
)
from signon.services import admins, statements
from signon.services.addresses import configured_canonical_email

STATEMENT_BODY = """A statement for the tests, with a footnote.[^1]

[^1]: A source.
"""

_numbers = itertools.count(1)


def make_statement(
    slug: str = "test-statement",
    *,
    needs_verification: bool = True,
    state: StatementState = StatementState.open,
    body: str = STATEMENT_BODY,
    **fields: object,
) -> Statement:
    """A statement, open and needing verification unless told otherwise."""
    with write_transaction():
        statement = Statement(
            slug=slug,
            title=fields.pop("title", "A Test Statement"),
            publisher=fields.pop("publisher", "Test Publishers"),
            body=body,
            state=state,
            needs_verification=needs_verification,
            **fields,
        )
        db.session.add(statement)
        if state is not StatementState.draft:
            # Published: its text is version 1, as the editor would have made it.
            db.session.flush()
            statement.version = 1
            db.session.add(
                StatementVersion(
                    statement_id=statement.id,
                    number=1,
                    title=statement.title,
                    standfirst=statement.standfirst,
                    body=body,
                )
            )
    return statement


def make_signature(
    statement: Statement | int,
    state: SignatureState = SignatureState.verified,
    **fields: object,
) -> Signature:
    """A signature in ``state``, with unique made-up organisation and contact."""
    n = next(_numbers)
    email = str(fields.pop("contact_email", f"contact{n}@example.org"))
    values: dict[str, object] = {
        "org_name": f"Organisation {n}",
        "org_type": OrganisationType.union,
        "country": "DE",
        "contact_name": f"Contact Person {n}",
        "contact_email": email,
        "email_canonical": configured_canonical_email(email),
        "confirmation_sent_at": utcnow(),
        **fields,
    }
    statement_id = statement if isinstance(statement, int) else statement.id
    with write_transaction():
        signature = Signature(statement_id=statement_id, **values)
        db.session.add(signature)
        db.session.flush()
        _bring_to(signature, state)
        if state in (SignatureState.verified, SignatureState.withdrawn):
            statements.public_change(statement_id)  # as the services would
    return signature


def _bring_to(signature: Signature, state: SignatureState) -> None:
    if state is SignatureState.pending:
        return
    if state is SignatureState.withdrawn:
        signature.withdraw()
        return
    signature.confirm(verify=False)
    if state is SignatureState.verified:
        signature.verify()
    elif state is SignatureState.rejected:
        signature.reject("made by a factory")


def make_admin(
    email: str = "admin@example.org", password: str = "a long enough password"
) -> Admin:
    """An active admin account."""
    with write_transaction():
        return admins.create_admin(email, password)
