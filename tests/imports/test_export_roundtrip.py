"""Export → import round trips on both databases: the sample city exported, imported afresh under the
same source and exported again gives the same file, and re-importing reports no change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from importers import READERS
from tests.hsds_schema import hsds_problems
from webapp.imports.exports import export_activities, export_records
from webapp.imports.service import import_file
from webapp.listings.demo import load_sample_city
from webapp.listings.models.activity import Activity
from webapp.listings.models.organization import Organization
from webapp.listings.models.place import Place

FORMATS = [("municipal-csv", "city.csv"), ("geojson", "city.geojson"), ("hsds", "city.json")]
# Every way an export can be written: HSDS also as a zip of CSV tables.
ALL_WRITTEN = [*FORMATS, ("hsds", "city.zip")]


def _forget_sample(session: Session) -> None:
    """A fresh database as far as the source is concerned (the savepoint is rolled back after the test)."""
    session.execute(delete(Activity))
    session.execute(delete(Place))
    session.execute(delete(Organization))
    session.flush()
    session.expunge_all()


@pytest.mark.parametrize(("fmt", "name"), FORMATS)
def test_sample_city_round_trip(session: Session, tmp_path: Path, fmt: str, name: str) -> None:
    load_sample_city(session)
    published = session.scalar(select(func.count()).select_from(Activity).where(Activity.status == "published"))
    first = tmp_path / f"1-{name}"
    assert export_activities(session, fmt, first) == published
    _forget_sample(session)

    report = import_file(session, fmt, first, source="sample")
    assert (report.created, report.rejected) == (published, 0)
    second = tmp_path / f"2-{name}"
    export_activities(session, fmt, second)
    assert second.read_bytes() == first.read_bytes()

    again = import_file(session, fmt, first, source="sample")
    assert (again.created, again.updated, again.archived) == (0, 0, 0)
    assert again.unchanged == published


def test_csv_export_is_excel_friendly_and_only_published(session: Session, tmp_path: Path) -> None:
    load_sample_city(session)
    path = tmp_path / "out.csv"
    n = export_activities(session, "municipal-csv", path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    records = READERS["municipal-csv"].read(path).records
    assert len(records) == n
    statuses = dict(session.execute(select(Activity.source_id, Activity.status)).all())
    assert all(statuses[r.source_id] == "published" for r in records)
    everything = export_records(session, include_all=True)
    assert len(everything) == session.scalar(
        select(func.count()).select_from(Activity).where(Activity.status != "archived")
    )


def test_geojson_export_points_are_lon_lat(session: Session, tmp_path: Path) -> None:
    load_sample_city(session)
    path = tmp_path / "out.geojson"
    export_activities(session, "geojson", path)
    doc = json.loads(path.read_text(encoding="utf-8"))
    lon, lat = doc["features"][0]["geometry"]["coordinates"]
    assert 135 < lon < 136 and 34 < lat < 35


def test_draft_reasons_survive_export_import(session: Session, tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("ID,名称,種別,所在地_連結表記,緯度,経度\nD1,なぞの会,謎,奈良県生駒市元町1-1,34.69,135.70\n", encoding="utf-8")
    import_file(session, "municipal-csv", src, source="drafts")
    out = tmp_path / "out.csv"
    export_activities(session, "municipal-csv", out, include_all=True, source="drafts")
    (record,) = READERS["municipal-csv"].read(out).records
    assert record.status_hint == "draft" and record.draft_reasons == ["unknown_category"]
    again = import_file(session, "municipal-csv", out, source="drafts")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)


@pytest.mark.parametrize(("fmt", "name"), ALL_WRITTEN)
def test_export_imported_into_the_same_database_changes_nothing(
    session: Session, tmp_path: Path, fmt: str, name: str
) -> None:
    """The city exports its map and imports the file straight back: nothing to do. (「入場無料（喫茶
    100円）」 with cost_yen 0 used to come back as None and count as an update.)"""
    load_sample_city(session)
    published = session.scalar(select(func.count()).select_from(Activity).where(Activity.status == "published"))
    odd_cost = session.scalars(select(Activity).where(Activity.cost_yen == 0, Activity.cost_text.contains("100円"))).all()
    assert odd_cost, "the sample city should keep a listing whose cost text does not parse to its amount"
    path = tmp_path / name
    export_activities(session, fmt, path)
    report = import_file(session, fmt, path, source="sample")
    assert (report.created, report.updated, report.archived, report.rejected, report.kept) == (0, 0, 0, 0, 0)
    assert report.unchanged == published
    # Drafts too, and with --archive-missing: the drafts stay drafts (their status is not the
    # file's to set: a CSV has no status column) and nothing is missing.
    listed = session.scalar(select(func.count()).select_from(Activity).where(Activity.status != "archived"))
    export_activities(session, fmt, path, include_all=True)
    report = import_file(session, fmt, path, source="sample", archive_missing=True)
    assert (report.created, report.updated, report.archived, report.rejected, report.kept) == (0, 0, 0, 0, 0)
    assert report.unchanged == listed


def _exported_fields(session: Session) -> dict[str, dict[str, object]]:
    return {r.source_id: r.to_dict() for r in export_records(session, include_all=True)}


@pytest.mark.parametrize(("fmt", "name"), ALL_WRITTEN)
def test_export_imported_into_an_empty_database_reproduces_every_field(
    session: Session, tmp_path: Path, fmt: str, name: str
) -> None:
    load_sample_city(session)
    before = _exported_fields(session)
    assert any(f["status_hint"] == "draft" for f in before.values())
    # An unset amount next to a cost text that would parse must stay unset.
    session.execute(
        update(Activity).where(Activity.source_id == min(before)).values(cost_text="1回100円", cost_yen=None)
    )
    session.expire_all()
    before = _exported_fields(session)
    assert any(f["cost_yen"] is None and f["cost_text"] for f in before.values())
    path = tmp_path / name
    export_activities(session, fmt, path, include_all=True)  # drafts too: they must stay drafts
    _forget_sample(session)
    report = import_file(session, fmt, path, source="sample")
    assert (report.created, report.rejected) == (len(before), 0)
    after = _exported_fields(session)
    assert after.keys() == before.keys()
    for sid, fields in before.items():
        differing = {k: (v, after[sid][k]) for k, v in fields.items() if after[sid][k] != v}
        assert not differing, (sid, differing)


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"


def test_hsds_several_locations_and_ended_service_round_trip(session: Session, tmp_path: Path) -> None:
    source = FIXTURES / "hsds_multi_location.json"
    report = import_file(session, "hsds", source, source="shakyo")
    assert (report.created, report.rejected) == (4, 0)
    status = dict(session.execute(select(Activity.source_id, Activity.status).where(Activity.source == "shakyo")).all())
    assert status == {"svc-walk@loc-kita": "published", "svc-walk@loc-minami": "published",
                      "svc-walk@loc-higashi": "published", "svc-ended": "archived"}
    places = session.scalars(select(Place.name).join(Activity).where(Activity.source == "shakyo")).all()
    assert sorted(places) == ["ひまわり会館", "北集会所", "南集会所", "東集会所"]
    again = import_file(session, "hsds", source, source="shakyo")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)

    before = {r.source_id: r.to_dict() for r in export_records(session, source="shakyo")}
    assert len(before) == 3  # the ended service is not exported
    path = tmp_path / "shakyo.json"
    export_activities(session, "hsds", path, source="shakyo")
    same_db = import_file(session, "hsds", path, source="shakyo")
    assert (same_db.created, same_db.updated, same_db.archived) == (0, 0, 0)
    _forget_sample(session)
    fresh = import_file(session, "hsds", path, source="shakyo")
    assert (fresh.created, fresh.rejected) == (3, 0)
    after = {r.source_id: r.to_dict() for r in export_records(session, source="shakyo")}
    assert after == before


def test_hsds_service_that_ends_is_archived_and_comes_back(session: Session, tmp_path: Path) -> None:
    doc = json.loads((FIXTURES / "hsds_multi_location.json").read_text(encoding="utf-8"))
    ended = doc[1]
    path = tmp_path / "v.json"
    ended["status"] = "active"
    path.write_text(json.dumps([ended], ensure_ascii=False), encoding="utf-8")
    import_file(session, "hsds", path, source="shakyo")
    assert session.scalar(select(Activity.status).where(Activity.source_id == "svc-ended")) == "published"
    ended["status"] = "inactive"
    path.write_text(json.dumps([ended], ensure_ascii=False), encoding="utf-8")
    report = import_file(session, "hsds", path, source="shakyo")
    assert report.updated == 1 and [i.code for i in report.warnings] == ["not_active"]
    assert session.scalar(select(Activity.status).where(Activity.source_id == "svc-ended")) == "archived"
    ended["status"] = "active"
    path.write_text(json.dumps([ended], ensure_ascii=False), encoding="utf-8")
    assert import_file(session, "hsds", path, source="shakyo").updated == 1
    assert session.scalar(select(Activity.status).where(Activity.source_id == "svc-ended")) == "published"


def test_sample_city_hsds_export_has_what_the_schema_requires(session: Session, tmp_path: Path) -> None:
    load_sample_city(session)
    path = tmp_path / "city.json"
    export_activities(session, "hsds", path, include_all=True)
    services = json.loads(path.read_text(encoding="utf-8"))
    assert len(services) > 100
    assert [p for s in services for p in hsds_problems(s)] == []
