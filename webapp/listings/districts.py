"""Districts (地区・小学校区) in the database: import polygons, and give every Place its district.

Reading files (国土数値情報 A27 小学校区, N03 行政区域, any GeoJSON or shapefile) is gis.districts'
job; this module stores the polygons and runs point-in-polygon in the database so that the spatial
index (R*Tree on SpatiaLite, GiST on PostGIS) does the candidate search. Only districts of one kind
(default "school") are assigned to places: a city outline (kind "city") is stored for maps and
coverage but would otherwise swallow every place.

A point on a shared boundary belongs to the district whose interior contains it, and among several
to the lowest code, the same rule as gis.districts.DistrictIndex, so the DB and the pure index agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import shapely
from geoalchemy2.elements import WKTElement
from geoalchemy2.shape import to_shape
from shapely.geometry import MultiPolygon, Polygon
from sqlalchemy import bindparam, delete, select, text, update
from sqlalchemy.orm import Session

from gis.districts import District as GisDistrict
from gis.districts import read_districts
from webapp.listings.models.place import District, Place
from webapp.service_error import ServiceError

DISTRICT_KINDS = ("school", "city")
_CITY_KEYS = ("A27_001", "N03_007")
ASSIGN_KIND = "school"
# Enough digits for ~1 cm; keeps the stored WKT small and the round trip exact.
_WKT_DIGITS = 7

# CROSS JOIN fixes SQLite's join order (place, then the R*Tree searched by the place's point, then
# the district by rowid); left to itself the planner scans districts and probes the R*Tree by id.
_CANDIDATES_SQLITE = """
SELECT p.id AS place_id, d.id AS district_id, d.code AS code, ST_Contains(d.geom, p.point) AS inside
FROM place AS p
CROSS JOIN idx_district_geom AS r
CROSS JOIN district AS d
WHERE r.xmin <= p.lon AND r.xmax >= p.lon AND r.ymin <= p.lat AND r.ymax >= p.lat
  AND d.id = r.pkid AND p.point IS NOT NULL AND d.kind = :kind AND d.geom IS NOT NULL
  AND ST_Intersects(d.geom, p.point) = 1
"""

_CANDIDATES_POSTGIS = """
SELECT p.id AS place_id, d.id AS district_id, d.code AS code, ST_Contains(d.geom, p.point) AS inside
FROM place AS p
JOIN district AS d ON ST_Intersects(d.geom, p.point)
WHERE p.point IS NOT NULL AND d.kind = :kind
"""


@dataclass(frozen=True)
class AssignResult:
    checked: int  # places looked at
    assigned: int  # places inside some district
    outside: int  # places with a point outside every district, or without a point
    changed_place_ids: tuple[int, ...] = ()  # district changed: their search documents need an update


@dataclass(frozen=True)
class DistrictImportResult:
    created: int
    updated: int
    removed: int
    kind: str
    codes: tuple[str, ...] = ()
    assign: AssignResult | None = field(default=None)


def _multipolygon(geom: Polygon | MultiPolygon) -> MultiPolygon:
    return geom if isinstance(geom, MultiPolygon) else MultiPolygon([geom])


def geometry_element(geom: Polygon | MultiPolygon) -> WKTElement:
    return WKTElement(shapely.to_wkt(_multipolygon(geom), rounding_precision=_WKT_DIGITS), srid=4326)


def candidates_sql(dialect: str) -> str:
    """The point-in-polygon join for this dialect (exposed so a test can EXPLAIN it)."""
    return _CANDIDATES_SQLITE if dialect == "sqlite" else _CANDIDATES_POSTGIS


def assign_districts(session: Session, place_ids: Iterable[int] | None = None, *, kind: str = ASSIGN_KIND) -> AssignResult:
    """Set Place.district_id by point-in-polygon for the given places (all when None).

    Call after any upsert that moves or adds places, and after districts change. Flushes; does not
    commit. Objects already in the session are expired so they read the new district.
    """
    session.flush()
    ids = None if place_ids is None else sorted(set(place_ids))
    if ids is not None and not ids:
        return AssignResult(0, 0, 0)
    dialect = session.get_bind().dialect.name
    sql = candidates_sql(dialect)
    params: dict[str, object] = {"kind": kind}
    stmt = text(sql + (" AND p.id IN :ids" if ids is not None else ""))
    if ids is not None:
        stmt = stmt.bindparams(bindparam("ids", expanding=True))
        params["ids"] = ids
    best: dict[int, tuple[bool, str, int]] = {}
    for place_id, district_id, code, inside in session.execute(stmt, params):
        # Rank: interior before boundary, then lowest code (deterministic on shared edges).
        key = (not bool(inside and int(inside) == 1), str(code), int(district_id))
        if place_id not in best or key < best[place_id]:
            best[place_id] = key
    current_q = select(Place.id, Place.district_id)
    if ids is not None:
        current_q = current_q.where(Place.id.in_(ids))
    current: dict[int, int | None] = {pid: did for pid, did in session.execute(current_q)}
    changes = []
    for pid, old in current.items():
        new = best[pid][2] if pid in best else None
        if new != old:
            changes.append({"pid": pid, "did": new})
    if changes:
        session.execute(
            update(Place.__table__).where(Place.__table__.c.id == bindparam("pid")).values(district_id=bindparam("did")),
            changes,
        )
        changed_ids = {c["pid"] for c in changes}
        for obj in list(session.identity_map.values()):
            if isinstance(obj, Place) and obj.id in changed_ids:
                session.expire(obj, ["district_id", "district"])
    assigned = sum(1 for pid in current if pid in best)
    return AssignResult(
        checked=len(current),
        assigned=assigned,
        outside=len(current) - assigned,
        changed_place_ids=tuple(sorted(c["pid"] for c in changes)),  # type: ignore[misc]
    )


def store_districts(
    session: Session,
    districts: Sequence[GisDistrict],
    *,
    kind: str = ASSIGN_KIND,
    source: str = "file",
    replace: bool = False,
    assign: bool = True,
) -> DistrictImportResult:
    """Upsert districts by code; with ``replace``, drop districts of this kind not in ``districts``.

    Places are re-assigned afterwards (when ``assign``) because any boundary may have moved.
    """
    if kind not in DISTRICT_KINDS:
        raise ServiceError("invalid_kind", f"kind must be one of {', '.join(DISTRICT_KINDS)}", "kind")
    if not districts:
        raise ServiceError("no_districts", "the file has no districts", "path")
    codes = [d.code for d in districts]
    dupes = sorted({c for c in codes if codes.count(c) > 1})
    if dupes:
        raise ServiceError("duplicate_code", f"duplicate district codes: {', '.join(dupes)}", "code")
    existing = {d.code: d for d in session.scalars(select(District).where(District.code.in_(codes)))}
    clash = sorted(c for c, d in existing.items() if d.kind != kind)
    if clash:
        raise ServiceError(
            "kind_clash", f"district code {clash[0]} is already stored as kind {existing[clash[0]].kind!r}", "code"
        )
    created = updated = 0
    for d in districts:
        row = existing.get(d.code)
        if row is None:
            row = District(code=d.code, kind=kind)
            session.add(row)
            created += 1
        else:
            updated += 1
        row.name = d.name[:200]
        row.source = source[:50]
        row.geom = geometry_element(d.geometry)
    removed = 0
    if replace:
        stale = select(District.id).where(District.kind == kind, District.code.not_in(codes))
        stale_ids = list(session.scalars(stale))
        if stale_ids:
            session.execute(
                update(Place).where(Place.district_id.in_(stale_ids)).values(district_id=None),
                execution_options={"synchronize_session": "fetch"},
            )
            session.execute(delete(District).where(District.id.in_(stale_ids)), execution_options={"synchronize_session": False})
            removed = len(stale_ids)
    session.flush()
    result = assign_districts(session, kind=ASSIGN_KIND) if assign and kind == ASSIGN_KIND else None
    return DistrictImportResult(created, updated, removed, kind, tuple(codes), result)


def import_district_file(
    session: Session,
    path: str | PathLike[str],
    *,
    kind: str = ASSIGN_KIND,
    name_property: str | None = None,
    code_property: str | None = None,
    source: str | None = None,
    replace: bool = False,
    city_code: str | None = None,
) -> DistrictImportResult:
    """Read A27/N03/named GeoJSON or a shapefile and store it (see :func:`store_districts`).

    国土数値情報 files cover a whole prefecture: ``city_code`` (全国地方公共団体コード, 5 digits, e.g.
    29209) keeps the features whose A27_001 or N03_007 is that city. Raises ValueError (with
    gis.districts' one-line message) when the file cannot be read.
    """
    districts = read_districts(Path(path), name_property=name_property, code_property=code_property)
    if city_code:
        districts = [d for d in districts if city_code in {str(d.properties.get(k) or "") for k in _CITY_KEYS}]
        if not districts:
            raise ServiceError("no_districts", f"no feature has A27_001 or N03_007 = {city_code}", "city_code")
    return store_districts(session, districts, kind=kind, source=source or Path(path).stem, replace=replace)


def load_districts(session: Session, kind: str = ASSIGN_KIND) -> list[GisDistrict]:
    """Stored districts of a kind as gis.districts.District objects (for coverage and maps)."""
    rows = session.execute(
        select(District.code, District.name, District.geom).where(District.kind == kind, District.geom.is_not(None)).order_by(District.code)
    )
    return [GisDistrict(code, name, to_shape(geom)) for code, name, geom in rows]
