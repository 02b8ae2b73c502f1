"""activity.name_en and description_en: 名称_英語 / 説明_英語 from open data, shown on English pages

Revision ID: a21e7c4d9b10
Revises: 7a4c2e9d1f03
Create Date: 2026-12-05 03:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'a21e7c4d9b10'
down_revision = '7a4c2e9d1f03'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # server_default '' so existing rows get the empty text every other text column holds.
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_en', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('description_en', sa.Text(), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.drop_column('description_en')
        batch_op.drop_column('name_en')
