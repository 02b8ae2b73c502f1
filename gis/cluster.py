"""Grid clustering of map points for a zoom level (the map's server-side clustering, issue 22).

Points are projected to Web Mercator pixels at the zoom (the projection of the map's tiles) and
grouped by square cells of ``cell_px`` pixels anchored to the world's pixel grid: a cell is the
same whatever viewport asked for it, and a bbox aligned to the 256-pixel tiles cuts no cell. Each
cell reports its count, the centroid and extent of its points, its most frequent category and one
member (a cell of one point is drawn as that point's pin). Every point lands in exactly one cell,
so the counts add up to the number of points: nothing is dropped.

Pure numpy: no Flask, no database.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

__all__ = ["CELL_PX", "MAX_ZOOM", "TILE_PX", "Cells", "fit_zoom", "grid_cells", "mercator_px"]

TILE_PX = 256
# A cluster bubble is ~40 px across: cells of 64 px keep bubbles apart, and 64 divides a tile.
CELL_PX = 64
MAX_ZOOM = 22
_MAX_LAT = 85.0511287798  # Web Mercator's edge


class Cells(NamedTuple):
    """One entry per non-empty cell (numpy arrays of equal length)."""

    count: Any  # int64
    lat: Any  # centroid
    lon: Any
    minlon: Any  # extent of the cell's points
    minlat: Any
    maxlon: Any
    maxlat: Any
    category: Any  # int64: the most frequent value of ``cat`` in the cell (-1 without ``cat``)
    member: Any  # int64: index (into the input) of one point of the cell

    def __len__(self) -> int:  # the number of cells, not of fields
        return len(self.count)


def mercator_px(lat: Any, lon: Any, zoom: float) -> tuple[Any, Any]:
    """Web Mercator pixel coordinates (x east, y south) of WGS84 points at ``zoom``."""
    lat_r = np.radians(np.clip(np.asarray(lat, dtype=float), -_MAX_LAT, _MAX_LAT))
    world = TILE_PX * 2.0**zoom
    x = (np.asarray(lon, dtype=float) + 180.0) / 360.0 * world
    y = (1.0 - np.log(np.tan(lat_r) + 1.0 / np.cos(lat_r)) / math.pi) / 2.0 * world
    return x, y


def grid_cells(
    lat: Any, lon: Any, zoom: int, cat: Any = None, *, cell_px: int = CELL_PX, merge_px: float = 0.0
) -> Cells:
    """Group the points (equal-length arrays, no NaN) into the cells of ``cell_px`` at ``zoom``.

    ``merge_px``: cells whose centres of mass lie closer than this many pixels (points on either
    side of a grid line) are merged, largest first, so their bubbles do not overlap on the map.
    """
    if not 0 <= zoom <= MAX_ZOOM:
        raise ValueError(f"zoom {zoom} is outside 0..{MAX_ZOOM}")
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    if lat.shape != lon.shape or lat.ndim != 1:
        raise ValueError("lat and lon must be one-dimensional arrays of the same length")
    if not len(lat):
        empty_f, empty_i = np.empty(0), np.empty(0, dtype=np.int64)
        return Cells(empty_i, empty_f, empty_f, empty_f, empty_f, empty_f, empty_f, empty_i, empty_i)
    if np.isnan(lat).any() or np.isnan(lon).any():
        raise ValueError("points without coordinates cannot be placed in a cell")
    x, y = mercator_px(lat, lon, zoom)
    per_axis = (TILE_PX << zoom) // cell_px + 1
    cx = np.clip(np.floor(x / cell_px).astype(np.int64), 0, per_axis - 1)
    cy = np.clip(np.floor(y / cell_px).astype(np.int64), 0, per_axis - 1)
    _keys, inverse = np.unique(cx * per_axis + cy, return_inverse=True)
    inverse = inverse.reshape(-1)
    if merge_px > 0 and 1 < len(_keys) <= _MAX_MERGE_CELLS:
        inverse = _merge_close(inverse, len(_keys), x, y, merge_px)
    return _cells(lat, lon, inverse, cat)


# Merging compares every pair of cells: only for answers of a sensible size (the API coarsens
# the zoom of larger ones anyway).
_MAX_MERGE_CELLS = 5000


def _merge_close(inverse: Any, n: int, x: Any, y: Any, merge_px: float) -> Any:
    """Cell numbers after merging cells whose centres of mass are within ``merge_px`` (greedy,
    the most populous cell first absorbing its unclaimed neighbours)."""
    count = np.bincount(inverse, minlength=n)
    px = np.bincount(inverse, weights=x, minlength=n) / count
    py = np.bincount(inverse, weights=y, minlength=n) / count
    leader = np.full(n, -1, dtype=np.int64)
    limit = merge_px * merge_px
    for i in np.argsort(-count, kind="stable").tolist():
        if leader[i] >= 0:
            continue
        near = (leader < 0) & ((px - px[i]) ** 2 + (py - py[i]) ** 2 < limit)
        leader[near] = i
    _groups, merged = np.unique(leader[inverse], return_inverse=True)
    return merged.reshape(-1)


def _cells(lat: Any, lon: Any, inverse: Any, cat: Any) -> Cells:
    count = np.bincount(inverse)
    n = len(count)
    # Members of a cell side by side: extents by reduceat, one member per cell at its start.
    order = np.argsort(inverse, kind="stable")
    starts = np.concatenate(([0], np.cumsum(count)[:-1]))
    lat_o, lon_o = lat[order], lon[order]
    if cat is None:
        top = np.full(n, -1, dtype=np.int64)
    else:
        cat = np.asarray(cat, dtype=np.int64)
        width = int(cat.max()) + 1 if len(cat) else 1
        per_cat = np.bincount(inverse * width + cat, minlength=n * width).reshape(n, width)
        top = per_cat.argmax(axis=1).astype(np.int64)  # ties: the lowest code, stable across requests
    return Cells(
        count=count.astype(np.int64),
        lat=np.bincount(inverse, weights=lat, minlength=n) / count,
        lon=np.bincount(inverse, weights=lon, minlength=n) / count,
        minlon=np.minimum.reduceat(lon_o, starts),
        minlat=np.minimum.reduceat(lat_o, starts),
        maxlon=np.maximum.reduceat(lon_o, starts),
        maxlat=np.maximum.reduceat(lat_o, starts),
        category=top,
        member=order[starts].astype(np.int64),
    )


def fit_zoom(
    extent: tuple[float, float, float, float],
    width: int,
    height: int,
    *,
    pad: float = 0.1,
    min_zoom: int = 0,
    max_zoom: int = 16,
) -> int:
    """The zoom at which ``extent`` (minlon, minlat, maxlon, maxlat), padded by ``pad`` of its
    size on each side, fits a ``width`` × ``height`` pixel map: what Leaflet's
    ``map.fitBounds(bounds.pad(pad), {maxZoom})`` chooses (zoomSnap 1), so the map's first
    request can be answered for the zoom the map will show."""
    minlon, minlat, maxlon, maxlat = extent
    dlon, dlat = (maxlon - minlon) * pad, (maxlat - minlat) * pad
    x0, y1 = mercator_px(minlat - dlat, minlon - dlon, 0)
    x1, y0 = mercator_px(maxlat + dlat, maxlon + dlon, 0)
    span_x, span_y = float(x1 - x0), float(y1 - y0)
    scales = [size / span for size, span in ((width, span_x), (height, span_y)) if span > 0]
    if not scales:
        return max_zoom  # one point (or every point at one place)
    zoom = math.log2(min(scales))
    zoom = math.floor(round(zoom * 100) / 100)  # Leaflet rounds to 1/100 before snapping down
    return max(min_zoom, min(max_zoom, zoom))
