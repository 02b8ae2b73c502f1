"""Walking-distance coverage of districts by places of each category (社会資源の不足 reports).

"Covered" means within ``walk_m`` metres in a straight line of at least one place of the
category; the share is by area, computed in a metric CRS (平面直角座標系 VI, EPSG:6674, for
Nara by default). Straight-line distance overstates what an older resident can walk: the
caller picks ``walk_m`` with that in mind (e.g. 500 m for a 10-minute slow walk).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from gis._proj import transform_geometry, transformer
from gis.districts import District, DistrictIndex

DEFAULT_CRS = "EPSG:6674"  # JGD2011 / Japan Plane Rectangular CS VI (Kinki incl. Nara)
UTM_53N = "EPSG:32653"
# 32 segments per quarter circle: the buffer polygon's area is 0.04 % below the true circle's.
DEFAULT_QUAD_SEGS = 32


@dataclass(frozen=True)
class CoverageRow:
    district_code: str
    category: str
    count: int  # places of the category inside the district (boundary included)
    covered_share: float  # 0..1 of the district's area within walk_m of any place of the category


def _check_metric(crs: str) -> None:
    parsed = CRS.from_user_input(crs)
    units = {axis.unit_name for axis in parsed.axis_info}
    if not parsed.is_projected or not units <= {"metre", "meter"}:
        raise ValueError(
            f"coverage needs a projected CRS in metres (e.g. {DEFAULT_CRS} or {UTM_53N}); got {crs}"
        )


def _check_walk(walk_m: float) -> None:
    if not (isinstance(walk_m, int | float) and math.isfinite(walk_m) and walk_m > 0):
        raise ValueError(f"walk_m must be a positive number of metres, got {walk_m!r}")


def _districts(districts: Iterable[District] | DistrictIndex) -> DistrictIndex:
    return districts if isinstance(districts, DistrictIndex) else DistrictIndex(districts)


def _reach(points: Sequence[tuple[float, float]], walk_m: float, crs: str, quad_segs: int) -> BaseGeometry:
    """Union of walk_m buffers around (lat, lon) points, in ``crs``."""
    if not len(points):
        return shapely.Polygon()
    arr = np.asarray(points, dtype=float)
    x, y = transformer("EPSG:4326", crs).transform(arr[:, 1], arr[:, 0])
    buffers = shapely.buffer(shapely.points(np.column_stack([x, y])), walk_m, quad_segs=quad_segs)
    return shapely.union_all(buffers)


def coverage(
    districts: Iterable[District] | DistrictIndex,
    points_by_category: Mapping[str, Sequence[tuple[float, float]]],
    walk_m: float,
    *,
    crs: str = DEFAULT_CRS,
    quad_segs: int = DEFAULT_QUAD_SEGS,
) -> list[CoverageRow]:
    """One row per district × category (districts by code, categories in the mapping's order).

    Points are (lat, lon) in EPSG:4326. A place just across a district boundary still covers
    the district's edge; it is not counted in ``count``.
    """
    _check_walk(walk_m)
    _check_metric(crs)
    index = _districts(districts)
    projected = {d.code: transform_geometry(d.geometry, "EPSG:4326", crs) for d in index}
    shapely.prepare(list(projected.values()))
    rows: list[CoverageRow] = []
    per_category: dict[str, tuple[BaseGeometry, dict[str, int]]] = {}
    for category, points in points_by_category.items():
        counts: dict[str, int] = {}
        for d in index.locate_many(list(points)):
            if d is not None:
                counts[d.code] = counts.get(d.code, 0) + 1
        reach = _reach(points, walk_m, crs, quad_segs)
        shapely.prepare(reach)
        per_category[category] = (reach, counts)
    for d in index:
        geom = projected[d.code]
        area = geom.area
        for category, (reach, counts) in per_category.items():
            if area <= 0 or reach.is_empty:
                share = 0.0
            elif reach.contains(geom):
                share = 1.0
            else:
                share = min(1.0, shapely.intersection(geom, reach).area / area)
            rows.append(CoverageRow(d.code, category, counts.get(d.code, 0), share))
    return rows


def uncovered_geometry(
    districts: Iterable[District] | DistrictIndex,
    points: Sequence[tuple[float, float]],
    walk_m: float,
    *,
    crs: str = DEFAULT_CRS,
    quad_segs: int = DEFAULT_QUAD_SEGS,
) -> BaseGeometry:
    """The part of the districts farther than walk_m from every point, in EPSG:4326 (lon/lat),
    for a map layer. Empty geometry when all is covered."""
    _check_walk(walk_m)
    _check_metric(crs)
    index = _districts(districts)
    area = shapely.union_all([transform_geometry(d.geometry, "EPSG:4326", crs) for d in index])
    rest = shapely.difference(area, _reach(points, walk_m, crs, quad_segs))
    if rest.is_empty:
        return rest
    return transform_geometry(rest, crs, "EPSG:4326")
