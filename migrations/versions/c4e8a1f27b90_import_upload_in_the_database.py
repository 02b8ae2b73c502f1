"""import_upload: admin-page uploads wait in the database between preview and confirm (any node, any worker)

Revision ID: c4e8a1f27b90
Revises: 7b4d2e9a1c63
Create Date: 2026-12-05 22:40:00
"""
import sqlalchemy as sa
from alembic import op

import webapp.orm


revision = 'c4e8a1f27b90'
down_revision = '7b4d2e9a1c63'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('import_upload',
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('meta', sa.JSON(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', webapp.orm.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_import_upload_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token', name=op.f('pk_import_upload'))
    )
    with op.batch_alter_table('import_upload', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_upload_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_upload_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('import_upload', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_upload_user_id'))
        batch_op.drop_index(batch_op.f('ix_import_upload_created_at'))
    op.drop_table('import_upload')
