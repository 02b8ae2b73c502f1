"""One place to build pyproj Transformers (per thread: they are not safe to share)."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import shapely
from pyproj import CRS, Transformer
from shapely.geometry.base import BaseGeometry

_local = threading.local()


def _key(crs: Any) -> str:
    # Strings ("EPSG:6674") are their own key; building a CRS just to hash it costs ~80 µs.
    return crs if isinstance(crs, str) else CRS.from_user_input(crs).to_wkt()


def transformer(src: Any, dst: Any) -> Transformer:
    """Cached ``Transformer.from_crs(src, dst, always_xy=True)`` for this thread.

    only_best=False: grids such as tky2jgd.gsb are not shipped with pyproj and there is no
    network, so PROJ uses its published fallback; only_best=None would emit a UserWarning.
    """
    cache: dict[tuple[str, str], Transformer] = _local.__dict__.setdefault("cache", {})
    key = (_key(src), _key(dst))
    t = cache.get(key)
    if t is None:
        t = Transformer.from_crs(src, dst, always_xy=True, only_best=False)
        cache[key] = t
    return t


def transform_geometry(geom: BaseGeometry, src: Any, dst: Any) -> BaseGeometry:
    """Reproject a shapely geometry (x=lon, y=lat for geographic CRSs)."""
    t = transformer(src, dst)

    def _xy(coords: np.ndarray) -> np.ndarray:
        x, y = t.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, _xy)
