"""Organizer listings: drafts, submission, moderation decisions, and the diff moderators read.

An organizer's edit never touches the published Activity. It is an ActivityRevision whose `data` is a
JSON snapshot of the form (the same shape `snapshot()` makes from a published Activity). Approval
copies the snapshot onto the Activity; until then the public keeps seeing the last approved version.
Organizations marked `trusted` skip the queue: submission approves at once.
"""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

import nh3
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from importers import ActivityRecord
from jatext.normalize import clean, normalize_phone
from schedule.describe import describe
from schedule.model import WEEKDAY_CODES, YEAR_END, Schedule, parse_rrule_parts
from webapp.accounts.models.user import User
from webapp.config import Settings
from webapp.listings.activity_fields import ORGANIZER_FIELDS, owned_values
from webapp.listings.districts import assign_districts
from webapp.listings.models.activity import Activity
from webapp.listings.models.organization import Organization
from webapp.listings.models.organizer import ActivityRevision, OrganizationMembership
from webapp.listings.models.place import Place
from webapp.listings.spatial import set_location
from webapp.listings.taxonomy import taxonomy
from webapp.orm import utcnow
from webapp.security.audit import record
from webapp.service_error import ServiceError

OPEN_STATUSES = ("draft", "changes_requested", "pending")
EDITABLE_STATUSES = ("draft", "changes_requested")
SCHEDULE_KINDS = ("weekly", "monthly", "dates", "keep")
NTH_CHOICES = ("1", "2", "3", "4", "5", "-1")
MAX_DATES = 60
GEOCODE_LEVELS = ("gaiku", "chome", "oaza", "manual")
WELCOME_FLAGS = ("welcomes_first_timers", "visit_ok", "solo_ok")
_KANA_RE = re.compile(r"^[\u3041-\u3096\u30a1-\u30fa\u30fc\u309d\u309e\u30fd\u30fe・ 　0-9A-Za-z]*$")

LIMITS = {
    "name": 200,
    "name_kana": 200,
    "cost_text": 200,
    "booking_text": 300,
    "contact_name": 200,
    "contact_phone": 40,
    "contact_email": 200,
    "url": 500,
    "schedule_note": 300,
    "description": 4000,
    "place_name": 200,
    "address": 300,
}
_DATE_RE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# ------------------------------------------------------------------------------------------------
# text


# NFKC turns （）［］｛｝ into ASCII brackets; on a Japanese page 「佐藤（世話人）」 must come back
# as typed. They are kept aside (private-use code points NFKC leaves alone) while jatext cleans the
# rest; search keys fold them anyway (jatext.fold), so matching is unchanged.
_KEEP_FULLWIDTH = "（）［］｛｝"
_HIDE = str.maketrans({c: chr(0xE000 + i) for i, c in enumerate(_KEEP_FULLWIDTH)})
_SHOW = str.maketrans({chr(0xE000 + i): c for i, c in enumerate(_KEEP_FULLWIDTH)})
# the same private-use code points typed by someone: dropped, so they cannot turn into brackets
_DROP_HIDDEN = str.maketrans("", "", "".join(chr(0xE000 + i) for i in range(len(_KEEP_FULLWIDTH))))


def display_clean(value: Any, *, multiline: bool = False) -> str:
    """jatext.clean for text that is stored and shown, keeping full-width brackets as typed."""
    text = str(value or "").translate(_DROP_HIDDEN)
    return clean(text.translate(_HIDE), multiline=multiline).translate(_SHOW)


def plain_text(value: Any, limit: int, *, multiline: bool = False) -> str:
    """User text stored as plain text: normalised (jatext), markup removed, length capped.

    Output is escaped by the templates anyway; removing tags here keeps the stored value clean for
    every other reader (API, exports, mail). Unescaping after nh3 and repeating until nothing
    changes means "&lt;script&gt;" cannot turn into a tag on a later pass.
    """
    text = display_clean(value, multiline=multiline)
    for _round in range(5):
        stripped = html.unescape(nh3.clean(text, tags=set(), strip_comments=True))
        if stripped == text:
            break
        text = stripped
    if "<" in text and re.search(r"<[a-zA-Z!/?]", text):
        # Still tag-like after five rounds: a deliberate nesting attack; keep only the words.
        text = re.sub(r"<[^>]*>?", "", text)
    text = display_clean(text, multiline=multiline)
    return text[:limit]


# ------------------------------------------------------------------------------------------------
# memberships and access


def organizations_of(session: Session, user: User) -> list[Organization]:
    return list(
        session.scalars(
            select(Organization)
            .join(OrganizationMembership, OrganizationMembership.organization_id == Organization.id)
            .where(OrganizationMembership.user_id == user.id)
            .order_by(Organization.name)
        )
    )


def organization_ids_of(session: Session, user: User) -> set[int]:
    return set(
        session.scalars(
            select(OrganizationMembership.organization_id).where(OrganizationMembership.user_id == user.id)
        )
    )


def add_member(session: Session, user: User, organization: Organization) -> OrganizationMembership:
    existing = session.scalar(
        select(OrganizationMembership).where(
            OrganizationMembership.user_id == user.id,
            OrganizationMembership.organization_id == organization.id,
        )
    )
    if existing:
        return existing
    membership = OrganizationMembership(user_id=user.id, organization_id=organization.id)
    session.add(membership)
    session.flush()
    return membership


def organization_for(session: Session, user: User, organization_id: int) -> Organization:
    """The organization if the user belongs to it; otherwise "not found" (never "forbidden")."""
    if organization_id not in organization_ids_of(session, user):
        raise ServiceError("not_found", "no such organization", "organization")
    org = session.get(Organization, organization_id)
    assert org is not None
    return org


def activity_for(session: Session, user: User, activity_id: int) -> Activity:
    """An activity of one of the user's organizations. Others' IDs look exactly like missing ones."""
    activity = session.get(Activity, activity_id)
    if activity is None or activity.organization_id not in organization_ids_of(session, user):
        raise ServiceError("not_found", "no such activity", "activity")
    return activity


def revision_for(session: Session, user: User, revision_id: int) -> ActivityRevision:
    revision = session.get(ActivityRevision, revision_id)
    if revision is None or revision.organization_id not in organization_ids_of(session, user):
        raise ServiceError("not_found", "no such revision", "revision")
    return revision


def listings_of(session: Session, user: User) -> list[tuple[Activity, ActivityRevision | None]]:
    org_ids = organization_ids_of(session, user)
    if not org_ids:
        return []
    activities = session.scalars(
        select(Activity)
        .where(Activity.organization_id.in_(org_ids), Activity.status != "archived")
        .order_by(Activity.updated_at.desc(), Activity.id.desc())
    ).all()
    pairs = [(a, open_revision(session, a)) for a in activities]
    blank = empty_data()
    # A draft nothing was typed into is not a listing yet (it is reopened by 「新しい活動を登録する」).
    return [(a, r) for a, r in pairs if not (a.status == "draft" and r is not None and r.data == blank)]


# ------------------------------------------------------------------------------------------------
# snapshot ⇄ activity


def empty_data() -> dict[str, Any]:
    return {
        "name": "",
        "name_kana": "",
        "category": "",
        "audiences": [],
        "schedule": {
            "kind": "weekly",
            "weekdays": [],
            "interval": 1,
            "anchor": "",
            "nths": [],
            "dates": "",
            "skip_holidays": False,
            "year_end": False,
            "start": "",
            "end": "",
            "rrule": "",
        },
        "schedule_note": "",
        "place": {"mode": "new", "place_id": None, "name": "", "address": "", "lat": None, "lon": None, "level": ""},
        "cost_yen": None,
        "cost_text": "",
        "booking_required": None,
        "booking_text": "",
        "contact_name": "",
        "contact_phone": "",
        "contact_email": "",
        "url": "",
        "accessibility": [],
        "welcomes_first_timers": None,
        "visit_ok": None,
        "solo_ok": None,
        "description": "",
        "photo_ids": [],
    }


def _schedule_fields(activity: Activity) -> dict[str, Any]:
    fields: dict[str, Any] = empty_data()["schedule"]
    fields["skip_holidays"] = bool(activity.skip_holidays)
    fields["year_end"] = YEAR_END in (activity.schedule_yearly_exclusions or [])
    fields["start"] = activity.start_time.strftime("%H:%M") if activity.start_time else ""
    fields["end"] = activity.end_time.strftime("%H:%M") if activity.end_time else ""
    rule = activity.schedule_rrule
    if rule is None:
        if activity.schedule_rdates:
            fields["kind"] = "dates"
            fields["dates"] = "\n".join(activity.schedule_rdates)
        else:
            fields["kind"] = "keep"
        return fields
    parts = parse_rrule_parts(rule)
    byday = [d for d in parts.get("BYDAY", "").split(",") if d]
    known = set(parts) <= {"FREQ", "INTERVAL", "BYDAY", "WKST"}
    interval = int(parts.get("INTERVAL", "1"))
    if known and parts["FREQ"] == "WEEKLY" and byday and all(d in WEEKDAY_CODES for d in byday) and interval <= 2:
        anchor = activity.schedule_dtstart.isoformat() if interval == 2 and activity.schedule_dtstart else ""
        fields.update(kind="weekly", weekdays=byday, interval=interval, anchor=anchor)
        return fields
    if known and parts["FREQ"] == "MONTHLY" and byday and interval == 1:
        nths, days = [], []
        for item in byday:
            m = re.match(r"^([+-]?\d)(MO|TU|WE|TH|FR|SA|SU)$", item)
            if not m:
                break
            nths.append(str(int(m.group(1))))
            days.append(m.group(2))
        else:
            # The builder writes every nth × weekday pair; anything else is kept verbatim.
            uniq_n, uniq_d = list(dict.fromkeys(nths)), list(dict.fromkeys(days))
            if len(byday) == len(uniq_n) * len(uniq_d):
                fields.update(kind="monthly", nths=uniq_n, weekdays=uniq_d)
                return fields
    fields.update(kind="keep", rrule=rule)
    return fields


def snapshot(activity: Activity) -> dict[str, Any]:
    """The published state of an activity, in the revision data shape."""
    data = empty_data()
    place = activity.place
    data.update(
        name=activity.name,
        name_kana=activity.name_kana or "",
        category=activity.category or "",
        audiences=list(activity.audiences or []),
        schedule=_schedule_fields(activity),
        # Without a rule the wording is the schedule; it is cleaned as the form would clean it.
        schedule_note=display_clean(activity.schedule_text) if activity.schedule_rrule is None and not activity.schedule_rdates else "",
        cost_yen=activity.cost_yen,
        cost_text=activity.cost_text,
        booking_required=activity.booking_required,
        booking_text=activity.booking_text,
        contact_name=activity.contact_name,
        contact_phone=activity.contact_phone,
        contact_email=activity.contact_email,
        url=activity.url,
        accessibility=list(activity.accessibility or []),
        welcomes_first_timers=activity.welcomes_first_timers,
        visit_ok=activity.visit_ok,
        solo_ok=activity.solo_ok,
        description=activity.description,
        photo_ids=[int(i) for i in (activity.extra or {}).get("photo_ids", [])],
    )
    if place is not None:
        data["place"] = {
            "mode": "existing",
            "place_id": place.id,
            "name": place.name,
            "address": place.address,
            "lat": place.lat,
            "lon": place.lon,
            "level": place.geocode_level,
        }
    return data


def _parse_date(text: str) -> date | None:
    try:
        y, m, d = (int(x) for x in text.split("-"))
        return date(y, m, d)
    except ValueError:
        return None


def _parse_time(text: str) -> time | None:
    text = clean(text).replace("：", ":")
    m = re.fullmatch(r"(\d{1,2}):?(\d{2})", text)
    if not m:
        return None
    h, mi = int(m.group(1)), int(m.group(2))
    if h > 23 or mi > 59:
        return None
    return time(h, mi)


def build_schedule(data: Mapping[str, Any]) -> tuple[Schedule | None, str | None]:
    """The schedule builder's fields → a Schedule (RRULE), or an error message for the form."""
    s = data.get("schedule") or {}
    kind = s.get("kind")
    start = _parse_time(s.get("start") or "") if s.get("start") else None
    end = _parse_time(s.get("end") or "") if s.get("end") else None
    if (s.get("start") and start is None) or (s.get("end") and end is None):
        return None, _("時刻は 10:00 のように入力してください。")
    if start and end and end <= start:
        return None, _("終わりの時刻は始まりより後にしてください。")
    skip = bool(s.get("skip_holidays"))
    # 年末年始 (12/29–1/3) closed in every year: Schedule.yearly_exclusions.
    yearly = (YEAR_END,) if s.get("year_end") else ()
    note = str(data.get("schedule_note") or "")
    weekdays = [d for d in s.get("weekdays") or [] if d in WEEKDAY_CODES]
    weekdays.sort(key=WEEKDAY_CODES.index)
    try:
        if kind == "weekly":
            if not weekdays:
                return None, _("曜日を選んでください。")
            interval = 2 if str(s.get("interval")) == "2" else 1
            rule: str | None = f"FREQ=WEEKLY;BYDAY={','.join(weekdays)}"
            dtstart = None
            if interval == 2:
                rule = f"FREQ=WEEKLY;INTERVAL=2;BYDAY={','.join(weekdays)}"
                # 隔週 needs the organizer's own first day: it decides which weeks are meant.
                dtstart = _parse_date(str(s.get("anchor") or ""))
                if dtstart is None:
                    return None, _("隔週の場合は、開催する日を1日入力してください（例: 2026-12-05）。")
            return Schedule(
                rule, start, end, dtstart=dtstart, skip_holidays=skip, text=note, yearly_exclusions=yearly
            ), None
        if kind == "monthly":
            nths = [n for n in NTH_CHOICES if n in [str(x) for x in s.get("nths") or []]]
            if not nths or not weekdays:
                return None, _("「第何」と曜日を選んでください。")
            byday = ",".join(f"{n}{d}" for d in weekdays for n in nths)
            return Schedule(
                f"FREQ=MONTHLY;BYDAY={byday}", start, end, skip_holidays=skip, text=note, yearly_exclusions=yearly
            ), None
        if kind == "dates":
            found = _DATE_RE.findall(clean(str(s.get("dates") or "")).replace("/", "-"))
            days = [d for d in (_parse_date(x) for x in found) if d is not None]
            if not days:
                return None, _("日付を 2026-12-05 のように入力してください。")
            if len(days) > MAX_DATES:
                return None, _("日付が多すぎます。")
            return Schedule(None, start, end, rdates=tuple(days), text=note), None
        if kind == "keep":
            rule = s.get("rrule") or None
            if rule is None and not note:
                return None, _("開催日を選んでください。")
            return Schedule(rule, start, end, skip_holidays=skip, text=note, yearly_exclusions=yearly), None
    except ValueError:
        return None, _("開催日の指定が正しくありません。")
    return None, _("開催日を選んでください。")


def schedule_sentence(data: Mapping[str, Any], locale: str = "ja") -> str:
    schedule, _problem = build_schedule(data)
    if schedule is None:
        return ""
    return describe(schedule, locale)


# ------------------------------------------------------------------------------------------------
# form → data


def _flag(value: Any) -> bool | None:
    if value in ("yes", "true", "1", True):
        return True
    if value in ("no", "false", "0", False):
        return False
    return None


def _float(value: Any) -> float | None:
    try:
        f = float(str(value).strip())
    except ValueError:
        return None
    return f if f == f and abs(f) <= 180 else None


def _anchor(text: str) -> str:
    """The 隔週 start date as typed (2026-12-05, 2026/12/5, full width): ISO, or "" if unreadable."""
    found = _DATE_RE.search(clean(text).replace("/", "-"))
    day = _parse_date(found.group(0)) if found else None
    return day.isoformat() if day else clean(text)[:20]


def data_from_form(form: Mapping[str, list[str]], previous: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Read the listing form (a multi-dict as lists) into the revision data shape; no validation."""

    def one(name: str) -> str:
        values = form.get(name) or [""]
        return values[0] if values else ""

    def many(name: str) -> list[str]:
        return [v for v in form.get(name) or [] if v]

    tax = taxonomy()
    data = empty_data()
    prev = dict(previous or {})
    data["name"] = plain_text(one("name"), LIMITS["name"])
    data["name_kana"] = plain_text(one("name_kana"), LIMITS["name_kana"])
    category = one("category")
    data["category"] = category if category in tax.categories else ""
    data["audiences"] = [a for a in tax.audiences if a in many("audiences")]
    data["accessibility"] = [a for a in tax.accessibility if a in many("accessibility")]
    # A box left unticked means "not said", never "no": the filters only look for a yes.
    for flag in WELCOME_FLAGS:
        data[flag] = True if one(flag) in ("1", "on", "yes") else None
    kind = one("schedule_kind")
    data["schedule"] = {
        "kind": kind if kind in SCHEDULE_KINDS else "weekly",
        "weekdays": [d for d in WEEKDAY_CODES if d in many("weekdays")],
        "interval": 2 if one("interval") == "2" else 1,
        "anchor": _anchor(one("anchor")),
        "nths": [n for n in NTH_CHOICES if n in many("nths")],
        "dates": plain_text(one("dates"), 1000, multiline=True),
        "skip_holidays": one("skip_holidays") in ("1", "on", "yes"),
        "year_end": one("year_end") in ("1", "on", "yes"),
        "start": plain_text(one("start"), 5),
        "end": plain_text(one("end"), 5),
        "rrule": (prev.get("schedule") or {}).get("rrule", ""),
    }
    data["schedule_note"] = plain_text(one("schedule_note"), LIMITS["schedule_note"])
    mode = one("place_mode")
    place_id = one("place_id")
    data["place"] = {
        "mode": mode if mode in ("existing", "new") else "new",
        "place_id": int(place_id) if place_id.isdigit() else None,
        "name": plain_text(one("place_name"), LIMITS["place_name"]),
        "address": plain_text(one("address"), LIMITS["address"]),
        "lat": _float(one("lat")),
        "lon": _float(one("lon")),
        "level": one("geocode_level") if one("geocode_level") in GEOCODE_LEVELS else "",
    }
    cost = clean(one("cost_yen")).replace(",", "").replace("円", "")
    data["cost_yen"] = int(cost) if cost.isdigit() and len(cost) < 7 else None
    data["cost_text"] = plain_text(one("cost_text"), LIMITS["cost_text"])
    data["booking_required"] = _flag(one("booking_required"))
    data["booking_text"] = plain_text(one("booking_text"), LIMITS["booking_text"])
    data["contact_name"] = plain_text(one("contact_name"), LIMITS["contact_name"])
    phone = plain_text(one("contact_phone"), LIMITS["contact_phone"])
    data["contact_phone"] = normalize_phone(phone) or phone
    data["contact_email"] = plain_text(one("contact_email"), LIMITS["contact_email"])
    data["url"] = plain_text(one("url"), LIMITS["url"])
    data["description"] = plain_text(one("description"), LIMITS["description"], multiline=True)
    # Photos are added and removed by their own forms; the listing form never changes the list.
    data["photo_ids"] = list(prev.get("photo_ids") or [])
    return data


def validate(
    session: Session, organization_id: int, data: Mapping[str, Any], own_place_id: int | None = None
) -> dict[str, str]:
    """Field → message for everything a listing needs before a moderator sees it.

    ``own_place_id``: the listing's current place, always a valid "existing" choice (staff editing an
    imported listing that has no organization)."""
    errors: dict[str, str] = {}
    if not data.get("name"):
        errors["name"] = _("活動の名前を入力してください。")
    if data.get("name_kana") and not _KANA_RE.match(data["name_kana"]):
        errors["name_kana"] = _("ふりがなは ひらがな か カタカナ で入力してください。")
    if data.get("category") not in taxonomy().categories:
        errors["category"] = _("種別を選んでください。")
    if not data.get("audiences"):
        errors["audiences"] = _("対象を1つ以上選んでください。")
    _schedule, problem = build_schedule(data)
    if problem:
        errors["schedule"] = problem
    place = data.get("place") or {}
    if place.get("mode") == "existing":
        allowed = {p.id for p in places_for(session, organization_id)} | ({own_place_id} if own_place_id else set())
        if place.get("place_id") not in allowed:
            errors["place"] = _("場所を選んでください。")
    else:
        if not place.get("name"):
            errors["place_name"] = _("場所の名前を入力してください。")
        if place.get("lat") is None or place.get("lon") is None:
            errors["address"] = _("住所から地図の位置が見つかりません。地図をタップして位置を決めてください。")
        elif not (20 <= place["lat"] <= 46 and 122 <= place["lon"] <= 154):
            errors["address"] = _("位置が日本の外になっています。地図で確かめてください。")
    if not data.get("contact_phone") and not data.get("contact_email"):
        errors["contact_phone"] = _("電話番号かメールアドレスのどちらかを入力してください。")
    email = data.get("contact_email") or ""
    if email and not _EMAIL_RE.match(email):
        errors["contact_email"] = _("メールアドレスの形が正しくありません。")
    url = data.get("url") or ""
    if url and not re.match(r"^https?://[^\s/$.?#].[^\s]*$", url):
        errors["url"] = _("URLは http:// か https:// で始めてください。")
    return errors


# ------------------------------------------------------------------------------------------------
# places


def places_for(session: Session, organization_id: int) -> list[Place]:
    """Places this organization already uses: the choices for "pick an existing place"."""
    return list(
        session.scalars(
            select(Place)
            .where(Place.id.in_(select(Activity.place_id).where(Activity.organization_id == organization_id)))
            .order_by(Place.name)
        )
    )


def geocode_messages() -> dict[str, str]:
    """What the form says after the address was looked up, by how precisely it was found."""
    return {
        "gaiku": _("番地の位置に表示しました。ずれていればピンを動かしてください。"),
        "chome": _("丁目までしか見つかりませんでした。ピンを会場の正しい位置に動かしてください。"),
        "oaza": _("町の中心しか見つかりませんでした。ピンを会場の正しい位置に動かしてください。"),
    }


def fill_location(settings: Settings, data: dict[str, Any]) -> None:
    """Without JS nobody pins the map: geocode the address on the server when lat/lon are empty."""
    place = data.get("place") or {}
    if place.get("mode") != "new" or not place.get("address"):
        return
    if place.get("lat") is not None and place.get("lon") is not None:
        return
    from webapp.listings.geocoding import geocode

    result = geocode(settings, place["address"])
    if result is not None:
        place.update(lat=result.lat, lon=result.lon, level=result.level)


# ------------------------------------------------------------------------------------------------
# drafts and submission


def open_revision(session: Session, activity: Activity) -> ActivityRevision | None:
    return session.scalar(
        select(ActivityRevision)
        .where(ActivityRevision.activity_id == activity.id, ActivityRevision.status.in_(OPEN_STATUSES))
        .order_by(ActivityRevision.id.desc())
        .limit(1)
    )


def _untouched_draft(session: Session, user: User, organization: Organization) -> tuple[Activity, ActivityRevision] | None:
    """This user's draft of this organization that nothing was ever typed into, if any."""
    pairs = session.execute(
        select(Activity, ActivityRevision)
        .join(ActivityRevision, ActivityRevision.activity_id == Activity.id)
        .where(
            Activity.organization_id == organization.id,
            Activity.status == "draft",
            Activity.published_at.is_(None),
            ActivityRevision.author_id == user.id,
            ActivityRevision.status == "draft",
        )
        .order_by(Activity.id)
    ).all()
    blank = empty_data()
    for activity, revision in pairs:
        if revision.data == blank or (revision.data or {}) == {}:
            return activity, revision
    return None


def start_listing(session: Session, user: User, organization: Organization) -> tuple[Activity, ActivityRevision]:
    """A new, empty draft listing; it stays invisible to the public until approved.

    Tapping 「新しい活動を登録する」 again (or going back and tapping it) reopens the same blank draft
    instead of leaving a 「（名前未入力）」 line per tap in the organizer's list.
    """
    untouched = _untouched_draft(session, user, organization)
    if untouched is not None:
        return untouched
    activity = Activity(
        source="organizer",
        source_id=uuid.uuid4().hex,
        name="",
        organization_id=organization.id,
        status="draft",
    )
    session.add(activity)
    session.flush()
    revision = ActivityRevision(
        activity_id=activity.id, organization_id=organization.id, author_id=user.id, data=empty_data()
    )
    session.add(revision)
    session.flush()
    record(session, "organizer.listing.create", "activity", activity.id, user_id=user.id)
    return activity, revision


def editable_revision(session: Session, user: User, activity: Activity) -> ActivityRevision:
    """The draft to edit: the open one, or a new draft copied from the published version.

    A pending revision is pulled back to draft when edited again: the moderator then sees the
    newest wording once it is re-submitted, never a half-edited one.
    """
    revision = open_revision(session, activity)
    if revision is not None:
        if revision.status == "pending":
            revision.status = "draft"
            revision.submitted_at = None
            session.flush()
        return revision
    revision = ActivityRevision(
        activity_id=activity.id,
        organization_id=activity.organization_id,
        author_id=user.id,
        data=snapshot(activity),
    )
    session.add(revision)
    session.flush()
    return revision


def save_draft(session: Session, user: User, revision: ActivityRevision, data: dict[str, Any]) -> ActivityRevision:
    if revision.status not in EDITABLE_STATUSES:
        raise ServiceError("not_editable", _("この版はもう編集できません（審査中か、公開済みです）。"), "revision")
    revision.data = data
    revision.author_id = user.id
    if data.get("name"):
        activity = revision.activity
        if activity.status in ("draft", "pending"):
            # Unpublished listings show their working name in the organizer's own list.
            activity.name = data["name"]
    session.flush()
    return revision


@dataclass
class SubmitResult:
    revision: ActivityRevision
    published: bool


def submit(
    session: Session,
    settings: Settings,
    user: User,
    revision: ActivityRevision,
    on_published: Callable[[int], None] | None = None,
) -> SubmitResult:
    if revision.status not in EDITABLE_STATUSES:
        raise ServiceError("not_editable", _("この版はもう編集できません（審査中か、公開済みです）。"), "revision")
    errors = validate(session, revision.organization_id, revision.data)
    if errors:
        field, message = next(iter(errors.items()))
        raise ServiceError("invalid", message, field)
    revision.status = "pending"
    revision.submitted_at = utcnow()
    activity = revision.activity
    if activity.status == "draft":
        activity.status = "pending"
    record(session, "organizer.listing.submit", "activity_revision", revision.id, {"activity_id": activity.id})
    organization = session.get(Organization, revision.organization_id)
    if organization is not None and organization.trusted:
        approve(session, settings, revision, None, on_published=on_published, automatic=True)
        return SubmitResult(revision, True)
    session.flush()
    return SubmitResult(revision, False)


def archive(
    session: Session, user: User, activity: Activity, on_changed: Callable[[int], None] | None = None
) -> None:
    """The organizer ends a listing. Taking information down needs no review."""
    activity.status = "archived"
    for revision in session.scalars(
        select(ActivityRevision).where(
            ActivityRevision.activity_id == activity.id, ActivityRevision.status.in_(OPEN_STATUSES)
        )
    ):
        revision.status = "rejected"
        revision.message = "archived by organizer"
    record(session, "organizer.listing.archive", "activity", activity.id, user_id=user.id)
    session.flush()
    if on_changed:
        on_changed(activity.id)


# ------------------------------------------------------------------------------------------------
# moderation


def pending_revisions(session: Session) -> list[ActivityRevision]:
    return list(
        session.scalars(
            select(ActivityRevision)
            .where(ActivityRevision.status == "pending")
            .order_by(ActivityRevision.submitted_at, ActivityRevision.id)
        )
    )


def apply_data(session: Session, settings: Settings, activity: Activity, data: Mapping[str, Any]) -> None:
    """Copy reviewed listing data (the revision shape) onto the Activity and its Place."""
    schedule, problem = build_schedule(data)
    if schedule is None:
        raise ServiceError("invalid", problem or "schedule", "schedule")
    sentence = describe(schedule, "ja") or schedule.text
    note = data.get("schedule_note") or ""
    record = ActivityRecord(
        source_id=activity.source_id or "",
        name=data["name"],
        name_kana=data.get("name_kana") or "",
        category=data["category"],
        audiences=list(data["audiences"]),
        description=data.get("description") or "",
        schedule=schedule,
        # An undescribable rule falls back to the note itself: do not repeat it in brackets.
        schedule_text=(f"{sentence}（{note}）" if note and note != sentence else sentence)[:500],
        cost_yen=data.get("cost_yen"),
        cost_text=data.get("cost_text") or "",
        booking_required=data.get("booking_required"),
        contact_phone=data.get("contact_phone") or "",
        contact_email=data.get("contact_email") or "",
        url=data.get("url") or "",
        accessibility=list(data.get("accessibility") or []),
        welcomes_first_timers=data.get("welcomes_first_timers"),
        visit_ok=data.get("visit_ok"),
        solo_ok=data.get("solo_ok"),
    )
    for column, value in owned_values(record, ORGANIZER_FIELDS).items():
        setattr(activity, column, value)
    # Not part of the exchange record (the city's files have no such columns): the form's own.
    activity.booking_text = data.get("booking_text") or ""
    activity.contact_name = data.get("contact_name") or ""
    place_data = data.get("place") or {}
    if place_data.get("mode") == "existing" and place_data.get("place_id"):
        place_id = int(place_data["place_id"])
        activity.place_id = place_id
    else:
        place = Place(
            source="organizer",
            source_id=uuid.uuid4().hex,
            name=place_data.get("name") or "",
            address=place_data.get("address") or "",
            geocode_level=place_data.get("level") or "manual",
            accessibility=list(data.get("accessibility") or []),
        )
        set_location(place, place_data.get("lat"), place_data.get("lon"))
        session.add(place)
        session.flush()
        activity.place = place
        place_id = place.id
    # A new or moved place needs its 小学校区 for district filters and reports; an existing place
    # is re-checked too, in case it was stored before any districts were loaded.
    assign_districts(session, [place_id])
    from webapp.listings.photos import publish_photos

    photo_ids = publish_photos(session, activity, [int(i) for i in data.get("photo_ids") or []])
    activity.extra = {**(activity.extra or {}), "photo_ids": photo_ids}


def approve(
    session: Session,
    settings: Settings,
    revision: ActivityRevision,
    moderator: User | None,
    on_published: Callable[[int], None] | None = None,
    automatic: bool = False,
) -> Activity:
    if revision.status != "pending":
        raise ServiceError("not_pending", _("審査待ちの版だけを承認できます（ほかの担当者がすでに判断したかもしれません）。"), "revision")
    activity = revision.activity
    apply_data(session, settings, activity, revision.data)
    now = utcnow()
    activity.status = "published"
    activity.published_at = activity.published_at or now
    # Approving what the organizer just sent is also a fresh confirmation that it runs as shown.
    activity.last_confirmed_at = now
    revision.status = "approved"
    revision.decided_at = now
    revision.decided_by_id = moderator.id if moderator else None
    action = "moderation.auto_approve" if automatic else "moderation.approve"
    record(session, action, "activity_revision", revision.id, {"activity_id": activity.id})
    session.flush()
    _notify_author(session, settings, revision, "approved")
    if on_published:
        on_published(activity.id)
    return activity


def request_changes(
    session: Session, settings: Settings, revision: ActivityRevision, moderator: User, message: str
) -> None:
    if revision.status != "pending":
        raise ServiceError("not_pending", _("審査待ちの版だけを差し戻せます（ほかの担当者がすでに判断したかもしれません）。"), "revision")
    message = plain_text(message, 2000, multiline=True)
    if not message:
        raise ServiceError("message_required", _("主催者への連絡事項を書いてください。"), "message")
    revision.status = "changes_requested"
    revision.message = message
    revision.decided_at = utcnow()
    revision.decided_by_id = moderator.id
    if revision.activity.status == "pending":
        revision.activity.status = "draft"
    record(session, "moderation.request_changes", "activity_revision", revision.id, {"message": message})
    session.flush()
    _notify_author(session, settings, revision, "changes_requested")


def reject(session: Session, settings: Settings, revision: ActivityRevision, moderator: User, message: str) -> None:
    if revision.status != "pending":
        raise ServiceError("not_pending", _("審査待ちの版だけを却下できます（ほかの担当者がすでに判断したかもしれません）。"), "revision")
    revision.status = "rejected"
    revision.message = plain_text(message, 2000, multiline=True)
    revision.decided_at = utcnow()
    revision.decided_by_id = moderator.id
    activity = revision.activity
    if activity.status in ("draft", "pending"):
        # A listing that was never published and is refused has nothing to show: end it.
        activity.status = "archived"
    record(session, "moderation.reject", "activity_revision", revision.id, {"message": revision.message})
    session.flush()
    _notify_author(session, settings, revision, "rejected")


def _notify_author(session: Session, settings: Settings, revision: ActivityRevision, outcome: str) -> None:
    from webapp.mail import queue_mail

    author = session.get(User, revision.author_id) if revision.author_id else None
    if author is None:
        return
    name = revision.data.get("name") or revision.activity.name
    subjects = {
        "approved": _("掲載しました: %(name)s", name=name),
        "changes_requested": _("修正のお願い: %(name)s", name=name),
        "rejected": _("掲載を見送りました: %(name)s", name=name),
    }
    body = subjects[outcome]
    if revision.message:
        body += "\n\n" + _("担当者からの連絡:") + "\n" + revision.message
    queue_mail(session, settings, author.email, subjects[outcome], body + "\n")


# ------------------------------------------------------------------------------------------------
# diff


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    old: str
    new: str

    @property
    def changed(self) -> bool:
        return self.old != self.new


def _labels() -> list[tuple[str, str]]:
    return [
        ("name", _("名前")),
        ("name_kana", _("ふりがな")),
        ("category", _("種別")),
        ("audiences", _("対象")),
        ("schedule", _("開催日時")),
        ("place", _("場所")),
        ("cost", _("参加費")),
        ("booking", _("申込")),
        ("contact", _("問い合わせ先")),
        ("url", _("ホームページ")),
        ("accessibility", _("バリアフリー")),
        ("welcome", _("はじめての方へ")),
        ("description", _("紹介文")),
        ("photos", _("写真")),
    ]


def welcome_labels() -> list[tuple[str, str]]:
    return [
        ("welcomes_first_timers", _("初参加歓迎")),
        ("visit_ok", _("見学可")),
        ("solo_ok", _("一人参加OK")),
    ]


def display_values(data: Mapping[str, Any], lang: str = "ja") -> dict[str, str]:
    """Each reviewed field as the one line a moderator compares."""
    tax = taxonomy()
    place = data.get("place") or {}
    if place.get("mode") == "existing" and place.get("place_id"):
        place_text = f"#{place['place_id']} {place.get('name') or ''} {place.get('address') or ''}".strip()
    else:
        where = f"({place['lat']:.5f}, {place['lon']:.5f})" if place.get("lat") is not None and place.get("lon") is not None else ""
        place_text = " ".join(x for x in (place.get("name"), place.get("address"), where) if x)
    cost = ""
    if data.get("cost_yen") is not None:
        cost = _("無料") if data["cost_yen"] == 0 else f"{data['cost_yen']}円"
    booking = {True: _("申込が必要"), False: _("申込不要"), None: ""}[data.get("booking_required")]
    schedule = schedule_sentence(data, lang)
    note = data.get("schedule_note") or ""
    if note and note != schedule:
        schedule = f"{schedule}（{note}）"
    return {
        "name": data.get("name") or "",
        "name_kana": data.get("name_kana") or "",
        "category": tax.categories[data["category"]].label(lang) if data.get("category") in tax.categories else "",
        "audiences": "、".join(tax.audiences[a].label(lang) for a in data.get("audiences") or [] if a in tax.audiences),
        "schedule": schedule,
        "place": place_text,
        "cost": " ".join(x for x in (cost, data.get("cost_text") or "") if x),
        "booking": " ".join(x for x in (booking, data.get("booking_text") or "") if x),
        "contact": " ".join(
            x for x in (data.get("contact_name"), data.get("contact_phone"), data.get("contact_email")) if x
        ),
        "url": data.get("url") or "",
        "accessibility": "、".join(
            tax.accessibility[a].label(lang) for a in data.get("accessibility") or [] if a in tax.accessibility
        ),
        "welcome": "、".join(label for flag, label in welcome_labels() if data.get(flag)),
        "description": data.get("description") or "",
        "photos": ", ".join(f"#{i}" for i in data.get("photo_ids") or []),
    }


def diff(revision: ActivityRevision, lang: str = "ja") -> list[FieldChange]:
    """Field-by-field: the published version (empty for a new listing) against the proposal."""
    activity = revision.activity
    before = display_values(snapshot(activity), lang) if activity.status in ("published", "archived") else {}
    after = display_values(revision.data, lang)
    return [FieldChange(f, label, before.get(f, ""), after.get(f, "")) for f, label in _labels()]


def is_new_listing(revision: ActivityRevision) -> bool:
    return revision.activity.published_at is None


def iso(dt: datetime | None) -> str:
    return dt.isoformat() if dt else ""
