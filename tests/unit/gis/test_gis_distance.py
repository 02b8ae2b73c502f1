"""gis.distance: haversine/geodesic, ellipsoidal degree lengths, bbox, the SQL planar formula."""

from __future__ import annotations

import math
import random

import pytest
from pyproj import Geod

from gis.distance import (
    BBox,
    bbox_around,
    geodesic_m,
    haversine_m,
    metres_per_degree,
    planar_coefficients,
    planar_distance_m,
)

GEOD = Geod(ellps="WGS84")
IKOMA = (34.6920, 135.7006)  # 生駒市役所 (approx.)


def test_zero_distance() -> None:
    assert haversine_m(*IKOMA, *IKOMA) == 0
    assert geodesic_m(*IKOMA, *IKOMA) == 0


def test_one_degree_of_latitude_near_ikoma_is_not_111_32_km() -> None:
    d = geodesic_m(34.2, 135.7, 35.2, 135.7)
    assert 110_900 < d < 110_970  # ellipsoid: ~110.93 km, not 111.32 km
    ky, kx = metres_per_degree(34.7)
    assert ky == pytest.approx(110_935, abs=5)
    assert kx == pytest.approx(91_620, abs=5)
    # The degree of latitude is shortest at the equator and longest at the poles.
    assert metres_per_degree(0).lat == pytest.approx(110_574, abs=1)
    assert metres_per_degree(90).lat == pytest.approx(111_694, abs=1)
    assert metres_per_degree(0).lon == pytest.approx(111_319.49, abs=0.1)
    assert metres_per_degree(90).lon == pytest.approx(0, abs=1e-6)


def test_haversine_close_to_geodesic() -> None:
    # Osaka station → Nara station ~ 27 km; the sphere is within 0.5 % of the ellipsoid.
    h = haversine_m(34.7025, 135.4959, 34.6851, 135.8197)
    g = geodesic_m(34.7025, 135.4959, 34.6851, 135.8197)
    assert g == pytest.approx(29_650, rel=0.01)
    assert abs(h - g) / g < 0.005


def _random_points(lat0: float, lon0: float, max_m: float, n: int, seed: int):
    rnd = random.Random(seed)
    for _ in range(n):
        az = rnd.uniform(-180, 180)
        d = rnd.uniform(1, max_m)
        lon, lat, _ = GEOD.fwd(lon0, lat0, az, d)
        yield lat, lon, d


@pytest.mark.parametrize("lat0", [26.2, 34.7, 45.0])
def test_planar_formula_within_0_1_percent_up_to_50_km(lat0: float) -> None:
    lon0 = 135.7 if lat0 != 26.2 else 127.7
    worst = 0.0
    for lat, lon, d in _random_points(lat0, lon0, 50_000, 3000, seed=int(lat0 * 10)):
        worst = max(worst, abs(planar_distance_m(lat0, lon0, lat, lon) - d) / d)
    assert worst < 0.001
    assert worst < 0.0001  # measured ~0.004 %: the mid-latitude term makes it near exact


@pytest.mark.parametrize("lat0", [26.2, 34.7, 45.0])
def test_constant_scale_formula_within_0_1_percent_up_to_10_km(lat0: float) -> None:
    # Without the kx_per_dlat term the error grows linearly with distance.
    worst = 0.0
    for lat, lon, d in _random_points(lat0, 135.7, 10_000, 3000, seed=7):
        worst = max(worst, abs(planar_distance_m(lat0, 135.7, lat, lon, corrected=False) - d) / d)
    assert worst < 0.001


def test_constant_scale_formula_is_not_enough_at_50_km_and_45n() -> None:
    # Documents why PlanarCoefficients has a third term.
    worst = max(
        abs(planar_distance_m(45.0, 135.7, lat, lon, corrected=False) - d) / d
        for lat, lon, d in _random_points(45.0, 135.7, 50_000, 3000, seed=3)
    )
    assert worst > 0.001


def test_planar_coefficients_match_metres_per_degree() -> None:
    c = planar_coefficients(34.7)
    assert (c.ky, c.kx) == tuple(metres_per_degree(34.7))
    # Degrees of longitude shrink northwards.
    assert c.kx_per_dlat < 0
    h = 1e-4
    numeric = (metres_per_degree(34.7 + h).lon - metres_per_degree(34.7 - h).lon) / (2 * h)
    assert c.kx_per_dlat == pytest.approx(numeric / 2, rel=1e-6)


@pytest.mark.parametrize("lat", [20.5, 26.2, 34.7, 45.5])
@pytest.mark.parametrize("radius", [50, 1000, 2000, 50_000])
def test_bbox_contains_every_point_on_the_radius_even_without_margin(lat: float, radius: float) -> None:
    lon = 135.7
    for margin in (0.0, 0.01):
        box = bbox_around(lat, lon, radius, margin=margin)
        for az in range(0, 360, 3):
            plon, plat, _ = GEOD.fwd(lon, lat, az, radius)
            assert box.contains(plat, plon), (margin, az)


def test_bbox_is_tight() -> None:
    # Half-height equals radius / metres-per-degree (+1 % margin) — not a sphere's value.
    box = bbox_around(34.7, 135.7, 2000)
    half_lat = (box.maxlat - box.minlat) / 2
    assert half_lat * 110_935 == pytest.approx(2020, rel=0.001)
    half_lon = (box.maxlon - box.minlon) / 2
    assert half_lon * 91_620 == pytest.approx(2020, rel=0.002)
    # Points just outside the radius along the axes are outside a margin-free box.
    tight = bbox_around(34.7, 135.7, 2000, margin=0.0)
    plon, plat, _ = GEOD.fwd(135.7, 34.7, 0, 2000 * 1.001)
    assert not tight.contains(plat, plon)


def test_bbox_edge_cases() -> None:
    assert bbox_around(34.7, 135.7, 0) == BBox(135.7, 34.7, 135.7, 34.7)
    polar = bbox_around(89.99, 0, 5000)
    assert (polar.minlon, polar.maxlon) == (-180, 180)
    dateline = bbox_around(0, 179.99, 5000)
    assert (dateline.minlon, dateline.maxlon) == (-180, 180)
    with pytest.raises(ValueError, match="radius"):
        bbox_around(34.7, 135.7, -1)
    with pytest.raises(ValueError):
        bbox_around(math.nan, 135.7, 10)


def test_bbox_parse_ok() -> None:
    assert BBox.parse("135.6,34.6,135.8,34.8") == BBox(135.6, 34.6, 135.8, 34.8)
    assert BBox.parse(" 135.6 , 34.6,135.8 ,34.8 ") == BBox(135.6, 34.6, 135.8, 34.8)
    box = BBox.parse(str(BBox(135.6, 34.6, 135.8, 34.8)))
    assert box.contains(34.7, 135.7) and not box.contains(34.9, 135.7)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("135.6,34.6,135.8", "4 comma-separated numbers.*got 3"),
        ("135.6,34.6,135.8,34.8,1", "got 5"),
        ("135.6,abc,135.8,34.8", "minlat 'abc' is not a number"),
        ("135.6,nan,135.8,34.8", "not a finite number"),
        ("135.6,34.6,190,34.8", "maxlon 190 is outside -180..180"),
        ("34.6,135.6,34.8,135.8", "minlat 135.6 is outside -90..90.*lat,lon order"),
        ("135.8,34.6,135.6,34.8", "minlon 135.8 is greater than maxlon 135.6"),
        ("135.6,34.8,135.8,34.6", "minlat 34.8 is greater than maxlat 34.6"),
    ],
)
def test_bbox_parse_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BBox.parse(text)


def test_geodesic_many_matches_geodesic_one_by_one() -> None:
    from gis.distance import geodesic_m, geodesic_many_m

    points = [(34.70, 135.70), (34.71, 135.72), (34.65, 135.69)]
    many = geodesic_many_m(34.69, 135.70, [p[0] for p in points], [p[1] for p in points])
    assert [round(float(d), 6) for d in many] == [round(geodesic_m(34.69, 135.70, *p), 6) for p in points]
    assert len(geodesic_many_m(34.69, 135.70, [], [])) == 0
