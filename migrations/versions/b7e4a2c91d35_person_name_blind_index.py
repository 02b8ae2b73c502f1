"""person name blind index

Two keyed hashes beside the encrypted name (webapp.cases.name_index): person.name_index (HMAC of the
normalised name) and person.name_reading_index (of its reading), each indexed, so staff can find a
case by name without decrypting. Existing names are decrypted here once and hashed with the key
derived from the configured encryption key; `odekake reindex-case-names` does the same later (e.g.
after a key rotation).

Revision ID: b7e4a2c91d35
Revises: b7f3c2a9e1d4
Create Date: 2026-12-05 03:45:00.000000
"""
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = 'b7e4a2c91d35'
down_revision = 'b7f3c2a9e1d4'
branch_labels = None
depends_on = None


def _key_text() -> str:
    """The app's key when run by `odekake init-db` or the tests; else the settings (env, instance/)."""
    from flask import current_app, has_app_context

    if has_app_context():
        return str(current_app.extensions["odekake_settings"].encryption_key)
    from webapp.config import load_settings

    return load_settings().encryption_key


def _fill() -> None:
    from webapp.cases.name_index import name_keys
    from webapp.security.crypto import make_cipher

    conn = op.get_bind()
    person = sa.table(
        "person", sa.column("id", sa.Integer), sa.column("name_enc", sa.Text),
        sa.column("name_index", sa.String), sa.column("name_reading_index", sa.String),
    )  # fmt: skip
    rows = conn.execute(sa.select(person.c.id, person.c.name_enc).where(person.c.name_enc != "")).all()
    if not rows:
        return
    key_text = _key_text()
    cipher: Any = make_cipher(key_text)
    for row_id, token in rows:
        name = cipher.decrypt(token.encode("ascii")).decode("utf-8")
        keys = name_keys(name, key_text)
        conn.execute(
            person.update().where(person.c.id == row_id).values(name_index=keys[0], name_reading_index=keys[1])
        )


def upgrade() -> None:
    # Plain ADD COLUMN (with a default for the existing rows) and CREATE INDEX: no batch table
    # rebuild on SQLite, whose DROP TABLE would fire the ON DELETE CASCADE of every case's notes,
    # consents, placements and follow-ups.
    op.add_column('person', sa.Column('name_index', sa.String(length=64), nullable=False, server_default=''))
    op.add_column('person', sa.Column('name_reading_index', sa.String(length=64), nullable=False, server_default=''))
    op.create_index(op.f('ix_person_name_index'), 'person', ['name_index'], unique=False)
    op.create_index(op.f('ix_person_name_reading_index'), 'person', ['name_reading_index'], unique=False)
    _fill()


def downgrade() -> None:
    op.drop_index(op.f('ix_person_name_reading_index'), table_name='person')
    op.drop_index(op.f('ix_person_name_index'), table_name='person')
    # ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35), again without rebuilding the table.
    with op.batch_alter_table('person', recreate='never') as batch_op:
        batch_op.drop_column('name_reading_index')
        batch_op.drop_column('name_index')
