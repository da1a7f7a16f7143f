"""One public projection: nothing of a contact can reach what the public sees."""

from __future__ import annotations

import dataclasses

from factories import make_signature, make_statement
from sqlalchemy.dialects import sqlite

from signon.extensions import db
from signon.models import Signature, SignatureState
from signon.services import listing, public

# Columns of a signature that are personal data or internal; never public.
PRIVATE = {
    "contact_name",
    "contact_email",
    "email_canonical",
    "contact_role",
    "ip_hash",
    "link_id",
    "rejection_reason",
    "show_name",
    "comment_approved",
}


def test_the_projection_has_no_private_field():
    """Adding a contact field to PublicSignatory fails here first."""
    fields = {f.name for f in dataclasses.fields(public.PublicSignatory)}
    assert not fields & PRIVATE
    assert fields <= {c.name for c in Signature.__table__.columns}


def test_the_public_query_does_not_even_read_private_columns(app):
    """The SQL selects public columns only: nothing private is loaded to leak later."""
    with app.app_context():
        statement = make_statement()
        sql = str(public.public_query(statement).compile(dialect=sqlite.dialect()))
    selected = sql.split("FROM")[0]
    for column in PRIVATE - {"show_name", "comment_approved"}:
        assert column not in selected, column


def test_the_list_holds_only_verified_named_signatories_with_approved_comments(app):
    """Pending, hidden or unapproved things stay out of the projection."""
    with app.app_context():
        statement = make_statement()
        make_signature(statement, SignatureState.verified, org_name="Listed", comment="Hi")
        make_signature(
            statement,
            SignatureState.verified,
            org_name="Approved",
            comment="Yes",
            comment_approved=True,
        )
        make_signature(statement, SignatureState.verified, org_name="Unnamed", show_name=False)
        make_signature(statement, SignatureState.confirmed, org_name="Waiting")
        listed = listing.first(db.session.merge(statement), 1000)
    assert [(s.org_name, s.comment) for s in listed] == [("Approved", "Yes"), ("Listed", "")]
    assert all(isinstance(s, public.PublicSignatory) for s in listed)
