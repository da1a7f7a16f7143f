"""One public projection: nothing of a contact can reach what the public sees."""

from __future__ import annotations

from factories import make_signature, make_statement
from sqlalchemy.dialects import sqlite

from signon.extensions import db
from signon.models import Signature, SignatureState
from signon.services import listing, public

# The fields the public may see, reviewed one by one: an allow-list, so a
# field added to PublicSignatory fails here until someone decides it is public.
PUBLIC = {
    "org_name",
    "org_type",
    "country",
    "city",
    "website",
    "comment",
    "verified_at",
    "signed_version",
    "founding",
    "kind",
    "affiliation",
    "answers",  # to the statement's public questions only (test_questions.py)
}
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
# Bookkeeping the public does not see either, though it names no one.
INTERNAL = {
    "id",
    "statement_id",
    "state",
    "language",
    "name_key",
    "created_at",
    "consented_at",
    "confirmation_sent_at",
    "confirmed_at",
    "rejected_at",
    "withdrawn_at",
    "reconfirm_asked_for",
}


def test_the_projection_has_only_the_reviewed_public_fields():
    """Adding any field to PublicSignatory fails here first, contact field or not."""
    fields = set(public.PublicSignatory._fields)
    assert fields == PUBLIC
    assert not fields & PRIVATE


def test_every_signature_column_is_classified():
    """A new column must be called public, private or internal before it ships."""
    columns = {c.name for c in Signature.__table__.columns}
    assert columns == (PUBLIC - {"answers"}) | PRIVATE | INTERNAL


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


# Every public output, searched for a contact's details.

CONTACT = {
    "contact_name": "Zebediah Quillfeather",
    "contact_email": "zq.unmistakable-7731@contact.example",
    "contact_role": "Chief Quill Officer",
}
PUBLIC_OUTPUTS = [
    "/",
    "/s/test-statement",
    "/s/test-statement/signatories",
    "/s/test-statement/signatories?q=rainbow",
    "/s/test-statement/signatories?group=1",
    "/s/test-statement/figures",
    "/s/test-statement/signatories.csv",
    "/s/test-statement/signatories.json",
    "/s/test-statement/embed",
    "/s/test-statement/count.json",
    "/s/test-statement/feed.atom",
    "/s/test-statement/print",
    "/api/v1/statements",
    "/api/v1/statements/test-statement",
    "/api/v1/statements/test-statement/signatories",
    "/api/v1/statements/test-statement/signatories?q=rainbow",
]


def test_no_public_output_holds_a_contacts_details(app, client, admin_client, runner, tmp_path):
    """Sign through the form with distinctive contact details, get listed, look everywhere.

    The signature goes the whole way (form, emailed link, admin verifies and
    publishes its comment), so every output has it to show, and none may
    show more than its public fields.
    """
    import io
    import zipfile

    import sqlalchemy as sa
    from helpers import link_in, outbox, sign

    from signon.database import write_transaction
    from signon.models import Admin
    from signon.services import signing

    with app.app_context():
        make_statement()
    assert sign(client, "test-statement", **CONTACT).status_code == 303
    client.post(link_in(outbox(app)[0], "confirm"))
    with app.app_context(), write_transaction():
        signature = db.session.scalar(sa.select(Signature))
        admin = db.session.scalar(sa.select(Admin))
        signing.verify(signature, admin)
        signing.approve_comment(signature, admin, True)

    needles = [*CONTACT.values(), "zq.unmistakable", "contact.example", "Quillfeather"]
    seen = {}
    for url in PUBLIC_OUTPUTS:
        response = client.get(url, follow_redirects=True)
        assert response.status_code == 200, url
        seen[url] = response.get_data(as_text=True)
    # Outputs of figures only (no names) aside, each shows the signatory: a
    # leak would have had something to leak.
    figures_only = {"/s/test-statement/figures", "/s/test-statement/count.json"}
    figures_only |= {"/api/v1/statements", "/api/v1/statements/test-statement"}
    for url in set(PUBLIC_OUTPUTS) - figures_only:
        assert "Rainbow Workers Union" in seen[url], url
    pack_file = tmp_path / "pack.zip"
    assert (
        runner.invoke(
            args=["statements", "pack", "test-statement", "-o", str(pack_file)]
        ).exit_code
        == 0
    )
    with zipfile.ZipFile(io.BytesIO(pack_file.read_bytes())) as archive:
        for name in archive.namelist():
            seen[f"pack:{name}"] = archive.read(name).decode()
    for where, text in seen.items():
        for needle in needles:
            assert needle.lower() not in text.lower(), (where, needle)
