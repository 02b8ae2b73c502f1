"""Districts in the database: import (GeoJSON, shapefile, CLI) and point-in-polygon on both databases."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import shapefile
from shapely.geometry import box
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from gis.districts import District as GisDistrict
from gis.districts import DistrictIndex, read_geojson
from tests.shapefiles import shapefile_writer
from webapp.listings.demo import SAMPLE_DISTRICTS, load_sample_city
from webapp.listings.districts import (
    assign_districts,
    candidates_sql,
    import_district_file,
    load_districts,
    store_districts,
)
from webapp.listings.models.place import District, Place
from webapp.listings.spatial import set_location
from webapp.service_error import ServiceError

# Two unit-ish squares near 生駒 sharing the edge lon = 135.70 (codes chosen so "A" < "B").
WEST = GisDistrict("T-A", "西地区", box(135.69, 34.69, 135.70, 34.70))
EAST = GisDistrict("T-B", "東地区", box(135.70, 34.69, 135.71, 34.70))


def _place(session: Session, key: str, lat: float | None, lon: float | None) -> Place:
    p = Place(source="test", source_id=key, name=key)
    set_location(p, lat, lon)
    session.add(p)
    session.flush()
    return p


def _district_code(session: Session, place: Place) -> str | None:
    session.refresh(place)
    return place.district.code if place.district else None


def test_point_in_polygon_inside_edge_outside_and_no_point(session: Session, backend: str) -> None:
    inside_w = _place(session, "w", 34.695, 135.695)
    inside_e = _place(session, "e", 34.695, 135.705)
    on_edge = _place(session, "edge", 34.695, 135.70)  # on the shared boundary
    corner = _place(session, "corner", 34.69, 135.71)  # east district's outer corner
    outside = _place(session, "out", 34.80, 135.80)
    nowhere = _place(session, "none", None, None)
    result = store_districts(session, [EAST, WEST], source="test")
    assert result.created == 2 and result.assign is not None
    assert result.assign.checked == 6 and result.assign.assigned == 4 and result.assign.outside == 2
    assert _district_code(session, inside_w) == "T-A"
    assert _district_code(session, inside_e) == "T-B"
    # Shared edge: neither interior contains it, so the lowest code wins, as in DistrictIndex.
    assert _district_code(session, on_edge) == "T-A"
    assert DistrictIndex([EAST, WEST]).locate(34.695, 135.70).code == "T-A"  # type: ignore[union-attr]
    assert _district_code(session, corner) == "T-B"
    assert _district_code(session, outside) is None
    assert _district_code(session, nowhere) is None


def test_sample_districts_match_the_pure_index(session: Session, backend: str) -> None:
    counts = load_sample_city(session)
    assert counts["districts"] == 12
    index = DistrictIndex(read_geojson(SAMPLE_DISTRICTS))
    places = session.scalars(select(Place).where(Place.source == "sample")).all()
    assert len(places) == 93
    for p in places:
        expected = index.locate(p.lat, p.lon)  # type: ignore[arg-type]
        assert expected is not None, p.name
        assert p.district is not None and p.district.code == expected.code, p.name
    kinds = {c: k for c, k in session.execute(select(District.code, District.kind))}
    assert kinds["29209"] == "city"  # the outline is stored but never assigned to a place
    assert sum(1 for k in kinds.values() if k == "school") == 12
    assert all(d.geometry.geom_type == "MultiPolygon" for d in load_districts(session))


def test_assign_only_given_places_and_after_a_move(session: Session, backend: str) -> None:
    store_districts(session, [WEST, EAST], source="test")
    a = _place(session, "a", 34.695, 135.695)
    b = _place(session, "b", 34.695, 135.695)
    result = assign_districts(session, [a.id])
    assert result.checked == 1 and result.changed_place_ids == (a.id,)
    assert _district_code(session, a) == "T-A" and _district_code(session, b) is None
    set_location(a, 34.695, 135.705)  # moved east
    result = assign_districts(session, [a.id, b.id])
    assert set(result.changed_place_ids) == {a.id, b.id}
    assert _district_code(session, a) == "T-B" and _district_code(session, b) == "T-A"
    assert assign_districts(session, [a.id, b.id]).changed_place_ids == ()
    assert assign_districts(session, []).checked == 0


def test_reimport_updates_and_replace_removes(session: Session, backend: str) -> None:
    p = _place(session, "p", 34.695, 135.705)
    store_districts(session, [WEST, EAST], source="test")
    assert _district_code(session, p) == "T-B"
    # The east district shrinks away from the place; the west one grows over it.
    grown = GisDistrict("T-A", "西地区（新）", box(135.69, 34.69, 135.708, 34.70))
    shrunk = GisDistrict("T-B", "東地区", box(135.708, 34.69, 135.71, 34.70))
    r = store_districts(session, [grown, shrunk], source="test")
    assert (r.created, r.updated, r.removed) == (0, 2, 0)
    assert _district_code(session, p) == "T-A"
    assert session.scalar(select(District.name).where(District.code == "T-A")) == "西地区（新）"
    r = store_districts(session, [shrunk], source="test", replace=True)
    assert r.removed == 1
    assert _district_code(session, p) is None
    assert session.scalar(select(District.id).where(District.code == "T-A")) is None


def test_store_refuses_duplicates_and_kind_clash(session: Session) -> None:
    with pytest.raises(ServiceError, match="duplicate district codes"):
        store_districts(session, [WEST, WEST])
    store_districts(session, [WEST])
    with pytest.raises(ServiceError, match="already stored as kind"):
        store_districts(session, [WEST], kind="city")


def test_point_in_polygon_uses_the_spatial_index(session: Session, backend: str) -> None:
    store_districts(session, [WEST, EAST], source="test")
    _place(session, "x", 34.695, 135.695)
    sql = candidates_sql(session.get_bind().dialect.name)
    if backend == "sqlite":
        plan = " ".join(str(r) for r in session.execute(text("EXPLAIN QUERY PLAN " + sql), {"kind": "school"}))
        assert "idx_district_geom" in sql
        # idxNum 2 = the R*Tree searched by coordinate constraints (1 would be a lookup by id).
        assert "SCAN r VIRTUAL TABLE INDEX 2:" in plan, plan
    else:
        session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(r[0] for r in session.execute(text("EXPLAIN " + sql), {"kind": "school"}))
        assert "idx_district_geom" in plan or "idx_place_point" in plan


def _write_shapefile(base: Path) -> None:
    with shapefile_writer(base, shapeType=shapefile.POLYGON, encoding="cp932") as w:
        w.field("A27_003", "C", 20)
        w.field("A27_004", "C", 40)
        for code, name, (x0, y0, x1, y1) in [
            ("S-1", "北小学校", (135.69, 34.70, 135.71, 34.71)),
            ("S-2", "南小学校", (135.69, 34.69, 135.71, 34.70)),
        ]:
            w.poly([[[x0, y0], [x0, y1], [x1, y1], [x1, y0], [x0, y0]]])
            w.record(code, name)
    base.with_suffix(".prj").write_text(
        'GEOGCS["JGD2011",DATUM["Japanese_Geodetic_Datum_2011",SPHEROID["GRS 1980",6378137,298.257222101]],'
        'PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]]',
        encoding="ascii",
    )


def test_shapefile_import_cp932_a27(session: Session, backend: str, tmp_path: Path) -> None:
    base = tmp_path / "A27-21_29"
    _write_shapefile(base)
    p = _place(session, "n", 34.705, 135.70)
    r = import_district_file(session, base.with_suffix(".shp"))
    assert r.created == 2
    assert _district_code(session, p) == "S-1"
    assert session.scalar(select(District.name).where(District.code == "S-1")) == "北小学校"
    assert session.scalar(select(District.source).where(District.code == "S-1")) == "A27-21_29"


def test_prefecture_file_filtered_to_one_city(session: Session, tmp_path: Path) -> None:
    features = [
        {"type": "Feature", "properties": {"A27_001": city, "A27_003": code, "A27_004": name},
         "geometry": box(135.6 + i * 0.1, 34.6, 135.7 + i * 0.1, 34.7).__geo_interface__}
        for i, (city, code, name) in enumerate([("29209", "S1", "生駒の小学校"), ("29201", "S2", "奈良の小学校")])
    ]
    path = tmp_path / "A27-21_29.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False), encoding="utf-8")
    assert import_district_file(session, path, city_code="29209").codes == ("S1",)
    with pytest.raises(ServiceError, match="no feature has A27_001 or N03_007 = 99999"):
        import_district_file(session, path, city_code="99999")


def test_named_geojson_with_name_property(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "chiku.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "properties": {"地区": "北部", "cd": "N"}, "geometry": box(135.6, 34.7, 135.8, 34.8).__geo_interface__}
                ],
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    r = import_district_file(session, path, name_property="地区", code_property="cd")
    assert r.codes == ("N",)
    with pytest.raises(ValueError, match="missing name property"):
        import_district_file(session, path, name_property="名前")


# ---- the console command, as a real process on a fresh embedded database ----------------------

ODEKAKE = str(Path(sys.executable).parent / "odekake")


def _run(instance: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ODEKAKE_")}
    environ["ODEKAKE_INSTANCE_DIR"] = str(instance)
    return subprocess.run([ODEKAKE, *args], capture_output=True, text=True, env=environ, timeout=120)


def test_cli_import_districts(tmp_path: Path) -> None:
    instance = tmp_path / "inst"
    assert _run(instance, "init-db").returncode == 0
    assert _run(instance, "load-demo").returncode == 0
    ok = _run(instance, "import-districts", str(SAMPLE_DISTRICTS), "--source", "sample")
    assert ok.returncode == 0, ok.stderr
    assert "0 created, 12 updated" in ok.stdout and "93 of 93 inside a district" in ok.stdout
    bad = tmp_path / "bad.geojson"
    bad.write_text('{"type": "Point"}', encoding="utf-8")
    r = _run(instance, "import-districts", str(bad))
    assert r.returncode == 2 and "not a GeoJSON FeatureCollection" in r.stderr and r.stderr.count("\n") == 1
    missing = _run(instance, "import-districts", str(tmp_path / "none.shp"))
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    named = _run(instance, "import-districts", str(SAMPLE_DISTRICTS), "--name-property", "nope")
    assert named.returncode == 2 and "missing name property 'nope'" in named.stderr
