"""public list: a folded name key, partial indexes for its orders and filters

The list sorts and searches by signature.name_key (the organisation's name
without case, accents or punctuation) instead of lower(org_name), and can be
filtered by country and type and sorted by date. Its indexes hold only the
verified, named rows, so pending signatures never touch them. Withdrawal
erases the key with the name. statement.public_changed_at dates the last
public change, for the exports' Last-Modified.

Revision ID: e04fd7f8d8ea
Revises: a3c19b7e5d20
Create Date: 2026-11-30 06:43:34.020523

"""
import re
import unicodedata

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e04fd7f8d8ea'
down_revision = 'a3c19b7e5d20'
branch_labels = None
depends_on = None

# The rules as they stood when this migration was written. The models hold
# the same text today; they may change later, this copy must not.
WITHDRAWN_IS_ERASED_BEFORE = (
    "state != 'withdrawn' OR (contact_name IS NULL AND contact_email IS NULL"
    " AND email_canonical IS NULL AND contact_role IS NULL AND ip_hash IS NULL"
    " AND rejection_reason IS NULL AND org_name = '' AND city = ''"
    " AND website = '' AND comment = '')"
)
WITHDRAWN_IS_ERASED = (
    "state != 'withdrawn' OR (contact_name IS NULL AND contact_email IS NULL"
    " AND email_canonical IS NULL AND contact_role IS NULL AND ip_hash IS NULL"
    " AND rejection_reason IS NULL AND org_name = '' AND name_key = '' AND city = ''"
    " AND website = '' AND comment = '')"
)
_LEADING = ['statement_id', 'state', 'show_name']
INDEXES = {
    'ix_signature_listed_by_name': [*_LEADING, 'name_key', 'id'],
    'ix_signature_listed_by_date': [*_LEADING, 'verified_at', 'id'],
    'ix_signature_listed_by_country': [*_LEADING, 'country', 'name_key', 'id'],
    'ix_signature_listed_by_country_date': [*_LEADING, 'country', 'verified_at', 'id'],
    'ix_signature_listed_by_type': [*_LEADING, 'org_type', 'name_key', 'id'],
    'ix_signature_listed_by_type_date': [*_LEADING, 'org_type', 'verified_at', 'id'],
}
_UNDECOMPOSED = str.maketrans(
    {"ø": "o", "ł": "l", "đ": "d", "ð": "d", "ħ": "h", "ı": "i", "ŧ": "t"}
    | {"æ": "ae", "œ": "oe", "þ": "th"}
)
_NOT_WORD = re.compile(r"[\W_]+")


def _fold_name(name):
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NOT_WORD.sub(" ", letters.translate(_UNDECOMPOSED)).strip()[:400]


def _listed():
    true = "1" if op.get_bind().dialect.name == "sqlite" else "true"
    return sa.text(f"state = 'verified' AND show_name = {true}")


def upgrade():
    op.drop_index('ix_signature_listing', table_name='signature')
    with op.batch_alter_table('signature', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_key', sa.String(length=400), server_default='', nullable=False))

    connection = op.get_bind()
    signature = sa.table('signature', sa.column('id'), sa.column('org_name'), sa.column('name_key'))
    rows = connection.execute(
        sa.select(signature.c.id, signature.c.org_name).where(signature.c.org_name != '')
    ).all()
    update = (
        sa.update(signature)
        .where(signature.c.id == sa.bindparam('row_id'))
        .values(name_key=sa.bindparam('key'))
    )
    for start in range(0, len(rows), 5000):
        connection.execute(
            update,
            [{'row_id': row_id, 'key': _fold_name(name)} for row_id, name in rows[start:start + 5000]],
        )

    with op.batch_alter_table('signature', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_signature_withdrawn_is_erased'), type_='check')
        batch_op.create_check_constraint('withdrawn_is_erased', sa.text(WITHDRAWN_IS_ERASED))
    for name, columns in INDEXES.items():
        op.create_index(name, 'signature', columns, sqlite_where=_listed(), postgresql_where=_listed())

    with op.batch_alter_table('statement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_changed_at', sa.DateTime(), nullable=True))
    op.execute("UPDATE statement SET public_changed_at = updated_at")
    with op.batch_alter_table('statement', schema=None) as batch_op:
        batch_op.alter_column('public_changed_at', existing_type=sa.DateTime(), nullable=False)


def downgrade():
    with op.batch_alter_table('statement', schema=None) as batch_op:
        batch_op.drop_column('public_changed_at')

    for name in INDEXES:
        op.drop_index(name, table_name='signature')
    with op.batch_alter_table('signature', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_signature_withdrawn_is_erased'), type_='check')
        batch_op.create_check_constraint('withdrawn_is_erased', sa.text(WITHDRAWN_IS_ERASED_BEFORE))
        batch_op.drop_column('name_key')
    op.create_index(
        'ix_signature_listing',
        'signature',
        ['statement_id', 'state', 'show_name', sa.text('lower(org_name)'), 'id'],
        unique=False,
    )
