"""Load the sample city (サンプル) from data/sample/city.json; clearly labelled source="sample"."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from flask import g, has_request_context
from sqlalchemy import exists, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from importers import ActivityRecord
from schedule.model import Schedule
from webapp.config import PROJECT_ROOT
from webapp.listings.activity_fields import activity_values
from webapp.listings.models.activity import Activity
from webapp.listings.models.organization import Organization
from webapp.listings.models.place import Place
from webapp.listings.spatial import set_location
from webapp.service_error import ServiceError

SAMPLE_SOURCE = "sample"
SAMPLE_FILE = PROJECT_ROOT / "data" / "sample" / "city.json"
SAMPLE_DISTRICTS = PROJECT_ROOT / "data" / "sample" / "districts.geojson"
SAMPLE_OUTLINE = PROJECT_ROOT / "data" / "sample" / "city_outline.geojson"


def sample_data_loaded(session: Session | None = None) -> bool:
    """True while any sample listing is stored: the UI then shows the サンプルデータ notice."""
    if has_request_context() and "sample_loaded" in g:
        return bool(g.sample_loaded)
    from webapp.extensions import db

    session = session or db.session()
    try:
        loaded = bool(session.scalar(select(exists().where(Activity.source == SAMPLE_SOURCE))))
    except SQLAlchemyError:
        # Error pages must render even when the database is down or not initialised.
        session.rollback()
        loaded = False
    if has_request_context():
        g.sample_loaded = loaded
    return loaded


def _text(record: dict[str, Any], key: str) -> str:
    """An optional text field of the sample file: missing and null both read as ""."""
    return str(record.get(key) or "")


def _time(value: str | None) -> time | None:
    return time.fromisoformat(value) if value else None


def _confirmed(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    if isinstance(parsed, datetime) and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def load_sample_city(session: Session, path: Path = SAMPLE_FILE) -> dict[str, int]:
    """Insert the sample city. Refuses duplicates instead of silently merging them."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    source = data.get("source", SAMPLE_SOURCE)
    ids = [a["source_id"] for a in data["activities"]]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ServiceError("duplicate_source_id", f"duplicate source_id in {path.name}: {', '.join(duplicates)}")
    existing = set(
        session.scalars(select(Activity.source_id).where(Activity.source == source, Activity.source_id.in_(ids)))
    )
    if existing:
        raise ServiceError(
            "duplicate_source_id",
            f"{len(existing)} sample listings are already loaded (e.g. {sorted(existing)[0]}); nothing was changed",
        )

    orgs: dict[str, Organization] = {}
    for o in data["organizations"]:
        org = Organization(
            source=source,
            source_id=o["key"],
            name=o["name"],
            name_kana=_text(o, "name_kana"),
            kind=o.get("kind", "other"),
            phone=_text(o, "phone"),
            email=_text(o, "email"),
            url=_text(o, "url"),
        )
        session.add(org)
        orgs[o["key"]] = org

    places: dict[str, Place] = {}
    for p in data["places"]:
        place = Place(
            source=source,
            source_id=p["key"],
            name=p["name"],
            name_kana=_text(p, "name_kana"),
            address=_text(p, "address"),
            postcode=_text(p, "postcode"),
            accessibility=list(p.get("accessibility", [])),
            geocode_level="file",
        )
        set_location(place, p.get("lat"), p.get("lon"))
        session.add(place)
        places[p["key"]] = place
    session.flush()

    for a in data["activities"]:
        sched = a.get("schedule") or {}
        record = ActivityRecord(
            source_id=a["source_id"],
            name=a["name"],
            name_kana=_text(a, "name_kana"),
            description=_text(a, "description"),
            category=a.get("category"),
            audiences=list(a.get("audiences", [])),
            tags=list(a.get("tags", [])),
            schedule=Schedule(
                rrule=sched.get("rrule"),
                start=_time(sched.get("start")),
                end=_time(sched.get("end")),
                dtstart=date.fromisoformat(sched["dtstart"]) if sched.get("dtstart") else None,
                skip_holidays=bool(sched.get("skip_holidays", False)),
            ),
            schedule_text=_text(sched, "text"),
            cost_yen=a.get("cost_yen"),
            cost_text=_text(a, "cost_text"),
            booking_required=a.get("booking_required"),
            contact_phone=_text(a, "contact_phone"),
            contact_email=_text(a, "contact_email"),
            url=_text(a, "url"),
            welcomes_first_timers=a.get("welcomes_first_timers"),
            visit_ok=a.get("visit_ok"),
            solo_ok=a.get("solo_ok"),
            capacity=a.get("capacity"),
            accessibility=list(a.get("accessibility", [])),
            status_hint=a.get("status", "published"),
        )
        activity = Activity(
            source=source,
            source_id=record.source_id,
            organization=orgs.get(_text(a, "organization")),
            place=places.get(_text(a, "place")),
            **activity_values(record),
            # Not part of the exchange record: the organizer's own columns.
            booking_text=_text(a, "booking_text"),
            contact_name=_text(a, "contact_name"),
            last_confirmed_at=_confirmed(a.get("last_confirmed_at")),
        )
        # The sample's archived listings are activities that ended: they were public before.
        if activity.status in ("published", "archived"):
            activity.published_at = activity.last_confirmed_at or datetime.now(UTC)
        session.add(activity)
    session.flush()
    districts = _load_sample_districts(session)
    return {
        "organizations": len(orgs),
        "places": len(places),
        "activities": len(data["activities"]),
        "districts": districts,
    }


def _load_sample_districts(session: Session) -> int:
    """The SAMPLE 小学校区 and city outline (source "sample"), then every place's district."""
    from webapp.listings.districts import import_district_file

    schools = import_district_file(session, SAMPLE_DISTRICTS, kind="school", source=SAMPLE_SOURCE)
    import_district_file(session, SAMPLE_OUTLINE, kind="city", source=SAMPLE_SOURCE)
    return len(schools.codes)
