"""One mapping of an activity's fields (listings.activity_fields): imports, the sample city and the
organizers' form take their columns from the same function, each only the columns it owns."""

from __future__ import annotations

from datetime import time

from importers import ActivityRecord
from schedule.model import Schedule
from webapp.listings.activity_fields import ORGANIZER_FIELDS, activity_values, owned_values
from webapp.listings.models.activity import Activity


def _record(**kw: object) -> ActivityRecord:
    base: dict[str, object] = {
        "source_id": "x-1", "name": "（架空）ひまわりサロン", "category": "salon", "tags": ["お茶"],
        "schedule": Schedule("FREQ=WEEKLY;BYDAY=TU", time(10), time(12)), "schedule_text": "毎週火曜日",
    }  # fmt: skip
    return ActivityRecord(**{**base, **kw})  # type: ignore[arg-type]


def test_every_mapped_field_is_an_activity_column() -> None:
    columns = set(Activity.__table__.columns.keys())
    assert set(activity_values(_record())) <= columns


def test_the_organizer_form_owns_a_subset_and_never_the_imports_columns() -> None:
    mapped = set(activity_values(_record()))
    assert mapped >= ORGANIZER_FIELDS
    assert {"tags", "extra", "category_text", "status", "notes"}.isdisjoint(ORGANIZER_FIELDS)
    # issue 19: the form has ふりがな and the 初参加歓迎 / 見学可 / 一人参加OK flags (snapshot() carries an
    # imported reading into the form, so an organizer's edit keeps it)
    assert {"name_kana", "welcomes_first_timers", "visit_ok", "solo_ok"} <= ORGANIZER_FIELDS
    values = owned_values(_record(), ORGANIZER_FIELDS)
    assert set(values) == ORGANIZER_FIELDS and "tags" not in values
    assert values["schedule_rrule"] == "FREQ=WEEKLY;BYDAY=TU" and values["start_time"] == time(10)


def test_status_hint_and_draft_reasons() -> None:
    assert activity_values(_record(status_hint="archived"))["status"] == "archived"
    draft = activity_values(_record(status_hint="draft", draft_reasons=["住所がありません"]))
    assert draft["status"] == "draft" and draft["extra"]["draft_reasons"] == ["住所がありません"]
    assert activity_values(_record(status_hint="pending"))["status"] == "published"
