"""name trigrams: on PostgreSQL, a search of the list reads an index (pg_trgm)

A search is LIKE '%word%' on signature.name_key. Without this index it scans
every listed row of the statement; with it, PostgreSQL finds the rows that
hold the word's trigrams. pg_trgm ships with PostgreSQL and is a trusted
extension: the database's owner may create it. SQLite: nothing changes.

Revision ID: b7d2c4e91f03
Revises: e04fd7f8d8ea
Create Date: 2026-11-30 07:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7d2c4e91f03'
down_revision = 'e04fd7f8d8ea'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_index(
        'ix_signature_listed_name_trigrams',
        'signature',
        ['name_key'],
        postgresql_using='gin',
        postgresql_ops={'name_key': 'gin_trgm_ops'},
        postgresql_where=sa.text("state = 'verified' AND show_name = true"),
    )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index('ix_signature_listed_name_trigrams', table_name='signature')
    # The extension stays: something else may use it, and it holds no data.
