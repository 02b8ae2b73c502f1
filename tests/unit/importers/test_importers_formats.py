"""xlsx, GeoJSON, KML and HSDS readers."""

from __future__ import annotations

import json
import zipfile
from datetime import time
from pathlib import Path

import pytest

from importers import READERS, UnreadableFile, read_geojson, read_hsds, read_kml, read_xlsx
from importers.hsds import schedule_from_hsds, schedule_to_hsds
from schedule.model import Schedule
from tests.hsds_schema import hsds_problems

# ── xlsx ──────────────────────────────────────────────────────────────────────────────────


def test_xlsx_100_columns_first_sheet(wide_xlsx: Path) -> None:
    result = READERS["xlsx"].read(wide_xlsx)
    assert result.encoding is None
    assert [r.row for r in result.records] == [3, 4, 5]
    assert len(result.unknown_columns) == 92
    first = result.records[0]
    assert (first.name, first.category, first.lat) == ("広い表サロン0", "salon", 34.69)
    assert first.schedule is not None and first.schedule.start == time(10)


def test_xlsx_typed_cells(tmp_path: Path) -> None:
    from datetime import date, datetime

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["名称", "種別", "緯度", "経度", "開始日", "開始時間", "終了時間", "定員", "要予約"])
    ws.append(["夏祭り", "多世代交流", 34.69, 135.7, datetime(2025, 8, 1), time(10, 0), time(12, 30), 30, True])
    ws.append([None] * 9)  # blank row
    ws.append(["体操", "体操", "北緯34度41分", 135.7, date(2025, 9, 1), None, None, None, False])
    path = tmp_path / "typed.xlsx"
    wb.save(path)
    result = read_xlsx(path)
    a, b = result.records
    assert a.schedule is not None and a.schedule.rdates == (date(2025, 8, 1),)
    assert (a.schedule.start, a.schedule.end) == (time(10), time(12, 30))
    assert a.capacity == 30 and a.booking_required is True
    assert b.row == 4 and b.lat == pytest.approx(34 + 41 / 60) and b.booking_required is False


def test_xlsx_garbage_is_unreadable(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(UnreadableFile):
        read_xlsx(bad)
    csv_named_xlsx = tmp_path / "csv.xlsx"
    csv_named_xlsx.write_text("名称,種別\n", encoding="utf-8")
    with pytest.raises(UnreadableFile):
        read_xlsx(csv_named_xlsx)


# ── GeoJSON ───────────────────────────────────────────────────────────────────────────────


def test_geojson_feature_collection(fixtures: Path) -> None:
    result = read_geojson(fixtures / "dementia_cafe.geojson")
    ikoma, carers, park = result.records
    assert (ikoma.source_id, ikoma.lat, ikoma.lon) == ("DC01", 34.6918, 135.7007)
    assert ikoma.category == "dementia_cafe" and ikoma.cost_yen == 100
    assert ikoma.welcomes_first_timers is True  # JSON true
    assert ikoma.schedule is not None and ikoma.schedule.rrule == "FREQ=MONTHLY;BYDAY=2WE"
    assert carers.lat is None and carers.capacity == 15 and carers.schedule_needs_review
    assert park.lat is None
    (geometry,) = [i for i in result.issues if i.code == "invalid_geometry"]
    assert geometry.row == 3 and "Polygon" in geometry.message_en


@pytest.mark.parametrize("doc", ['{"type": "Point"}', "[1, 2]", "not json", '{"type": "FeatureCollection"}'])
def test_geojson_not_a_feature_collection(tmp_path: Path, doc: str) -> None:
    path = tmp_path / "x.geojson"
    path.write_text(doc, encoding="utf-8")
    with pytest.raises(UnreadableFile):
        read_geojson(path)


# ── KML ───────────────────────────────────────────────────────────────────────────────────


def test_kml_from_google_my_maps(fixtures: Path) -> None:
    result = read_kml(fixtures / "ibasho_mymaps.kml")
    aozora, hidamari, line = result.records
    assert aozora.name == "ほっとスペースあおぞら"
    assert (aozora.lat, aozora.lon) == (34.6950, 135.7050)  # <coordinates> are lon,lat
    assert aozora.category == "ibasho"  # from the My Maps layer name
    assert aozora.address == "奈良県生駒市谷田町1-1"
    assert aozora.contact_phone == "0743-70-0000"
    assert aozora.schedule is not None and aozora.schedule.rrule == "FREQ=WEEKLY;BYDAY=MO"
    # the description's repeated "列名: 値" lines are dropped, the free text kept
    assert aozora.description == "どなたでも気軽にお立ち寄りください。"
    assert aozora.extra == {"gx_media_links": "https://example.jp/photo.jpg"}
    assert hidamari.category == "kids_cafeteria"
    assert hidamari.description == "毎月第3土曜日 11時〜13時 子ども無料"
    assert line.lat is None and line.status_hint == "draft"
    assert result.unknown_columns == ["gx_media_links"]


def test_kmz(fixtures: Path, tmp_path: Path) -> None:
    kmz = tmp_path / "map.kmz"
    with zipfile.ZipFile(kmz, "w") as zf:
        zf.write(fixtures / "ibasho_mymaps.kml", "doc.kml")
    assert len(read_kml(kmz).records) == 3


def test_kml_entity_expansion_is_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.kml"
    bomb.write_text(
        '<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>&b;</name></Placemark></Document></kml>',
        encoding="utf-8",
    )
    with pytest.raises(UnreadableFile):
        read_kml(bomb)


@pytest.mark.parametrize("text", ["<html></html>", "<kml", "名称,種別\n"])
def test_kml_unreadable(tmp_path: Path, text: str) -> None:
    path = tmp_path / "x.kml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UnreadableFile):
        read_kml(path)


# ── HSDS ──────────────────────────────────────────────────────────────────────────────────


def test_hsds_json_from_another_producer(fixtures: Path) -> None:
    result = read_hsds(fixtures / "hsds_services.json")
    taiso, kosodate = result.records
    assert taiso.source_id == "svc-1" and taiso.name_kana == "イキイキヒャクサイタイソウ ヒガシチク"
    assert taiso.organization_name == "東地区自治連合会"
    assert (taiso.place_name, taiso.lat, taiso.lon) == ("東地区集会所", 34.69, 135.71)
    assert taiso.address == "奈良県生駒市東生駒2-2" and taiso.postcode == "630-0213"
    assert (taiso.contact_phone, taiso.extension) == ("0743-74-1111", "321")
    assert taiso.category == "exercise"  # their term 「介護予防」 matched through our vocabulary
    assert taiso.cost_yen == 0
    # two weekly HSDS schedules with the same hours become one rule
    assert taiso.schedule is not None and taiso.schedule.rrule == "FREQ=WEEKLY;BYDAY=TU,FR"
    assert (taiso.schedule.start, taiso.schedule.end) == (time(10), time(11))
    assert kosodate.category == "parenting"
    assert kosodate.schedule is not None and kosodate.schedule.rrule == "FREQ=MONTHLY;BYDAY=2TH,4TH"
    assert kosodate.lat is None and kosodate.status_hint == "draft"


@pytest.mark.parametrize(
    "schedule",
    [
        Schedule("FREQ=WEEKLY;BYDAY=TU", time(10), time(11, 30)),
        Schedule("FREQ=MONTHLY;BYDAY=2TH,4TH", time(13), None),
        Schedule("FREQ=WEEKLY;INTERVAL=2;BYDAY=WE", time(9), time(12), dtstart=__import__("datetime").date(2025, 4, 2)),
        Schedule("FREQ=MONTHLY;BYMONTHDAY=15;COUNT=6", None, None, text="毎月15日"),
    ],
)
def test_hsds_schedule_mapping_both_ways(schedule: Schedule) -> None:
    item = schedule_to_hsds(schedule, sid="s", service_id="svc")
    assert item["freq"] == schedule.rrule.split(";")[0].removeprefix("FREQ=")  # type: ignore[union-attr]
    columns = schedule_from_hsds(item)
    assert columns["RRULE"] == schedule.rrule
    if schedule.start:
        assert columns["開始時間"] == schedule.start.strftime("%H:%M")


def test_hsds_schedules_stay_within_what_hsds_allows() -> None:
    from datetime import date

    from schedule.occurrences import occurrence_dates

    # HSDS freq is WEEKLY or MONTHLY: every day is every weekday, the same dates
    daily = Schedule("FREQ=DAILY;UNTIL=20250803", time(11), time(14))
    item = schedule_to_hsds(daily, sid="s", service_id="svc")
    assert (item["freq"], item["byday"], item["until"]) == ("WEEKLY", "MO,TU,WE,TH,FR,SA,SU", "2025-08-03")
    back = Schedule(schedule_from_hsds(item)["RRULE"], time(11), time(14))
    span = (date(2025, 7, 1), date(2025, 8, 31))
    assert occurrence_dates(back, *span) == occurrence_dates(daily, *span)
    # a one-off date
    once = schedule_to_hsds(Schedule(None, time(10), None, rdates=(date(2026, 11, 27),)), sid="s", service_id="svc")
    assert (once["freq"], once["count"], once["byday"], once["dtstart"]) == ("WEEKLY", 1, "FR", "2026-11-27")
    # a rule HSDS cannot carry (「8月は休み」 as BYMONTH) is given as text only, never as a wrong rule
    august_off = Schedule("FREQ=WEEKLY;BYDAY=WE;BYMONTH=1,2,3,4,5,6,7,9,10,11,12", time(10), None, text="毎週水曜日（8月は休み）")
    item = schedule_to_hsds(august_off, sid="s", service_id="svc")
    assert "freq" not in item and "byday" not in item and item["description"] == "毎週水曜日（8月は休み）"


def test_hsds_csv_directory(tmp_path: Path) -> None:
    d = tmp_path / "hsds"
    d.mkdir()
    (d / "services.csv").write_text(
        "id,organization_id,name,description,status\ns1,o1,まちのえき南,買い物と交流,active\n", encoding="utf-8"
    )
    (d / "organizations.csv").write_text("id,name\no1,南自治会\n", encoding="utf-8")
    (d / "locations.csv").write_text("id,name,latitude,longitude\nl1,南集会所,34.66,135.70\n", encoding="utf-8")
    (d / "service_at_locations.csv").write_text("id,service_id,location_id\nsl1,s1,l1\n", encoding="utf-8")
    (d / "schedules.csv").write_text(
        "id,service_id,freq,byday,wkst,opens_at,closes_at\nsc1,s1,WEEKLY,\"MO,TH\",MO,10:00,15:00\n", encoding="utf-8"
    )
    (record,) = READERS["hsds"].read(d).records
    assert record.row == 2  # line in services.csv
    assert (record.organization_name, record.place_name, record.lat) == ("南自治会", "南集会所", 34.66)
    assert record.schedule is not None and record.schedule.rrule == "FREQ=WEEKLY;BYDAY=MO,TH"
    # no category in the file: kept as draft with a reason
    assert record.draft_reasons == ["missing_category"]


def test_hsds_unreadable(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(UnreadableFile):
        read_hsds(empty)
    bad = tmp_path / "x.json"
    bad.write_text(json.dumps({"hello": 1}), encoding="utf-8")
    with pytest.raises(UnreadableFile):
        read_hsds(bad)


# ── HSDS: several locations, status, validity of our export ──────────────────────────────

def test_hsds_service_at_several_locations_is_one_listing_per_location(fixtures: Path) -> None:
    result = read_hsds(fixtures / "hsds_multi_location.json")
    walk = {r.source_id: r for r in result.records if r.source_id.startswith("svc-walk")}
    assert set(walk) == {"svc-walk@loc-kita", "svc-walk@loc-minami", "svc-walk@loc-higashi"}
    kita, higashi = walk["svc-walk@loc-kita"], walk["svc-walk@loc-higashi"]
    assert (kita.place_name, kita.address, kita.lat) == ("北集会所", "奈良県生駒市北新町3-4", 34.71)
    assert kita.schedule is not None and kita.schedule.rrule == "FREQ=WEEKLY;BYDAY=WE"
    # the location's own hours win over the service's
    assert higashi.schedule is not None and higashi.schedule.rrule == "FREQ=WEEKLY;BYDAY=FR"
    assert (higashi.schedule.start, higashi.schedule.end) == (time(13, 30), time(15))
    assert all(r.organization_name == "生駒市社会福祉協議会" and r.status_hint == "published" for r in walk.values())


def test_hsds_inactive_service_is_read_as_archived_and_reported(fixtures: Path) -> None:
    result = read_hsds(fixtures / "hsds_multi_location.json")
    (ended,) = [r for r in result.records if r.source_id == "svc-ended"]
    assert ended.status_hint == "archived"
    (warning,) = [i for i in result.issues if i.code == "not_active"]
    assert warning.row == 2 and "inactive" in warning.message_ja and "archived" in warning.message_en


def test_hsds_csv_tables_with_several_locations(fixtures: Path, tmp_path: Path) -> None:
    from importers import write_hsds

    records = read_hsds(fixtures / "hsds_multi_location.json").records
    write_hsds(records, tmp_path / "out.zip")
    again = read_hsds(tmp_path / "out.zip").records
    assert [r.source_id for r in again] == [r.source_id for r in records]
    assert again == records


def test_hsds_export_has_what_the_schema_requires(fixtures: Path, tmp_path: Path) -> None:
    from datetime import date

    from importers import ActivityRecord, write_hsds

    records = read_hsds(fixtures / "hsds_multi_location.json").records + read_hsds(fixtures / "hsds_services.json").records
    records += [
        ActivityRecord(source_id="x1", name="毎日の居場所", category="ibasho", category_text="居場所", lat=34.69, lon=135.7,
                       geocode_level="file", schedule=Schedule("FREQ=DAILY", time(10), time(16)),
                       extension="内線なし", contact_phone="0743-74-1111", status_hint="draft"),
        ActivityRecord(source_id="x2", name="夏祭り", schedule=Schedule(None, time(10), None, rdates=(date(2026, 8, 1),))),
        ActivityRecord(source_id="x3", name="休みのある体操", address="奈良県生駒市東新町8-38",
                       schedule=Schedule("FREQ=WEEKLY;BYDAY=WE;BYMONTH=1,2,3,4,5,6,7,9,10,11,12", None, None)),
    ]
    path = tmp_path / "out.json"
    write_hsds(records, path)
    services = json.loads(path.read_text(encoding="utf-8"))
    problems = [p for s in services for p in hsds_problems(s)]
    assert problems == []
    by_id = {s["id"]: s for s in services}
    assert by_id["x1"]["status"] == "inactive" and by_id["svc-ended"]["status"] == "inactive"
    address = by_id["x3"]["service_at_locations"][0]["location"]["addresses"][0]
    assert (address["state_province"], address["city"]) == ("奈良県", "生駒市")
    # and our reader takes them back as they were: drafts stay drafts (not archived)
    back = {r.source_id: r for r in read_hsds(path).records}
    assert [back[r.source_id] for r in records[:6]] == records[:6]
    x1 = back["x1"]
    assert (x1.status_hint, x1.extension, x1.draft_reasons) == ("draft", "内線なし", [])
    assert x1.schedule is not None and x1.schedule.rrule == "FREQ=DAILY"
    assert back["x3"].schedule is not None and "BYMONTH" in (back["x3"].schedule.rrule or "")
