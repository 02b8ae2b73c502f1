"""Nearest-first queries that use the spatial index on both databases.

The spatial index (R*Tree on SpatiaLite, GiST on PostGIS) finds the places inside a bounding box
around the point; the exact (WGS84 geodesic) distance is then computed for those candidates only. A bbox from
gis.distance.bbox_around never misses a point at the radius edge.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from geoalchemy2.elements import WKTElement
from sqlalchemy import Select, column, func, select, table
from sqlalchemy.orm import Session

from gis.distance import bbox_around, geodesic_many_m
from webapp.listings.models.place import Place

# geoalchemy2 names the SpatiaLite R*Tree idx_<table>_<column>; its pkid is the rowid (= Place.id).
_RTREE = table("idx_place_point", column("pkid"), column("xmin"), column("xmax"), column("ymin"), column("ymax"))


@dataclass(frozen=True)
class Near:
    place_id: int
    distance_m: float


def point_element(lat: float, lon: float) -> WKTElement:
    return WKTElement(f"POINT({lon!r} {lat!r})", srid=4326)


class Locatable(Protocol):
    """A Place, or an import's not-yet-inserted place (lat/lon and the geometry column)."""

    lat: float | None
    lon: float | None
    point: Any


def set_location(place: Locatable, lat: float | None, lon: float | None) -> None:
    """Keep lat/lon and the geometry column in step; the one way to move a place."""
    if lat is None or lon is None:
        place.lat = place.lon = None
        place.point = None
        return
    place.lat, place.lon = float(lat), float(lon)
    place.point = point_element(place.lat, place.lon)


def places_in_bbox_query(session: Session, minlon: float, minlat: float, maxlon: float, maxlat: float) -> Select:
    """SELECT place.id, lat, lon inside the box, through the spatial index of the current dialect."""
    dialect = session.get_bind().dialect.name
    query = select(Place.id, Place.lat, Place.lon).where(Place.lat.is_not(None))
    if dialect == "sqlite":
        r = _RTREE.c
        hits = select(r.pkid).where(r.xmin <= maxlon, r.xmax >= minlon, r.ymin <= maxlat, r.ymax >= minlat)
        return query.where(Place.id.in_(hits))
    envelope = func.ST_MakeEnvelope(minlon, minlat, maxlon, maxlat, 4326)
    return query.where(Place.point.op("&&")(envelope))


def places_near(session: Session, lat: float, lon: float, radius_m: float) -> list[Near]:
    """Places within radius_m of (lat, lon), nearest first, with their distance in metres."""
    box = bbox_around(lat, lon, radius_m)
    rows = session.execute(places_in_bbox_query(session, box.minlon, box.minlat, box.maxlon, box.maxlat)).all()
    distances = geodesic_many_m(lat, lon, [r[1] for r in rows], [r[2] for r in rows])
    found = [Near(r[0], float(d)) for r, d in zip(rows, distances, strict=True) if d <= radius_m]
    found.sort(key=lambda n: (n.distance_m, n.place_id))
    return found
