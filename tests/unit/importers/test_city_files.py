"""Issue 21: files shaped like what cities publish import without hand editing (fixtures in
tests/fixtures/import/city, made by make_city_fixtures.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from importers import ReadResult, read_municipal_csv

CITY = Path(__file__).resolve().parents[2] / "fixtures" / "import" / "city"


@pytest.fixture(scope="module")
def koukyou() -> ReadResult:
    return read_municipal_csv(CITY / "koukyou_shisetsu_cp932.csv")


def by_name(result: ReadResult, name: str, row: int | None = None) -> object:
    found = [r for r in result.records if r.name == name and (row is None or r.row == row)]
    assert len(found) == 1, [r.row for r in found]
    return found[0]


def test_closure_notes_are_rule_parts_not_review(koukyou: ReadResult) -> None:
    east = by_name(koukyou, "サンプル東公民館")
    west = by_name(koukyou, "サンプル西ふれあいセンター")
    assert east.note_kind == "closure" and not east.schedule_needs_review  # type: ignore[attr-defined]
    assert west.note_kind == "closure" and not west.schedule_needs_review  # type: ignore[attr-defined]
    assert west.schedule.skip_holidays and "3TU" not in west.schedule.rrule  # type: ignore[attr-defined]
    assert not [i for i in koukyou.issues if i.row in (2, 3) and "review" in i.code]


def test_restrictive_notes_are_flagged_with_the_note_shown(koukyou: ReadResult) -> None:
    south = by_name(koukyou, "サンプル南いこいの家")
    assert south.schedule_needs_review and south.note_kind == "conditional"  # type: ignore[attr-defined]
    flagged = {i.row: i for i in koukyou.issues if i.code == "schedule_note_review"}
    assert "夏祭り期間中のみ" in flagged[4].message_ja and "conditional" in flagged[4].message_en
    assert "通常時は施錠" in flagged[5].message_ja
    assert "1月から2月は10:00から16:00" in flagged[6].message_ja and "seasonal" in flagged[6].message_en


def test_the_report_counts_each_kind_of_note(koukyou: ReadResult) -> None:
    kinds = koukyou.to_report()["note_kinds"]
    assert kinds["closure"] == 2 and kinds["open_all_day"] == 1
    assert kinds["conditional"] == 2 and kinds["seasonal"] == 1
