"""Coordinates as people type them, and the usual mistakes in Japanese open data.

Mistakes looked for by :func:`check_point`: latitude and longitude swapped, a point outside
Japan, 0/0 from an empty cell, and a point still in the old Tokyo datum (日本測地系, EPSG:4301),
which puts it roughly 400–500 m off (north-west shift of the true place on the map in Kinki).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Literal

from gis._proj import transformer as _transformer
from gis.distance import BBox, geodesic_m
from jatext.normalize import clean

# Okinawa (Yonaguni ~122.9E, Hateruma ~24.0N), Ogasawara incl. Okinotorishima (~20.4N) and
# Minamitorishima (~153.98E), Hokkaido (~45.6N). Not the EEZ: a place on this map is on land.
JAPAN_BOUNDS = BBox(minlon=122.0, minlat=20.0, maxlon=154.0, maxlat=46.0)

# Issue codes returned by check_point (stable strings: importers and the UI key on them).
SWAPPED = "swapped"
OUTSIDE_JAPAN = "outside_japan"
NULL_ISLAND = "null_island"
TOKYO_DATUM_SUSPECTED = "tokyo_datum_suspected"
OUT_OF_RANGE = "out_of_range"
NOT_FINITE = "not_finite"


def in_japan(lat: float, lon: float) -> bool:
    """True when (lat, lon) is inside the coarse box around Japan's territory."""
    return JAPAN_BOUNDS.contains(lat, lon)


# --------------------------------------------------------------------------------------------
# parsing

_NUM = r"\d+(?:\.\d+)?"
_HEMI_PREFIX = r"北緯|南緯|東経|西経|[NSEW北南東西]"
_COORD_RE = re.compile(
    rf"""^
    (?P<pre>{_HEMI_PREFIX})?
    (?P<sign>[+-])?
    (?P<deg>{_NUM})
    (?:
        (?:°|度|:)
        (?:
            (?P<min>{_NUM})(?:′|'|’|分|:)?
            (?:(?P<sec>{_NUM})(?:″|′′|''|"|”|秒)?)?
        )?
    )?
    (?P<post>[NSEW北南東西])?
    $""",
    re.VERBOSE,
)
_HEMI_SIGN = {
    "N": 1,
    "北": 1,
    "北緯": 1,
    "E": 1,
    "東": 1,
    "東経": 1,
    "S": -1,
    "南": -1,
    "南緯": -1,
    "W": -1,
    "西": -1,
    "西経": -1,
}
_HEMI_AXIS = {
    "N": "lat",
    "北": "lat",
    "北緯": "lat",
    "S": "lat",
    "南": "lat",
    "南緯": "lat",
    "E": "lon",
    "東": "lon",
    "東経": "lon",
    "W": "lon",
    "西": "lon",
    "西経": "lon",
}
_AXIS_WORD = {"lat": "latitude", "lon": "longitude"}


def parse_coordinate(text: str, axis: Literal["lat", "lon"] | None = None) -> float:
    """Parse one latitude or longitude in decimal degrees or degrees-minutes-seconds.

    Accepts ``34.6915``, ``３４．６９１５``, ``34°41'29.5"``, ``34度41分29.5秒``,
    ``北緯34度41分29秒``, ``N34.6915``, ``34.6915N``, ``135:42:30``. S/W/南緯/西経 give a
    negative value. With ``axis`` the hemisphere letter and range are checked against it.
    """
    if text is None:
        raise ValueError("coordinate is empty")
    s = clean(str(text))
    # Whitespace between two numbers separates degrees/minutes/seconds; elsewhere it is noise.
    s = re.sub(r"(?<=\d)\s+(?=\d)", ":", s)
    s = re.sub(r"\s+", "", s).upper()
    if not s:
        raise ValueError("coordinate is empty")
    m = _COORD_RE.match(s)
    if not m:
        raise ValueError(f"cannot read {text!r} as a coordinate (decimal degrees or 度分秒)")
    pre, post, sign = m.group("pre"), m.group("post"), m.group("sign")
    if pre and post:
        raise ValueError(f"{text!r} names the hemisphere twice")
    hemi = pre or post
    if hemi and sign:
        raise ValueError(f"{text!r} has both a sign and a hemisphere")
    deg_s, min_s, sec_s = m.group("deg"), m.group("min"), m.group("sec")
    if min_s is not None and "." in deg_s:
        raise ValueError(f"{text!r}: degrees must be whole when minutes follow")
    if sec_s is not None and "." in (min_s or ""):
        raise ValueError(f"{text!r}: minutes must be whole when seconds follow")
    minutes = float(min_s) if min_s is not None else 0.0
    seconds = float(sec_s) if sec_s is not None else 0.0
    if minutes >= 60 or seconds >= 60:
        raise ValueError(f"{text!r}: minutes and seconds must be below 60")
    value = float(deg_s) + minutes / 60.0 + seconds / 3600.0
    if hemi:
        value *= _HEMI_SIGN[hemi]
        if axis and _HEMI_AXIS[hemi] != axis:
            raise ValueError(f"{text!r} is a {_AXIS_WORD[_HEMI_AXIS[hemi]]}, expected a {_AXIS_WORD[axis]}")
    elif sign == "-":
        value = -value
    limit = 90.0 if axis == "lat" or (hemi and _HEMI_AXIS[hemi] == "lat") else 180.0
    if abs(value) > limit:
        raise ValueError(f"{text!r} is outside ±{limit:g}°")
    return value


# --------------------------------------------------------------------------------------------
# Tokyo datum


def tokyo_to_jgd2011(lat: float, lon: float) -> tuple[float, float]:
    """Convert a Tokyo-datum (EPSG:4301) point to JGD2011 (EPSG:6668), returned as (lat, lon).

    Without the TKY2JGD grid PROJ applies the published Helmert fallback: good to a few metres,
    which is plenty to tell a ~450 m datum error apart.
    """
    x, y = _transformer("EPSG:4301", "EPSG:6668").transform(lon, lat)
    return float(y), float(x)


def jgd2011_to_tokyo(lat: float, lon: float) -> tuple[float, float]:
    """Inverse of :func:`tokyo_to_jgd2011` (used to make test data and to explain a fix)."""
    x, y = _transformer("EPSG:6668", "EPSG:4301").transform(lon, lat)
    return float(y), float(x)


# --------------------------------------------------------------------------------------------
# checking


@dataclass(frozen=True)
class CoordCheck:
    """Result of :func:`check_point`: the point to use, issue codes, and whether we changed it.

    ``suggested`` carries the datum-corrected point when ``tokyo_datum_suspected`` is raised;
    the point itself is not changed for that (a person should confirm).
    """

    lat: float
    lon: float
    issues: list[str] = field(default_factory=list)
    fixed: bool = False
    suggested: tuple[float, float] | None = None

    @property
    def ok(self) -> bool:
        return not self.issues


def _looks_like_tokyo_datum(
    lat: float, lon: float, expected: tuple[float, float]
) -> tuple[float, float] | None:
    converted = tokyo_to_jgd2011(lat, lon)
    shift = geodesic_m(lat, lon, *converted)
    off = geodesic_m(lat, lon, *expected)
    off_converted = geodesic_m(*converted, *expected)
    # The point must be off by about the datum shift, and converting it must land much closer:
    # a geocoded address point is itself only good to ~100-200 m, hence the loose bounds.
    if 0.5 * shift <= off <= 1.6 * shift and off_converted <= 0.5 * off and off_converted <= 0.6 * shift:
        return converted
    return None


def check_point(lat: float, lon: float, expected: tuple[float, float] | None = None) -> CoordCheck:
    """Check one (lat, lon) from a file; fix a lat/lon swap, flag the rest.

    ``expected`` is an independent estimate of where the point should be (e.g. the geocoded
    address); only with it can a Tokyo-datum point be recognised.
    """
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError):
        return CoordCheck(math.nan, math.nan, [NOT_FINITE])
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return CoordCheck(lat, lon, [NOT_FINITE])
    if abs(lat) < 1e-9 and abs(lon) < 1e-9:
        return CoordCheck(lat, lon, [NULL_ISLAND])
    issues: list[str] = []
    fixed = False
    if not in_japan(lat, lon) and in_japan(lon, lat):
        lat, lon = lon, lat
        issues.append(SWAPPED)
        fixed = True
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        issues.append(OUT_OF_RANGE)
        return CoordCheck(lat, lon, issues, fixed)
    if not in_japan(lat, lon):
        issues.append(OUTSIDE_JAPAN)
        return CoordCheck(lat, lon, issues, fixed)
    suggested = None
    if expected is not None:
        suggested = _looks_like_tokyo_datum(lat, lon, (float(expected[0]), float(expected[1])))
        if suggested is not None:
            issues.append(TOKYO_DATUM_SUSPECTED)
    return CoordCheck(lat, lon, issues, fixed, suggested)
