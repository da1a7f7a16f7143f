"""sessions, network keys, audit targets, link ids, schema rules

- admin_session: a row per logged-in browser, so logging out ends every copy
  of the session cookie;
- network_key: the random key of a day's network hashes, deleted later;
- audit_event points at a statement, an admin account or an email too, and
  its action is one of a known set;
- signature.link_id: what emailed links carry instead of the row id;
- CHECK constraints for rules that were only kept in Python.

Revision ID: 7c7d30182666
Revises: 1f56751f75c1
Create Date: 2026-11-30 02:33:06.988683

"""
import secrets

from alembic import op
import sqlalchemy as sa

# The rules as they stood when this migration was written. The models hold
# the same text today; they may change later, this copy must not.
AUDIT_ACTIONS = (
    "verify", "reject", "approve-comment", "hide-comment", "withdraw", "erase", "export",
    "retry-email", "login", "login-failed", "logout", "logout-everywhere",
    "password-changed", "deactivate", "activate",
)
WITHDRAWN_IS_ERASED = (
    "state != 'withdrawn' OR (contact_name IS NULL AND contact_email IS NULL"
    " AND email_canonical IS NULL AND contact_role IS NULL AND ip_hash IS NULL"
    " AND rejection_reason IS NULL AND org_name = '' AND city = ''"
    " AND website = '' AND comment = '')"
)
STATE_IS_STAMPED = (
    "(state != 'confirmed' OR confirmed_at IS NOT NULL)"
    " AND (state != 'verified' OR verified_at IS NOT NULL)"
    " AND (state != 'rejected' OR rejected_at IS NOT NULL)"
    " AND (state != 'withdrawn' OR withdrawn_at IS NOT NULL)"
)
LIVE_HAS_CONTACT = (
    "state = 'withdrawn' OR (contact_email IS NOT NULL AND email_canonical IS NOT NULL)"
)


# revision identifiers, used by Alembic.
revision = '7c7d30182666'
down_revision = '1f56751f75c1'
branch_labels = None
depends_on = None


def _refuse_rows_that_break_the_new_rules():
    """Stop, before changing anything, if existing rows break a rule to come.

    SQLite runs DDL outside a transaction: failing half-way would leave the
    schema between two revisions. The app never wrote such rows; this says
    which, if a hand-made change did.
    """
    connection = op.get_bind()
    checks = {
        "signatures that are withdrawn but still hold contact data": WITHDRAWN_IS_ERASED,
        "signatures whose state lacks its timestamp": STATE_IS_STAMPED,
        "signatures that are live but have no email address": LIVE_HAS_CONTACT,
    }
    problems = []
    for what, rule in checks.items():
        count = connection.execute(sa.text(f"SELECT count(*) FROM signature WHERE NOT ({rule})"))
        if (n := count.scalar()):
            problems.append(f"{n} {what}")
    clashes = connection.execute(
        sa.text("SELECT count(*) FROM (SELECT lower(email) FROM admin GROUP BY lower(email)"
                " HAVING count(*) > 1) AS same")
    ).scalar()
    if clashes:
        problems.append(f"{clashes} admin address(es) held twice in different case")
    unknown = connection.execute(
        sa.select(sa.func.count()).select_from(sa.table("audit_event", sa.column("action")))
        .where(sa.column("action").not_in(AUDIT_ACTIONS))
    ).scalar()
    if unknown:
        problems.append(f"{unknown} audit event(s) with an unknown action")
    if problems:
        raise RuntimeError(
            "Nothing was changed: fix these rows first, then upgrade again: "
            + "; ".join(problems) + "."
        )


def _fold_googlemail_into_gmail():
    """googlemail.com is gmail.com: store such addresses as the app now compares them.

    The local part is already without dots and +tag (googlemail.com was in
    the dotless list). A row whose gmail.com twin already signed the same
    statement is left as it is: two signatures of one person, for an admin.
    """
    connection = op.get_bind()
    signature = sa.table(
        'signature', sa.column('id'), sa.column('statement_id'), sa.column('email_canonical')
    )
    rows = connection.execute(
        sa.select(signature.c.id, signature.c.statement_id, signature.c.email_canonical)
        .where(signature.c.email_canonical.like('%@googlemail.com'))
    ).all()
    for signature_id, statement_id, canonical in rows:
        folded = canonical.rsplit('@', 1)[0] + '@gmail.com'
        taken = connection.execute(
            sa.select(signature.c.id).where(
                signature.c.statement_id == statement_id,
                signature.c.email_canonical == folded,
            )
        ).first()
        if taken is None:
            connection.execute(
                signature.update()
                .where(signature.c.id == signature_id)
                .values(email_canonical=folded)
            )


def upgrade():
    _refuse_rows_that_break_the_new_rules()
    _fold_googlemail_into_gmail()
    # Network hashes made so far were keyed with SECRET_KEY, which can be
    # reversed by whoever holds it; from now on a day's random key is used.
    op.execute("UPDATE signature SET ip_hash = NULL")
    # ### commands auto generated by Alembic - please adjust! ###
    op.create_table('network_key',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('key', sa.LargeBinary(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_network_key'))
    )
    op.create_table('admin_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('admin_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['admin_id'], ['admin.id'], name=op.f('fk_admin_session_admin_id_admin'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_session')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_admin_session_token_hash'))
    )
    with op.batch_alter_table('admin_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_admin_session_admin_id'), ['admin_id'], unique=False)

    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('statement_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('subject_admin_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('outbox_message_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_audit_event_outbox_message_id'), ['outbox_message_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_statement_id'), ['statement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_subject_admin_id'), ['subject_admin_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_audit_event_subject_admin_id_admin'), 'admin', ['subject_admin_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_audit_event_statement_id_statement'), 'statement', ['statement_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_audit_event_outbox_message_id_outbox_message'), 'outbox_message', ['outbox_message_id'], ['id'], ondelete='SET NULL')

        batch_op.create_check_constraint(
            'audit_action', sa.column('action').in_(AUDIT_ACTIONS)
        )

    # Existing signatures get a random link id before the column is required.
    with op.batch_alter_table('signature', schema=None) as batch_op:
        batch_op.add_column(sa.Column('link_id', sa.String(length=32), nullable=True))
    connection = op.get_bind()
    signature = sa.table('signature', sa.column('id'), sa.column('link_id'))
    for (signature_id,) in connection.execute(sa.select(signature.c.id)).all():
        connection.execute(
            signature.update()
            .where(signature.c.id == signature_id)
            .values(link_id=secrets.token_urlsafe(16))
        )
    with op.batch_alter_table('signature', schema=None) as batch_op:
        batch_op.alter_column('link_id', existing_type=sa.String(length=32), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_signature_link_id'), ['link_id'])
        batch_op.create_check_constraint('live_has_contact', sa.text(LIVE_HAS_CONTACT))
        batch_op.create_check_constraint('withdrawn_is_erased', sa.text(WITHDRAWN_IS_ERASED))
        batch_op.create_check_constraint('state_is_stamped', sa.text(STATE_IS_STAMPED))

    op.execute("UPDATE admin SET email = lower(email)")
    with op.batch_alter_table('admin', schema=None) as batch_op:
        batch_op.create_check_constraint('email_lower_case', sa.text('email = lower(email)'))

    # ### end Alembic commands ###


def downgrade():
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table('admin', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_admin_email_lower_case'), type_='check')

    with op.batch_alter_table('signature', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_signature_state_is_stamped'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_signature_withdrawn_is_erased'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_signature_live_has_contact'), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_signature_link_id'), type_='unique')
        batch_op.drop_column('link_id')

    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_audit_event_audit_action'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_audit_event_outbox_message_id_outbox_message'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_audit_event_statement_id_statement'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_audit_event_subject_admin_id_admin'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_audit_event_subject_admin_id'))
        batch_op.drop_index(batch_op.f('ix_audit_event_statement_id'))
        batch_op.drop_index(batch_op.f('ix_audit_event_outbox_message_id'))
        batch_op.drop_column('outbox_message_id')
        batch_op.drop_column('subject_admin_id')
        batch_op.drop_column('statement_id')

    with op.batch_alter_table('admin_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_admin_session_admin_id'))

    op.drop_table('admin_session')
    op.drop_table('network_key')
    # ### end Alembic commands ###
