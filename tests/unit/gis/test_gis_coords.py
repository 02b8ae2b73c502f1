"""gis.coords: parsing typed coordinates and catching swapped / foreign / 0,0 / Tokyo-datum points."""

from __future__ import annotations

import math

import pytest

from gis.coords import (
    JAPAN_BOUNDS,
    CoordCheck,
    check_point,
    in_japan,
    jgd2011_to_tokyo,
    parse_coordinate,
    tokyo_to_jgd2011,
)
from gis.distance import geodesic_m

CITY_HALL = (34.6920, 135.7006)  # 生駒市役所 (approx., JGD2011)
DMS = 34 + 41 / 60 + 29.5 / 3600


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("34.6915", 34.6915),
        ("３４．６９１５", 34.6915),
        ("-34.5", -34.5),
        ("+135.7", 135.7),
        ("34°41'29.5\"", DMS),
        ("34°41′29.5″", DMS),
        ("３４°４１’２９．５”", DMS),
        ("34度41分29.5秒", DMS),
        ("３４度４１分２９．５秒", DMS),
        ("北緯34度41分29秒", 34 + 41 / 60 + 29 / 3600),
        ("東経135度42分2秒", 135 + 42 / 60 + 2 / 3600),
        ("N34.6915", 34.6915),
        ("n 34.6915", 34.6915),
        ("34.6915N", 34.6915),
        ("E135.7", 135.7),
        ("S33.86", -33.86),
        ("西経0.1", -0.1),
        ("34度41.5分", 34 + 41.5 / 60),
        ("34 41 29.5", DMS),
        ("34:41:29.5", DMS),
        ("34°", 34.0),
    ],
)
def test_parse_coordinate(text: str, value: float) -> None:
    assert parse_coordinate(text) == pytest.approx(value, abs=1e-12)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("abc", "cannot read"),
        ("34°61'", "below 60"),
        ("34°41'60\"", "below 60"),
        ("34.5°30'", "whole"),
        ("N34N", "cannot read|twice"),
        ("N34S", "twice"),
        ("-N34", "cannot read"),
        ("N-34", "sign and a hemisphere"),
        ("190", "outside"),
        ("北緯95度", "outside ±90"),
    ],
)
def test_parse_coordinate_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_coordinate(text)


def test_parse_coordinate_axis() -> None:
    assert parse_coordinate("N34.5", axis="lat") == 34.5
    with pytest.raises(ValueError, match="latitude, expected a longitude"):
        parse_coordinate("N34.5", axis="lon")
    with pytest.raises(ValueError, match="outside ±90"):
        parse_coordinate("135.7", axis="lat")


@pytest.mark.parametrize(
    ("lat", "lon", "inside"),
    [
        (34.69, 135.70, True),  # 生駒
        (24.45, 122.93, True),  # 与那国島
        (20.42, 136.08, True),  # 沖ノ鳥島
        (24.28, 153.98, True),  # 南鳥島
        (27.09, 142.19, True),  # 父島 (小笠原)
        (45.52, 141.94, True),  # 宗谷岬
        (37.57, 126.98, True),  # Seoul is inside the coarse box: the box is a sanity check only
        (51.5, -0.12, False),
        (135.70, 34.69, False),
    ],
)
def test_in_japan(lat: float, lon: float, inside: bool) -> None:
    assert in_japan(lat, lon) is inside
    assert JAPAN_BOUNDS.minlat == 20 and JAPAN_BOUNDS.maxlon == 154


def test_ok_point_has_no_issues() -> None:
    check = check_point(*CITY_HALL)
    assert check == CoordCheck(*CITY_HALL, [], False, None)
    assert check.ok


def test_swapped_point_is_fixed_and_reported() -> None:
    check = check_point(135.7006, 34.6920)
    assert (check.lat, check.lon) == CITY_HALL
    assert check.issues == ["swapped"]
    assert check.fixed and not check.ok


def test_null_island() -> None:
    assert check_point(0, 0).issues == ["null_island"]
    assert check_point(0.0, -0.0).issues == ["null_island"]


def test_outside_japan_is_flagged_not_fixed() -> None:
    check = check_point(51.5, -0.12)
    assert check.issues == ["outside_japan"]
    assert not check.fixed and (check.lat, check.lon) == (51.5, -0.12)


def test_out_of_range_and_not_finite() -> None:
    assert check_point(200, 300).issues == ["out_of_range"]
    assert check_point(math.nan, 135).issues == ["not_finite"]
    assert check_point("x", 135).issues == ["not_finite"]  # type: ignore[arg-type]


def test_tokyo_datum_shift_size_and_direction_near_ikoma() -> None:
    lat, lon = jgd2011_to_tokyo(*CITY_HALL)
    # Tokyo-datum numbers for the same place are ~450 m away when read as JGD2011; the Tokyo
    # latitude is smaller and the longitude larger (JGD2011 = Tokyo + ~+0.0032°N, -0.0028°E).
    shift = geodesic_m(lat, lon, *CITY_HALL)
    assert 400 < shift < 500
    assert lat < CITY_HALL[0] and lon > CITY_HALL[1]
    back = tokyo_to_jgd2011(lat, lon)
    assert geodesic_m(*back, *CITY_HALL) < 0.01


def test_tokyo_datum_suspected_when_conversion_lands_on_expected() -> None:
    tokyo = jgd2011_to_tokyo(*CITY_HALL)
    # The expected point (a geocoded address) is itself ~60 m off the building.
    expected = (CITY_HALL[0] + 0.0004, CITY_HALL[1] - 0.0003)
    check = check_point(*tokyo, expected=expected)
    assert check.issues == ["tokyo_datum_suspected"]
    assert not check.fixed and (check.lat, check.lon) == tokyo
    assert check.suggested is not None
    assert geodesic_m(*check.suggested, *CITY_HALL) < 1


def test_tokyo_datum_not_suspected_without_expected_or_when_close() -> None:
    tokyo = jgd2011_to_tokyo(*CITY_HALL)
    assert check_point(*tokyo).issues == []
    assert check_point(*CITY_HALL, expected=CITY_HALL).issues == []


def test_tokyo_datum_not_suspected_for_450_m_off_in_another_direction() -> None:
    # Same distance as the datum shift, opposite direction: converting makes it worse.
    tokyo = jgd2011_to_tokyo(*CITY_HALL)
    opposite = (2 * CITY_HALL[0] - tokyo[0], 2 * CITY_HALL[1] - tokyo[1])
    assert check_point(*opposite, expected=CITY_HALL).issues == []
    # At right angles: still ~450 m off but conversion does not land close.
    dlat, dlon = tokyo[0] - CITY_HALL[0], tokyo[1] - CITY_HALL[1]
    sideways = (CITY_HALL[0] + dlon * 0.83, CITY_HALL[1] - dlat / 0.83)
    assert check_point(*sideways, expected=CITY_HALL).issues == []


def test_swap_and_tokyo_datum_together() -> None:
    tokyo = jgd2011_to_tokyo(*CITY_HALL)
    check = check_point(tokyo[1], tokyo[0], expected=CITY_HALL)
    assert check.issues == ["swapped", "tokyo_datum_suspected"]
    assert check.fixed
