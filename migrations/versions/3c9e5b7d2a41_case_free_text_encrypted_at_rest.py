"""case free text encrypted at rest

What matters to the person (person.what_matters), case notes (case_note.body), consent notes
(consent.note), meeting summaries (case_meeting.summary) and follow-up notes (follow_up.note) are
stored as Fernet tokens with the configured encryption key (settings.encryption_key, the key of
person.name_enc and contact_enc), as models.case.EncryptedText writes them. The column types do not
change (TEXT): existing rows are encrypted here, and downgrade decrypts them. Empty stays empty.

Revision ID: 3c9e5b7d2a41
Revises: fa7965fa0216
Create Date: 2026-12-04 22:40:00.000000
"""
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = '3c9e5b7d2a41'
down_revision = 'fa7965fa0216'
branch_labels = None
depends_on = None

# (table, column): fixed here, not read from the models, so the migration means the same later.
COLUMNS = (
    ("person", "what_matters"),
    ("case_note", "body"),
    ("consent", "note"),
    ("case_meeting", "summary"),
    ("follow_up", "note"),
)


def _cipher() -> Any:
    """The app's key when run by `odekake init-db` or the tests; else the settings (env, instance/)."""
    from flask import current_app, has_app_context

    from webapp.security.crypto import make_cipher

    if has_app_context():
        return make_cipher(current_app.extensions["odekake_settings"].encryption_key)
    from webapp.config import load_settings

    return make_cipher(load_settings().encryption_key)


def _rewrite(change: Callable[[Any, str], str]) -> None:
    conn = op.get_bind()
    cipher = None
    for table_name, column in COLUMNS:
        table = sa.table(table_name, sa.column("id", sa.Integer), sa.column(column, sa.Text))
        rows = conn.execute(
            sa.select(table.c.id, table.c[column]).where(table.c[column].is_not(None), table.c[column] != "")
        ).all()
        if rows and cipher is None:
            cipher = _cipher()
        for row_id, value in rows:
            conn.execute(table.update().where(table.c.id == row_id).values({column: change(cipher, value)}))


def _encrypt(cipher: Any, value: str) -> str:
    return str(cipher.encrypt(value.encode("utf-8")).decode("ascii"))


def _decrypt(cipher: Any, value: str) -> str:
    return str(cipher.decrypt(value.encode("ascii")).decode("utf-8"))


def upgrade() -> None:
    _rewrite(_encrypt)


def downgrade() -> None:
    _rewrite(_decrypt)
