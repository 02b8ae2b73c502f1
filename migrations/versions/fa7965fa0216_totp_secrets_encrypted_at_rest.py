"""totp secrets encrypted at rest

Existing secrets are encrypted with the configured encryption key (settings.encryption_key, the
key of the encrypted case fields) on the way; the plaintext column is dropped. Downgrade decrypts.

Revision ID: fa7965fa0216
Revises: bccf2ae9160a
Create Date: 2026-11-27 16:14:40.352360
"""
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = 'fa7965fa0216'
down_revision = 'bccf2ae9160a'
branch_labels = None
depends_on = None

_table = sa.table(
    "totp_credential",
    sa.column("id", sa.Integer),
    sa.column("secret", sa.String),
    sa.column("secret_enc", sa.Text),
)


def _cipher() -> Any:
    """The app's key when run by `odekake init-db` or the tests; else the settings (env, instance/)."""
    from flask import current_app, has_app_context

    from webapp.security.crypto import make_cipher

    if has_app_context():
        return make_cipher(current_app.extensions["odekake_settings"].encryption_key)
    from webapp.config import load_settings

    return make_cipher(load_settings().encryption_key)


def upgrade() -> None:
    with op.batch_alter_table('totp_credential', schema=None) as batch_op:
        batch_op.add_column(sa.Column('secret_enc', sa.Text(), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(sa.select(_table.c.id, _table.c.secret)).all()
    if rows:
        cipher = _cipher()
        for row_id, secret in rows:
            token = cipher.encrypt(secret.encode("ascii")).decode("ascii")
            conn.execute(_table.update().where(_table.c.id == row_id).values(secret_enc=token))
    with op.batch_alter_table('totp_credential', schema=None) as batch_op:
        batch_op.alter_column('secret_enc', existing_type=sa.Text(), nullable=False)
        batch_op.drop_column('secret')


def downgrade() -> None:
    with op.batch_alter_table('totp_credential', schema=None) as batch_op:
        batch_op.add_column(sa.Column('secret', sa.VARCHAR(length=64), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(sa.select(_table.c.id, _table.c.secret_enc)).all()
    if rows:
        cipher = _cipher()
        for row_id, token in rows:
            secret = cipher.decrypt(token.encode("ascii")).decode("ascii")
            conn.execute(_table.update().where(_table.c.id == row_id).values(secret=secret))
    with op.batch_alter_table('totp_credential', schema=None) as batch_op:
        batch_op.alter_column('secret', existing_type=sa.VARCHAR(length=64), nullable=False)
        batch_op.drop_column('secret_enc')
