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


def test_own_headers_are_guessed_and_every_guess_reported() -> None:
    result = read_municipal_csv(CITY / "pref_own_headers.csv")
    first = result.records[0]
    assert first.name == "サンプルにこにこ食堂" and first.address == "奈良県架空市東町5-5"
    assert (first.lat, first.lon) == (34.6901, 135.7001) and first.organization_name == "架空NPO"
    guesses = {" ".join(g.column.split()): g for g in result.header_guesses}
    assert guesses["子ども食堂 名称"].field == "name" and guesses["子ども食堂 名称"].how == "guess"
    assert guesses["経度：東経（世界測地系10進法）"].field == "lon"
    assert guesses["開催日時"].how == "exact"
    reported = {i.column for i in result.issues if i.code == "header_guess"}
    assert {" ".join(g.column.split()) for g in result.header_guesses if g.how == "guess"} == reported
    assert [c["how"] for c in result.to_report()["columns"]].count("guess") == 5


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("施設名称", "name"),
        ("スポット名称", "name"),
        ("子ども食堂\n名称", "name"),
        ("経度：東経（世界測地系10進法）", "lon"),
        ("所在地\n（住所）", "address"),
        ("定員(人)", "capacity"),
        ("連絡先名称", "contact_name"),
        ("施設名称_英字", "name_en"),
        ("FAX番号", None),
        ("駐車場台数", None),
    ],
)
def test_header_containment(header: str, field: str | None) -> None:
    from importers.columns import describe_headers

    [read] = describe_headers([header])
    assert read.field == field


def test_an_exact_header_wins_its_field_over_a_guess_before_it() -> None:
    from importers.columns import describe_headers

    guess, exact = describe_headers(["スポット名称", "名称"])
    assert (guess.how, exact.how) == ("duplicate", "exact")


def test_refused_only_without_a_name_column(tmp_path: Path) -> None:
    from importers import UnreadableFile

    path = tmp_path / "noname.csv"
    path.write_text("住所,緯度,経度\n架空市1-1,34.69,135.70\n", encoding="utf-8")
    with pytest.raises(UnreadableFile) as exc:
        read_municipal_csv(path)
    assert "名称" in exc.value.message_ja and "「住所」" in exc.value.message_ja


def test_amounts_and_annotations_are_kept(koukyou: ReadResult) -> None:
    east = by_name(koukyou, "サンプル東公民館")
    west = by_name(koukyou, "サンプル西ふれあいセンター")
    assert (east.cost_yen, east.cost_text) == (0, "無料")  # type: ignore[attr-defined]  # not 「無料 無料」
    assert (west.cost_yen, west.cost_text) == (500, "1回500円(材料費込み)")  # type: ignore[attr-defined]
    assert east.contact_name == "東町自治会" and east.capacity == 30  # type: ignore[attr-defined]
    assert "東公民館" in (east.notes or "")  # type: ignore[attr-defined]  # the phone's note
    assert east.accessibility == [] and "車椅子貸出有り" in (east.notes or "")  # type: ignore[attr-defined]
    assert east.name_en == "Sample East Community Hall"  # type: ignore[attr-defined]
    assert east.description_en == "A community gathering place (sample)"  # type: ignore[attr-defined]
    assert not koukyou.unknown_columns


def test_open_all_day_is_not_an_error(koukyou: ReadResult) -> None:
    plaza = by_name(koukyou, "サンプル中央広場")
    assert plaza.schedule is not None and plaza.schedule.start is None and plaza.schedule.end is None  # type: ignore[attr-defined]
    assert not plaza.schedule_needs_review and plaza.note_kind == "open_all_day"  # type: ignore[attr-defined]


def test_a_phone_note_becomes_the_contact_name_when_there_is_none(tmp_path: Path) -> None:
    path = tmp_path / "phone.csv"
    path.write_text("名称,種別,電話番号\nサンプル館,サロン,0743-70-0099（サンプル記念館）\n", encoding="utf-8")
    [record] = read_municipal_csv(path).records
    assert record.contact_phone == "0743-70-0099" and record.contact_name == "サンプル記念館"


def test_english_name_contact_name_survive_a_csv_round_trip(koukyou: ReadResult, tmp_path: Path) -> None:
    from importers import write_municipal_csv

    path = tmp_path / "out.csv"
    write_municipal_csv(koukyou.records, path)
    again = read_municipal_csv(path)
    assert [r.name_en for r in again.records] == [r.name_en for r in koukyou.records]
    assert [r.contact_name for r in again.records] == [r.contact_name for r in koukyou.records]


def test_list_category_for_every_row_publishes_a_list_outside_the_taxonomy() -> None:
    from importers.list_category import apply_list_category, list_category

    result = read_municipal_csv(CITY / "hoikusho_list.csv")
    assert {r.status_hint for r in result.records} == {"draft"}
    chosen = apply_list_category(result, list_category("子育てひろば"))
    assert {(r.category, r.status_hint) for r in chosen.records} == {("parenting", "published")}
    assert [r.category_text for r in chosen.records] == ["認可保育所", "小規模保育", "認定こども園"]  # wording kept
    assert not [i for i in chosen.issues if i.code == "unknown_category"]


def test_list_category_mapping_leaves_unmapped_values_as_before() -> None:
    from importers.list_category import apply_list_category, list_category

    result = read_municipal_csv(CITY / "hoikusho_list.csv")
    chosen = apply_list_category(result, list_category(None, {"認可保育所": "parenting"}))
    assert [r.category for r in chosen.records] == ["parenting", None, None]
    assert [i.row for i in chosen.issues if i.code == "unknown_category"] == [3, 4]


@pytest.fixture(scope="module")
def hsds_tabular() -> ReadResult:
    from importers import READERS

    return READERS["hsds"].read(CITY / "hsds_tabular")


def test_hsds_singular_service_at_location_and_one_location_schedule(hsds_tabular: ReadResult) -> None:
    gym, cooking = hsds_tabular.records
    assert gym.place_name == "サンプル体育館" and (gym.lat, gym.lon) == (34.6941, 135.7041)
    assert cooking.place_name == "サンプル調理室"
    # The one location's schedule is the service's schedule there.
    assert gym.schedule is not None and gym.schedule.rrule == "FREQ=WEEKLY;BYDAY=TU"


def test_hsds_cost_options_read_and_gbp_never_yen(hsds_tabular: ReadResult) -> None:
    gym, cooking = hsds_tabular.records
    assert (gym.cost_yen, gym.cost_text) == (300, "1回")
    assert cooking.cost_yen is None and cooking.cost_text == "ingredients 5 GBP"


def test_hsds_alternate_name_is_not_the_reading(hsds_tabular: ReadResult) -> None:
    gym = hsds_tabular.records[0]
    assert gym.name_kana is None and gym.extra.get("別名") == "Sample exercise class"


def test_hsds_writer_uses_the_singular_table_name(hsds_tabular: ReadResult, tmp_path: Path) -> None:
    from importers import READERS
    from importers.hsds import write_hsds

    out = tmp_path / "pkg"
    write_hsds(hsds_tabular.records, out)
    assert (out / "service_at_location.csv").exists() and not (out / "service_at_locations.csv").exists()
    again = READERS["hsds"].read(out)
    assert [(r.place_name, r.lat) for r in again.records] == [(r.place_name, r.lat) for r in hsds_tabular.records]


def test_a_lone_hsds_services_csv_is_not_a_municipal_list() -> None:
    from importers import UnreadableFile

    with pytest.raises(UnreadableFile) as exc:
        read_municipal_csv(CITY / "lone_services.csv")
    assert "hsds" in exc.value.message_en


def test_geojson_property_guesses_are_reported_too(tmp_path: Path) -> None:
    import json

    from importers import READERS

    doc = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [135.70, 34.69]},
        "properties": {"スポット名称": "サンプル広場", "種別": "居場所"},
    }]}
    path = tmp_path / "spots.geojson"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    result = READERS["geojson"].read(path)
    assert result.records[0].name == "サンプル広場"
    assert [(g.column, g.how) for g in result.header_guesses] == [("スポット名称", "guess"), ("種別", "exact")]
    assert [i.column for i in result.issues if i.code == "header_guess"] == ["スポット名称"]
