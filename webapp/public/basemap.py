"""The map's fallback base layer (when tiles cannot load): city outline, 小学校区 boundaries and
labels, drawn from the district data the city imported (districts of kind "city" and "school")
and the geocoder's towns. Simplified to ~10 m, so the whole layer stays a few tens of KB."""

from __future__ import annotations

from typing import Any

import shapely
from shapely.geometry import mapping
from sqlalchemy.orm import Session

from webapp.config import Settings
from webapp.listings.districts import load_districts
from webapp.listings.geocoding import get_geocoder

SIMPLIFY_DEG = 0.0001  # ~10 m
DIGITS = 5


def _shape(geom: Any) -> dict[str, Any]:
    simple = shapely.set_precision(geom.simplify(SIMPLIFY_DEG, preserve_topology=True), 10**-DIGITS)
    return dict(mapping(simple))


def basemap(session: Session, settings: Settings) -> dict[str, Any]:
    features: list[dict[str, Any]] = []
    for d in load_districts(session, "city"):
        features.append({"type": "Feature", "geometry": _shape(d.geometry), "properties": {"kind": "city", "name": d.name}})
    for d in load_districts(session, "school"):
        features.append({"type": "Feature", "geometry": _shape(d.geometry), "properties": {"kind": "district", "name": d.name}})
        point = d.geometry.representative_point()
        features.append({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [round(point.x, DIGITS), round(point.y, DIGITS)]},
            "properties": {"kind": "district_label", "name": d.name},
        })  # fmt: skip
    for name, lat, lon in get_geocoder(settings).town_points(settings.city_name):
        features.append({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [round(lon, DIGITS), round(lat, DIGITS)]},
            "properties": {"kind": "town", "name": name},
        })  # fmt: skip
    return {"type": "FeatureCollection", "features": features}
