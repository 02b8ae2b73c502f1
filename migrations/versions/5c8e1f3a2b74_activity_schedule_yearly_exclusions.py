"""activity.schedule_yearly_exclusions: 年末年始 as a yearly rule, not this year's dates

Imports stored 年末年始 (a 特記事項 「年末年始休館」, 「…（年末年始を除く）」) as exclusion dates
12/29–1/3 of the turns of the year around the import; a re-import after New Year then found
every such listing changed.  The closure is now a rule of its own ("12-29/01-03", applied in
every year).  Stored schedules are moved to it: a listing whose exclusion dates hold two or more
whole 12/29–1/3 runs (what the importer wrote; a hand-entered date is one day, not such runs)
loses those runs and gets the yearly rule, and — when the listing was as its last import left
it — its import_hash is recomputed, so the next import finds it unchanged and not "edited".

Revision ID: 5c8e1f3a2b74
Revises: 3c8e5f1a9b27
Create Date: 2026-12-05 22:10:00
"""
import hashlib
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = '5c8e1f3a2b74'
down_revision = '3c8e5f1a9b27'
branch_labels = None
depends_on = None

YEAR_END = "12-29/01-03"

# Frozen here (not imported from the app) so that this migration means the same later: the
# columns an import hashed (webapp.imports.loader.content_hash) and how.
_HASHED = (
    "name", "name_kana", "name_en", "description", "description_en", "category", "category_text", "audiences",
    "tags", "schedule_rrule", "schedule_dtstart", "start_time", "end_time", "schedule_exdates",
    "schedule_rdates", "skip_holidays", "schedule_text", "schedule_needs_review", "cost_yen", "cost_text",
    "booking_required", "contact_name", "contact_phone", "contact_extension", "contact_email", "url",
    "welcomes_first_timers", "visit_ok", "solo_ok", "capacity", "accessibility", "notes", "extra",
    "place_id", "organization_id",
)
_ADDED_LATER = frozenset({"name_en", "description_en", "contact_name", "schedule_yearly_exclusions"})
_TYPES: dict[str, Any] = {
    "schedule_dtstart": sa.Date, "start_time": sa.Time, "end_time": sa.Time, "skip_holidays": sa.Boolean,
    "schedule_needs_review": sa.Boolean, "cost_yen": sa.Integer, "booking_required": sa.Boolean,
    "welcomes_first_timers": sa.Boolean, "visit_ok": sa.Boolean, "solo_ok": sa.Boolean, "capacity": sa.Integer,
    "place_id": sa.Integer, "organization_id": sa.Integer, "audiences": sa.JSON, "tags": sa.JSON,
    "schedule_exdates": sa.JSON, "schedule_rdates": sa.JSON, "accessibility": sa.JSON, "extra": sa.JSON,
    "schedule_yearly_exclusions": sa.JSON,
}


def _content_hash(values: dict[str, Any]) -> str:
    parts = []
    for key in sorted(values):
        value = values[key]
        if key in _ADDED_LATER and not value:
            continue
        if key == "extra":
            value = sorted((k, v) for k, v in (value or {}).items() if isinstance(v, str) or k == "draft_reasons")
        parts.append(f"{key}={value}")
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()


def _year_end_runs(exdates: list[str]) -> set[str]:
    """The exclusion dates that form whole 12/29–1/3 runs."""
    days = set()
    for text in exdates:
        try:
            days.add(date.fromisoformat(text))
        except ValueError:
            continue
    out: set[str] = set()
    for d in days:
        if (d.month, d.day) == (12, 29):
            run = [d + timedelta(days=i) for i in range(6)]
            if all(x in days for x in run):
                out.update(x.isoformat() for x in run)
    return out


def _activity(*names: str) -> Any:
    return sa.table("activity", sa.column("id", sa.Integer), sa.column("import_hash", sa.String),
                    *(sa.column(n, _TYPES.get(n, sa.String)) for n in names))


def upgrade() -> None:
    op.add_column('activity', sa.Column('schedule_yearly_exclusions', sa.JSON(), nullable=False, server_default='[]'))
    conn = op.get_bind()
    table = _activity(*_HASHED, "schedule_yearly_exclusions")
    # Only rows that hold a 12/29 at all are read (a JSON list of ISO dates, as text).
    rows = conn.execute(
        sa.select(table).where(sa.cast(table.c.schedule_exdates, sa.Text).like("%-12-29%"))
    ).mappings().all()
    for row in rows:
        exdates = list(row["schedule_exdates"] or [])
        runs = _year_end_runs(exdates)
        if len(runs) < 12:  # fewer than two whole turns of the year: not what an import wrote
            continue
        old = {k: row[k] for k in _HASHED}
        new = {**old, "schedule_exdates": [d for d in exdates if d not in runs], "schedule_yearly_exclusions": [YEAR_END]}
        values: dict[str, Any] = {k: new[k] for k in ("schedule_exdates", "schedule_yearly_exclusions")}
        if row["import_hash"] is not None and row["import_hash"] == _content_hash(old):
            values["import_hash"] = _content_hash(new)
        conn.execute(sa.update(table).where(table.c.id == row["id"]).values(**values))


def downgrade() -> None:
    # Back to dates: last year's, this and the next two turns of the year, as the importer wrote them.
    this = datetime.now(ZoneInfo("Asia/Tokyo")).year
    conn = op.get_bind()
    table = _activity(*_HASHED, "schedule_yearly_exclusions")
    rows = conn.execute(sa.select(table)).mappings().all()
    for row in rows:
        if YEAR_END not in (row["schedule_yearly_exclusions"] or []):
            continue
        dates = {(date(y, 12, 29) + timedelta(days=i)).isoformat() for y in range(this - 1, this + 3) for i in range(6)}
        old = {**{k: row[k] for k in _HASHED}, "schedule_yearly_exclusions": row["schedule_yearly_exclusions"]}
        back = {**{k: row[k] for k in _HASHED},
                "schedule_exdates": sorted(set(row["schedule_exdates"] or []) | dates)}
        values: dict[str, Any] = {"schedule_exdates": back["schedule_exdates"]}
        if row["import_hash"] is not None and row["import_hash"] == _content_hash(old):
            values["import_hash"] = _content_hash(back)
        conn.execute(sa.update(table).where(table.c.id == row["id"]).values(**values))
    # Not batch mode: on SQLite that copies the table, and the copy would lose change_log's triggers.
    op.execute("ALTER TABLE activity DROP COLUMN schedule_yearly_exclusions")
