"""Issue 21: files shaped like what cities publish import without hand editing (fixtures in
tests/fixtures/import/city, made by make_city_fixtures.py)."""

from __future__ import annotations

import re
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


def test_one_facility_under_two_categories_is_two_rows(koukyou: ReadResult) -> None:
    # No ID column: the same name and address with two 種別 are two listings, not a duplicate.
    rows = [r for r in koukyou.records if r.name == "サンプル北子育てひろば"]
    assert {r.category for r in rows} == {"parenting", "ibasho"}
    assert len({r.source_id for r in rows}) == 2
    assert not koukyou.rejected_rows


def test_my_maps_pins_of_one_organiser_are_three_listings() -> None:
    from importers import READERS

    result = READERS["kml"].read(CITY / "mymaps_three_pins.kml")
    assert len(result.records) == 3 and not result.rejected_rows
    assert len({r.source_id for r in result.records}) == 3
    again = READERS["kml"].read(CITY / "mymaps_three_pins.kml")
    assert [r.source_id for r in again.records] == [r.source_id for r in result.records]


def test_a_repeated_row_is_named_in_words(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text(
        "NO,名称,種別,住所\n1,サンプル会館,サロン,架空市1-1\n2,サンプル会館,居場所,架空市1-1\n3,サンプル会館,サロン,架空市1-1\n",
        encoding="utf-8",
    )
    result = read_municipal_csv(path)
    assert len(result.records) == 2 and result.rejected_rows == {4}
    [repeat] = [i for i in result.issues if i.row == 4 and i.severity == "error"]
    assert repeat.code == "repeated_row"
    assert "2行目と同じ内容" in repeat.message_ja and "repeats row 2" in repeat.message_en
    assert not re.search(r"[0-9a-f]{12}", repeat.message_ja + repeat.message_en)  # no hash shown


def test_a_unique_row_keeps_the_id_it_always_had(koukyou: ReadResult) -> None:
    from importers import stable_id

    east = by_name(koukyou, "サンプル東公民館")
    assert east.source_id == stable_id("サンプル東公民館", "奈良県架空市東町1-1")  # type: ignore[attr-defined]


def test_papamama_geojson_addresses_and_columns_land() -> None:
    from importers import READERS

    result = READERS["geojson"].read(CITY / "papamama.geojson")
    first, second = result.records
    assert first.address == "奈良県架空市東町7-7" and second.address == "奈良県架空市西町8-8"
    assert first.category_text == "認可保育所" and first.contact_phone == "0743-70-0007"
    assert first.organization_name == "社会福祉法人サンプル会" and first.url == "https://example.jp/himawari-hoikuen"
    assert first.schedule_text == "07:00〜19:00"
    assert "一時保育あり" in (first.notes or "") and "0〜5歳" in (first.notes or "")
    assert second.extra == {"満員": "1"}
    assert not any(k in ("Add1", "Add2", "Name") for r in result.records for k in r.extra)
