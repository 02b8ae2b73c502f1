"""case record: intake, assessment, 支援プラン, meetings, true dates, 見守り

Person gains intake (received_on, intake_route, referring_org, handover_summary — encrypted), several
分野 (fields), a household key and the assessment (strengths, goals_own_words — encrypted — and
roles_wanted). Every event gains the day it happened as entered (placement_event.occurred_on,
follow_up.done_on, consent.granted_on, case_note.occurred_on); old rows keep NULL and are read as the
day they were typed. New tables: intake_route (seeded with the issue's routes; the city edits it),
support_plan, meeting, meeting_case, meeting_output; placement.plan_id.

Revision ID: 7a4c2e9d1f03
Revises: d9c46f8b6cca
Create Date: 2026-12-05 03:40:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '7a4c2e9d1f03'
down_revision = 'd9c46f8b6cca'
branch_labels = None
depends_on = None

# Fixed here (not read from the code) so the migration means the same later.
ROUTES = (
    ("ikomaru", "いこまる相談窓口"),
    ("jiritsu", "自立相談支援機関"),
    ("houkatsu", "地域包括支援センター"),
    ("shogai", "障がい相談支援事業所"),
    ("kodomo", "こども家庭センター"),
    ("minsei", "民生委員・児童委員"),
    ("jusoteki", "重層的支援会議"),
    ("self_family", "本人・家族"),
    ("agency", "関係機関"),
    ("other", "その他"),
)


def upgrade() -> None:
    routes = op.create_table('intake_route',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_route')),
    sa.UniqueConstraint('code', name=op.f('uq_intake_route_code'))
    )
    op.bulk_insert(routes, [
        {"code": code, "label": label, "position": i, "active": True} for i, (code, label) in enumerate(ROUTES)
    ])
    op.create_table('meeting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('regular', sa.Boolean(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('attendee_orgs', sa.JSON(), nullable=False),
    sa.Column('theme', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('multiagency_meeting', 'support_meeting', 'team_meeting', 'collaboration_meeting', 'case_review', 'participation_subcommittee')", name=op.f('ck_meeting_kind')),
    sa.ForeignKeyConstraint(['office_id'], ['office.id'], name=op.f('fk_meeting_office_id_office'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_meeting_recorded_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting'))
    )
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.create_index('ix_meeting_office_held', ['office_id', 'held_on'], unique=False)
    op.create_table('meeting_output',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('district', sa.String(length=50), nullable=False),
    sa.Column('done_on', sa.Date(), nullable=True),
    sa.CheckConstraint("kind IN ('develop_host', 'new_place', 'other')", name=op.f('ck_meeting_output_kind')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_meeting_output_meeting_id_meeting'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_output'))
    )
    with op.batch_alter_table('meeting_output', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_output_meeting_id'), ['meeting_id'], unique=False)
    op.create_table('meeting_case',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('consent_id', sa.Integer(), nullable=True),
    sa.Column('without_consent', sa.Boolean(), nullable=False),
    sa.Column('case_part', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['consent_id'], ['consent.id'], name=op.f('fk_meeting_case_consent_id_consent'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_meeting_case_meeting_id_meeting'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_meeting_case_person_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_meeting_case_recorded_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_case')),
    sa.UniqueConstraint('meeting_id', 'person_id', name=op.f('uq_meeting_case_meeting_id_person_id'))
    )
    with op.batch_alter_table('meeting_case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_case_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_case_person_id'), ['person_id'], unique=False)
    op.create_table('support_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('made_on', sa.Date(), nullable=False),
    sa.Column('goals', sa.Text(), nullable=False),
    sa.Column('supports', sa.Text(), nullable=False),
    sa.Column('includes_participation', sa.Boolean(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=True),
    sa.Column('host_name', sa.String(length=200), nullable=False),
    sa.Column('confirmed_by_meeting_id', sa.Integer(), nullable=True),
    sa.Column('review_on', sa.Date(), nullable=True),
    sa.Column('reviewed_on', sa.Date(), nullable=True),
    sa.Column('review_note', sa.Text(), nullable=False),
    sa.Column('evaluation', sa.String(length=10), nullable=False),
    sa.Column('evaluation_note', sa.Text(), nullable=False),
    sa.Column('evaluated_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("evaluation IN ('', 'met', 'partly', 'not_met')", name=op.f('ck_support_plan_evaluation')),
    sa.ForeignKeyConstraint(['activity_id'], ['activity.id'], name=op.f('fk_support_plan_activity_id_activity'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['confirmed_by_meeting_id'], ['meeting.id'], name=op.f('fk_support_plan_confirmed_by_meeting_id_meeting'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_support_plan_created_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_support_plan_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_plan')),
    sa.UniqueConstraint('person_id', 'version', name=op.f('uq_support_plan_person_id_version'))
    )
    with op.batch_alter_table('support_plan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_plan_person_id'), ['person_id'], unique=False)

    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('received_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('intake_route', sa.String(length=40), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('referring_org', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('handover_summary', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('fields', sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column('household_key', sa.String(length=20), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('outside_existing_services', sa.Boolean(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column('strengths', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('roles_wanted', sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column('goals_own_words', sa.Text(), nullable=False, server_default=''))
        batch_op.create_index(batch_op.f('ix_person_household_key'), ['household_key'], unique=False)
    with op.batch_alter_table('consent', schema=None) as batch_op:
        batch_op.add_column(sa.Column('granted_on', sa.Date(), nullable=True))
    # No foreign key (see Placement.plan_id), so SQLite adds the column without rebuilding placement
    # (a rebuild would cascade to its events and follow-ups). Plain-string server defaults, likewise:
    # an expression default makes Alembic rebuild the table on SQLite.
    op.add_column('placement', sa.Column('plan_id', sa.Integer(), nullable=True))
    op.create_index(op.f('ix_placement_plan_id'), 'placement', ['plan_id'], unique=False)
    with op.batch_alter_table('placement_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('occurred_on', sa.Date(), nullable=True))
    with op.batch_alter_table('follow_up', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_watch', sa.Boolean(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column('done_on', sa.Date(), nullable=True))
    with op.batch_alter_table('case_note', schema=None) as batch_op:
        batch_op.add_column(sa.Column('occurred_on', sa.Date(), nullable=True))


def _drop_column(table: str, column: str) -> None:
    """SQLite (≥ 3.35) drops a plain column in place; a batch would rebuild the table and, with foreign
    keys on, cascade the rebuild's DROP TABLE to the rows that point at it."""
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(f'ALTER TABLE {table} DROP COLUMN {column}')
    else:
        op.drop_column(table, column)


def downgrade() -> None:
    _drop_column('case_note', 'occurred_on')
    _drop_column('follow_up', 'done_on')
    _drop_column('follow_up', 'is_watch')
    _drop_column('placement_event', 'occurred_on')
    op.drop_index(op.f('ix_placement_plan_id'), table_name='placement')
    _drop_column('placement', 'plan_id')
    _drop_column('consent', 'granted_on')
    op.drop_index(op.f('ix_person_household_key'), table_name='person')
    for column in ('goals_own_words', 'roles_wanted', 'strengths', 'outside_existing_services', 'household_key',
                   'fields', 'handover_summary', 'referring_org', 'intake_route', 'received_on'):
        _drop_column('person', column)
    op.drop_table('support_plan')
    op.drop_table('meeting_case')
    op.drop_table('meeting_output')
    op.drop_table('meeting')
    op.drop_table('intake_route')
