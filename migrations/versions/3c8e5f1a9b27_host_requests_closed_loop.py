"""host requests: the 打診 answered by the host (closed loop)

受け入れのご相談 sent to a register host's organizer accounts (host_request) and its thread
(host_message); placement.host_id (a loose id, as plan_id) and placement.host_answer; the share_host
consent's share_fields (what the host may see) and nickname (encrypted, Fernet token in TEXT).

Revision ID: 3c8e5f1a9b27
Revises: c4e8a1f27b90
Create Date: 2026-12-05 22:10:00.000000
"""
from alembic import op
import sqlalchemy as sa
import webapp.orm


revision = '3c8e5f1a9b27'
down_revision = 'c4e8a1f27b90'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('host_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('host_id', sa.Integer(), nullable=False),
    sa.Column('placement_id', sa.Integer(), nullable=False),
    sa.Column('consent_id', sa.Integer(), nullable=True),
    sa.Column('office_id', sa.Integer(), nullable=True),
    sa.Column('sent_at', webapp.orm.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_by_id', sa.Integer(), nullable=True),
    sa.Column('answer', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('reason_text', sa.Text(), nullable=False),
    sa.Column('answered_at', webapp.orm.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('reminded_at', webapp.orm.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', webapp.orm.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("answer IN ('', 'accept', 'visit_first', 'not_now', 'more_info')", name=op.f('ck_host_request_answer')),
    sa.CheckConstraint("reason IN ('', 'capacity', 'mismatch', 'schedule', 'other')", name=op.f('ck_host_request_reason')),
    sa.ForeignKeyConstraint(['answered_by_id'], ['user_account.id'], name=op.f('fk_host_request_answered_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['consent_id'], ['consent.id'], name=op.f('fk_host_request_consent_id_consent'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['host_id'], ['host.id'], name=op.f('fk_host_request_host_id_host'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['office_id'], ['office.id'], name=op.f('fk_host_request_office_id_office'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['placement_id'], ['placement.id'], name=op.f('fk_host_request_placement_id_placement'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sent_by_id'], ['user_account.id'], name=op.f('fk_host_request_sent_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_host_request'))
    )
    with op.batch_alter_table('host_request', schema=None) as batch_op:
        batch_op.create_index('ix_host_request_host_answer', ['host_id', 'answer'], unique=False)
        batch_op.create_index(batch_op.f('ix_host_request_placement_id'), ['placement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_host_request_consent_id'), ['consent_id'], unique=False)

    op.create_table('host_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('side', sa.String(length=10), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('at', webapp.orm.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("side IN ('host', 'staff')", name=op.f('ck_host_message_side')),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_host_message_author_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['request_id'], ['host_request.id'], name=op.f('fk_host_message_request_id_host_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_host_message'))
    )
    with op.batch_alter_table('host_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_host_message_request_id'), ['request_id'], unique=False)

    # No foreign key on placement.host_id (see Placement.host_id), and plain-string server defaults:
    # SQLite then adds the columns in place instead of rebuilding placement (a rebuild cascades to its
    # events and follow-ups). The same for consent.
    op.add_column('placement', sa.Column('host_id', sa.Integer(), nullable=True))
    op.add_column('placement', sa.Column('host_answer', sa.String(length=20), nullable=False, server_default=''))
    op.create_index(op.f('ix_placement_host_id'), 'placement', ['host_id'], unique=False)
    op.add_column('consent', sa.Column('share_fields', sa.JSON(), nullable=False, server_default='[]'))
    op.add_column('consent', sa.Column('nickname', sa.Text(), nullable=False, server_default=''))


def _drop_column(table: str, column: str) -> None:
    """SQLite (≥ 3.35) drops a plain column in place; a batch would rebuild the table and, with foreign
    keys on, cascade the rebuild's DROP TABLE to the rows that point at it."""
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(f'ALTER TABLE {table} DROP COLUMN {column}')
    else:
        op.drop_column(table, column)


def downgrade() -> None:
    _drop_column('consent', 'nickname')
    _drop_column('consent', 'share_fields')
    op.drop_index(op.f('ix_placement_host_id'), table_name='placement')
    _drop_column('placement', 'host_answer')
    _drop_column('placement', 'host_id')
    with op.batch_alter_table('host_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_host_message_request_id'))
    op.drop_table('host_message')
    with op.batch_alter_table('host_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_host_request_consent_id'))
        batch_op.drop_index(batch_op.f('ix_host_request_placement_id'))
        batch_op.drop_index('ix_host_request_host_answer')
    op.drop_table('host_request')
