"""Public read-only JSON API: /api/v1/activities (JSON and GeoJSON) and /api/v1/activities/<id>.

No login, no cookies needed; responses are cacheable (ETag, Last-Modified, 304 on
If-None-Match) and readable from any origin (CORS ``*``).  Bad parameters give HTTP 400 with
``{"error": {"code", "field", "message"}}``; unknown or unpublished ids give 404.
Every item also carries ``possibly_outdated`` (bool): the page shows 「情報が古いかもしれません」.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, request
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from webapp.config import settings
from webapp.errors import api_error
from webapp.extensions import db
from webapp.listings.freshness import outdated_ids
from webapp.listings.models.activity import Activity
from webapp.search.activity_query import QueryError, parse_activity_query
from webapp.search.service import (
    Hit,
    SearchResult,
    activity_to_feature,
    activity_to_json,
    search_activities,
    search_markers,
)
from webapp.security.permissions import public

bp = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_AGE_S = 60
# Pins per viewport: a city's whole map fits; beyond it the answer says so (``truncated``) and the
# map asks the resident to zoom in instead of silently dropping listings.
MAX_MARKERS = 2000


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
    """The map's pins: id, name, category and point only (details: /activities/<id> on tap).

    Same filters as /activities; ``bbox=minlon,minlat,maxlon,maxlat`` is the map's viewport.
    """
    try:
        query = parse_activity_query(request.args)
    except QueryError as exc:
        return api_error(400, exc.code, exc.message, exc.field)
    total, found = search_markers(db.session(), query, MAX_MARKERS)
    features = [
        {"type": "Feature", "id": m.id, "geometry": {"type": "Point", "coordinates": [round(m.lon, 6), round(m.lat, 6)]},
         "properties": {"id": m.id, "name": m.name, "category": m.category}}
        for m in found
    ]  # fmt: skip
    payload = {"type": "FeatureCollection", "total": total, "truncated": total > len(found) and len(found) >= MAX_MARKERS, "features": features}
    return _json(payload, mimetype="application/geo+json")


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

