"""Coverage of social resources by district × category (社会資源の充足状況).

For each stored school district and each category: how many published activities are held in it,
how many sessions a week they add up to (occurrences over the next four weeks ÷ 4, so 月1回 counts
as about 0.25), and the share of the district's area within ``walk_m`` (straight line) of a place
with an activity of that category — places just across the boundary count, because residents walk
across it. Activities without a place, or at a place outside every district, are counted apart.

Nothing here touches case data: the public open-data page uses the same counts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import shapely
from shapely.geometry import mapping
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gis.coverage import coverage as gis_coverage
from gis.coverage import uncovered_geometry
from gis.districts import District as GisDistrict
from schedule import occurrence_dates
from webapp import clock
from webapp.listings.districts import ASSIGN_KIND, load_districts
from webapp.listings.models.activity import Activity
from webapp.listings.models.place import District, Place

WEEKS = 4
UNASSIGNED = ""  # district code used for activities outside every district (or without a place)


@dataclass(frozen=True)
class DistrictInfo:
    code: str
    name: str
    area_km2: float


@dataclass(frozen=True)
class CoverageCell:
    district_code: str
    category: str
    activities: int
    sessions_per_week: float
    covered_share: float | None  # None when not computed (no area, or counts-only report)


@dataclass
class CoverageReport:
    walk_m: float
    as_of: date
    categories: list[str]
    districts: list[DistrictInfo]
    cells: dict[tuple[str, str], CoverageCell] = field(default_factory=dict)
    # Per category: activities outside every district or without a place.
    unassigned: dict[str, int] = field(default_factory=dict)

    def cell(self, district_code: str, category: str) -> CoverageCell:
        return self.cells.get(
            (district_code, category), CoverageCell(district_code, category, 0, 0.0, None)
        )

    def total(self, category: str) -> int:
        return sum(c.activities for (_, cat), c in self.cells.items() if cat == category) + self.unassigned.get(category, 0)

    def district_total(self, district_code: str) -> int:
        return sum(c.activities for (code, _), c in self.cells.items() if code == district_code)

    def gaps(self, category: str, below: float = 0.5) -> list[DistrictInfo]:
        """Districts where less than ``below`` of the area is within walking distance."""
        return [
            d for d in self.districts
            if (share := self.cell(d.code, category).covered_share) is not None and share < below
        ]


@dataclass(frozen=True)
class _ActivityRow:
    category: str
    district_code: str
    lat: float | None
    lon: float | None
    sessions_per_week: float


def _sessions_per_week(activity: Activity, today: date) -> float:
    try:
        n = len(occurrence_dates(activity.schedule, today, today + timedelta(days=7 * WEEKS - 1)))
    except (ValueError, TypeError):
        # A schedule that cannot be expanded (legacy text only) adds no countable sessions.
        return 0.0
    return n / WEEKS


def _count_rows(session: Session) -> list[_ActivityRow]:
    """Category and place of every published listing, without loading the listings: the counts-only
    report (open data) needs no schedule, and building 100k Activity objects took seconds."""
    query = (
        select(Activity.category, Place.lat, Place.lon, District.code, District.kind)
        .outerjoin(Place, Activity.place_id == Place.id)
        .outerjoin(District, Place.district_id == District.id)
        .where(Activity.status == "published", Activity.category.is_not(None))
    )
    return [
        _ActivityRow(str(category), code if code and kind == ASSIGN_KIND else UNASSIGNED, lat, lon, 0.0)
        for category, lat, lon, code, kind in session.execute(query)
    ]


def _activity_rows(session: Session, today: date, with_sessions: bool) -> list[_ActivityRow]:
    if not with_sessions:
        return _count_rows(session)
    query = (
        select(Activity, Place.lat, Place.lon, District.code, District.kind)
        .outerjoin(Place, Activity.place_id == Place.id)
        .outerjoin(District, Place.district_id == District.id)
        .where(Activity.status == "published", Activity.category.is_not(None))
        .order_by(Activity.id)
    )
    rows = []
    for activity, lat, lon, code, kind in session.execute(query):
        rows.append(
            _ActivityRow(
                category=str(activity.category),
                district_code=code if code and kind == ASSIGN_KIND else UNASSIGNED,
                lat=lat,
                lon=lon,
                sessions_per_week=_sessions_per_week(activity, today) if with_sessions else 0.0,
            )
        )
    return rows


def _area_km2(d: GisDistrict) -> float:
    from gis._proj import transform_geometry
    from gis.coverage import DEFAULT_CRS

    return float(transform_geometry(d.geometry, "EPSG:4326", DEFAULT_CRS).area) / 1_000_000


def coverage_report(
    session: Session,
    walk_m: float = 800,
    *,
    categories: Iterable[str] | None = None,
    today: date | None = None,
    with_area: bool = True,
    with_sessions: bool = True,
) -> CoverageReport:
    """The district × category table. ``categories`` defaults to the taxonomy's order.

    ``with_area=False`` skips the geometry work (counts only, for the open-data page).
    """
    from webapp.listings.taxonomy import taxonomy

    today = today or clock.today()
    cats = list(categories) if categories is not None else list(taxonomy().categories)
    districts = load_districts(session)
    rows = _activity_rows(session, today, with_sessions)
    report = CoverageReport(
        walk_m=walk_m,
        as_of=today,
        categories=cats,
        districts=[DistrictInfo(d.code, d.name, _area_km2(d) if with_area else 0.0) for d in districts],
    )
    counts: dict[tuple[str, str], int] = defaultdict(int)
    sessions: dict[tuple[str, str], float] = defaultdict(float)
    points: dict[str, set[tuple[float, float]]] = {c: set() for c in cats}
    for r in rows:
        if r.category not in points:
            continue
        if r.district_code == UNASSIGNED:
            report.unassigned[r.category] = report.unassigned.get(r.category, 0) + 1
        else:
            counts[(r.district_code, r.category)] += 1
            sessions[(r.district_code, r.category)] += r.sessions_per_week
        if r.lat is not None and r.lon is not None:
            points[r.category].add((r.lat, r.lon))
    shares: dict[tuple[str, str], float] = {}
    if with_area and districts:
        for row in gis_coverage(districts, {c: sorted(p) for c, p in points.items()}, walk_m):
            shares[(row.district_code, row.category)] = row.covered_share
    for d in districts:
        for c in cats:
            report.cells[(d.code, c)] = CoverageCell(
                d.code, c, counts.get((d.code, c), 0), round(sessions.get((d.code, c), 0.0), 2), shares.get((d.code, c))
            )
    return report


def data_version(session: Session) -> tuple[Any, ...]:
    """A cheap fingerprint of everything a coverage report reads (listings, places, districts).

    Any insert, delete or ORM/Core update of a listing or place moves its table's count, max id or
    max updated_at; districts have no timestamp but are few, so their identifying columns are read
    whole. Equal fingerprints → the same report, in every worker process (no shared cache needed).
    """
    listings = session.execute(select(func.count(Activity.id), func.max(Activity.id), func.max(Activity.updated_at))).one()
    places = session.execute(select(func.count(Place.id), func.max(Place.id), func.max(Place.updated_at))).one()
    districts = session.execute(
        select(District.id, District.code, District.name, District.kind, District.geom.is_not(None)).order_by(District.id)
    ).all()
    return (tuple(listings), tuple(places), tuple(tuple(d) for d in districts))


def category_points(session: Session, category: str) -> list[tuple[float, float]]:
    """(lat, lon) of the distinct places with a published activity of the category."""
    query = (
        select(Place.lat, Place.lon)
        .join(Activity, Activity.place_id == Place.id)
        .where(Activity.status == "published", Activity.category == category, Place.lat.is_not(None))
        .distinct()
    )
    return sorted((lat, lon) for lat, lon in session.execute(query) if lat is not None and lon is not None)


def _rounded(geom: Any, digits: int = 6) -> dict[str, Any]:
    return mapping(shapely.set_precision(geom, 10**-digits)) if not geom.is_empty else mapping(geom)


def coverage_geojson(session: Session, category: str, walk_m: float, report: CoverageReport | None = None) -> dict[str, Any]:
    """Districts with the category's figures, plus the area beyond walking distance, as GeoJSON."""
    report = report or coverage_report(session, walk_m, categories=[category])
    districts = load_districts(session)
    features: list[dict[str, Any]] = []
    for d in districts:
        cell = report.cell(d.code, category)
        features.append(
            {
                "type": "Feature",
                "geometry": _rounded(d.geometry),
                "properties": {
                    "kind": "district",
                    "code": d.code,
                    "name": d.name,
                    "category": category,
                    "activities": cell.activities,
                    "sessions_per_week": cell.sessions_per_week,
                    "covered_share": None if cell.covered_share is None else round(cell.covered_share, 4),
                },
            }
        )
    if districts:
        rest = uncovered_geometry(districts, category_points(session, category), walk_m)
        if not rest.is_empty:
            features.append(
                {"type": "Feature", "geometry": _rounded(rest), "properties": {"kind": "uncovered", "category": category}}
            )
    return {"type": "FeatureCollection", "walk_m": walk_m, "category": category, "features": features}
