"""参加の相談 → 受付: the site's intake route and consult_request.intake_id as a foreign key

The intake route 「本人からの相談（サイト）」 (code ``site_self``) is added to the city's list when it is
not there yet (a city may already have added one by hand with that code; its label is then kept).
consult_request.intake_id now references person.id (ON DELETE SET NULL: a case deleted after the
retention period leaves the consultation, which is then counted on its own again in 相談件数).

Revision ID: de33f76cb6be
Revises: 5c8e1f3a2b74
Create Date: 2026-12-05 22:10:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = 'de33f76cb6be'
down_revision = '5c8e1f3a2b74'
branch_labels = None
depends_on = None

# Fixed here (not read from the code) so the migration means the same later.
ROUTE = ("site_self", "本人からの相談（サイト）")

routes = sa.table(
    "intake_route",
    sa.column("id", sa.Integer),
    sa.column("code", sa.String),
    sa.column("label", sa.String),
    sa.column("position", sa.Integer),
    sa.column("active", sa.Boolean),
)


def upgrade() -> None:
    conn = op.get_bind()
    if conn.execute(sa.select(routes.c.id).where(routes.c.code == ROUTE[0])).first() is None:
        last = conn.execute(sa.select(sa.func.max(routes.c.position))).scalar()
        conn.execute(routes.insert().values(code=ROUTE[0], label=ROUTE[1], position=(last or 0) + 1, active=True))
    # Links made before this revision may name a case that no longer exists: cleared, not kept dangling.
    conn.execute(sa.text(
        "UPDATE consult_request SET intake_id = NULL WHERE intake_id IS NOT NULL "
        "AND intake_id NOT IN (SELECT id FROM person)"
    ))
    with op.batch_alter_table('consult_request', schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f('fk_consult_request_intake_id_person'), 'person', ['intake_id'], ['id'], ondelete='SET NULL'
        )
        batch_op.create_index(batch_op.f('ix_consult_request_intake_id'), ['intake_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('consult_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consult_request_intake_id'))
        batch_op.drop_constraint(batch_op.f('fk_consult_request_intake_id_person'), type_='foreignkey')
    # The route stays when a case names it (a record must keep its route); otherwise it goes.
    conn = op.get_bind()
    used = conn.execute(sa.text("SELECT 1 FROM person WHERE intake_route = :code LIMIT 1"), {"code": ROUTE[0]}).first()
    if used is None:
        conn.execute(routes.delete().where(routes.c.code == ROUTE[0]))
