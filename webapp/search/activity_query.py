"""Shared parsing of activity search parameters (public API and resident pages use the same rules).

``parse_activity_query`` turns request arguments (a werkzeug MultiDict or a plain mapping of lists)
into a frozen :class:`ActivityQuery`, or raises :class:`QueryError` naming the parameter at fault.
Nothing here touches the database; codes are checked against data/taxonomy.toml.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import has_request_context
from flask_babel import gettext

from gis.distance import BBox
from webapp import clock

__all__ = [
    "DAY_CODES",
    "FLAGS",
    "MAX_FIT_PX",
    "MAX_MAP_ZOOM",
    "MAX_PER_PAGE",
    "MAX_Q_LENGTH",
    "MAX_RADIUS_M",
    "ActivityQuery",
    "MapView",
    "QueryError",
    "day_window",
    "parse_activity_query",
    "parse_map_view",
]

DEFAULT_RADIUS_M = 2000
MAX_RADIUS_M = 50_000
MAX_PER_PAGE = 100
MAX_PAGE = 10_000
# Residents type a few words; anything longer is a paste accident or an attack on the analyzer.
MAX_Q_LENGTH = 200
DAY_CODES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FLAGS = ("first_timers", "visit_ok", "solo_ok")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# The map's own parameters (markers.geojson): Web Mercator zoom levels, and the map's size in CSS
# pixels for its first request (a 4K screen is 3840 wide).
MAX_MAP_ZOOM = 22
MAX_FIT_PX = 4096
_FIT_RE = re.compile(r"^([0-9]{1,5}),([0-9]{1,5})$")
# Dates a resident can ask about: schedules are kept for the coming months, and a date far out
# (9999-12-31) overflowed the schedule expansion (date + 1 day) and answered 500.
DAY_PAST = timedelta(days=366)
DAY_FUTURE = timedelta(days=2 * 366)
# A district code (ikoma) or its name (生駒); nothing that could not be either.
_DISTRICT_RE = re.compile(r"^[^\x00-\x1f\x7f<>\"'`]{1,100}$")
_DAY_NAMES = {
    **{code: i for i, code in enumerate(DAY_CODES)},
    **{name: i for i, name in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))},
    **{ja: i for i, ja in enumerate("月火水木金土日")},
}
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")


@dataclass(frozen=True)
class ActivityQuery:
    """What a resident asked for. Every field is optional; the empty query lists everything."""

    q: str = ""
    lat: float | None = None
    lon: float | None = None
    radius_m: int = DEFAULT_RADIUS_M
    bbox: BBox | None = None
    categories: tuple[str, ...] = ()
    audiences: tuple[str, ...] = ()
    day: date | int | None = None  # a date, or a weekday 0=Mon..6=Sun
    open_now: bool = False
    free: bool = False
    district: str | None = None
    flags: tuple[str, ...] = ()  # "first_timers", "visit_ok", "solo_ok"
    accessibility: tuple[str, ...] = ()
    page: int = 1
    per_page: int = 20

    @property
    def has_point(self) -> bool:
        return self.lat is not None and self.lon is not None

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    def cache_key(self) -> tuple[Any, ...]:
        return (
            self.q,
            self.lat,
            self.lon,
            self.radius_m,
            tuple(self.bbox) if self.bbox else None,
            self.categories,
            self.audiences,
            self.day,
            self.open_now,
            self.free,
            self.district,
            self.flags,
            self.accessibility,
        )


@dataclass
class QueryError(Exception):
    """A bad parameter: ``code`` is stable (for clients), ``message`` is for people (translated)."""

    code: str
    field: str
    message: str
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)  # `field` (above) shadows field()

    def __post_init__(self) -> None:
        super().__init__(f"{self.field}: {self.message}")

    def to_json(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "field": self.field, "message": self.message}}


def _(message: str, **params: Any) -> str:
    """gettext inside a request (message in the resident's language), plain formatting outside."""
    if has_request_context():
        return gettext(message, **params)
    return message % params if params else message


def _values(args: Mapping[str, Any], name: str) -> list[str]:
    getlist = getattr(args, "getlist", None)
    if callable(getlist):
        raw = getlist(name)
    else:
        value = args.get(name)
        if value is None:
            raw = []
        elif isinstance(value, str):
            raw = [value]
        else:
            raw = list(value)
    return [str(v) for v in raw]


def _one(args: Mapping[str, Any], name: str) -> str | None:
    values = _values(args, name)
    if not values:
        return None
    if len(values) > 1 and len(set(values)) > 1:
        raise QueryError("repeated", name, _("%(name)s は1回だけ指定してください。", name=name))
    return values[0].strip()


def _float(args: Mapping[str, Any], name: str, lo: float, hi: float) -> float | None:
    text = _one(args, name)
    if text is None or text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        raise QueryError("not_a_number", name, _("%(name)s は数値で指定してください。", name=name)) from None
    if not math.isfinite(value) or not lo <= value <= hi:
        raise QueryError(
            "out_of_range",
            name,
            _("%(name)s は %(lo)s から %(hi)s の範囲で指定してください。", name=name, lo=f"{lo:g}", hi=f"{hi:g}"),
        )
    return value


def _int(args: Mapping[str, Any], name: str, default: int, lo: int, hi: int) -> int:
    text = _one(args, name)
    if text is None or text == "":
        return default
    if not re.fullmatch(r"[0-9]{1,9}", text):
        raise QueryError("not_an_integer", name, _("%(name)s は整数で指定してください。", name=name))
    value = int(text)
    if not lo <= value <= hi:
        raise QueryError(
            "out_of_range",
            name,
            _("%(name)s は %(lo)s から %(hi)s の範囲で指定してください。", name=name, lo=lo, hi=hi),
        )
    return value


def _bool(args: Mapping[str, Any], name: str) -> bool:
    text = _one(args, name)
    if text is None:
        return False
    low = text.lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise QueryError("not_a_flag", name, _("%(name)s は 1 か 0 で指定してください。", name=name))


def _codes(args: Mapping[str, Any], name: str, known: Iterable[str]) -> tuple[str, ...]:
    allowed = set(known)
    out: list[str] = []
    for raw in _values(args, name):
        # Both ?category=a&category=b and ?category=a,b are accepted.
        for code in raw.split(","):
            code = code.strip()
            if not code:
                continue
            if code not in allowed:
                raise QueryError(
                    "unknown_code", name, _("%(name)s に不明なコードがあります: %(code)s", name=name, code=code[:40])
                )
            if code not in out:
                out.append(code)
    return tuple(out)


def day_window(today: date | None = None) -> tuple[date, date]:
    """The first and last date accepted for ``day`` (Tokyo's today − 1 year … + 2 years)."""
    today = today or clock.today()
    return today - DAY_PAST, today + DAY_FUTURE


def _day(args: Mapping[str, Any]) -> date | int | None:
    text = _one(args, "day")
    if text is None or text == "":
        return None
    low = text.lower()
    if low in _DAY_NAMES:
        return _DAY_NAMES[low]
    if _DATE_RE.match(text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            pass
        else:
            lo, hi = day_window()
            if not lo <= day <= hi:
                raise QueryError(
                    "out_of_range",
                    "day",
                    _("day は %(lo)s から %(hi)s までの日付で指定してください。", lo=lo.isoformat(), hi=hi.isoformat()),
                )
            return day
    raise QueryError("bad_day", "day", _("day は mon〜sun か YYYY-MM-DD で指定してください。"))


def _taxonomy_codes() -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    from webapp.listings.taxonomy import taxonomy

    tx = taxonomy()
    return tuple(tx.categories), tuple(tx.audiences), tuple(tx.accessibility)


def parse_activity_query(args: Mapping[str, Any]) -> ActivityQuery:
    """Validate request arguments into an :class:`ActivityQuery`; raise :class:`QueryError`."""
    categories_known, audiences_known, access_known = _taxonomy_codes()

    q = _one(args, "q") or ""
    if len(q) > MAX_Q_LENGTH:
        raise QueryError(
            "too_long", "q", _("検索語は %(max)s 文字以内で入力してください。", max=MAX_Q_LENGTH)
        )

    lat = _float(args, "lat", -90.0, 90.0)
    lon = _float(args, "lon", -180.0, 180.0)
    if (lat is None) != (lon is None):
        missing = "lon" if lon is None else "lat"
        raise QueryError("missing", missing, _("lat と lon は両方指定してください。"))
    radius_text = _one(args, "radius")
    radius = DEFAULT_RADIUS_M
    if radius_text not in (None, ""):
        value = _float(args, "radius", -math.inf, math.inf)
        assert value is not None
        if not 1 <= value <= MAX_RADIUS_M:
            raise QueryError(
                "out_of_range",
                "radius",
                _("radius は 1 から %(max)s メートルの範囲で指定してください。", max=MAX_RADIUS_M),
            )
        radius = math.ceil(value)

    bbox = None
    bbox_text = _one(args, "bbox")
    if bbox_text not in (None, ""):
        try:
            bbox = BBox.parse(bbox_text)
        except ValueError:
            # gis explains in English which part is wrong; residents get one translated sentence.
            raise QueryError(
                "bad_bbox", "bbox", _("bbox は minlon,minlat,maxlon,maxlat の順に、範囲内の数値で指定してください。")
            ) from None

    district = _one(args, "district") or None
    if district is not None and not _DISTRICT_RE.match(district):
        raise QueryError("bad_district", "district", _("district の形式が正しくありません。"))

    flags = tuple(f for f in FLAGS if _bool(args, f))
    return ActivityQuery(
        q=q,
        lat=lat,
        lon=lon,
        radius_m=radius,
        bbox=bbox,
        categories=_codes(args, "category", categories_known),
        audiences=_codes(args, "audience", audiences_known),
        day=_day(args),
        open_now=_bool(args, "open_now"),
        free=_bool(args, "free"),
        district=district,
        flags=flags,
        accessibility=_codes(args, "accessibility", access_known),
        page=_int(args, "page", 1, 1, MAX_PAGE),
        per_page=_int(args, "per_page", 20, 1, MAX_PER_PAGE),
    )


@dataclass(frozen=True)
class MapView:
    """What the map shows: its zoom, or its size for a first view fitted to every match."""

    zoom: int | None = None
    fit: tuple[int, int] | None = None  # width, height in CSS pixels


def parse_map_view(args: Mapping[str, Any]) -> MapView:
    """``zoom`` (0–22) and ``fit=width,height`` of markers.geojson; raise :class:`QueryError`."""
    zoom = _int(args, "zoom", -1, 0, MAX_MAP_ZOOM)
    fit = None
    text = _one(args, "fit")
    if text not in (None, ""):
        found = _FIT_RE.match(text or "")
        sizes = (int(found.group(1)), int(found.group(2))) if found else (0, 0)
        if not all(1 <= n <= MAX_FIT_PX for n in sizes):
            raise QueryError(
                "bad_fit",
                "fit",
                _("fit は地図の幅,高さをピクセルの整数（1〜%(max)s）で指定してください。", max=MAX_FIT_PX),
            )
        fit = sizes
    return MapView(zoom=None if zoom < 0 else zoom, fit=fit)
