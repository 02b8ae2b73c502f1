"""Distances and bounding boxes on the WGS84 / JGD2011 ellipsoid.

JGD2011 and WGS84 differ by well under a metre, so both are treated as one datum here.

The database layer prefilters candidates with a bounding box (spatial index) and then ranks
them with a planar formula evaluated in SQL. ``planar_coefficients`` gives the constants for
that formula; ``planar_distance_m`` is the same formula in Python so tests can hold it to the
geodesic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from pyproj import Geod

# WGS84 (GRS80 differs from it in the 9th digit of the flattening: irrelevant here).
WGS84_A = 6378137.0
WGS84_F = 1 / 298.257223563
WGS84_E2 = WGS84_F * (2 - WGS84_F)
# IUGG mean radius: the usual choice for haversine.
MEAN_EARTH_RADIUS_M = 6371008.8

_GEOD = Geod(ellps="WGS84")


class BBox(NamedTuple):
    """Axis-aligned box in degrees, in the order used by GeoJSON and the API's ``bbox``."""

    minlon: float
    minlat: float
    maxlon: float
    maxlat: float

    @classmethod
    def parse(cls, text: str) -> BBox:
        """Parse ``"minlon,minlat,maxlon,maxlat"``; ValueError says what is wrong."""
        if text is None or not str(text).strip():
            raise ValueError("bbox is empty; expected minlon,minlat,maxlon,maxlat")
        parts = [p.strip() for p in str(text).split(",")]
        if len(parts) != 4:
            raise ValueError(
                f"bbox needs 4 comma-separated numbers minlon,minlat,maxlon,maxlat; got {len(parts)}"
            )
        names = ("minlon", "minlat", "maxlon", "maxlat")
        values: list[float] = []
        for name, part in zip(names, parts, strict=True):
            try:
                value = float(part)
            except ValueError:
                raise ValueError(f"bbox {name} {part!r} is not a number") from None
            if not math.isfinite(value):
                raise ValueError(f"bbox {name} {part!r} is not a finite number")
            values.append(value)
        minlon, minlat, maxlon, maxlat = values
        for name, value in (("minlat", minlat), ("maxlat", maxlat)):
            if not -90 <= value <= 90:
                hint = ""
                if -90 <= minlon <= 90 and -90 <= maxlon <= 90:
                    hint = " (looks like lat,lon order; expected minlon,minlat,maxlon,maxlat)"
                raise ValueError(f"bbox {name} {value:g} is outside -90..90{hint}")
        for name, value in (("minlon", minlon), ("maxlon", maxlon)):
            if not -180 <= value <= 180:
                raise ValueError(f"bbox {name} {value:g} is outside -180..180")
        if minlon > maxlon:
            raise ValueError(
                f"bbox minlon {minlon:g} is greater than maxlon {maxlon:g}; "
                "expected minlon,minlat,maxlon,maxlat"
            )
        if minlat > maxlat:
            raise ValueError(
                f"bbox minlat {minlat:g} is greater than maxlat {maxlat:g}; "
                "expected minlon,minlat,maxlon,maxlat"
            )
        return cls(minlon, minlat, maxlon, maxlat)

    def contains(self, lat: float, lon: float) -> bool:
        """True when the point is inside or on the edge of the box."""
        return self.minlat <= lat <= self.maxlat and self.minlon <= lon <= self.maxlon

    def __str__(self) -> str:
        return f"{self.minlon:.7f},{self.minlat:.7f},{self.maxlon:.7f},{self.maxlat:.7f}"


class MetresPerDegree(NamedTuple):
    """Length of one degree of latitude and of longitude at a given latitude."""

    lat: float
    lon: float


class PlanarCoefficients(NamedTuple):
    """Constants for the planar distance used in SQL around a centre at latitude ``lat0``.

    distance_m = sqrt((dlat * ky)^2 + (dlon * (kx + kx_per_dlat * dlat))^2)
    with dlat = lat - lat0, dlon = lon - lon0 in degrees. ``kx_per_dlat`` moves the
    longitude scale to the mid-latitude of the two points; without it the error reaches
    ~0.10 % at 50 km near 34.7°N and ~0.15 % at 45°N (see tests/unit/gis).
    """

    ky: float
    kx: float
    kx_per_dlat: float


def _radii(lat: float) -> tuple[float, float]:
    """Meridional radius M and prime-vertical radius N (metres) at a geodetic latitude."""
    s = math.sin(math.radians(lat))
    w = 1.0 - WGS84_E2 * s * s
    m = WGS84_A * (1.0 - WGS84_E2) / (w * math.sqrt(w))
    n = WGS84_A / math.sqrt(w)
    return m, n


def metres_per_degree(lat: float) -> MetresPerDegree:
    """(metres per degree of latitude, metres per degree of longitude) at ``lat``.

    From the ellipsoid, not a sphere: at 34.7°N a degree of latitude is ~110.9 km, not the
    111.32 km of the equatorial circumference.
    """
    m, n = _radii(lat)
    rad = math.pi / 180.0
    return MetresPerDegree(m * rad, max(n * math.cos(math.radians(lat)) * rad, 0.0))


def _kx_derivative(lat: float) -> float:
    """d(metres per degree of longitude)/d(latitude in degrees), analytically."""
    phi = math.radians(lat)
    s, c = math.sin(phi), math.cos(phi)
    w = 1.0 - WGS84_E2 * s * s
    n = WGS84_A / math.sqrt(w)
    dn_dphi = WGS84_A * WGS84_E2 * s * c / (w * math.sqrt(w))
    rad = math.pi / 180.0
    # kx = N cos(phi) * rad; differentiate w.r.t. phi, then convert per radian -> per degree.
    return (dn_dphi * c - n * s) * rad * rad


def planar_coefficients(lat0: float) -> PlanarCoefficients:
    """Coefficients for the SQL planar distance around a query point at ``lat0``."""
    ky, kx = metres_per_degree(lat0)
    return PlanarCoefficients(ky, kx, _kx_derivative(lat0) / 2.0)


def planar_distance_m(lat0: float, lon0: float, lat: float, lon: float, *, corrected: bool = True) -> float:
    """The SQL planar distance in Python (``corrected=False`` drops the mid-latitude term)."""
    ky, kx, kx_per_dlat = planar_coefficients(lat0)
    dlat = lat - lat0
    scale = kx + kx_per_dlat * dlat if corrected else kx
    return math.hypot(dlat * ky, (lon - lon0) * scale)


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance on a sphere of the mean Earth radius (error up to ~0.5 %)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * MEAN_EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def geodesic_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Ellipsoidal (WGS84) geodesic distance in metres: the reference for everything else."""
    _, _, dist = _GEOD.inv(lon1, lat1, lon2, lat2)
    return float(dist)


def geodesic_many_m(lat0: float, lon0: float, lats: Sequence[float], lons: Sequence[float]) -> np.ndarray:
    """Geodesic distances from one point to many, in one vectorised pyproj call (the same
    reference distance as geodesic_m, so every radius filter in the project agrees at the edge)."""
    if len(lats) != len(lons):
        raise ValueError("lats and lons must have the same length")
    if not len(lats):
        return np.zeros(0)
    lat_arr = np.asarray(lats, dtype=float)
    lon_arr = np.asarray(lons, dtype=float)
    _, _, dist = _GEOD.inv(np.full_like(lon_arr, lon0), np.full_like(lat_arr, lat0), lon_arr, lat_arr)
    return np.atleast_1d(dist)


def bbox_around(lat: float, lon: float, radius_m: float, margin: float = 0.01) -> BBox:
    """A box that contains every point within ``radius_m`` (geodesic) of (lat, lon).

    Half-sizes come from the ellipsoid's radii; the longitude half-size uses the parallel on
    the poleward edge (where degrees of longitude are shortest), then ``margin`` (a fraction)
    is added on top. Without the margin the box is already conservative to ~1e-5 relative
    at 50 km; the margin absorbs the rest (curvature terms, float rounding in SQL).
    """
    if not (math.isfinite(lat) and math.isfinite(lon) and math.isfinite(radius_m)):
        raise ValueError("bbox_around needs finite lat, lon and radius")
    if not -90 <= lat <= 90 or not -180 <= lon <= 180:
        raise ValueError(f"point ({lat}, {lon}) is out of range")
    if radius_m < 0:
        raise ValueError(f"radius must be >= 0 m, got {radius_m}")
    if margin < 0:
        raise ValueError(f"margin must be >= 0, got {margin}")
    grow = 1.0 + margin
    # The meridional radius grows towards the pole, so the degree length at the equatorward
    # edge is the shorter one; use the smaller of the two ends.
    m_here = metres_per_degree(lat).lat
    dlat = radius_m / m_here
    m_low = min(m_here, metres_per_degree(max(-90.0, min(90.0, lat - math.copysign(dlat, lat)))).lat)
    dlat = radius_m / m_low * grow
    minlat, maxlat = max(-90.0, lat - dlat), min(90.0, lat + dlat)
    poleward = max(abs(minlat), abs(maxlat))
    kx = metres_per_degree(poleward).lon
    if kx <= 0 or poleward >= 89.999:
        return BBox(-180.0, minlat, 180.0, maxlat)
    dlon = radius_m / kx * grow
    if dlon >= 180 or lon - dlon < -180 or lon + dlon > 180:
        # A box that crosses the antimeridian cannot be one BBox; widen rather than miss.
        return BBox(-180.0, minlat, 180.0, maxlat)
    return BBox(lon - dlon, minlat, lon + dlon, maxlat)
