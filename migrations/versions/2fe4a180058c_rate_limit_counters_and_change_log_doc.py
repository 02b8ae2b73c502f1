"""rate-limit counters in the database; change_log says whether a search document changed

rate_limit_hit: flask-limiter's fixed-window counters for ratelimit_storage_uri = "db://" (the
production default without Redis; webapp/security/rate_limits.py).

change_log.doc_changed: the UPDATE triggers compare the columns search documents are made of
(webapp.changefeed.models.DOC_COLUMNS, frozen below) and log false when none of them changed, so
the nodes' tailers do not re-read rows whose documents cannot have changed. INSERT and DELETE
stay true (the column's default).

Revision ID: 2fe4a180058c
Revises: de33f76cb6be
Create Date: 2026-12-05 22:30:00.000000
"""
import sqlalchemy as sa
from alembic import op

import webapp.orm

revision = '2fe4a180058c'
down_revision = 'de33f76cb6be'
branch_labels = None
depends_on = None

CHANNEL = "odekake_changes"
# Fixed here, not read from the models, so the migration means the same later.
DOC_COLUMNS = {
    "activity": (
        "status", "name", "name_kana", "description", "category", "category_text", "audiences", "tags", "cost_yen",
        "schedule_rrule", "start_time", "end_time", "schedule_dtstart", "schedule_exdates", "schedule_rdates",
        "schedule_yearly_exclusions",
        "skip_holidays", "place_id", "organization_id",
    ),
    "place": ("name", "name_kana", "address", "lat", "lon", "district_id"),
    "organization": ("name", "name_kana"),
    "district": ("name", "name_kana"),
}


def _update_triggers(dialect: str) -> list[str]:
    out = []
    for table, columns in DOC_COLUMNS.items():
        if dialect == "postgresql":
            # ::text: json has no equality operator; a float's text is exact (shortest round trip).
            old = ", ".join(f"o.{c}::text" for c in columns)
            new = ", ".join(f"n.{c}::text" for c in columns)
            out += [
                f"""
                CREATE OR REPLACE FUNCTION odekake_log_{table}_updates() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  INSERT INTO change_log (kind, row_id, doc_changed)
                    SELECT '{table}', n.id, o.id IS NULL OR ROW({old}) IS DISTINCT FROM ROW({new})
                    FROM new_rows n LEFT JOIN old_rows o ON o.id = n.id ORDER BY n.id;
                  IF FOUND THEN
                    PERFORM pg_notify('{CHANNEL}', '');
                  END IF;
                  RETURN NULL;
                END $$
                """,
                f"DROP TRIGGER IF EXISTS change_log_{table}_update ON {table}",
                f"CREATE TRIGGER change_log_{table}_update AFTER UPDATE ON {table} "
                f"REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
                f"EXECUTE FUNCTION odekake_log_{table}_updates()",
            ]
        else:
            changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in ("id", *columns))
            out += [
                f"DROP TRIGGER IF EXISTS change_log_{table}_update",
                f"CREATE TRIGGER change_log_{table}_update AFTER UPDATE ON {table} BEGIN "
                f"INSERT INTO change_log (kind, row_id, changed_at, doc_changed) "
                f"VALUES ('{table}', NEW.id, CURRENT_TIMESTAMP, {changed}); END",
            ]
    return out


def _previous_update_triggers(dialect: str) -> list[str]:
    """Those of b7f3c2a9e1d4: every UPDATE logged alike."""
    out = []
    for table in DOC_COLUMNS:
        if dialect == "postgresql":
            out += [
                f"DROP TRIGGER IF EXISTS change_log_{table}_update ON {table}",
                f"DROP FUNCTION IF EXISTS odekake_log_{table}_updates()",
                f"CREATE TRIGGER change_log_{table}_update AFTER UPDATE ON {table} "
                f"REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION odekake_log_changes()",
            ]
        else:
            out += [
                f"DROP TRIGGER IF EXISTS change_log_{table}_update",
                f"CREATE TRIGGER change_log_{table}_update AFTER UPDATE ON {table} BEGIN "
                f"INSERT INTO change_log (kind, row_id, changed_at) VALUES ('{table}', NEW.id, CURRENT_TIMESTAMP); END",
            ]
    return out


def upgrade() -> None:
    op.create_table(
        'rate_limit_hit',
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('hits', sa.Integer(), nullable=False),
        sa.Column('expires_at', webapp.orm.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_rate_limit_hit')),
    )
    with op.batch_alter_table('rate_limit_hit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rate_limit_hit_expires_at'), ['expires_at'], unique=False)

    op.add_column('change_log', sa.Column('doc_changed', sa.Boolean(), server_default=sa.true(), nullable=False))
    for statement in _update_triggers(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for statement in _previous_update_triggers(op.get_bind().dialect.name):
        op.execute(statement)
    # Not a batch (copy-and-rename) on SQLite: the other tables' triggers name change_log, and
    # SQLite refuses to rename a table under them; it drops a column itself (3.35+).
    op.drop_column('change_log', 'doc_changed')
    op.drop_index(op.f('ix_rate_limit_hit_expires_at'), table_name='rate_limit_hit')
    op.drop_table('rate_limit_hit')
