"""Activity search: text (Whoosh) + place + filters + schedules (RRULE, Tokyo, holidays).

The one entry point for the public API and the resident pages::

    result = search_activities(session, parse_activity_query(request.args))

* Text: the Whoosh index (webapp.search.index) gives ids and tiered relevance scores.
* Place and the cheap filters (category, free, weekday): on a large city, numpy arrays built
  from the index's columns (measured faster than the DB: there is no index on activity.place_id,
  so the spatial-index subquery still scans every published activity); on a small city the DB's
  spatial index (webapp.listings.spatial).  The exact distance is the WGS84 geodesic either way,
  so the radius edge is exact.
* Audience, accessibility, district, newcomer flags, a date or "open now": DB rows + RRULE.
* The page is always loaded from the DB with ``status == "published"``: a listing that was
  unpublished but is still in a lagging index never appears.
Order: relevance when there is text, else distance when a point is given, else kana order.
"""

from __future__ import annotations

import math
import threading
import time as _time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload

from gis.distance import bbox_around, geodesic_many_m
from schedule import TZ, Schedule, is_open_at, next_occurrences, occurs_on
from webapp import clock
from webapp.listings.models.activity import (
    Activity,
    schedule_from_key,
    schedule_key,
    schedule_of,
    schedule_weekdays,
)
from webapp.listings.models.place import District, Place
from webapp.listings.spatial import places_in_bbox_query
from webapp.search.activity_query import ActivityQuery
from webapp.search.index import SearchIndex
from webapp.search.synonyms import expand_query

__all__ = [
    "Hit",
    "MapPoints",
    "SearchResult",
    "activity_to_feature",
    "activity_to_json",
    "map_points",
    "marker_names",
    "search_activities",
]

# Above this many text hits, the ids are not sent to SQL as an IN list: the filtered rows are
# read and intersected in Python instead.
_MAX_IN_IDS = 2000
# Below this many indexed listings the DB answers place/category filters (always current).
FACETS_MIN_DOCS = 2000
# 「東生駒 サロン」: a town word beside other words is met by the listing's text or by lying within
# this distance of the town's point (salons in or near 東生駒).
TOWN_NEAR_M = 1500.0
_CACHE_SIZE = 256
_CACHE_TTL_S = 60.0
_FLAG_COLUMNS = {
    "first_timers": Activity.welcomes_first_timers,
    "visit_ok": Activity.visit_ok,
    "solo_ok": Activity.solo_ok,
}


@dataclass
class Hit:
    activity: Activity
    distance_m: float | None = None
    score: float | None = None
    next_occurrences: list[datetime] = field(default_factory=list)


@dataclass
class SearchResult:
    total: int
    page: int
    per_page: int
    hits: list[Hit]

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page)) if self.per_page else 1


class _Ranked(NamedTuple):
    id: int
    distance_m: float | None
    score: float | None


# --------------------------------------------------------------------------------------------
# geometry


def _distances(lat0: float, lon0: float, points: Sequence[tuple[float, float]]) -> list[float]:
    """Geodesic (WGS84) distances, vectorised: the reference distance, exact at the radius edge."""
    return geodesic_many_m(lat0, lon0, [p[0] for p in points], [p[1] for p in points]).tolist()


# --------------------------------------------------------------------------------------------
# schedules (cached per rule: many listings share "毎週月曜 13:30〜15:00")


def _schedule(row: Any) -> Schedule:
    # rows here carry the schedule columns but not the human text
    return schedule_of(row, text="")


@lru_cache(maxsize=8192)
def _occurs(key: tuple[Any, ...], day: date) -> bool:
    return occurs_on(schedule_from_key(key), day)


def _schedule_ok(row: Any, query: ActivityQuery, now: datetime) -> bool:
    if row.schedule_rrule is None and not row.schedule_rdates:
        return False
    key = schedule_key(row)
    if isinstance(query.day, int) and query.day not in schedule_weekdays(key):
        return False
    if isinstance(query.day, date) and not _occurs(key, query.day):
        return False
    if query.open_now:
        if row.start_time is None or row.end_time is None:
            return False
        local = now.astimezone(TZ)
        if not (row.start_time <= local.time().replace(tzinfo=None) < row.end_time):
            return False
        return is_open_at(_schedule(row), local)
    return True


# --------------------------------------------------------------------------------------------
# the search


def _candidate_stmt(
    session: Session, query: ActivityQuery, text_ids: list[int] | None, *, geo: bool = True
) -> Any:
    cols: list[Any] = [Activity.id, Activity.name_kana, Activity.name, Place.lat, Place.lon]
    if query.day is not None or query.open_now:
        cols += [
            Activity.schedule_rrule,
            Activity.schedule_dtstart,
            Activity.start_time,
            Activity.end_time,
            Activity.schedule_exdates,
            Activity.schedule_rdates,
            Activity.skip_holidays,
            Activity.schedule_yearly_exclusions,
        ]
    if query.audiences:
        cols.append(Activity.audiences)
    if query.accessibility:
        cols += [Activity.accessibility.label("a_access"), Place.accessibility.label("p_access")]
    stmt = (
        select(*cols)
        .select_from(Activity)
        .outerjoin(Place, Activity.place_id == Place.id)
        .where(Activity.status == "published")
    )
    if text_ids is not None:
        stmt = stmt.where(Activity.id.in_(text_ids))
    if query.categories:
        stmt = stmt.where(Activity.category.in_(query.categories))
    if query.free:
        stmt = stmt.where(Activity.cost_yen == 0)
    for flag in query.flags:
        stmt = stmt.where(_FLAG_COLUMNS[flag].is_(True))
    if query.district:
        stmt = stmt.join(District, Place.district_id == District.id).where(
            or_(District.code == query.district, District.name == query.district)
        )
    boxes = []
    if not geo:
        return stmt
    if query.bbox is not None:
        boxes.append(query.bbox)
    if query.has_point:
        assert query.lat is not None and query.lon is not None
        boxes.append(bbox_around(query.lat, query.lon, query.radius_m))
    for box in boxes:
        inside = places_in_bbox_query(session, box.minlon, box.minlat, box.maxlon, box.maxlat).subquery()
        stmt = stmt.where(Activity.place_id.in_(select(inside.c.id)))
    return stmt


def _needs_db(query: ActivityQuery) -> bool:
    """True when anything beyond the text decides membership (filters, place, schedule)."""
    return bool(
        query.categories
        or query.audiences
        or query.free
        or query.flags
        or query.district
        or query.accessibility
        or query.bbox is not None
        or query.has_point
        or query.day is not None
        or query.open_now
    )


def _db_only_filters(query: ActivityQuery) -> bool:
    """Filters the in-memory facets cannot decide (they need the DB rows)."""
    return bool(
        query.audiences
        or query.accessibility
        or query.district
        or query.flags
        or isinstance(query.day, date)
        or query.open_now
    )


class _ArrayRanking:
    """A text-only ranking kept as arrays; sliced into _Ranked only for the page shown."""

    def __init__(self, ids: Any, scores: Any) -> None:
        self.ids, self.scores = ids, scores

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, window: slice) -> list[_Ranked]:
        return [_Ranked(i, None, sc) for i, sc in zip(self.ids[window].tolist(), self.scores[window].tolist(), strict=True)]


def _rank(
    session: Session,
    query: ActivityQuery,
    now: datetime,
    index: SearchIndex | None,
    facets: str = "auto",
    *,
    ordered: bool = True,
) -> Any:
    """Every match of ``query``, ranked (``ordered=False``: in any order, cheaper: the map needs
    the set, not the order)."""
    scores: dict[int, float] | None = None
    order: dict[int, int] = {}
    if query.q.strip():
        groups = expand_query(query.q)
        if not groups:
            return []  # only punctuation or spaces: a valid, empty result
        if index is None:
            from webapp.search.index import current_index

            index = current_index()
        town = _town_word(groups) if not query.has_point else None
        if town is not None:
            text_ids, text_scores = _in_or_near_town(index, groups, *town)
        else:
            text_ids, text_scores, _ = index.match_arrays(groups)
        if not len(text_ids):
            return []
        if not _needs_db(query):
            # Text only: the index ranks; the DB is asked only for the page (published check there).
            return _ArrayRanking(text_ids, text_scores)
        if _use_facets(query, index, facets):
            return _rank_with_facets(session, query, now, index, (text_ids, text_scores), ordered=ordered)
        scores = dict(zip(text_ids.tolist(), text_scores.tolist(), strict=True))
        order = {i: n for n, i in enumerate(text_ids.tolist())}
    if _use_facets(query, index, facets):
        assert index is not None or facets != "db"
        return _rank_with_facets(session, query, now, index, None, ordered=ordered)
    if scores is None and not _needs_db(query) and facets != "db":
        landing = _landing(index)
        if landing is not None:
            return landing
    return _rank_with_db(session, query, now, scores, order)


def _town_word(groups: list[list[str]]) -> tuple[int, tuple[float, float]] | None:
    """(position, point) of the query's town word when the query has other words too."""
    from flask import has_app_context

    if len(groups) < 2 or not has_app_context():
        return None  # outside the app (a bare service call) there is no town table
    from webapp.config import settings
    from webapp.listings.geocoding import get_geocoder

    config = settings()
    geocoder = get_geocoder(config)
    for n, spellings in enumerate(groups):
        typed = spellings[0]
        if not geocoder.is_town(typed):
            continue
        found = geocoder.geocode(typed if config.city_name in typed else config.city_name + typed)
        if found is not None:
            return n, (found.lat, found.lon)
    return None


def _in_or_near_town(index: SearchIndex, groups: list[list[str]], n: int, point: tuple[float, float]) -> tuple[Any, Any]:
    """Text matches of the other words that name the town or lie within TOWN_NEAR_M of it.

    Order: the town in the text first (its match adds to the score), then by distance.
    """
    import numpy as np

    ids, scores, _ = index.match_arrays(groups[:n] + groups[n + 1 :])
    if not len(ids):
        return ids, scores
    town_ids, town_scores, _ = index.match_arrays([groups[n]])
    fac = index.facets()
    order = np.argsort(fac.ids)
    pos = order[np.clip(np.searchsorted(fac.ids, ids, sorter=order), 0, len(order) - 1)]
    lat, lon = fac.lat[pos], fac.lon[pos]
    located = ~(np.isnan(lat) | np.isnan(lon))
    dist = np.full(len(ids), np.inf)
    if located.any():
        dist[located] = geodesic_many_m(point[0], point[1], lat[located], lon[located])
    bonus = np.zeros(len(ids), dtype=np.float32)
    in_text = np.isin(ids, town_ids)
    if in_text.any():
        by_id = dict(zip(town_ids.tolist(), town_scores.tolist(), strict=True))
        bonus[in_text] = [by_id[i] for i in ids[in_text].tolist()]
    keep = in_text | (dist <= TOWN_NEAR_M)
    ids, total, dist = ids[keep], (scores + bonus)[keep], dist[keep]
    ranked = np.lexsort((dist, -total))
    return ids[ranked], total[ranked]


class _LandingRanking:
    """Every listing in kana order (no query, no filter): the index's per-generation ranking."""

    def __init__(self, ids: Any) -> None:
        self.ids = ids

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, window: slice) -> list[_Ranked]:
        return [_Ranked(i, None, None) for i in self.ids[window].tolist()]


def _landing(index: SearchIndex | None) -> _LandingRanking | None:
    """The landing page's ranking from the index on large cities (cached per index generation,
    so every change seen by the index renews it); None: ask the DB (small cities, tests)."""
    if index is None:
        from webapp.search.index import current_index

        index = current_index()
    if not index.exists() or index.doc_count() < FACETS_MIN_DOCS:
        return None
    return _LandingRanking(index.landing_ids())


def _use_facets(query: ActivityQuery, index: SearchIndex | None, mode: str) -> bool:
    if mode == "db":
        return False
    if not (query.has_point or query.bbox or query.categories or query.free or isinstance(query.day, int)):
        return False
    if mode == "index":
        return True
    # auto: the in-memory arrays pay off on large cities; small ones (and tests that write rows
    # without indexing them) keep the DB, which is always current.
    if index is None:
        from webapp.search.index import current_index

        index = current_index()
    return index.exists() and index.doc_count() >= FACETS_MIN_DOCS


class _Unordered:
    """Matches from the in-memory facets in docnum order, with the facets they were read from
    (the map looks their points up there without a second lookup)."""

    def __init__(self, ids: Any, docnums: Any, facets: Any) -> None:
        self.ids, self.docnums, self.facets = ids, docnums, facets

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, window: slice) -> list[_Ranked]:
        return [_Ranked(i, None, None) for i in self.ids[window].tolist()]


def _rank_with_facets(
    session: Session,
    query: ActivityQuery,
    now: datetime,
    index: SearchIndex | None,
    text: tuple[Any, Any] | None,
    *,
    ordered: bool = True,
) -> Any:
    import numpy as np

    if index is None:
        from webapp.search.index import current_index

        index = current_index()
    fac = index.facets()
    box = None
    if query.has_point:
        assert query.lat is not None and query.lon is not None
        b = bbox_around(query.lat, query.lon, query.radius_m)
        box = (b.minlon, b.minlat, b.maxlon, b.maxlat)
    if query.bbox is not None:
        q = query.bbox
        box = (
            (q.minlon, q.minlat, q.maxlon, q.maxlat)
            if box is None
            else (max(box[0], q.minlon), max(box[1], q.minlat), min(box[2], q.maxlon), min(box[3], q.maxlat))
        )
    docnums = fac.candidates(
        box=box,
        categories=query.categories,
        free=query.free,
        weekday=query.day if isinstance(query.day, int) else None,
    )
    scores: dict[int, float] | None = None
    order: dict[int, int] = {}
    if text is not None:
        # Intersect with the text ranking in numpy; dicts only for the (few) listings left.
        text_ids, text_scores = text
        cand = fac.ids[docnums]
        keep = np.isin(cand, text_ids)
        docnums, cand = docnums[keep], cand[keep]
        if ordered:
            sorter = np.argsort(text_ids)
            pos = sorter[np.searchsorted(text_ids, cand, sorter=sorter)]
            scores = dict(zip(cand.tolist(), text_scores[pos].tolist(), strict=True))
            order = dict(zip(cand.tolist(), pos.tolist(), strict=True))
    dist: dict[int, float] = {}
    if query.has_point and len(docnums):
        assert query.lat is not None and query.lon is not None  # has_point
        d = geodesic_many_m(query.lat, query.lon, fac.lat[docnums], fac.lon[docnums])
        inside = d <= query.radius_m
        docnums = docnums[inside]
        if ordered:
            dist = dict(zip(fac.ids[docnums].tolist(), d[inside].tolist(), strict=True))
    if not ordered:
        found = fac.ids[docnums]
        if _db_only_filters(query) and len(found):
            passed = np.fromiter((r.id for r in _filtered_rows(session, query, now, found.tolist())), dtype=np.int64)
            keep = np.isin(found, passed)
            docnums, found = docnums[keep], found[keep]
        return _Unordered(found, docnums, fac)
    ids = fac.ids[docnums].tolist()
    kana = {i: fac.kana[dn] for i, dn in zip(ids, docnums.tolist(), strict=True)}
    if _db_only_filters(query):
        allowed = {r.id for r in _filtered_rows(session, query, now, ids)}
        ids = [i for i in ids if i in allowed]
    return _order(query, ids, dist, scores, order, kana)


def _filtered_rows(session: Session, query: ActivityQuery, now: datetime, ids: list[int] | None) -> list[Any]:
    """Published rows passing every DB-side filter (restricted to ``ids`` when given)."""
    if ids is not None and len(ids) <= _MAX_IN_IDS:
        rows: list[Any] = []
        for i in range(0, len(ids), 1000):
            rows += session.execute(_candidate_stmt(session, query, ids[i : i + 1000], geo=False)).all()
    else:
        rows = list(session.execute(_candidate_stmt(session, query, None, geo=ids is None)).all())
        if ids is not None:
            wanted = set(ids)
            rows = [r for r in rows if r.id in wanted]
    if query.audiences:
        aud = set(query.audiences)
        rows = [r for r in rows if aud & set(r.audiences or ())]
    if query.accessibility:
        need = set(query.accessibility)
        rows = [r for r in rows if need <= set(r.a_access or ()) | set(r.p_access or ())]
    if query.day is not None or query.open_now:
        rows = [r for r in rows if _schedule_ok(r, query, now)]
    return rows


def _rank_with_db(
    session: Session,
    query: ActivityQuery,
    now: datetime,
    scores: dict[int, float] | None,
    order: dict[int, int],
) -> list[_Ranked]:
    text_ids = sorted(scores) if scores is not None and len(scores) <= _MAX_IN_IDS else None
    rows = session.execute(_candidate_stmt(session, query, text_ids)).all()
    if scores is not None and text_ids is None:
        rows = [r for r in rows if r.id in scores]
    if query.audiences:
        wanted = set(query.audiences)
        rows = [r for r in rows if wanted & set(r.audiences or ())]
    if query.accessibility:
        need = set(query.accessibility)
        rows = [r for r in rows if need <= set(r.a_access or ()) | set(r.p_access or ())]
    if query.bbox is not None:
        box = query.bbox
        rows = [r for r in rows if r.lat is not None and box.contains(r.lat, r.lon)]
    dist: dict[int, float] = {}
    if query.has_point:
        assert query.lat is not None and query.lon is not None
        located = [r for r in rows if r.lat is not None and r.lon is not None]
        for r, d in zip(located, _distances(query.lat, query.lon, [(r.lat, r.lon) for r in located]), strict=True):
            if d <= query.radius_m:
                dist[r.id] = d
        rows = [r for r in located if r.id in dist]
    if query.day is not None or query.open_now:
        rows = [r for r in rows if _schedule_ok(r, query, now)]
    kana = {r.id: (r.name_kana or r.name or "") for r in rows}
    return _order(query, [r.id for r in rows], dist, scores, order, kana)


def _order(
    query: ActivityQuery,
    ids: list[int],
    dist: dict[int, float],
    scores: dict[int, float] | None,
    order: dict[int, int],
    kana: dict[int, str],
) -> list[_Ranked]:
    ranked = [_Ranked(i, dist.get(i), scores.get(i) if scores else None) for i in ids]
    if scores is not None:
        # Relevance, then distance (when a point is given), then the index's kana order.
        ranked.sort(key=lambda h: (-(h.score or 0.0), h.distance_m or 0.0, order[h.id]))
    elif query.has_point:
        ranked.sort(key=lambda h: (h.distance_m or 0.0, h.id))
    else:
        ranked.sort(key=lambda h: (kana[h.id], h.id))
    return ranked


class _Cache:
    """A small LRU for whole rankings (chip and near-me queries repeat a lot).

    Keyed by the query, the index generation and the minute (open_now and day depend on the
    clock); entries expire after a minute so DB-only changes are seen soon.
    """

    def __init__(self, size: int = _CACHE_SIZE, ttl: float = _CACHE_TTL_S) -> None:
        self.size, self.ttl = size, ttl
        self._data: OrderedDict[Any, tuple[float, list[_Ranked]]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Any) -> list[_Ranked] | None:
        with self._lock:
            item = self._data.get(key)
            if item is None or _time.monotonic() - item[0] > self.ttl:
                self.misses += 1
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return item[1]

    def put(self, key: Any, value: list[_Ranked]) -> None:
        with self._lock:
            self._data[key] = (_time.monotonic(), value)
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


result_cache = _Cache()


def search_activities(
    session: Session,
    query: ActivityQuery,
    now: datetime | None = None,
    *,
    index: SearchIndex | None = None,
    use_cache: bool = False,
    with_occurrences: bool = True,
    facets: str = "auto",
) -> SearchResult:
    """Find published activities for ``query``.

    ``now`` (default: current Tokyo time; naive = Tokyo) drives ``open_now`` and
    ``next_occurrences``.  ``index`` defaults to the app's index directory.  ``use_cache`` keeps
    whole rankings for a minute, keyed by the query and the index generation (every publish,
    edit or archive moves the generation).  ``facets``: "auto" (in-memory arrays from the index
    for place/category/free/weekday on large cities, the DB on small ones), "index" or "db".
    """
    if now is None:
        now = clock.now().astimezone(TZ)
    elif now.tzinfo is None:
        now = now.replace(tzinfo=TZ)
    else:
        now = now.astimezone(TZ)
    ranked: Any = None
    key = None
    if use_cache:
        idx = index
        if idx is None:
            from webapp.search.index import current_index

            idx = current_index()
        gen = idx.generation() if idx.exists() else -1
        # The index directory too: several apps in one process (tests, a CLI beside the app)
        # have indexes at the same generation, and an engine's id() is reused once it is freed.
        key = (query.cache_key(), facets, str(idx.path), gen, now.replace(second=0, microsecond=0), id(session.get_bind()))
        ranked = result_cache.get(key)
    if ranked is None:
        ranked = _rank(session, query, now, index, facets)
        if key is not None:
            result_cache.put(key, ranked)
    page_items = ranked[query.offset : query.offset + query.per_page]
    hits: list[Hit] = []
    if page_items:
        objects = {
            a.id: a
            for a in session.scalars(
                select(Activity)
                .where(Activity.id.in_([h.id for h in page_items]), Activity.status == "published")
                .options(joinedload(Activity.place), joinedload(Activity.organization))
            )
        }
        for h in page_items:
            activity = objects.get(h.id)
            if activity is None:
                continue
            occ = next_occurrences(activity.schedule, now, 3) if with_occurrences and _has_schedule(activity) else []
            hits.append(Hit(activity, h.distance_m, h.score, occ))
    return SearchResult(total=len(ranked), page=query.page, per_page=query.per_page, hits=hits)


class MapPoints(NamedTuple):
    """The matches of a query as the map needs them: numpy arrays of the located ones."""

    total: int  # every match, as the list counts them (those without a point included)
    ids: Any  # int64, the located matches
    lat: Any
    lon: Any
    cat: Any  # int64 index into ``categories``
    categories: list[str]

    def extent(self) -> tuple[float, float, float, float] | None:
        """(minlon, minlat, maxlon, maxlat) of the located matches, None when there are none."""
        if not len(self.ids):
            return None
        return float(self.lon.min()), float(self.lat.min()), float(self.lon.max()), float(self.lat.max())


def map_points(
    session: Session, query: ActivityQuery, now: datetime | None = None, *, index: SearchIndex | None = None
) -> MapPoints:
    """Every match of ``query`` (in its ``bbox``, the map's viewport) with its point and category.

    The same matches as :func:`search_activities` counts (one ranking function), in no particular
    order. Points come from the index's in-memory facets on large cities (no SQL for a city-wide
    view of 100k listings); listings the facets do not hold (small cities, a listing not indexed
    yet) are read from the database.
    """
    import numpy as np

    if now is None:
        now = clock.now().astimezone(TZ)
    elif now.tzinfo is None:
        now = now.replace(tzinfo=TZ)
    ranked = _rank(session, query, now.astimezone(TZ), index, ordered=False)
    total = len(ranked)
    if hasattr(ranked, "ids"):
        ids = np.asarray(ranked.ids, dtype=np.int64)
    else:
        ids = np.fromiter((h.id for h in ranked), dtype=np.int64, count=total)
    lat = np.full(len(ids), np.nan)
    lon = np.full(len(ids), np.nan)
    cat = np.zeros(len(ids), dtype=np.int64)
    categories: list[str] = []
    missing = np.ones(len(ids), dtype=bool)
    fac = getattr(ranked, "facets", None)
    if fac is None and len(ids):
        # a text-only, landing or DB ranking: on a large city the index's facets hold the points
        if index is None:
            from webapp.search.index import current_index

            index = current_index()
        fac = index.facets() if index.exists() and index.doc_count() >= FACETS_MIN_DOCS else None
    if fac is not None and len(ids):
        pos = ranked.docnums if isinstance(ranked, _Unordered) else fac.positions(ids)
        found = pos >= 0
        at = pos[found]
        lat[found], lon[found] = fac.lat[at], fac.lon[at]
        cat[found] = fac.cat[at]
        categories = list(fac.categories)
        missing = ~found
    if missing.any():
        code_at = {c: n for n, c in enumerate(categories)}
        wanted = ids[missing].tolist()
        rows: dict[int, Any] = {}
        for i in range(0, len(wanted), 1000):
            stmt = (
                select(Activity.id, Activity.category, Place.lat, Place.lon)
                .join(Place, Activity.place_id == Place.id)
                .where(Activity.id.in_(wanted[i : i + 1000]), Place.lat.is_not(None), Place.lon.is_not(None))
            )
            rows.update((r.id, r) for r in session.execute(stmt))
        for k in np.nonzero(missing)[0].tolist():
            row = rows.get(int(ids[k]))
            if row is not None:
                lat[k], lon[k] = float(row.lat), float(row.lon)
                cat[k] = code_at.setdefault(row.category or "", len(code_at))
        categories = list(code_at)
    located = ~(np.isnan(lat) | np.isnan(lon))
    return MapPoints(total, ids[located], lat[located], lon[located], cat[located], categories)


def marker_names(session: Session, ids: Sequence[int]) -> dict[int, str]:
    """Activity id → name for the pins drawn (published listings only: an unpublished one still
    in a lagging index shows no pin, as it shows no card)."""
    names: dict[int, str] = {}
    wanted = list(ids)
    for i in range(0, len(wanted), 1000):
        stmt = select(Activity.id, Activity.name).where(
            Activity.id.in_(wanted[i : i + 1000]), Activity.status == "published"
        )
        names.update((r.id, r.name) for r in session.execute(stmt))
    return names


def _has_schedule(activity: Activity) -> bool:
    return bool(activity.schedule_rrule or activity.schedule_rdates)


# --------------------------------------------------------------------------------------------
# JSON


def activity_to_json(item: Hit | Activity, *, now: datetime | None = None) -> dict[str, Any]:
    """The public API's item shape (also the GeoJSON feature properties)."""
    if isinstance(item, Hit):
        hit = item
    else:
        occ = next_occurrences(item.schedule, now or clock.now().astimezone(TZ), 3) if _has_schedule(item) else []
        hit = Hit(item, None, None, occ)
    a = hit.activity
    place = a.place
    return {
        "id": a.id,
        "source": a.source,
        "source_id": a.source_id,
        "name": a.name,
        "name_kana": a.name_kana,
        "category": a.category,
        "audience": list(a.audiences or []),
        "address": place.address if place is not None else "",
        "lat": place.lat if place is not None else None,
        "lon": place.lon if place is not None else None,
        "distance_m": round(hit.distance_m, 1) if hit.distance_m is not None else None,
        "schedule_text": a.schedule_text,
        "next_occurrences": [d.isoformat() for d in hit.next_occurrences],
        "url": _safe_url(a.url),
        "free": a.is_free,
        "cost_text": a.cost_text,
        "place_name": place.name if place is not None else "",
        "organization": a.organization.name if a.organization is not None else "",
    }


def _safe_url(url: str | None) -> str | None:
    """Only http(s) links leave the API: clients put ``url`` into href attributes."""
    value = (url or "").strip()
    return value if value.lower().startswith(("http://", "https://")) else None


def activity_to_feature(item: Hit | Activity, *, now: datetime | None = None) -> dict[str, Any]:
    props = activity_to_json(item, now=now)
    lat, lon = props["lat"], props["lon"]
    geometry = {"type": "Point", "coordinates": [lon, lat]} if lat is not None and lon is not None else None
    return {"type": "Feature", "id": props["id"], "geometry": geometry, "properties": props}
