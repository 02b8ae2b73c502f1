"""Record → flat row of strings under our canonical headers (shared by the CSV and GeoJSON writers).

The columns beyond the 自治体標準オープンデータセット ones (RRULE, DTSTART, EXDATE, RDATE,
祝日除外, 開催日時要確認, 位置精度, 初参加歓迎, …) are ours; they make export → import lossless.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import time

from importers.columns import CANONICAL_HEADER as H
from importers.records import ActivityRecord

__all__ = ["EXPORT_FIELDS", "export_headers", "record_to_row", "unescape_formula"]

EXPORT_FIELDS: tuple[str, ...] = (
    "id", "name", "name_kana", "category", "audience", "tags", "description", "organization",
    "organization_kana", "place_name", "postcode", "address", "lat", "lon", "geocode_level",
    "phone", "extension", "email", "url", "schedule_text", "rrule", "dtstart", "start_time",
    "end_time", "exdates", "rdates", "skip_holidays", "needs_review", "cost", "cost_yen", "booking",
    "first_timers", "visit_ok", "solo_ok", "capacity", "accessibility", "notes", "status",
)

# Written only when some record has them (older exports, and lists without them, keep their shape).
OPTIONAL_FIELDS: tuple[str, ...] = ("name_en", "description_en", "contact_name")
# The same for the schedule's yearly closures (年末年始 as "12-29/01-03").
_YEARLY = "yearly_exclusions"

# Cells starting with these are formulas to Excel/LibreOffice (CSV injection).  We prefix an
# apostrophe on export and strip it on import, so values survive the round trip unchanged.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def unescape_formula(value: str) -> str:
    if value.startswith("'") and value[1:].startswith(_FORMULA_START):
        return value[1:]
    return value


def _yn(value: bool | None) -> str:
    return "" if value is None else ("はい" if value else "いいえ")


def _t(value: time | None) -> str:
    if value is None:
        return ""
    return value.strftime("%H:%M") if value.second == 0 else value.isoformat()


def _s(value: object) -> str:
    return "" if value is None else str(value)


def record_to_row(r: ActivityRecord, *, with_coordinates: bool = True) -> dict[str, str]:
    """Header → cell text.  Coordinates use repr() so floats come back bit-identical."""
    s = r.schedule
    row: dict[str, str] = {
        H["id"]: r.source_id,
        H["name"]: r.name,
        H["name_kana"]: _s(r.name_kana),
        H["category"]: r.category_text or r.category or "",
        H["audience"]: "、".join(r.audiences),
        H["tags"]: "、".join(r.tags),
        H["description"]: _s(r.description),
        H["organization"]: _s(r.organization_name),
        H["organization_kana"]: _s(r.organization_kana),
        H["place_name"]: _s(r.place_name),
        H["postcode"]: _s(r.postcode),
        H["address"]: _s(r.address),
        H["geocode_level"]: _s(r.geocode_level),
        H["phone"]: _s(r.contact_phone),
        H["extension"]: _s(r.extension),
        H["email"]: _s(r.contact_email),
        H["url"]: _s(r.url),
        H["schedule_text"]: _s(r.schedule_text),
        H["rrule"]: _s(s.rrule) if s else "",
        H["dtstart"]: s.dtstart.isoformat() if s and s.dtstart else "",
        H["start_time"]: _t(s.start) if s else "",
        H["end_time"]: _t(s.end) if s else "",
        H["exdates"]: " ".join(d.isoformat() for d in s.exdates) if s else "",
        H["rdates"]: " ".join(d.isoformat() for d in s.rdates) if s else "",
        H["skip_holidays"]: _yn(s.skip_holidays) if s else "",
        H["needs_review"]: _yn(r.schedule_needs_review),
        H["cost"]: _s(r.cost_text),
        H["cost_yen"]: _s(r.cost_yen),
        H["booking"]: _yn(r.booking_required),
        H["first_timers"]: _yn(r.welcomes_first_timers),
        H["visit_ok"]: _yn(r.visit_ok),
        H["solo_ok"]: _yn(r.solo_ok),
        H["capacity"]: _s(r.capacity),
        H["accessibility"]: "、".join(r.accessibility),
        H["notes"]: _s(r.notes),
        # Only drafts say so (`export --all`): published is the default, archived is never exported.
        H["status"]: "下書き" if r.status_hint == "draft" else "",
    }
    for fld in OPTIONAL_FIELDS:
        value = getattr(r, fld)
        if value:
            row[H[fld]] = value
    if s is not None and s.yearly_exclusions:
        row[H[_YEARLY]] = " ".join(s.yearly_exclusions)
    if with_coordinates:
        row[H["lat"]] = "" if r.lat is None else repr(r.lat)
        row[H["lon"]] = "" if r.lon is None else repr(r.lon)
    for key, value in r.extra.items():
        row.setdefault(key, value)
    return row


def export_headers(records: Iterable[ActivityRecord], *, with_coordinates: bool = True) -> list[str]:
    records = list(records)
    headers = [H[f] for f in EXPORT_FIELDS if with_coordinates or f not in ("lat", "lon")]
    headers += [H[f] for f in OPTIONAL_FIELDS if any(getattr(r, f) for r in records)]
    if any(r.schedule is not None and r.schedule.yearly_exclusions for r in records):
        headers.insert(headers.index(H["exdates"]) + 1, H[_YEARLY])
    seen = set(headers)
    for r in records:
        for key in r.extra:
            if key not in seen:
                seen.add(key)
                headers.append(key)
    return headers
