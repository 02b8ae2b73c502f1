"""Migration 5c8e1f3a2b74 on both databases: 年末年始 stored as this year's dates becomes the
yearly rule, and a listing as its last import left it still looks so to the next import."""

from __future__ import annotations

import json
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy import text

from webapp.imports.loader import content_hash
from webapp.listings.activity_fields import activity_values
from webapp.listings.models.activity import Activity

REVISION = "5c8e1f3a2b74"


def _year_end(years: range) -> list[str]:
    return [(date(y, 12, 29) + timedelta(days=i)).isoformat() for y in years for i in range(6)]


def _hashed(row: Any) -> dict[str, Any]:
    """The stored values the loader hashes: activity_values' columns and the two links."""
    from importers import ActivityRecord

    keys = [*activity_values(ActivityRecord(source_id="x", name="x")), "place_id", "organization_id"]
    return {k: row[k] for k in keys if k in row}


def test_year_end_dates_become_the_yearly_rule_and_the_import_hash_follows(
    app: Flask, empty_database: str, tmp_path: Path
) -> None:
    from alembic import command
    from alembic.script import ScriptDirectory

    from webapp.commands.migrate import alembic_config
    from webapp.config import load_settings
    from webapp.db import make_engine

    overrides: dict[str, object] = {"instance_dir": tmp_path, "env": "testing"}
    if empty_database:
        overrides["database_url"] = empty_database
    engine = make_engine(load_settings(overrides))
    cfg = alembic_config()
    before = str(ScriptDirectory.from_config(cfg).get_revision(REVISION).down_revision)
    imported = _year_end(range(2025, 2029))
    try:
        with app.app_context(), engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, before)
            have = {c["name"] for c in sa.inspect(conn).get_columns("activity")}
            table = sa.Table("activity", sa.MetaData(), *(c._copy() for c in Activity.__table__.columns if c.name in have))
            base: dict[str, Any] = {
                "source": "city", "name": "サンプル東公民館", "name_kana": "", "name_en": "", "description": "",
                "description_en": "", "category": "salon", "category_text": "サロン", "audiences": [], "tags": [],
                "schedule_rrule": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "schedule_dtstart": None,
                "start_time": time(9), "end_time": time(17), "schedule_rdates": [], "skip_holidays": False,
                "schedule_text": "月～金 09:00〜17:00 年末年始休館", "schedule_needs_review": False, "cost_yen": 0,
                "cost_text": "無料", "booking_required": None, "booking_text": "", "contact_name": "", "contact_phone": "",
                "contact_extension": "", "contact_email": "", "url": "", "welcomes_first_timers": None,
                "visit_ok": None, "solo_ok": None, "capacity": None, "accessibility": [], "notes": "", "extra": {},
                "status": "published", "import_status": "published", "place_id": None, "organization_id": None,
            }
            rows = {
                # as the importer left it (its hash matches), with one date of the organiser's own
                "imported": {**base, "source_id": "a", "schedule_exdates": sorted([*imported, "2027-05-03"])},
                # edited since its import (its hash does not match): the edit stays visible as one
                "edited": {**base, "source_id": "b", "schedule_exdates": imported, "description": "編集"},
                # one 12/29–1/3 typed by hand: not what an import wrote
                "by_hand": {**base, "source_id": "c", "schedule_exdates": _year_end(range(2026, 2027))},
            }
            ids = {}
            for name, values in rows.items():
                stored = {**values}
                hashed = values if name != "edited" else {**values, "description": ""}
                stored["import_hash"] = content_hash(_hashed(hashed))
                ids[name] = conn.execute(sa.insert(table).values(**stored).returning(table.c.id)).scalar_one()
        with app.app_context(), engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, REVISION)
        with engine.connect() as conn:
            got = {name: conn.execute(sa.select(Activity.__table__).where(Activity.__table__.c.id == i)).mappings().one()
                   for name, i in ids.items()}
        imported_row = got["imported"]
        assert imported_row["schedule_exdates"] == ["2027-05-03"]
        assert imported_row["schedule_yearly_exclusions"] == ["12-29/01-03"]
        # What the loader checks before it overwrites: the listing is still as its import left it.
        assert imported_row["import_hash"] == content_hash(_hashed(imported_row))
        edited = got["edited"]
        assert edited["schedule_yearly_exclusions"] == ["12-29/01-03"] and edited["schedule_exdates"] == []
        assert edited["import_hash"] != content_hash(_hashed(edited))
        by_hand = got["by_hand"]
        assert by_hand["schedule_yearly_exclusions"] == [] and len(by_hand["schedule_exdates"]) == 6
        with app.app_context(), engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, before)
        with engine.connect() as conn:
            assert "schedule_yearly_exclusions" not in {c["name"] for c in sa.inspect(conn).get_columns("activity")}
            back = conn.execute(text("SELECT schedule_exdates FROM activity WHERE id = :i"), {"i": ids["imported"]}).scalar_one()
            back = back if isinstance(back, list) else json.loads(back)
            assert "2027-05-03" in back and sum(d.endswith("-12-29") for d in back) == 4
            # change_log's triggers survived the way down (a table copy would have lost them)
            logged = text("SELECT count(*) FROM change_log WHERE kind = 'activity' AND row_id = :i")
            n = conn.execute(logged, {"i": ids["imported"]}).scalar_one()
            conn.execute(text("UPDATE activity SET name = 'x' WHERE id = :i"), {"i": ids["imported"]})
            assert conn.execute(logged, {"i": ids["imported"]}).scalar_one() == n + 1
            conn.rollback()
    finally:
        engine.dispose()
