"""District polygons (小学校区, 地区, 市区町村) from GeoJSON or shapefiles, and point-in-district.

Everything is returned in EPSG:4326 lon/lat. JGD2011, JGD2000 and WGS84 lon/lat differ by at
most a few metres in Japan, so they pass through PROJ's (null) transformation; Tokyo-datum and
projected sources (平面直角座標系, UTM) are reprojected.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import nullcontext as _nullfile
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import shapefile
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError
from shapely.geometry import MultiPolygon, Point, Polygon, shape
from shapely.geometry.base import BaseGeometry
from shapely.strtree import STRtree

from gis._proj import transform_geometry

WGS84 = "EPSG:4326"

# Which property holds the name (and code) in the files we know.
_A27_NAME, _A27_CODE = "A27_004", "A27_003"  # 国土数値情報 小学校区 (A27-21 onwards)
_N03_NAME, _N03_CODE = "N03_004", "N03_007"  # 国土数値情報 行政区域
_NAME_KEYS = ("name", "名称", "NAME", "Name", "地区名", "district_name")
_CODE_KEYS = ("code", "コード", "CODE", "Code", "地区コード", "id", "ID")
_KNOWN_DATUMS = ("jgd", "japanese geodetic datum", "tokyo", "wgs", "world geodetic system")


@dataclass(frozen=True, eq=False)
class District:
    """A named polygon. ``geometry`` is a Polygon or MultiPolygon in EPSG:4326 (x=lon, y=lat)."""

    code: str
    name: str
    geometry: Polygon | MultiPolygon
    properties: Mapping[str, Any] = field(default_factory=dict, repr=False)


# --------------------------------------------------------------------------------------------
# helpers


def _polygonal(geom: BaseGeometry, where: str) -> Polygon | MultiPolygon:
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise ValueError(f"{where}: geometry type {geom.geom_type} is not a Polygon or MultiPolygon")
    if geom.is_empty:
        raise ValueError(f"{where}: empty polygon")
    if not geom.is_valid:
        # Self-touching rings are common in digitised school districts; repair, keep the area.
        fixed = shapely.make_valid(geom)
        parts = [g for g in getattr(fixed, "geoms", [fixed]) if g.geom_type in ("Polygon", "MultiPolygon")]
        if not parts:
            raise ValueError(f"{where}: invalid polygon that cannot be repaired")
        geom = shapely.union_all(parts)
    return geom


def _check_crs(crs: CRS, source: str) -> CRS:
    geodetic = crs.geodetic_crs
    datum = geodetic.datum.name if geodetic is not None and geodetic.datum is not None else ""
    if not any(k in datum.lower() for k in _KNOWN_DATUMS):
        raise ValueError(
            f"{source}: unsupported datum {datum or '(none)'!r} in {crs.name!r}; "
            "expected JGD2011, JGD2000, Tokyo or WGS84 (lon/lat or a projected CRS on them)"
        )
    return crs


def _to_wgs84(geom: Polygon | MultiPolygon, crs: CRS | None) -> Polygon | MultiPolygon:
    if crs is None:
        return geom
    if crs.equals(CRS.from_epsg(4326), ignore_axis_order=True):
        return geom
    return transform_geometry(geom, crs, WGS84)


def _check_lonlat(geom: BaseGeometry, source: str) -> None:
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise ValueError(
            f"{source}: coordinates ({minx:.0f}, {miny:.0f}) are not lon/lat; the data looks projected "
            "but its stated (or default) CRS is geographic"
        )


def _pick(props: Mapping[str, Any], keys: Sequence[str]) -> str | None:
    for key in keys:
        value = props.get(key)
        if value not in (None, ""):
            return str(value).strip()
    return None


def _name_and_code(
    props: Mapping[str, Any],
    index: int,
    where: str,
    name_property: str | None,
    code_property: str | None,
    feature_id: Any = None,
) -> tuple[str, str]:
    if name_property:
        if props.get(name_property) in (None, ""):
            raise ValueError(
                f"{where}: missing name property {name_property!r} (has: {', '.join(map(str, props)) or 'none'})"
            )
        name = str(props[name_property]).strip()
    elif _A27_NAME in props:
        name = str(props[_A27_NAME] or "").strip()
    elif _N03_NAME in props:
        # 政令市: N03_004 is the city, N03_005 the ward.
        name = "".join(str(props.get(k) or "") for k in (_N03_NAME, "N03_005")).strip()
    else:
        name = _pick(props, _NAME_KEYS) or ""
    if not name:
        raise ValueError(
            f"{where}: no name property (looked for A27_004, N03_004, {', '.join(_NAME_KEYS)}; "
            f"has: {', '.join(map(str, props)) or 'none'}); pass name_property="
        )
    if code_property:
        if props.get(code_property) in (None, ""):
            raise ValueError(f"{where}: missing code property {code_property!r}")
        code = str(props[code_property]).strip()
    else:
        code = (
            _pick(props, (_A27_CODE, _N03_CODE, *_CODE_KEYS))
            or (str(feature_id) if feature_id not in (None, "") else None)
            # No code in the file: a stable one from the feature's position.
            or f"{index + 1:03d}"
        )
    return name, code


def _merge(items: list[District]) -> list[District]:
    """Features that share a code are one district (N03 has one feature per island)."""
    by_code: dict[str, District] = {}
    for d in items:
        prev = by_code.get(d.code)
        if prev is None:
            by_code[d.code] = d
        else:
            geom = shapely.union_all([prev.geometry, d.geometry])
            by_code[d.code] = District(prev.code, prev.name, geom, prev.properties)
    return list(by_code.values())


# --------------------------------------------------------------------------------------------
# readers


def read_geojson(
    source: str | PathLike[str] | Mapping[str, Any],
    *,
    name_property: str | None = None,
    code_property: str | None = None,
) -> list[District]:
    """Districts from a GeoJSON FeatureCollection (file path or parsed dict).

    Names come from ``name_property``, else A27_004 (小学校区), N03_004(+N03_005) (行政区域), or a
    ``name``/``名称`` property; codes from ``code_property``, A27_003, N03_007, ``code``/``id``, the
    feature id, or the feature's position ("001"...).
    """
    if isinstance(source, Mapping):
        data: Any = source
        label = "GeoJSON"
    elif not isinstance(source, str | PathLike):
        data, label = source, "GeoJSON"
    else:
        path = Path(source)
        label = str(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{label}: not JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, Mapping) or data.get("type") != "FeatureCollection":
        kind = data.get("type") if isinstance(data, Mapping) else type(data).__name__
        raise ValueError(f"{label}: not a GeoJSON FeatureCollection (type is {kind!r})")
    features = data.get("features")
    if not isinstance(features, list) or not features:
        raise ValueError(f"{label}: no polygon features (the FeatureCollection is empty)")
    crs = None
    crs_name = ((data.get("crs") or {}).get("properties") or {}).get("name")
    if crs_name:
        try:
            crs = _check_crs(CRS.from_user_input(crs_name), label)
        except CRSError:
            raise ValueError(f"{label}: unknown crs {crs_name!r}") from None
    items: list[District] = []
    for i, feature in enumerate(features):
        where = f"{label}: feature {i + 1}"
        if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
            raise ValueError(f"{where}: not a Feature")
        if not feature.get("geometry"):
            raise ValueError(f"{where}: no geometry")
        try:
            geom = shape(feature["geometry"])
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            raise ValueError(f"{where}: bad geometry ({exc})") from None
        geom = _polygonal(geom, where)
        if crs is None or crs.is_geographic:
            _check_lonlat(geom, where)
        geom = _to_wgs84(geom, crs)
        props = feature.get("properties") or {}
        name, code = _name_and_code(props, i, where, name_property, code_property, feature.get("id"))
        items.append(District(code, name, geom, dict(props)))
    return _merge(items)


def _read_cpg(base: Path) -> str | None:
    for ext in (".cpg", ".CPG"):
        p = base.with_suffix(ext)
        if p.exists():
            label = p.read_text(encoding="ascii", errors="replace").strip().lower()
            if label in ("utf-8", "utf8", "65001"):
                return "utf-8"
            if label in ("cp932", "932", "sjis", "shift_jis", "shift-jis", "ms932", "windows-31j"):
                return "cp932"
            raise ValueError(f"{p}: unsupported code page {label!r} (expected UTF-8 or CP932)")
    return None


def _read_prj(base: Path, crs: Any) -> CRS:
    if crs is not None:
        return _check_crs(CRS.from_user_input(crs), str(base))
    for ext in (".prj", ".PRJ"):
        p = base.with_suffix(ext)
        if p.exists():
            wkt = p.read_text(encoding="utf-8", errors="replace").strip()
            try:
                parsed = CRS.from_wkt(wkt)
            except CRSError:
                raise ValueError(f"{p}: unknown projection (cannot read the .prj: {wkt[:80]!r})") from None
            return _check_crs(parsed, str(p))
    raise ValueError(
        f"{base.with_suffix('.shp')}: no .prj file, so the coordinate system is unknown; pass crs="
    )


def _sidecar(shp: Path, ext: str) -> Path | None:
    for candidate in (shp.with_suffix(ext), shp.with_suffix(ext.upper())):
        if candidate.exists():
            return candidate
    return None


def _read_records(shp: Path, encoding: str) -> list[tuple[Any, dict[str, Any]]]:
    shp_path, shx_path, dbf_path = (_sidecar(shp, e) for e in (".shp", ".shx", ".dbf"))
    if shp_path is None or dbf_path is None:
        raise ValueError(f"{shp}: a shapefile needs both .shp and .dbf")
    # Open the parts ourselves: given a path, pyshp also reads the .cpg and warns when it
    # disagrees with the encoding we chose (we already honour the .cpg, spelled any way).
    with (
        shp_path.open("rb") as shp_f,
        dbf_path.open("rb") as dbf_f,
        shx_path.open("rb") if shx_path else _nullfile() as shx_f,
        shapefile.Reader(shp=shp_f, shx=shx_f, dbf=dbf_f, encoding=encoding) as reader,
    ):
        if reader.shapeType not in (shapefile.POLYGON, shapefile.POLYGONZ, shapefile.POLYGONM):
            raise ValueError(f"{shp}: shape type {reader.shapeTypeName} is not a polygon type")
        return [(sr.shape.__geo_interface__, sr.record.as_dict()) for sr in reader.iterShapeRecords()]


def read_shapefile(
    path: str | PathLike[str],
    *,
    name_property: str | None = None,
    code_property: str | None = None,
    encoding: str | None = None,
    crs: Any = None,
) -> list[District]:
    """Districts from a polygon shapefile (.shp/.shx/.dbf + .prj, optional .cpg).

    The attribute encoding is ``encoding``, else the .cpg (UTF-8 or CP932), else UTF-8 falling
    back to CP932 (国土数値情報 shapefiles are CP932). The CRS is ``crs`` or the .prj.
    """
    shp = Path(path)
    base = shp.with_suffix("")
    if not shp.with_suffix(".shp").exists():
        raise ValueError(f"{shp}: no such shapefile")
    source_crs = _read_prj(base, crs)
    encodings = [encoding] if encoding else ([e] if (e := _read_cpg(base)) else ["utf-8", "cp932"])
    last_error: Exception | None = None
    for enc in encodings:
        try:
            records = _read_records(shp, enc)
            break
        except (UnicodeDecodeError, shapefile.dbfFileException) as exc:
            last_error = exc
    else:
        raise ValueError(f"{shp}: attributes are neither {' nor '.join(encodings)} ({last_error})")
    if not records:
        raise ValueError(f"{shp}: no polygon features")
    items: list[District] = []
    for i, (geo, props) in enumerate(records):
        where = f"{shp}: record {i + 1}"
        geom = _polygonal(shape(geo), where)
        geom = _to_wgs84(geom, source_crs)
        _check_lonlat(geom, where)
        name, code = _name_and_code(props, i, where, name_property, code_property)
        items.append(District(code, name, geom, props))
    return _merge(items)


def read_districts(path: str | PathLike[str], **kwargs: Any) -> list[District]:
    """Dispatch on the extension: .geojson/.json or .shp."""
    suffix = Path(path).suffix.lower()
    if suffix in (".geojson", ".json"):
        return read_geojson(path, **kwargs)
    if suffix == ".shp":
        return read_shapefile(path, **kwargs)
    raise ValueError(f"{path}: unknown district file type {suffix!r} (expected .geojson, .json or .shp)")


# --------------------------------------------------------------------------------------------
# index


class DistrictIndex:
    """Point-in-district lookups over an STRtree.

    A point on a shared boundary (or in an overlap of bad data) belongs to the district whose
    interior contains it, and among several to the lowest code: the answer never depends on
    file order.
    """

    def __init__(self, districts: Iterable[District]) -> None:
        items = sorted(districts, key=lambda d: d.code)
        codes = [d.code for d in items]
        dupes = sorted({c for c in codes if codes.count(c) > 1})
        if dupes:
            raise ValueError(f"duplicate district codes: {', '.join(dupes)}")
        self._items = items
        self._by_code = {d.code: d for d in items}
        geoms = [d.geometry for d in items]
        shapely.prepare(geoms)
        self._geoms = np.array(geoms, dtype=object)
        self._tree = STRtree(self._geoms)

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[District]:
        return iter(self._items)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __getitem__(self, code: str) -> District:
        return self._by_code[code]

    def _choose(self, point: Point, hits: Sequence[int]) -> District | None:
        if not len(hits):
            return None
        if len(hits) == 1:
            return self._items[int(hits[0])]
        inside = [int(i) for i in hits if self._geoms[int(i)].contains(point)]
        # Items are sorted by code, so the lowest index is the lowest code.
        return self._items[min(inside or [int(i) for i in hits])]

    def locate(self, lat: float, lon: float) -> District | None:
        """The district containing (lat, lon), boundary included; None outside all of them."""
        point = Point(lon, lat)
        return self._choose(point, self._tree.query(point, predicate="intersects"))

    def locate_many(self, points: Sequence[tuple[float, float]]) -> list[District | None]:
        """:meth:`locate` for many (lat, lon) points in one tree query."""
        if not len(points):
            return []
        pts = shapely.points([(lon, lat) for lat, lon in points])
        pairs = self._tree.query(pts, predicate="intersects")
        hits: dict[int, list[int]] = {}
        for p, g in zip(pairs[0].tolist(), pairs[1].tolist(), strict=True):
            hits.setdefault(p, []).append(g)
        return [self._choose(pts[i], hits.get(i, [])) for i in range(len(points))]

    def centroid(self, code: str) -> tuple[float, float]:
        """(lat, lon) of the district's centroid (may fall outside a crescent-shaped district;
        use :meth:`label_point` for a point guaranteed inside)."""
        c = self._by_code[code].geometry.centroid
        return c.y, c.x

    def label_point(self, code: str) -> tuple[float, float]:
        """(lat, lon) of a point inside the district, for a map label."""
        p = self._by_code[code].geometry.point_on_surface()
        return p.y, p.x
