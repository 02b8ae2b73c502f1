"""Export activities as open-data files (自治体標準オープンデータセット CSV, GeoJSON, HSDS).

Activities become importers.ActivityRecord and the importers' writers do the formatting, so an
export read back by importers.READERS gives the same records: export → import is a no-op
(webapp.listings.activity_fields.activity_values is the inverse of activity_to_record).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from importers import ActivityRecord, write_geojson, write_hsds, write_municipal_csv
from importers.export import escape_formula
from jatext.normalize import clean
from schedule.model import Schedule
from webapp.imports.service import DRAFT_REASONS_KEY
from webapp.listings.models.activity import Activity

__all__ = ["EXPORT_FORMATS", "activity_to_record", "escape_cell", "escape_formula", "export_activities", "export_records"]

Writer = Callable[[Iterable[ActivityRecord], Path], None]

EXPORT_FORMATS: dict[str, Writer] = {
    "municipal-csv": write_municipal_csv,
    "geojson": write_geojson,
    "hsds": write_hsds,
}


def escape_cell(value: Any) -> Any:
    """A spreadsheet cell as every export writes it: text through the municipal CSV's escape_formula
    (a leading =, +, -, @, tab or CR gets an apostrophe, so Excel/LibreOffice never run it as a
    formula); numbers stay numbers, None becomes empty."""
    if value is None:
        return ""
    if isinstance(value, str):
        return escape_formula(value)
    if isinstance(value, (bool, int, float)):
        return value
    return escape_formula(str(value))


def _schedule(a: Activity) -> Schedule | None:
    if not a.schedule_rrule and not a.schedule_rdates:
        return None
    sched = a.schedule
    text = clean(sched.text)
    return sched if sched.text == text else dataclasses.replace(sched, text=text)


def _c(value: str | None, *, multiline: bool = False) -> str | None:
    """Text as the readers normalise it (jatext.clean), so an export is a fixed point of import."""
    return clean(value, multiline=multiline) or None if value else None


def activity_to_record(a: Activity, *, source_id: str | None = None) -> ActivityRecord:
    """One activity as a record; text goes through jatext.clean like every imported value."""
    place = a.place
    org = a.organization
    extra: dict[str, Any] = dict(a.extra or {})
    reasons = extra.pop(DRAFT_REASONS_KEY, None)
    draft_reasons = [str(r) for r in reasons] if isinstance(reasons, list) else []
    lat = place.lat if place is not None else None
    lon = place.lon if place is not None else None
    level = None
    if place is not None and lat is not None:
        level = place.geocode_level or "file"
    return ActivityRecord(
        source_id=source_id or a.source_id,
        name=_c(a.name) or a.name,
        name_kana=_c(a.name_kana),
        name_en=_c(a.name_en),
        description_en=_c(a.description_en, multiline=True),
        contact_name=_c(a.contact_name),
        category=a.category,
        category_text=_c(a.category_text),
        audiences=list(a.audiences or []),
        tags=list(a.tags or []),
        description=_c(a.description, multiline=True),
        organization_name=_c(org.name) if org is not None else None,
        organization_kana=_c(org.name_kana) if org is not None else None,
        place_name=_c(place.name) if place is not None and _c(place.name) != _c(a.name) else None,
        address=_c(place.address) if place is not None else None,
        postcode=(place.postcode or None) if place is not None else None,
        lat=lat,
        lon=lon,
        geocode_level=level,  # type: ignore[arg-type]
        schedule=_schedule(a),
        schedule_text=_c(a.schedule_text),
        schedule_needs_review=bool(a.schedule_needs_review),
        cost_yen=a.cost_yen,
        cost_text=_c(a.cost_text),
        booking_required=a.booking_required,
        contact_phone=a.contact_phone or None,
        extension=a.contact_extension or None,
        contact_email=a.contact_email or None,
        url=a.url or None,
        welcomes_first_timers=a.welcomes_first_timers,
        visit_ok=a.visit_ok,
        solo_ok=a.solo_ok,
        capacity=a.capacity,
        accessibility=list(a.accessibility or []),
        notes=_c(a.notes, multiline=True),
        # Only the text columns an import kept; app data in extra (photo_ids …) is not open data.
        extra={str(k): clean(v, multiline=True) for k, v in extra.items() if isinstance(v, str) and v},
        status_hint="published" if a.status == "published" else "draft",
        draft_reasons=draft_reasons,
    )


def export_records(
    session: Session, *, include_all: bool = False, source: str | None = None
) -> list[ActivityRecord]:
    """Published activities (all but archived with include_all), ordered by source and ID.

    When the export mixes sources, the ID column is "source:source_id" so IDs stay unique.
    """
    query = select(Activity).options(joinedload(Activity.place), joinedload(Activity.organization))
    if include_all:
        query = query.where(Activity.status != "archived")
    else:
        query = query.where(Activity.status == "published")
    if source:
        query = query.where(Activity.source == source)
    activities = list(session.scalars(query.order_by(Activity.source, Activity.source_id)).unique())
    mixed = len({a.source for a in activities}) > 1
    return [activity_to_record(a, source_id=f"{a.source}:{a.source_id}" if mixed else None) for a in activities]


def export_activities(
    session: Session, fmt: str, path: Path, *, include_all: bool = False, source: str | None = None
) -> int:
    """Write the export; returns the number of activities written. KeyError for an unknown format."""
    writer = EXPORT_FORMATS[fmt]
    records = export_records(session, include_all=include_all, source=source)
    writer(records, Path(path))
    return len(records)
