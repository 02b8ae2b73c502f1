"""places_near on both databases: radius edges, ordering, and that the spatial index is used."""

from __future__ import annotations

import math

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.distance import haversine_m
from webapp.listings.models.place import Place
from webapp.listings.spatial import places_in_bbox_query, places_near, set_location

CENTER = (34.6915, 135.7006)  # 生駒駅 area


def _offset(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    # crude but deterministic; the test measures the real distance with haversine afterwards
    dlat = north_m / 110_900
    dlon = east_m / (111_320 * math.cos(math.radians(lat)))
    return lat + dlat, lon + dlon


def _place(session: Session, key: str, lat: float, lon: float) -> Place:
    p = Place(source="test", source_id=key, name=key)
    set_location(p, lat, lon)
    session.add(p)
    session.flush()
    return p


def test_radius_edges_and_order(session: Session, backend: str) -> None:
    inside, outside = [], []
    for i, bearing in enumerate(range(0, 360, 30)):
        rad = math.radians(bearing)
        for dist, bucket in ((1990.0, inside), (2010.0, outside)):
            lat, lon = _offset(*CENTER, dist * math.cos(rad), dist * math.sin(rad))
            # nudge so the true distance lands just inside / just outside 2 km
            d = haversine_m(*CENTER, lat, lon)
            scale = dist / d
            lat = CENTER[0] + (lat - CENTER[0]) * scale
            lon = CENTER[1] + (lon - CENTER[1]) * scale
            bucket.append(_place(session, f"{bucket is inside}-{i}", lat, lon).id)
    near_place = _place(session, "near", *_offset(*CENTER, 100, 0))
    found = places_near(session, *CENTER, 2000)
    ids = [n.place_id for n in found]
    assert set(inside) | {near_place.id} == set(ids)
    assert not set(outside) & set(ids)
    assert ids[0] == near_place.id
    distances = [n.distance_m for n in found]
    assert distances == sorted(distances)
    assert all(d <= 2000 for d in distances)


def test_place_without_location_is_ignored(session: Session) -> None:
    p = Place(source="test", source_id="nowhere", name="no point")
    session.add(p)
    session.flush()
    assert places_near(session, *CENTER, 50_000) == []


def test_bbox_query_uses_spatial_index(session: Session, backend: str) -> None:
    _place(session, "a", *CENTER)
    query = places_in_bbox_query(session, 135.6, 34.6, 135.8, 34.8)
    compiled = query.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
    if backend == "sqlite":
        assert "idx_place_point" in str(compiled)
        plan = session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()
        assert any("idx_place_point" in str(row) for row in plan)
    else:
        session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(r[0] for r in session.execute(text(f"EXPLAIN {compiled}")))
        assert "idx_place_point" in plan
