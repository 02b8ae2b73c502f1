"""The one mapping of an activity's fields: an ActivityRecord (importers' exchange shape) → the
Activity columns it carries.

Imports, the sample city and the organizers' form all build an ActivityRecord and take their
columns from :func:`activity_values`; each keeps only the columns it owns (an organizer's edit
never blanks an import's tags, an import never blanks the organizer's contact name).
webapp.imports.exports.activity_to_record is the inverse.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from importers import ActivityRecord

DRAFT_REASONS_KEY = "draft_reasons"

#: the columns the organizers' form sets (the rest of a listing is the import's or moderation's)
ORGANIZER_FIELDS = frozenset({
    "name", "name_kana", "category", "audiences", "description", "schedule_rrule", "schedule_dtstart", "start_time",
    "end_time", "schedule_exdates", "schedule_rdates", "skip_holidays", "schedule_yearly_exclusions", "schedule_text",
    "schedule_needs_review",
    "cost_yen", "cost_text", "booking_required", "contact_phone", "contact_email", "url", "accessibility",
    "welcomes_first_timers", "visit_ok", "solo_ok",
})  # fmt: skip


def _category_text(record: ActivityRecord) -> str:
    # Our export writes the code when no original wording was kept; storing that code back as
    # "the city's wording" would turn a round trip into a change.
    text = record.category_text or ""
    return "" if text == (record.category or "") else text


def activity_values(record: ActivityRecord) -> dict[str, Any]:
    """Activity attribute → value the record asks for (only the attributes an import owns)."""
    s = record.schedule
    extra: dict[str, Any] = dict(record.extra)
    status = record.status_hint if record.status_hint in ("draft", "archived") else "published"
    if status == "draft" and record.draft_reasons:
        extra[DRAFT_REASONS_KEY] = list(record.draft_reasons)
    return {
        "name": record.name,
        "name_kana": record.name_kana or "",
        "name_en": record.name_en or "",
        "description": record.description or "",
        "description_en": record.description_en or "",
        "category": record.category,
        "category_text": _category_text(record),
        "audiences": list(record.audiences),
        "tags": list(record.tags),
        "schedule_rrule": s.rrule if s else None,
        "schedule_dtstart": s.dtstart if s else None,
        "start_time": s.start if s else None,
        "end_time": s.end if s else None,
        "schedule_exdates": [d.isoformat() for d in s.exdates] if s else [],
        "schedule_rdates": [d.isoformat() for d in s.rdates] if s else [],
        "skip_holidays": bool(s.skip_holidays) if s else False,
        "schedule_yearly_exclusions": list(s.yearly_exclusions) if s else [],
        "schedule_text": record.schedule_text or "",
        "schedule_needs_review": bool(record.schedule_needs_review),
        "cost_yen": record.cost_yen,
        "cost_text": record.cost_text or "",
        "booking_required": record.booking_required,
        "contact_name": record.contact_name or "",
        "contact_phone": record.contact_phone or "",
        "contact_extension": record.extension or "",
        "contact_email": record.contact_email or "",
        "url": record.url or "",
        "welcomes_first_timers": record.welcomes_first_timers,
        "visit_ok": record.visit_ok,
        "solo_ok": record.solo_ok,
        "capacity": record.capacity,
        "accessibility": list(record.accessibility),
        "notes": record.notes or "",
        "extra": extra,
        "status": status,
    }


def owned_values(record: ActivityRecord, owned: Iterable[str]) -> dict[str, Any]:
    """The columns of :func:`activity_values` that one source owns."""
    keep = set(owned)
    return {k: v for k, v in activity_values(record).items() if k in keep}
