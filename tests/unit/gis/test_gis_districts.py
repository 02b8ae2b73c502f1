"""gis.districts: GeoJSON (A27 / N03 / named) and shapefile readers, DistrictIndex."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import shapefile
from pyproj import CRS
from pyproj.enums import WktVersion
from shapely.geometry import Polygon

from gis._proj import transformer
from gis.coords import jgd2011_to_tokyo
from gis.districts import District, DistrictIndex, read_districts, read_geojson, read_shapefile
from tests.shapefiles import shapefile_writer

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLE = Path(__file__).resolve().parents[3] / "data" / "sample" / "districts.geojson"


def square(x0: float, y0: float, x1: float, y1: float) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def fc(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def feature(props: dict[str, Any], geometry: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "properties": props, "geometry": geometry}


# ---- GeoJSON


def test_a27_names_and_codes() -> None:
    ds = read_geojson(FIXTURES / "districts_a27.geojson")
    assert [(d.code, d.name) for d in ds] == [("T0002", "東テスト小学校"), ("T0001", "西テスト小学校")]
    assert ds[0].properties["A27_005"] == "奈良県生駒市"
    assert ds[0].geometry.bounds == pytest.approx((135.70, 34.68, 135.71, 34.69))


def test_a27_without_code_gets_a_generated_one() -> None:
    data = fc(
        feature({"A27_004": "甲小学校"}, square(135.6, 34.6, 135.7, 34.7)),
        feature({"A27_004": "乙小学校", "A27_003": ""}, square(135.7, 34.6, 135.8, 34.7)),
    )
    assert [(d.code, d.name) for d in read_geojson(data)] == [("001", "甲小学校"), ("002", "乙小学校")]


def test_n03_merges_features_with_one_code_and_joins_ward() -> None:
    ds = {d.code: d for d in read_geojson(FIXTURES / "districts_n03.geojson")}
    assert ds["29999"].name == "テスト市"
    assert ds["29999"].geometry.geom_type == "MultiPolygon"
    assert ds["29999"].geometry.area == pytest.approx(2e-4)
    assert ds["27127"].name == "大阪市北区"


def test_named_property_crs_member_multipolygon_and_repair() -> None:
    ds = {d.name: d for d in read_geojson(FIXTURES / "districts_named.geojson")}
    assert set(ds) == {"北地区", "南地区", "蝶ネクタイ"}
    assert ds["北地区"].code == "001" and ds["北地区"].geometry.geom_type == "MultiPolygon"
    assert ds["南地区"].code == "S"  # the feature id
    bow = ds["蝶ネクタイ"].geometry
    assert bow.is_valid and bow.area == pytest.approx(0.5e-4)  # two triangles of the bow tie
    # An explicit name_property is required on every feature.
    with pytest.raises(ValueError, match="feature 1: missing name property '地区名' \\(has: 名称\\)"):
        read_geojson(FIXTURES / "districts_named.geojson", name_property="地区名")


def test_name_and_code_property_arguments() -> None:
    data = fc(feature({"label": "A地区", "key": "a"}, square(135.6, 34.6, 135.7, 34.7)))
    (d,) = read_geojson(data, name_property="label", code_property="key")
    assert (d.code, d.name) == ("a", "A地区")
    with pytest.raises(ValueError, match="missing code property 'nope'"):
        read_geojson(data, name_property="label", code_property="nope")


def test_sample_style_district_key() -> None:
    data = fc(
        feature(
            {"A27_004": "生駒小学校", "A27_003": "B1", "district_key": "ikoma"},
            square(135.6, 34.6, 135.7, 34.7),
        )
    )
    assert read_geojson(data, code_property="district_key")[0].code == "ikoma"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"type": "Feature", "properties": {}, "geometry": None},
            "not a GeoJSON FeatureCollection.*'Feature'",
        ),
        ([1, 2], "not a GeoJSON FeatureCollection"),
        (fc(), "no polygon features"),
        (
            fc(feature({"name": "x"}, {"type": "Point", "coordinates": [135.7, 34.7]})),
            "feature 1: geometry type Point",
        ),
        (fc(feature({"name": "x"}, None)), "feature 1: no geometry"),  # type: ignore[arg-type]
        (fc(feature({"other": "x"}, square(135.6, 34.6, 135.7, 34.7))), "no name property.*has: other"),
        (fc(feature({"name": "x"}, square(-28000, -146000, -27000, -145000))), "not lon/lat"),
        (
            {
                **fc(feature({"name": "x"}, square(135.6, 34.6, 135.7, 34.7))),
                "crs": {"type": "name", "properties": {"name": "EPSG:999999"}},
            },
            "unknown crs",
        ),
    ],
)
def test_geojson_errors(data: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        read_geojson(data)


def test_geojson_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.geojson"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="not JSON"):
        read_geojson(bad)
    with pytest.raises(ValueError, match="unknown district file type"):
        read_districts(tmp_path / "x.kml")


def test_projected_geojson_with_crs_member_is_reprojected() -> None:
    data = fc(feature({"name": "x"}, square(-28000, -146000, -27000, -145000)))
    data["crs"] = {"type": "name", "properties": {"name": "EPSG:6674"}}
    (d,) = read_geojson(data)
    minx, miny, maxx, maxy = d.geometry.bounds
    assert 135.69 < minx < maxx < 135.71 and 34.68 < miny < maxy < 34.70
    assert maxx - minx == pytest.approx(1000 / 91_620, rel=0.01)


# ---- shapefiles


def _write_shp(
    base: Path, geoms: list[list[tuple[float, float]]], records: list[tuple[str, str]], encoding: str
) -> None:
    with shapefile_writer(base, shapeType=shapefile.POLYGON, encoding=encoding) as w:
        w.field("名称", "C", 40)
        w.field("CODE", "C", 10)
        for ring, rec in zip(geoms, records, strict=True):
            w.poly([ring])
            w.record(*rec)


def _lonlat_square(x0: float, y0: float, x1: float, y1: float) -> list[tuple[float, float]]:
    return [(x0, y0), (x0, y1), (x1, y1), (x1, y0), (x0, y0)]


def test_shapefile_projected_zone6_cp932_fixture() -> None:
    (d,) = read_shapefile(FIXTURES / "ikoma_zone6.shp")
    assert (d.code, d.name) == ("Z6", "テスト地区")
    t = transformer("EPSG:4326", "EPSG:6674")
    xs, ys = t.transform(*d.geometry.exterior.xy)
    assert min(xs) == pytest.approx(-28000, abs=1e-3) and max(ys) == pytest.approx(-145000, abs=1e-3)
    assert read_districts(FIXTURES / "ikoma_zone6.shp")[0].name == "テスト地区"


@pytest.mark.parametrize("epsg", [6668, 4612])
@pytest.mark.parametrize("encoding", ["utf-8", "cp932"])
def test_shapefile_geographic_jgd_without_cpg(tmp_path: Path, epsg: int, encoding: str) -> None:
    base = tmp_path / "d"
    _write_shp(base, [_lonlat_square(135.69, 34.68, 135.70, 34.69)], [("生駒地区", "G1")], encoding)
    (base.with_suffix(".prj")).write_text(CRS.from_epsg(epsg).to_wkt(WktVersion.WKT1_ESRI))
    (d,) = read_shapefile(base.with_suffix(".shp"))
    assert d.name == "生駒地区"
    assert d.geometry.bounds == pytest.approx((135.69, 34.68, 135.70, 34.69), abs=1e-7)


def test_shapefile_tokyo_datum_is_shifted(tmp_path: Path) -> None:
    base = tmp_path / "tokyo"
    lat, lon = jgd2011_to_tokyo(34.68, 135.69)
    _write_shp(base, [_lonlat_square(lon, lat, lon + 0.01, lat + 0.01)], [("旧測地系地区", "T")], "cp932")
    base.with_suffix(".prj").write_text(CRS.from_epsg(4301).to_wkt(WktVersion.WKT1_ESRI))
    base.with_suffix(".cpg").write_text("SJIS")
    (d,) = read_shapefile(base.with_suffix(".shp"))
    minx, miny, _, _ = d.geometry.bounds
    assert (miny, minx) == pytest.approx((34.68, 135.69), abs=2e-5)


def test_shapefile_errors(tmp_path: Path) -> None:
    base = tmp_path / "d"
    _write_shp(base, [_lonlat_square(135.69, 34.68, 135.70, 34.69)], [("x", "1")], "utf-8")
    with pytest.raises(ValueError, match=r"no \.prj file"):
        read_shapefile(base.with_suffix(".shp"))
    # An explicit crs replaces the missing .prj.
    assert read_shapefile(base.with_suffix(".shp"), crs="EPSG:6668")[0].name == "x"
    base.with_suffix(".prj").write_text('PROJCS["mystery",GEOGCS["who knows"]]')
    with pytest.raises(ValueError, match="unknown projection"):
        read_shapefile(base.with_suffix(".shp"))
    base.with_suffix(".prj").write_text(CRS.from_epsg(4807).to_wkt(WktVersion.WKT1_ESRI))  # NTF (Paris)
    with pytest.raises(ValueError, match="unsupported datum"):
        read_shapefile(base.with_suffix(".shp"))
    base.with_suffix(".prj").write_text(CRS.from_epsg(6668).to_wkt(WktVersion.WKT1_ESRI))
    base.with_suffix(".cpg").write_text("ISO-8859-1")
    with pytest.raises(ValueError, match="unsupported code page"):
        read_shapefile(base.with_suffix(".shp"))
    with pytest.raises(ValueError, match="no such shapefile"):
        read_shapefile(tmp_path / "missing.shp")
    with pytest.raises(ValueError, match="missing name property"):
        read_shapefile(base.with_suffix(".shp"), encoding="utf-8", name_property="NAME")


def test_shapefile_points_are_rejected(tmp_path: Path) -> None:
    base = tmp_path / "pts"
    with shapefile_writer(base, shapeType=shapefile.POINT) as w:
        w.field("name", "C", 10)
        w.point(135.7, 34.7)
        w.record("p")
    shutil.copy(FIXTURES / "ikoma_zone6.prj", base.with_suffix(".prj"))
    with pytest.raises(ValueError, match="not a polygon type"):
        read_shapefile(base.with_suffix(".shp"))


# ---- index


@pytest.fixture(scope="module")
def index() -> DistrictIndex:
    return DistrictIndex(read_geojson(FIXTURES / "districts_a27.geojson"))


def test_locate_inside_outside(index: DistrictIndex) -> None:
    assert index.locate(34.685, 135.695).code == "T0001"  # type: ignore[union-attr]
    assert index.locate(34.685, 135.705).code == "T0002"  # type: ignore[union-attr]
    assert index.locate(34.70, 135.705) is None
    assert index.locate(34.685, 135.711) is None


def test_shared_boundary_is_deterministic(index: DistrictIndex) -> None:
    # On the shared meridian both contain the point on their boundary: lowest code wins,
    # although the file lists T0002 first.
    assert index.locate(34.685, 135.70).code == "T0001"  # type: ignore[union-attr]
    reversed_index = DistrictIndex(list(reversed(list(index))))
    assert reversed_index.locate(34.685, 135.70).code == "T0001"  # type: ignore[union-attr]
    # Outer edge: belongs to the only district touching it.
    assert index.locate(34.69, 135.705).code == "T0002"  # type: ignore[union-attr]


def test_locate_many_matches_locate(index: DistrictIndex) -> None:
    pts = [(34.685, 135.695), (34.685, 135.70), (34.70, 135.705), (34.681, 135.709)]
    got = [d.code if d else None for d in index.locate_many(pts)]
    assert got == [(index.locate(*p).code if index.locate(*p) else None) for p in pts]  # type: ignore[union-attr]
    assert got == ["T0001", "T0001", None, "T0002"]
    assert index.locate_many([]) == []


def test_centroid_and_label_point(index: DistrictIndex) -> None:
    assert index.centroid("T0001") == pytest.approx((34.685, 135.695))
    lat, lon = index.label_point("T0002")
    assert index.locate(lat, lon).code == "T0002"  # type: ignore[union-attr]
    with pytest.raises(KeyError):
        index.centroid("nope")
    assert len(index) == 2 and "T0001" in index and index["T0002"].name == "東テスト小学校"


def test_duplicate_codes_rejected() -> None:
    d = District("A", "a", Polygon([(0, 0), (1, 0), (1, 1)]))
    with pytest.raises(ValueError, match="duplicate district codes: A"):
        DistrictIndex([d, d])


@pytest.mark.skipif(not SAMPLE.exists(), reason="data/sample/districts.geojson not present")
def test_sample_city_districts() -> None:
    ds = read_geojson(SAMPLE)
    idx = DistrictIndex(ds)
    assert len(idx) == len(json.loads(SAMPLE.read_text(encoding="utf-8"))["features"])
    # Every district's own label point locates back to it.
    for d in ds:
        assert idx.locate(*idx.label_point(d.code)).code == d.code  # type: ignore[union-attr]
