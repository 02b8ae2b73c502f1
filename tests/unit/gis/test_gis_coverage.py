"""gis.coverage: hand-checked shares on a 1 km square district built in 平面直角座標系 VI."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from shapely.geometry import Polygon

from gis._proj import transform_geometry, transformer
from gis.coverage import UTM_53N, CoverageRow, coverage, uncovered_geometry
from gis.districts import District, DistrictIndex, read_geojson

SAMPLE = Path(__file__).resolve().parents[3] / "data" / "sample" / "districts.geojson"
# 32 segments per quarter circle: polygon/circle area ratio.
POLY = 128 / (2 * math.pi) * math.sin(2 * math.pi / 128)

# SW corner of the square in EPSG:6674 (x = east, y = north), near 生駒市役所.
X0, Y0, SIDE = -28000.0, -146000.0, 1000.0


def _lat_lon(x: float, y: float) -> tuple[float, float]:
    lon, lat = transformer("EPSG:6674", "EPSG:4326").transform(x, y)
    return lat, lon


def _square(code: str, x0: float, y0: float) -> District:
    metric = Polygon([(x0, y0), (x0 + SIDE, y0), (x0 + SIDE, y0 + SIDE), (x0, y0 + SIDE)])
    return District(code, code, transform_geometry(metric, "EPSG:6674", "EPSG:4326"))  # type: ignore[arg-type]


SQUARE = _square("SQ", X0, Y0)
CORNER = _lat_lon(X0, Y0)
CENTRE = _lat_lon(X0 + SIDE / 2, Y0 + SIDE / 2)


def _one(points: list[tuple[float, float]], walk: float, **kw: object) -> CoverageRow:
    (row,) = coverage([SQUARE], {"salon": points}, walk, **kw)  # type: ignore[arg-type]
    return row


def test_point_in_corner_covers_a_quarter_circle() -> None:
    row = _one([CORNER], 500)
    expected = math.pi * 500**2 / 4 / SIDE**2  # 0.19635
    assert row.district_code == "SQ" and row.category == "salon"
    assert row.covered_share == pytest.approx(expected * POLY, rel=1e-6)
    assert row.covered_share == pytest.approx(0.19635, abs=1e-4)
    assert row.count == 1  # on the corner: boundary counts as inside


def test_centre_point_inscribed_circle_and_full_cover() -> None:
    assert _one([CENTRE], 500).covered_share == pytest.approx(math.pi / 4 * POLY, rel=1e-6)
    # Half-diagonal is 707 m: 710 m covers it all.
    assert _one([CENTRE], 710).covered_share == 1.0


def test_point_outside_covers_a_circular_segment_and_is_not_counted() -> None:
    # 300 m west of the middle of the west edge, 500 m walk: segment r²acos(d/r) - d√(r²-d²).
    outside = _lat_lon(X0 - 300, Y0 + SIDE / 2)
    r, d = 500.0, 300.0
    segment = r * r * math.acos(d / r) - d * math.sqrt(r * r - d * d)  # 111,824 m²
    row = _one([outside], 500, quad_segs=256)
    assert row.count == 0
    assert row.covered_share == pytest.approx(segment / SIDE**2, rel=1e-3)


def test_union_not_sum() -> None:
    assert _one([CORNER, CORNER], 500).covered_share == _one([CORNER], 500).covered_share
    # Four corners: four quarter circles that do not overlap at r = 500.
    corners = [_lat_lon(X0 + dx, Y0 + dy) for dx in (0, SIDE) for dy in (0, SIDE)]
    row = _one(corners, 500)
    assert row.count == 4
    assert row.covered_share == pytest.approx(math.pi * 500**2 / SIDE**2 * POLY, rel=1e-6)


def test_no_points_and_far_points() -> None:
    assert _one([], 500) == CoverageRow("SQ", "salon", 0, 0.0)
    assert _one([_lat_lon(X0 + 5000, Y0)], 500) == CoverageRow("SQ", "salon", 0, 0.0)


def test_utm_gives_the_same_answer() -> None:
    zone6 = _one([CORNER], 500).covered_share
    utm = _one([CORNER], 500, crs=UTM_53N).covered_share
    assert utm == pytest.approx(zone6, rel=2e-3)


def test_rows_per_district_and_category() -> None:
    east = _square("SQ2", X0 + SIDE, Y0)
    rows = coverage(
        DistrictIndex([east, SQUARE]),
        {"salon": [CORNER], "cafe": [_lat_lon(X0 + SIDE, Y0)]},  # the shared corner
        500,
    )
    assert [(r.district_code, r.category) for r in rows] == [
        ("SQ", "salon"),
        ("SQ", "cafe"),
        ("SQ2", "salon"),
        ("SQ2", "cafe"),
    ]
    by = {(r.district_code, r.category): r for r in rows}
    quarter = math.pi * 500**2 / 4 / SIDE**2 * POLY
    assert by[("SQ", "salon")].covered_share == pytest.approx(quarter, rel=1e-6)
    assert by[("SQ2", "salon")].covered_share == 0.0
    assert by[("SQ", "cafe")].covered_share == pytest.approx(quarter, rel=1e-6)
    assert by[("SQ2", "cafe")].covered_share == pytest.approx(quarter, rel=1e-6)
    # A point on the shared corner is counted once, in the lowest code.
    assert (by[("SQ", "cafe")].count, by[("SQ2", "cafe")].count) == (1, 0)


def test_uncovered_geometry_is_the_complement_in_lonlat() -> None:
    rest = uncovered_geometry([SQUARE], [CORNER], 500)
    minx, miny, maxx, maxy = rest.bounds
    assert 135 < minx < maxx < 136 and 34 < miny < maxy < 35  # lon/lat
    metric = transform_geometry(rest, "EPSG:4326", "EPSG:6674")
    assert metric.area == pytest.approx(SIDE**2 * (1 - math.pi / 4 * 0.25 * POLY), rel=1e-6)
    assert uncovered_geometry([SQUARE], [CENTRE], 710).is_empty
    assert uncovered_geometry([SQUARE], [], 500).area == pytest.approx(SQUARE.geometry.area)


@pytest.mark.parametrize("walk", [0, -5, math.nan, math.inf])
def test_bad_walk(walk: float) -> None:
    with pytest.raises(ValueError, match="walk_m"):
        coverage([SQUARE], {}, walk)


def test_crs_must_be_metric() -> None:
    with pytest.raises(ValueError, match="projected CRS in metres"):
        coverage([SQUARE], {"salon": [CORNER]}, 500, crs="EPSG:4326")
    with pytest.raises(ValueError, match="projected CRS in metres"):
        uncovered_geometry([SQUARE], [CORNER], 500, crs="EPSG:2230")  # US survey feet


@pytest.mark.skipif(not SAMPLE.exists(), reason="data/sample/districts.geojson not present")
def test_sample_city_runs() -> None:
    ds = read_geojson(SAMPLE)
    index = DistrictIndex(ds)
    points = [index.label_point(d.code) for d in ds]
    rows = coverage(index, {"salon": points, "none": []}, 800)
    assert len(rows) == 2 * len(ds)
    for r in rows:
        assert 0 <= r.covered_share <= 1
        if r.category == "salon":
            assert r.count == 1 and r.covered_share > 0
        else:
            assert r.count == 0 and r.covered_share == 0
