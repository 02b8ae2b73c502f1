"""Resident search form → results, for the list, map and print pages.

The form's GET parameters are parsed and validated here so that a bad value is shown beside its
field instead of failing the page.  The search itself goes to the search service
(``webapp.search.service.search_activities``) when it is installed; until then, and for the
filters the public API does not take (初参加歓迎・見学可・一人参加OK, accessibility), a small
in-process filter over published activities does the work.  Both paths return the same ``Results``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from werkzeug.datastructures import MultiDict

from gis.distance import haversine_m
from schedule import TZ, format_date, next_occurrences
from webapp import clock
from webapp.config import settings
from webapp.i18n import current_lang
from webapp.listings.freshness import outdated_ids
from webapp.listings.models.activity import Activity
from webapp.listings.models.place import District
from webapp.listings.taxonomy import taxonomy
from webapp.search.activity_query import QueryError, day_window, parse_activity_query
from webapp.search.service import search_activities

DAY_CODES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
RADII = (500, 1000, 2000, 5000, 10000)
DEFAULT_RADIUS = 2000
MAX_Q = 200
MAX_NEAR = 100
PER_PAGE = 20
PRINT_LIMIT = 300
# Parameters this form owns; everything else (lang, ruby) belongs to other layers.
FORM_KEYS = (
    "q", "category", "audience", "accessibility", "district", "day", "open_now", "free", "first_timers",
    "visit_ok", "solo_ok", "lat", "lon", "radius", "near", "page",
)  # fmt: skip
# Filters attribute → GET parameter (the same names as the public API).
FLAG_PARAMS = {"open_now": "open_now", "free": "free", "first": "first_timers", "visit": "visit_ok", "solo": "solo_ok"}
FLAG_KEYS = tuple(FLAG_PARAMS)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class Filters:
    """The parsed form: values to search with and the raw text to put back into the form."""

    q: str = ""
    categories: list[str] = field(default_factory=list)
    audiences: list[str] = field(default_factory=list)
    access: list[str] = field(default_factory=list)
    district: str = ""
    day: str = ""
    open_now: bool = False
    free: bool = False
    first: bool = False
    visit: bool = False
    solo: bool = False
    lat: float | None = None
    lon: float | None = None
    radius: int = DEFAULT_RADIUS
    near: str = ""
    near_label: str = ""
    page: int = 1
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def has_point(self) -> bool:
        return self.lat is not None and self.lon is not None

    @property
    def is_empty(self) -> bool:
        return not (
            self.q or self.categories or self.audiences or self.access or self.district or self.day
            or self.open_now or self.free or self.first or self.visit or self.solo or self.has_point
        )  # fmt: skip

    def service_args(self, page: int, per_page: int) -> MultiDict[str, str]:
        """The filters as public-API parameters (the search service parses the same names)."""
        out: MultiDict[str, str] = MultiDict()
        if self.q:
            out.add("q", self.q)
        for c in self.categories:
            out.add("category", c)
        for a in self.audiences:
            out.add("audience", a)
        if self.district:
            out.add("district", self.district)
        if self.day:
            out.add("day", self.day)
        if self.open_now:
            out.add("open_now", "1")
        if self.free:
            out.add("free", "1")
        for key in ("first", "visit", "solo"):
            if getattr(self, key):
                out.add(FLAG_PARAMS[key], "1")
        for code in self.access:
            out.add("accessibility", code)
        if self.has_point:
            out.add("lat", f"{self.lat:.6f}")
            out.add("lon", f"{self.lon:.6f}")
            out.add("radius", str(self.radius))
        out.add("page", str(page))
        out.add("per_page", str(per_page))
        return out

    def api_query(self) -> str:
        """The filters as a query string for the GeoJSON API (100 markers a page)."""
        from urllib.parse import urlencode

        args = self.service_args(1, 100)
        # The API pages its answers; the map asks for the largest page and walks the rest.
        return urlencode([(k, v) for k, v in args.items(multi=True) if k != "page"])

    def link_args(self, **changes: Any) -> dict[str, Any]:
        """Query parameters reproducing this search (for pagination, print and map links)."""
        args: dict[str, Any] = {
            "q": self.q or None,
            "category": self.categories or None,
            "audience": self.audiences or None,
            "accessibility": self.access or None,
            "district": self.district or None,
            "day": self.day or None,
            "radius": self.radius if self.has_point else None,
            "lat": f"{self.lat:.6f}" if self.lat is not None and not self.near else None,
            "lon": f"{self.lon:.6f}" if self.lon is not None and not self.near else None,
            "near": self.near or None,
        }
        for key, param in FLAG_PARAMS.items():
            args[param] = "1" if getattr(self, key) else None
        args.update(changes)
        return {k: v for k, v in args.items() if v not in (None, "", [])}


@dataclass
class Hit:
    activity: Activity
    distance_m: float | None
    next_dates: list[datetime]
    outdated: bool = False  # show 「情報が古いかもしれません」 on the card

    @property
    def category(self) -> Any:
        return taxonomy().categories.get(self.activity.category or "")


@dataclass
class Results:
    filters: Filters
    hits: list[Hit]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page)) if self.per_page else 1


# ---------------------------------------------------------------------------------------------
# parsing


def _codes(args: MultiDict[str, str], key: str, known: dict[str, Any], filters: Filters) -> list[str]:
    values = [v for v in args.getlist(key) if v]
    bad = [v for v in values if v not in known]
    if bad:
        filters.errors[key] = _("選べない項目が含まれています。一覧から選んでください。")
    return [v for v in dict.fromkeys(values) if v in known]


def _float(raw: str, lo: float, hi: float) -> float | None:
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) and lo <= value <= hi else None


def parse_filters(args: MultiDict[str, str], *, geocode: Any = None) -> Filters:
    """Read the search form; every problem becomes a message in ``errors[field]``."""
    f = Filters()
    t = taxonomy()
    q = (args.get("q") or "").strip()
    if len(q) > MAX_Q:
        f.errors["q"] = _("キーワードは%(n)s文字以内で入力してください。", n=MAX_Q)
        q = q[:MAX_Q]
    f.q = q
    f.categories = _codes(args, "category", t.categories, f)
    f.audiences = _codes(args, "audience", t.audiences, f)
    f.access = _codes(args, "accessibility", t.accessibility, f)
    district = (args.get("district") or "").strip()
    if district and district not in district_codes():
        f.errors["district"] = _("選べない地区です。一覧から選んでください。")
    else:
        f.district = district
    day = (args.get("day") or "").strip().lower()
    if day and day not in DAY_CODES:
        if _ISO_DATE.match(day):
            try:
                asked = date.fromisoformat(day)
            except ValueError:
                day = "!"
            else:
                lo, hi = day_window()
                if not lo <= asked <= hi:
                    f.errors["day"] = _(
                        "日付は%(lo)sから%(hi)sまでの間で選んでください。", lo=lo.isoformat(), hi=hi.isoformat()
                    )
                    day = ""
        else:
            day = "!"
    if day == "!":
        f.errors["day"] = _("曜日または日付を一覧から選んでください。")
    else:
        f.day = day
    for key, param in FLAG_PARAMS.items():
        raw = args.get(param, "")
        if raw not in ("", "0", "1", "on"):
            f.errors[param] = _("この項目の値が正しくありません。")
        setattr(f, key, raw in ("1", "on"))
    radius_raw = args.get("radius", "")
    if radius_raw:
        if radius_raw.isdigit() and int(radius_raw) in RADII:
            f.radius = int(radius_raw)
        else:
            f.errors["radius"] = _("距離を一覧から選んでください。")
    near = (args.get("near") or "").strip()
    lat_raw, lon_raw = args.get("lat", ""), args.get("lon", "")
    # A typed place wins over coordinates: the coordinates are what the form carried from before.
    if (lat_raw or lon_raw) and not near:
        lat, lon = _float(lat_raw, 20.0, 46.0), _float(lon_raw, 122.0, 154.0)
        if lat is None or lon is None:
            f.errors["near"] = _("現在地の値が正しくありません。住所や町名を入力してください。")
        else:
            f.lat, f.lon = lat, lon
            f.near_label = _("現在地")
    if len(near) > MAX_NEAR:
        f.errors["near"] = _("住所・町名は%(n)s文字以内で入力してください。", n=MAX_NEAR)
        near = near[:MAX_NEAR]
    f.near = near
    if near and not f.has_point and "near" not in f.errors:
        found = geocode(near) if geocode else None
        if found is None:
            f.errors["near"] = _("「%(place)s」の場所が見つかりませんでした。町名（例: 東生駒）で入力してください。", place=near)
        else:
            f.lat, f.lon = found[0], found[1]
            f.near_label = near
    page_raw = args.get("page", "1") or "1"
    if page_raw.isdigit() and 1 <= int(page_raw) <= 10_000:
        f.page = int(page_raw)
    else:
        f.errors["page"] = _("ページ番号が正しくありません。")
    return f


def district_codes() -> frozenset[str]:
    from webapp.extensions import db

    return frozenset(db.session().scalars(select(District.code).where(District.kind == "school")))


def district_options(session: Session) -> list[District]:
    return list(session.scalars(select(District).where(District.kind == "school").order_by(District.name_kana)))


# ---------------------------------------------------------------------------------------------
# searching


def tokyo_now() -> datetime:
    return clock.now().astimezone(TZ)


def day_options(now: datetime) -> list[tuple[str, str]]:
    """(value, label) for the day select: 今日, 明日, then the weekdays."""
    today = now.date()
    tomorrow = today + timedelta(days=1)
    lang = current_lang()
    names = [_("月曜日"), _("火曜日"), _("水曜日"), _("木曜日"), _("金曜日"), _("土曜日"), _("日曜日")]
    return [
        (today.isoformat(), _("今日") + f"（{format_date(today, lang)}）"),
        (tomorrow.isoformat(), _("明日") + f"（{format_date(tomorrow, lang)}）"),
        *zip(DAY_CODES, names, strict=True),
    ]


def active_labels(f: Filters, day_options: list[tuple[str, str]], district_names: dict[str, str]) -> list[str]:
    """The conditions in force, in words, for the summary above a collapsed form."""
    t = taxonomy()
    lang = current_lang()
    labels: list[str] = [f"「{f.q}」"] if f.q else []
    labels += [t.categories[c].label(lang) for c in f.categories]
    if f.near_label:
        labels.append(_("%(place)sの近く", place=f.near_label))
    if f.district:
        labels.append(district_names.get(f.district, f.district))
    labels += [label for value, label in day_options if value == f.day]
    flag_labels = {"open_now": _("今やっている"), "free": _("無料"), "first": _("初参加歓迎"),
                   "visit": _("見学可"), "solo": _("一人参加OK")}  # fmt: skip
    labels += [label for key, label in flag_labels.items() if getattr(f, key)]
    labels += [t.audiences[c].label(lang) for c in f.audiences]
    labels += [t.accessibility[c].label(lang) for c in f.access]
    return labels


def _service_search(
    session: Session, f: Filters, now: datetime, page: int, per_page: int, limit: int
) -> tuple[list[tuple[Activity, float | None]], int, bool]:
    """Ask the search service (the one search path, shared with the API): (pairs, total, paged).

    ``paged`` is False when the pairs are all the results up to ``limit`` (printing), to be cut here.
    """
    want_all = limit > per_page
    pairs: list[tuple[Activity, float | None]] = []
    service_page, service_per_page = (1, 100) if want_all else (page, per_page)
    total = 0
    try:
        while True:
            query = parse_activity_query(f.service_args(service_page, service_per_page))
            # Next dates are computed below for the page shown (not twice).
            result = search_activities(session, query, now=now, with_occurrences=False)
            pairs.extend((hit.activity, hit.distance_m) for hit in result.hits)
            total = result.total
            if not want_all or service_page * service_per_page >= total or len(pairs) >= limit:
                break
            service_page += 1
    except QueryError as exc:
        f.errors[_error_field(exc.field)] = str(exc.message)
        return [], 0, True
    return pairs, total, not want_all


def _error_field(api_field: str | None) -> str:
    """The form field that shows an API parameter's error."""
    if api_field in ("lat", "lon"):
        return "near"
    if api_field in (None, "page", "per_page", "bbox"):
        return "q" if api_field is None else "page"
    return api_field


def search(
    session: Session, f: Filters, now: datetime | None = None, *, per_page: int = PER_PAGE, limit: int | None = None
) -> Results:
    """One page of results (``limit`` set: all results up to it, for printing)."""
    now = now or tokyo_now()
    if f.errors:
        return Results(f, [], 0, 1, per_page)
    page = 1 if limit else f.page
    pairs, total, already_paged = _service_search(session, f, now, page, per_page, limit or per_page)
    if limit:
        paged = pairs[:limit]
    elif already_paged:
        paged = pairs
    else:
        paged = pairs[(page - 1) * per_page : page * per_page]
    outdated = outdated_ids(session, settings(), [a for a, _d in paged])
    hits = [Hit(a, d, next_occurrences(a.schedule, now, 3), a.id in outdated) for a, d in paged]
    return Results(f, hits, total, page, per_page if not limit else max(limit, 1))


def similar_nearby(session: Session, activity: Activity, limit: int = 5) -> list[tuple[Activity, float | None]]:
    """Published activities of the same category, nearest to this one's place first (for 410 pages)."""
    candidates = session.scalars(
        select(Activity)
        .where(Activity.status == "published", Activity.category == activity.category, Activity.id != activity.id)
        .options(selectinload(Activity.place))
    ).all()
    here = activity.place
    pairs: list[tuple[Activity, float | None]] = []
    for a in candidates:
        d = None
        if here and here.lat is not None and here.lon is not None and a.place and a.place.lat is not None:
            assert a.place.lon is not None
            d = haversine_m(here.lat, here.lon, a.place.lat, a.place.lon)
        pairs.append((a, d))
    pairs.sort(key=lambda p: (p[1] if p[1] is not None else math.inf, p[0].name_kana))
    return pairs[:limit]
