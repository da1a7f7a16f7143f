"""individuals as signatories; who may sign a statement

A statement can be signed by organisations, by people in their own name, or
both (statement.who_may_sign). A signature says which (signature.kind); a
person has no type of organisation (org_type is NULL) and may give an
affiliation, which withdrawal erases with the rest.

Revision ID: a8e63c79dbe5
Revises: 7ba8d96b3045
Create Date: 2026-11-30 15:35:30.149698

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a8e63c79dbe5'
down_revision = '7ba8d96b3045'
branch_labels = None
depends_on = None

# The rules as they stood before and after this migration. The models hold
# the same text today; they may change later, these copies must not.
WITHDRAWN_IS_ERASED_BEFORE = (
    "state != 'withdrawn' OR (contact_name IS NULL AND contact_email IS NULL"
    " AND email_canonical IS NULL AND contact_role IS NULL AND ip_hash IS NULL"
    " AND rejection_reason IS NULL AND org_name = '' AND name_key = '' AND city = ''"
    " AND website = '' AND comment = '')"
)
WITHDRAWN_IS_ERASED = (
    "state != 'withdrawn' OR (contact_name IS NULL AND contact_email IS NULL"
    " AND email_canonical IS NULL AND contact_role IS NULL AND ip_hash IS NULL"
    " AND rejection_reason IS NULL AND org_name = '' AND name_key = '' AND city = ''"
    " AND website = '' AND comment = '' AND affiliation = '')"
)
TYPE_OF_ORGANISATIONS_ONLY = "(kind = 'organisation') = (org_type IS NOT NULL)"
AFFILIATION_OF_PEOPLE_ONLY = "kind = 'person' OR affiliation = ''"
PEOPLE_HAVE_NO_WEBSITE_OR_ROLE = "kind = 'organisation' OR (website = '' AND contact_role IS NULL)"
# SQLite rebuilds the table to change a column or a constraint; its copy of
# a partial index would lose the WHERE, so these are made again afterwards.
_LEADING = ['statement_id', 'state', 'show_name']
LISTING_INDEXES = {
    'ix_signature_listed_by_name': [*_LEADING, 'name_key', 'id'],
    'ix_signature_listed_by_date': [*_LEADING, 'verified_at', 'id'],
    'ix_signature_listed_by_country': [*_LEADING, 'country', 'name_key', 'id'],
    'ix_signature_listed_by_country_date': [*_LEADING, 'country', 'verified_at', 'id'],
    'ix_signature_listed_by_type': [*_LEADING, 'org_type', 'name_key', 'id'],
    'ix_signature_listed_by_type_date': [*_LEADING, 'org_type', 'verified_at', 'id'],
}


def _sqlite():
    return op.get_bind().dialect.name == "sqlite"


def _listed():
    true = "1" if _sqlite() else "true"
    return sa.text(f"state = 'verified' AND show_name = {true}")


def _drop_listing_indexes():
    if _sqlite():
        for name in LISTING_INDEXES:
            op.drop_index(name, table_name='signature')


def _create_listing_indexes():
    if _sqlite():
        for name, columns in LISTING_INDEXES.items():
            op.create_index(name, 'signature', columns, sqlite_where=_listed())


def upgrade():
    _drop_listing_indexes()
    with op.batch_alter_table('signature', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), server_default='organisation', nullable=False))
        batch_op.add_column(sa.Column('affiliation', sa.String(length=200), server_default='', nullable=False))
        batch_op.alter_column('org_type', existing_type=sa.VARCHAR(length=20), nullable=True)
        batch_op.create_check_constraint('signatory_kind', sa.text("kind IN ('organisation', 'person')"))
        batch_op.create_check_constraint('type_of_organisations_only', sa.text(TYPE_OF_ORGANISATIONS_ONLY))
        batch_op.create_check_constraint('affiliation_of_people_only', sa.text(AFFILIATION_OF_PEOPLE_ONLY))
        batch_op.create_check_constraint(
            'people_have_no_website_or_role', sa.text(PEOPLE_HAVE_NO_WEBSITE_OR_ROLE)
        )
        batch_op.drop_constraint(batch_op.f('ck_signature_withdrawn_is_erased'), type_='check')
        batch_op.create_check_constraint('withdrawn_is_erased', sa.text(WITHDRAWN_IS_ERASED))
    _create_listing_indexes()

    with op.batch_alter_table('statement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('who_may_sign', sa.String(length=20), server_default='organisations', nullable=False))
        batch_op.create_check_constraint(
            'who_may_sign', sa.text("who_may_sign IN ('organisations', 'individuals', 'both')")
        )


def downgrade():
    people = op.get_bind().scalar(sa.text("SELECT count(*) FROM signature WHERE kind = 'person'"))
    if people:
        raise RuntimeError(
            f"{people} signatures are by people, which the older schema cannot hold:"
            " erase or delete them before downgrading."
        )
    with op.batch_alter_table('statement', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_statement_who_may_sign'), type_='check')
        batch_op.drop_column('who_may_sign')

    _drop_listing_indexes()
    with op.batch_alter_table('signature', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_signature_withdrawn_is_erased'), type_='check')
        batch_op.create_check_constraint('withdrawn_is_erased', sa.text(WITHDRAWN_IS_ERASED_BEFORE))
        batch_op.drop_constraint(batch_op.f('ck_signature_people_have_no_website_or_role'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_signature_affiliation_of_people_only'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_signature_type_of_organisations_only'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_signature_signatory_kind'), type_='check')
        batch_op.alter_column('org_type', existing_type=sa.VARCHAR(length=20), nullable=False)
        batch_op.drop_column('affiliation')
        batch_op.drop_column('kind')
    _create_listing_indexes()
