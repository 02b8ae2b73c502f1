"""change log and its triggers: every node's search index follows the database

change_log gets one row per inserted, updated or deleted activity, place, organization or
district, written by triggers in the same transaction as the change (webapp/changefeed). On
PostgreSQL the triggers are statement-level (transition tables) and NOTIFY odekake_changes.

Revision ID: b7f3c2a9e1d4
Revises: a21e7c4d9b10
Create Date: 2026-12-05 03:40:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = 'b7f3c2a9e1d4'
down_revision = 'a21e7c4d9b10'
branch_labels = None
depends_on = None

# Fixed here, not read from the models, so the migration means the same later.
TRACKED = ("activity", "place", "organization", "district")
CHANNEL = "odekake_changes"


def trigger_ddl(dialect: str) -> list[str]:
    """Statements creating the triggers that write change_log (and NOTIFY on PostgreSQL)."""
    if dialect == "postgresql":
        out = [
            # Statement-level triggers with transition tables: an import of 100k rows logs them in
            # one INSERT … SELECT, not 100k trigger calls.
            f"""
            CREATE OR REPLACE FUNCTION odekake_log_changes() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF TG_OP = 'DELETE' THEN
                INSERT INTO change_log (kind, row_id) SELECT TG_TABLE_NAME, id FROM old_rows ORDER BY id;
              ELSE
                INSERT INTO change_log (kind, row_id) SELECT TG_TABLE_NAME, id FROM new_rows ORDER BY id;
              END IF;
              IF FOUND THEN
                -- delivered at commit, once per transaction (identical notifications fold)
                PERFORM pg_notify('{CHANNEL}', '');
              END IF;
              RETURN NULL;
            END $$
            """,
        ]
        for table in TRACKED:
            for event, ref in (("INSERT", "NEW TABLE AS new_rows"), ("UPDATE", "NEW TABLE AS new_rows"),
                            ("DELETE", "OLD TABLE AS old_rows")):
                out.append(
                    f"CREATE TRIGGER change_log_{table}_{event.lower()} AFTER {event} ON {table} "
                    f"REFERENCING {ref} FOR EACH STATEMENT EXECUTE FUNCTION odekake_log_changes()"
                )
        return out
    out = []
    for table in TRACKED:
        for event, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
            out.append(
                f"CREATE TRIGGER change_log_{table}_{event.lower()} AFTER {event} ON {table} BEGIN "
                f"INSERT INTO change_log (kind, row_id, changed_at) VALUES ('{table}', {row}.id, CURRENT_TIMESTAMP); END"
            )
    return out


def drop_trigger_ddl(dialect: str) -> list[str]:
    out = []
    for table in TRACKED:
        for event in ("insert", "update", "delete"):
            on = f" ON {table}" if dialect == "postgresql" else ""
            out.append(f"DROP TRIGGER IF EXISTS change_log_{table}_{event}{on}")
    if dialect == "postgresql":
        out.append("DROP FUNCTION IF EXISTS odekake_log_changes()")
    return out


def upgrade() -> None:
    op.create_table(
        'change_log',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('row_id', sa.Integer(), nullable=False),
        sa.Column('changed_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_change_log')),
        sqlite_autoincrement=True,
    )
    dialect = op.get_bind().dialect.name
    for statement in trigger_ddl(dialect):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in drop_trigger_ddl(dialect):
        op.execute(statement)
    op.drop_table('change_log')
