"""listing index: the public list's order, so deep pages walk an index

The list is ordered by lower(org_name), id among a statement's verified,
named signatures. Without this index every page sorted all of them.

Revision ID: a3c19b7e5d20
Revises: e264c48d5ff2
Create Date: 2026-11-30 03:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a3c19b7e5d20'
down_revision = 'e264c48d5ff2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        'ix_signature_listing',
        'signature',
        ['statement_id', 'state', 'show_name', sa.text('lower(org_name)'), 'id'],
        unique=False,
    )


def downgrade():
    op.drop_index('ix_signature_listing', table_name='signature')
