"""Public read-only JSON API: /api/v1/activities (JSON and GeoJSON) and /api/v1/activities/<id>.

No login, no cookies needed; responses are cacheable (ETag, Last-Modified, 304 on
If-None-Match) and readable from any origin (CORS ``*``).  Bad parameters give HTTP 400 with
``{"error": {"code", "field", "message"}}``; unknown or unpublished ids give 404.
Every item also carries ``possibly_outdated`` (bool): the page shows 「情報が古いかもしれません」.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, request
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from gis.cluster import fit_zoom, grid_cells
from webapp.config import settings
from webapp.errors import api_error
from webapp.extensions import db
from webapp.listings.freshness import outdated_ids
from webapp.listings.models.activity import Activity
from webapp.search.activity_query import QueryError, parse_activity_query, parse_map_view
from webapp.search.service import (
    Hit,
    MapPoints,
    SearchResult,
    activity_to_feature,
    activity_to_json,
    map_points,
    marker_names,
    search_activities,
)
from webapp.security.permissions import public

bp = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_AGE_S = 60
# The map (markers.geojson). A view holding at most PIN_LIMIT listings gets every pin; more, and it
# gets clusters (grid cells of gis.cluster at the view's zoom) unless zoomed in to PIN_ZOOM or
# closer, where pins are drawn up to MAX_MARKERS. Without ``zoom`` (older clients): pins up to
# MAX_MARKERS and ``truncated``. Nothing is dropped silently either way.
PIN_LIMIT = 500
PIN_ZOOM = 17
MAX_MARKERS = 2000
MAX_CELLS = 2000
FIT_MAX_ZOOM = 16  # the map's own closest zoom for a first view (static/js/map.js)
COORD_DIGITS = 5  # ≈ 1 m: more digits only make the answer longer
MERGE_PX = 44  # a bubble's size (static/css/site.css .map-cluster): closer cells are merged


def _json(payload: dict[str, Any], *, mimetype: str = "application/json", modified: datetime | None = None) -> Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str)
    response = Response(body, mimetype=mimetype)
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE_S}"
    if modified is not None:
        response.last_modified = modified if modified.tzinfo else modified.replace(tzinfo=UTC)
    response.add_etag()
    response.make_conditional(request)  # in place (it returns self, typed as werkzeug's Response)
    return response


def _latest(result: SearchResult) -> datetime | None:
    stamps = [h.activity.updated_at for h in result.hits if getattr(h.activity, "updated_at", None)]
    return max(stamps) if stamps else None


def _with_outdated(items: list[dict[str, Any]], activities: list[Activity]) -> list[dict[str, Any]]:
    """Add ``possibly_outdated`` (the page's 「情報が古いかもしれません」) to each item, in one query."""
    outdated = outdated_ids(db.session(), settings(), activities)
    for item in items:
        target = item.get("properties", item)  # a GeoJSON feature carries it in its properties
        target["possibly_outdated"] = item["id"] in outdated
    return items


def _search() -> SearchResult | tuple[Response, int]:
    try:
        query = parse_activity_query(request.args)
    except QueryError as exc:
        return api_error(400, exc.code, exc.message, exc.field)
    return search_activities(db.session(), query, use_cache=True)


def _listing(key: str, item: Callable[[Hit], dict[str, Any]], head: dict[str, Any], mimetype: str) -> Any:
    """One page of search results as ``head`` + total/page/per_page + the items under ``key``."""
    result = _search()
    if not isinstance(result, SearchResult):
        return result
    payload = {
        **head,
        "total": result.total,
        "page": result.page,
        "per_page": result.per_page,
        key: _with_outdated([item(h) for h in result.hits], [h.activity for h in result.hits]),
    }
    return _json(payload, mimetype=mimetype, modified=_latest(result))


@bp.route("/activities")
@public
def activities() -> Any:
    return _listing("items", activity_to_json, {}, "application/json")


@bp.route("/activities.geojson")
@public
def activities_geojson() -> Any:
    return _listing("features", activity_to_feature, {"type": "FeatureCollection"}, "application/geo+json")


@bp.route("/markers.geojson")
@public
def markers_geojson() -> Any:
    """The map's data: pins (id, name, category and point; details: /activities/<id> on tap), or
    clusters (count, centre, extent, main category) where a view holds too many to draw.

    Same filters as /activities; ``bbox=minlon,minlat,maxlon,maxlat`` is the map's viewport,
    ``zoom`` its zoom, ``fit=width,height`` (first view) asks for every match at the zoom that
    fits them in a map of that size. Every match with a point is in a pin or a cluster's count.
    """
    try:
        query = parse_activity_query(request.args)
        view = parse_map_view(request.args)
    except QueryError as exc:
        return api_error(400, exc.code, exc.message, exc.field)
    session = db.session()
    points = map_points(session, query)
    extent = points.extent()
    zoom = view.zoom
    if view.fit is not None:
        zoom = fit_zoom(extent, *view.fit, max_zoom=FIT_MAX_ZOOM) if extent else (zoom if zoom is not None else FIT_MAX_ZOOM)
    payload: dict[str, Any] = {"type": "FeatureCollection", "total": points.total}
    if zoom is None:
        # No zoom (older clients): pins only, as many as MAX_MARKERS; ``truncated`` says when not all.
        features = _pins(session, points, range(min(len(points.ids), MAX_MARKERS)))
        payload.update(truncated=len(points.ids) > MAX_MARKERS, clustered=False)
    elif len(points.ids) <= PIN_LIMIT or (zoom >= PIN_ZOOM and len(points.ids) <= MAX_MARKERS):
        features = _pins(session, points, range(len(points.ids)))
        payload.update(truncated=False, clustered=False, zoom=zoom)
    else:
        features = _clusters(session, points, zoom)
        payload.update(truncated=False, clustered=True, zoom=zoom)
    payload["mapped"] = sum(f["properties"].get("k", 1) for f in features)
    if extent is not None:
        payload["extent"] = [round(v, COORD_DIGITS) for v in extent]
    payload["features"] = features
    return _json(payload, mimetype="application/geo+json")


def _point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [round(lon, COORD_DIGITS), round(lat, COORD_DIGITS)]}


def _pins(session: Any, points: MapPoints, members: Iterable[int]) -> list[dict[str, Any]]:
    """One feature per listing: short keys (n name, c category); the id is the feature's."""
    chosen = list(members)
    names = marker_names(session, [int(points.ids[k]) for k in chosen])
    out = []
    for k in chosen:
        i = int(points.ids[k])
        if i in names:  # published (an unpublished listing may linger in a lagging index)
            category = points.categories[int(points.cat[k])] if points.categories else ""
            out.append({"type": "Feature", "id": i, "geometry": _point(float(points.lon[k]), float(points.lat[k])),
                        "properties": {"n": names[i], "c": category}})  # fmt: skip
    return out


def _clusters(session: Any, points: MapPoints, zoom: int) -> list[dict[str, Any]]:
    """Grid cells at ``zoom``: a cell of one listing is its pin; the others are clusters with
    k (count), c (most frequent category) and b (extent, to zoom into on a tap)."""
    cells = grid_cells(points.lat, points.lon, zoom, points.cat, merge_px=MERGE_PX)
    while len(cells) > MAX_CELLS and zoom > 0:
        # An unusual request (a wide bbox at a close zoom): coarser cells keep the answer small.
        zoom -= 1
        cells = grid_cells(points.lat, points.lon, zoom, points.cat, merge_px=MERGE_PX)
    single = cells.count == 1
    features = _pins(session, points, cells.member[single].tolist())
    for n in (~single).nonzero()[0].tolist():
        features.append({
            "type": "Feature",
            "geometry": _point(float(cells.lon[n]), float(cells.lat[n])),
            "properties": {
                "k": int(cells.count[n]),
                "c": points.categories[int(cells.category[n])] if points.categories else "",
                "b": [round(float(v[n]), COORD_DIGITS) for v in (cells.minlon, cells.minlat, cells.maxlon, cells.maxlat)],
            },
        })  # fmt: skip
    return features


@bp.route("/basemap.geojson")
@public
def basemap_geojson() -> Any:
    """The map's own base layer for when tiles cannot load: the city outline, 小学校区 boundaries
    and labels (district names; town names from the geocoder), from the district data."""
    from webapp.public.basemap import basemap

    return _json(basemap(db.session(), settings()), mimetype="application/geo+json")


@bp.route("/activities/<int:activity_id>")
@public
def activity(activity_id: int) -> Any:
    found = db.session().scalar(
        select(Activity)
        .where(Activity.id == activity_id, Activity.status == "published")
        .options(selectinload(Activity.place), selectinload(Activity.organization))
    )
    if found is None:
        return api_error(404, "not_found", _("活動が見つかりません。"), "id")
    return _json(_with_outdated([activity_to_json(found)], [found])[0], modified=found.updated_at)


@bp.after_request
def _cors(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = "ETag, Last-Modified"
    response.headers.setdefault("Vary", "Accept-Language")
    return response

