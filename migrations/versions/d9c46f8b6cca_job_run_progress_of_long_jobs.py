"""job_run: progress of long jobs (admin-page imports run on the queue), read by their pages

Revision ID: d9c46f8b6cca
Revises: 3c9e5b7d2a41
Create Date: 2026-12-05 03:27:47.247354
"""
import sqlalchemy as sa
from alembic import op

import webapp.orm


revision = 'd9c46f8b6cca'
down_revision = '3c9e5b7d2a41'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('job_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('label', sa.String(length=300), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('rq_job_id', sa.String(length=64), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=False),
    sa.Column('created_at', webapp.orm.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', webapp.orm.UTCDateTime(timezone=True), nullable=True),
    sa.Column('heartbeat_at', webapp.orm.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', webapp.orm.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_job_run_user_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_run'))
    )
    with op.batch_alter_table('job_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_run_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_job_run_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('job_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_run_user_id'))
        batch_op.drop_index(batch_op.f('ix_job_run_kind'))

    op.drop_table('job_run')
