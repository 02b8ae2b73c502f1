"""Case records (参加支援): who may see a case, and every read and write with its AuditEvent.

Access (deny by default; a case the user may not see is "not found", never "forbidden"):
- supporter: cases they are assigned to (担当), in their own office;
- office_lead: every case of their office, and cases explicitly shared with their office; assigns;
- viewer, admin, moderator: no case content at all (statistics only, elsewhere).
Every function that returns or changes case content writes an AuditEvent in the same transaction.
Audit details carry ids and field names only, never the content itself.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, exists, or_, select, true
from sqlalchemy.orm import Session

from webapp import clock
from webapp.accounts.models.user import User
from webapp.accounts.services import LoginResult, attempt_reauth
from webapp.cases.messages import _
from webapp.cases.models import (
    AGE_BANDS,
    CONSENT_METHODS,
    CONSENT_PURPOSES,
    CONTACT_PREFERENCES,
    DAY_PARTS,
    FIELDS,
    MEETING_KINDS,
    MOBILITY,
    REFERRAL_SOURCES,
    SHARE_FIELDS,
    CaseMeeting,
    CaseNote,
    CaseShare,
    Consent,
    FollowUp,
    IntakeRoute,
    Person,
    PersonWorker,
    Placement,
)
from webapp.cases.plan_models import ROLES_WANTED
from webapp.config import settings
from webapp.orm import utcnow
from webapp.security.audit import record
from webapp.security.crypto import decrypt, encrypt
from webapp.security.models import AuditEvent
from webapp.security.permissions import Permission, has_permission
from webapp.service_error import ServiceError

NOTE_EDIT_WINDOW = timedelta(hours=24)
DEFAULTS: dict[str, Any] = {
    "followup_person_days": [7, 30, 90],
    "followup_host_days": [30, 90],
    "case_retention_days": 5 * 365,
}


def case_setting(name: str) -> Any:
    """Case settings live under [extra] in instance/config.toml (e.g. followup_host_days = [30, 90])."""
    from flask import has_app_context

    if has_app_context():
        extra = settings().extra or {}
        if name in extra:
            return extra[name]
    return DEFAULTS[name]


def proposal_overdue_days() -> int:
    """Days an 打診 may wait for the host's answer before it is flagged and the host reminded (a
    setting of its own in webapp.config: proposal_overdue_days, default 14)."""
    from flask import has_app_context

    return settings().proposal_overdue_days if has_app_context() else 14


class NotFound(ServiceError):
    def __init__(self) -> None:
        super().__init__("not_found", "not found")


# ── access ──────────────────────────────────────────────────────────────────────────────────────


def _shared_with(office_id: int | None) -> Any:
    return exists().where(
        CaseShare.person_id == Person.id, CaseShare.office_id == office_id, CaseShare.revoked_at.is_(None)
    )


def _assigned(user_id: int) -> Any:
    return exists().where(PersonWorker.person_id == Person.id, PersonWorker.user_id == user_id)


def visible_condition(user: User) -> Any:
    """SQL condition: the persons this user may open. False for roles without case access."""
    if not has_permission(user, Permission.CASE_READ):
        return False
    conditions = [_assigned(user.id)]
    if has_permission(user, Permission.OFFICE_CASES) and user.office_id is not None:
        conditions += [Person.office_id == user.office_id, _shared_with(user.office_id)]
    return or_(*conditions)


def can_see(session: Session, user: User, person: Person) -> bool:
    if not has_permission(user, Permission.CASE_READ):
        return False
    return bool(session.scalar(select(exists().where(Person.id == person.id, visible_condition(user)))))


def load_person(session: Session, user: User, person_id: int, action: str = "case.read", **detail: Any) -> Person:
    """The person if this user may see it (audited as `action`), else NotFound — the same for 'absent'."""
    if not has_permission(user, Permission.CASE_READ) or not valid_id(person_id):
        raise NotFound()
    person = session.scalar(select(Person).where(Person.id == person_id, visible_condition(user)))
    if person is None:
        raise NotFound()
    record(session, action, "person", person.id, detail or None, user_id=user.id)
    return person


class NotOwner(ServiceError):
    """The case is visible (e.g. shared with this office) but only its owning office may do this."""

    def __init__(self) -> None:
        super().__init__("not_owner", _("このケースを持つ所属だけが行えます。"))


def is_owner_office(user: User, person: Person) -> bool:
    return user.office_id is not None and user.office_id == person.office_id


def require_owner(user: User, person: Person) -> None:
    """Assignment, sharing, holds and identifying exports belong to the owning office's leads only:
    a share lets another office read, never re-share, reassign, hold or export name and contact."""
    if not has_permission(user, Permission.CASE_ASSIGN):
        raise NotFound()
    if not is_owner_office(user, person):
        raise NotOwner()


MAX_ID = 2**31 - 1  # Integer primary keys: PostgreSQL int4; SQLite overflows above 2**63 - 1


def valid_id(value: int | None) -> bool:
    """An id a query or a foreign key can hold (a bigger one is a database error, not 'not found')."""
    return value is not None and 1 <= value <= MAX_ID


def require_write(user: User) -> None:
    if not has_permission(user, Permission.CASE_WRITE):
        raise NotFound()


def is_assigned(person: Person, user: User) -> bool:
    return any(w.user_id == user.id for w in person.workers)


# ── true dates ──────────────────────────────────────────────────────────────────────────────────


def check_day(person: Person | None, day: date | None, field: str = "occurred_on") -> date:
    """The Japan date an event happened: today when not given; never in the future, never before the
    case was received (受付日). The message is shown beside the field."""
    today = clock.today()
    if day is None:
        return today
    if day > today:
        raise ServiceError("future_date", _("未来の日付は入力できません（今日は %(d)s）。", d=today.isoformat()), field)
    if person is not None and day < person.intake_day:
        raise ServiceError(
            "before_intake", _("受付日（%(d)s）より前の日付は入力できません。", d=person.intake_day.isoformat()), field
        )
    return day


def moment_of(day: date) -> datetime:
    """The stored moment for an event dated ``day``: now when it is today, else noon of that day in Japan."""
    return clock.now() if day == clock.today() else clock.at_jst(day)


def earliest_event(person: Person) -> date | None:
    """The first dated event of the case (for 受付日, which may not come after it)."""
    days = [e.day for p in person.placements for e in p.events]
    days += [n.occurred_on or clock.to_jst(n.created_at).date() for n in person.notes if n.created_at]
    days += [c.granted_on or clock.to_jst(c.granted_at).date() for c in person.consents if c.granted_at]
    days += [f.done_on or clock.to_jst(f.done_at).date() for f in person.followups if f.done_at]
    days += [p.made_on for p in person.plans]
    days += [link.meeting.held_on for link in person.meeting_links]
    return min(days) if days else None


# ── person ──────────────────────────────────────────────────────────────────────────────────────


@dataclass
class PersonInput:
    age_band: str = "unknown"
    district: str = ""
    field: str = "other"
    field_other: str = ""
    interests: list[str] | None = None
    interests_text: str = ""
    what_matters: str = ""
    free_slots: list[str] | None = None
    mobility: str = ""
    max_travel_m: int | None = None
    max_cost_yen: int | None = None
    accessibility_needs: list[str] | None = None
    audiences: list[str] | None = None
    solo_worry: bool = False
    needs_accompany: bool = False
    referral_source: str = "other"
    contact_preference: str = "phone"
    name: str = ""
    contact: str = ""
    # 受付 and アセスメント
    received_on: date | None = None
    intake_route: str = ""
    referring_org: str = ""
    handover_summary: str = ""
    fields: list[str] | None = None
    outside_existing_services: bool = False
    strengths: str = ""
    roles_wanted: list[str] | None = None
    goals_own_words: str = ""


def intake_routes(session: Session, current: str = "") -> list[IntakeRoute]:
    """Routes offered on the intake form: the active ones, and the one already stored if retired."""
    routes = list(session.scalars(select(IntakeRoute).order_by(IntakeRoute.position, IntakeRoute.id)))
    return [r for r in routes if r.active or r.code == current]


def _check_intake(session: Session, data: PersonInput, person: Person | None) -> None:
    current = person.intake_route if person else None
    if data.intake_route and data.intake_route != current and data.intake_route not in {
        r.code for r in intake_routes(session)
    }:
        raise ServiceError("unknown_route", _("受付の経路は一覧から選んでください。"), "intake_route")
    if data.received_on is not None:
        check_day(None, data.received_on, "received_on")
        first = earliest_event(person) if person is not None else None
        if first is not None and data.received_on > first:
            raise ServiceError(
                "after_events", _("受付日は最初の記録（%(d)s）より後にできません。", d=first.isoformat()), "received_on"
            )


def _check_choice(value: str, allowed: tuple[str, ...], field: str) -> None:
    if value not in allowed:
        raise ServiceError("invalid_choice", _("一覧から選んでください。"), field)


def _validate(data: PersonInput) -> None:
    from webapp.listings.taxonomy import taxonomy

    tx = taxonomy()
    _check_choice(data.age_band, AGE_BANDS, "age_band")
    _check_choice(data.field, FIELDS, "field")
    _check_choice(data.referral_source, REFERRAL_SOURCES, "referral_source")
    _check_choice(data.contact_preference, CONTACT_PREFERENCES, "contact_preference")
    _check_choice(data.mobility, MOBILITY, "mobility")
    for code in data.fields or []:
        _check_choice(code, FIELDS, "fields")
    for code in data.roles_wanted or []:
        _check_choice(code, ROLES_WANTED, "roles_wanted")
    for code in data.interests or []:
        if code not in tx.interests:
            raise ServiceError("unknown_interest", _("興味・関心は一覧から選んでください。"), "interests")
    for code in data.accessibility_needs or []:
        if code not in tx.accessibility:
            raise ServiceError("unknown_accessibility", _("必要な配慮は一覧から選んでください。"), "accessibility_needs")
    for code in data.audiences or []:
        if code not in tx.audiences:
            raise ServiceError("unknown_audience", _("対象は一覧から選んでください。"), "audiences")
    for slot in data.free_slots or []:
        if len(slot) != 3 or slot[0] not in "0123456" or slot[1:] not in DAY_PARTS:
            raise ServiceError("invalid_slot", _("空いている時間は一覧から選んでください。"), "free_slots")
    for name in ("max_travel_m", "max_cost_yen"):
        value = getattr(data, name)
        if value is not None and value < 0:
            raise ServiceError("negative", _("0以上の数を入力してください。"), name)


def _check_district(session: Session, value: str, current: str | None = None) -> None:
    """A district is one of the known 小学校区 (free text would reach KPI exports and overflow the
    column); a value already stored is left alone so an old record can still be edited."""
    from webapp.cases.suggestions import district_choices

    if not value or value == current:
        return
    if value not in {code for code, _name in district_choices(session)}:
        raise ServiceError("unknown_district", _("地区は一覧から選んでください。"), "district")


def _apply(person: Person, data: PersonInput) -> list[str]:
    changed = []
    for name in (
        "age_band", "district", "field", "field_other", "interests_text", "what_matters", "mobility",
        "max_travel_m", "max_cost_yen", "solo_worry", "needs_accompany", "referral_source", "contact_preference",
        "received_on", "intake_route", "referring_org", "handover_summary", "outside_existing_services", "strengths",
        "goals_own_words",
    ):  # fmt: skip
        value = getattr(data, name)
        if getattr(person, name) != value:
            setattr(person, name, value)
            changed.append(name)
    for name in ("interests", "free_slots", "accessibility_needs", "audiences", "fields", "roles_wanted"):
        value = sorted(set(getattr(data, name) or []))
        if list(getattr(person, name) or []) != value:
            setattr(person, name, value)
            changed.append(name)
    if data.name != person_name(person):
        person.name_enc = encrypt(data.name.strip())
        changed.append("name")
    if data.contact != person_contact(person):
        person.contact_enc = encrypt(data.contact.strip())
        changed.append("contact")
    return changed


def new_case_code(session: Session) -> str:
    # Random, not sequential: a code says nothing about how many cases exist or when it was made.
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    while True:
        code = "C-" + "".join(secrets.choice(alphabet) for _ in range(6))
        if not session.scalar(select(exists().where(Person.case_code == code))):
            return code


def create_person(session: Session, user: User, data: PersonInput) -> Person:
    require_write(user)
    if user.office_id is None:
        raise ServiceError("no_office", _("あなたのアカウントには所属がありません。管理者に依頼してください。"), "office")
    _validate(data)
    _check_district(session, data.district)
    data.received_on = data.received_on or clock.today()
    _check_intake(session, data, None)
    person = Person(case_code=new_case_code(session), office_id=user.office_id, created_by_id=user.id)
    _apply(person, data)
    person.workers.append(PersonWorker(user_id=user.id, assigned_by_id=user.id))
    session.add(person)
    session.flush()
    record(session, "case.create", "person", person.id, user_id=user.id)
    return person


def update_person(session: Session, user: User, person: Person, data: PersonInput) -> list[str]:
    require_write(user)
    _validate(data)
    _check_district(session, data.district, person.district)
    data.received_on = data.received_on or person.intake_day
    _check_intake(session, data, person)
    changed = _apply(person, data)
    session.flush()
    record(session, "case.update", "person", person.id, {"fields": changed}, user_id=user.id)
    return changed


def person_name(person: Person) -> str:
    return decrypt(person.name_enc)


def person_contact(person: Person) -> str:
    return decrypt(person.contact_enc)


def person_input(person: Person) -> PersonInput:
    return PersonInput(
        **{k: getattr(person, k) for k in PersonInput.__dataclass_fields__ if k not in ("name", "contact", "received_on")},
        name=person_name(person),
        contact=person_contact(person),
        received_on=person.intake_day,
    )


def link_household(session: Session, user: User, person: Person, other_code: str) -> Person:
    """世帯まるごと: link this person with another visible case (by case code) as one household."""
    require_write(user)
    code = other_code.strip().upper()
    other = session.scalar(select(Person).where(Person.case_code == code, visible_condition(user)))
    if other is None or other.id == person.id:
        raise ServiceError("unknown_case", _("見ることのできるケースのケース番号を入力してください。"), "household")
    key = other.household_key or person.household_key or other.case_code
    for member in (person, other):
        member.household_key = key
    session.flush()
    record(session, "case.household", "person", person.id, {"other_id": other.id}, user_id=user.id)
    return other


def household(session: Session, user: User, person: Person) -> list[Person]:
    """The other visible members of this person's household."""
    if not person.household_key:
        return []
    return list(
        session.scalars(
            select(Person)
            .where(Person.household_key == person.household_key, Person.id != person.id, visible_condition(user))
            .order_by(Person.id)
        )
    )


# ── lists ───────────────────────────────────────────────────────────────────────────────────────


@dataclass
class CaseFilter:
    scope: str = "mine"  # mine | office
    q: str = ""
    stage: str = ""
    field: str = ""
    district: str = ""
    overdue: bool = False


def overdue_condition(today: date, now: datetime) -> Any:
    """A case is overdue when a follow-up is past due, or a 打診 has gone unanswered too long."""
    limit = now - timedelta(days=proposal_overdue_days())
    return or_(
        exists().where(FollowUp.person_id == Person.id, FollowUp.done_at.is_(None), FollowUp.due_on < today),
        exists().where(
            Placement.person_id == Person.id, Placement.stage == "proposed", Placement.proposed_at < limit,
            Placement.answered_at.is_(None),
        ),
    )


def case_query(user: User, f: CaseFilter, today: date, now: datetime) -> Select[Person]:
    """Visible persons by scope, stage, field, district and overdue. The free-text ``q`` is not applied
    here: what_matters is encrypted at rest, so list_cases matches it after decrypting."""
    query = select(Person).where(visible_condition(user))
    if f.scope != "office" or not has_permission(user, Permission.OFFICE_CASES):
        query = query.where(_assigned(user.id))
    if f.stage:
        query = query.where(exists().where(Placement.person_id == Person.id, Placement.stage == f.stage))
    if f.field:
        query = query.where(Person.field == f.field)
    if f.district:
        query = query.where(Person.district == f.district)
    if f.overdue:
        query = query.where(overdue_condition(today, now))
    return query.order_by(Person.updated_at.desc(), Person.id.desc())


def matches_text(person: Person, q: str) -> bool:
    """The case code, district, interests text and what matters to the person (decrypted here), as
    typed and folded (jatext.fold); the whole name through its blind index (never decrypted)."""
    from jatext import fold
    from webapp.cases.name_index import matches as name_matches

    needle, folded = q.strip().lower(), fold(q)
    if not needle:
        return True
    if name_matches(person, q):
        return True
    texts = (person.case_code, person.district, person.interests_text, person.what_matters)
    return any(needle in (t or "").lower() for t in texts) or any(
        folded and folded in fold(t) for t in (person.interests_text, person.what_matters) if t
    )


def list_cases(session: Session, user: User, f: CaseFilter, limit: int = 200) -> list[Person]:
    if not has_permission(user, Permission.CASE_READ):
        raise NotFound()
    now = utcnow()
    today = clock.to_jst(now).date()
    query = case_query(user, f, today, now)
    if f.q.strip():
        # Matched in Python (encrypted text); the visible cases of one user are at most an office's.
        people = [p for p in session.scalars(query) if matches_text(p, f.q)][:limit]
    else:
        people = list(session.scalars(query.limit(limit)))
    record(session, "case.list", "person", "", {"ids": [p.id for p in people], "scope": f.scope}, user_id=user.id)
    return people


def overdue_ids(session: Session, ids: list[int]) -> set[int]:
    """Which of these (already visible) persons have an overdue follow-up or unanswered 打診."""
    if not ids:
        return set()
    now = utcnow()
    today = clock.to_jst(now).date()
    return set(session.scalars(select(Person.id).where(Person.id.in_(ids), overdue_condition(today, now))))


def followups_due(session: Session, user: User, today: date) -> tuple[list[FollowUp], list[FollowUp]]:
    """(due within the next 7 days, overdue) open follow-ups among the cases this user works on."""
    if not has_permission(user, Permission.CASE_READ):
        return [], []
    base = (
        select(FollowUp)
        .join(Person, FollowUp.person_id == Person.id)
        .where(visible_condition(user), _assigned(user.id) if not has_permission(user, Permission.OFFICE_CASES) else true())
        .where(FollowUp.done_at.is_(None))
        .order_by(FollowUp.due_on, FollowUp.id)
    )
    overdue = list(session.scalars(base.where(FollowUp.due_on < today).limit(200)))
    week = list(session.scalars(base.where(FollowUp.due_on >= today, FollowUp.due_on < today + timedelta(days=7)).limit(200)))
    ids = sorted({fu.person_id for fu in overdue + week})
    if ids:
        record(session, "case.list", "person", "", {"ids": ids, "view": "followups_due"}, user_id=user.id)
    return week, overdue


# ── assignment and sharing ──────────────────────────────────────────────────────────────────────


def assign_worker(session: Session, user: User, person: Person, worker_email: str) -> PersonWorker:
    require_owner(user, person)
    worker = session.scalar(select(User).where(User.email == worker_email.strip().lower()))
    allowed_offices = {person.office_id} | {s.office_id for s in person.shares if s.revoked_at is None}
    if worker is None or worker.office_id not in allowed_offices or not has_permission(worker, Permission.CASE_READ):
        raise ServiceError("unknown_worker", _("このメールアドレスで、この所属のケースを扱える職員は見つかりません。"), "email")
    if is_assigned(person, worker):
        raise ServiceError("already_assigned", _("すでに担当者です。"), "email")
    link = PersonWorker(user_id=worker.id, assigned_by_id=user.id)
    person.workers.append(link)
    session.flush()
    record(session, "case.assign", "person", person.id, {"worker_id": worker.id}, user_id=user.id)
    return link


def unassign_worker(session: Session, user: User, person: Person, worker_id: int) -> None:
    require_owner(user, person)
    for link in list(person.workers):
        if link.user_id == worker_id:
            person.workers.remove(link)
            session.flush()
            record(session, "case.unassign", "person", person.id, {"worker_id": worker_id}, user_id=user.id)
            return
    raise ServiceError("not_assigned", _("担当者ではありません。"), "worker")


def share_with_office(session: Session, user: User, person: Person, office_name: str, reason: str) -> CaseShare:
    from webapp.accounts.models.user import Office

    require_owner(user, person)
    if not reason.strip():
        raise ServiceError("reason_required", _("共有する理由を書いてください。"), "reason")
    office = session.scalar(select(Office).where(Office.name == office_name.strip()))
    if office is None or office.id == person.office_id:
        raise ServiceError("unknown_office", _("その名称のほかの所属は見つかりません。"), "office")
    live = next((s for s in person.shares if s.office_id == office.id and s.revoked_at is None), None)
    if live is not None:  # sharing again with the same office updates the reason, never a second row
        live.reason, live.shared_by_id = reason.strip(), user.id
        session.flush()
        record(session, "case.share", "person", person.id, {"office_id": office.id, "again": True}, user_id=user.id)
        return live
    share = CaseShare(office_id=office.id, reason=reason.strip(), shared_by_id=user.id)
    person.shares.append(share)
    session.flush()
    record(session, "case.share", "person", person.id, {"office_id": office.id}, user_id=user.id)
    return share


def revoke_share(session: Session, user: User, person: Person, share_id: int) -> None:
    require_owner(user, person)
    for share in person.shares:
        if share.id == share_id and share.revoked_at is None:
            share.revoked_at = utcnow()
            session.flush()
            record(session, "case.unshare", "person", person.id, {"office_id": share.office_id}, user_id=user.id)
            return
    raise ServiceError("not_shared", _("その共有は見つかりません。"), "share")


# ── consent and meetings ────────────────────────────────────────────────────────────────────────


def grant_consent(
    session: Session,
    user: User,
    person: Person,
    purpose: str,
    method: str,
    recipient: str = "",
    activity_id: int | None = None,
    version: str = "1",
    note: str = "",
    granted_on: date | None = None,
    share_fields: list[str] | None = None,
    nickname: str = "",
) -> Consent:
    """Record a consent. For share_host, ``share_fields`` (SHARE_FIELDS) names what the host may see;
    ``nickname`` is the name the host may use, required when "nickname" is shared."""
    require_write(user)
    day = check_day(person, granted_on, "granted_on")
    _check_choice(purpose, CONSENT_PURPOSES, "purpose")
    _check_choice(method, CONSENT_METHODS, "method")
    if purpose == "share_host" and not (recipient.strip() or activity_id):
        raise ServiceError("recipient_required", _("この同意で共有できる受け入れ先を書いてください。"), "recipient")
    chosen = list(share_fields or [])
    if any(f not in SHARE_FIELDS for f in chosen):
        raise ServiceError("invalid_choice", _("一覧から選んでください。"), "share_fields")
    if chosen and purpose != "share_host":
        raise ServiceError(
            "share_fields_host_only", _("共有する項目は「受け入れ先との情報共有」の同意にだけ記録します。"), "share_fields"
        )
    nickname = nickname.strip()
    if "nickname" in chosen and not nickname:
        raise ServiceError("nickname_required", _("受け入れ先に伝える呼び名を書いてください。"), "nickname")
    if nickname and "nickname" not in chosen:
        raise ServiceError(
            "nickname_not_shared", _("呼び名を伝えるときは、共有する項目の「呼び名」にも印を付けてください。"), "share_fields"
        )
    if len(nickname) > 100:
        raise ServiceError("too_long", _("呼び名は100文字以内で書いてください。"), "nickname")
    if activity_id is not None:
        from webapp.listings.models.activity import Activity

        if not valid_id(activity_id) or session.get(Activity, activity_id) is None:
            raise ServiceError("unknown_activity", _("その活動は見つかりません。"), "activity_id")
    consent = Consent(
        purpose=purpose,
        method=method,
        recipient=recipient.strip(),
        activity_id=activity_id,
        version=version.strip() or "1",
        note=note.strip(),
        recorded_by_id=user.id,
        granted_on=day,
        share_fields=[f for f in SHARE_FIELDS if f in chosen],
        nickname=nickname,
    )
    person.consents.append(consent)
    session.flush()
    record(session, "consent.grant", "person", person.id, {"consent_id": consent.id, "purpose": purpose}, user_id=user.id)
    return consent


def withdraw_consent(session: Session, user: User, person: Person, consent_id: int) -> Consent:
    require_write(user)
    for consent in person.consents:
        if consent.id == consent_id:
            if consent.withdrawn_at is not None:
                raise ServiceError("already_withdrawn", _("すでに撤回されています。"), "consent")
            consent.withdrawn_at = utcnow()
            session.flush()
            record(session, "consent.withdraw", "person", person.id, {"consent_id": consent.id}, user_id=user.id)
            if consent.purpose == "share_host":
                from webapp.cases.host_link import hosts

                hosts().consent_withdrawn(session, user, consent)
            return consent
    raise NotFound()


def live_consent(person: Person, purpose: str, recipient: str = "", activity_id: int | None = None) -> Consent | None:
    """A live consent for this purpose; for share_host it must name this host (listing or name)."""
    from jatext import fold

    for consent in reversed(person.consents):
        if consent.purpose != purpose or consent.withdrawn_at is not None:
            continue
        if purpose != "share_host":
            return consent
        if activity_id is not None and consent.activity_id == activity_id:
            return consent
        if recipient and consent.recipient and fold(consent.recipient) == fold(recipient):
            return consent
    return None


def record_meeting(
    session: Session, user: User, person: Person, kind: str, held_on: date, attendees: str, summary: str
) -> CaseMeeting:
    """重層的支援会議 needs a live consent; a 支援会議 (法106条の6) proceeds without one, recorded as such."""
    require_write(user)
    _check_choice(kind, MEETING_KINDS, "kind")
    if not attendees.strip():
        raise ServiceError("attendees_required", _("出席者を書いてください（出席者には守秘義務があります）。"), "attendees")
    consent = live_consent(person, "multiagency_meeting")
    if kind == "multiagency_meeting" and consent is None:
        raise ServiceError(
            "consent_required", _("重層的支援会議で共有するには本人の同意が必要です（支援会議として記録できます）"), "kind"
        )
    meeting = CaseMeeting(
        kind=kind,
        held_on=held_on,
        attendees=attendees.strip(),
        summary=summary.strip(),
        consent_id=consent.id if kind == "multiagency_meeting" and consent else None,
        without_consent=kind == "support_meeting" and consent is None,
        recorded_by_id=user.id,
    )
    person.meetings.append(meeting)
    session.flush()
    record(session, "case.meeting", "person", person.id, {"meeting_id": meeting.id, "kind": kind}, user_id=user.id)
    return meeting


# ── notes ───────────────────────────────────────────────────────────────────────────────────────


def add_note(
    session: Session, user: User, person: Person, body: str, corrects_id: int | None = None,
    occurred_on: date | None = None,
) -> CaseNote:  # fmt: skip
    require_write(user)
    day = check_day(person, occurred_on)
    if not body.strip():
        raise ServiceError("empty", _("記録が空です。"), "body")
    if corrects_id is not None and not any(n.id == corrects_id for n in person.notes):
        raise NotFound()
    note = CaseNote(author_id=user.id, body=body.strip(), corrects_id=corrects_id, occurred_on=day)
    person.notes.append(note)
    session.flush()
    record(session, "note.add", "person", person.id, {"note_id": note.id, "corrects": corrects_id}, user_id=user.id)
    return note


def can_edit_note(note: CaseNote, user: User, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return note.author_id == user.id and now - note.created_at <= NOTE_EDIT_WINDOW


def edit_note(session: Session, user: User, person: Person, note_id: int, body: str, now: datetime | None = None) -> CaseNote:
    require_write(user)
    note = next((n for n in person.notes if n.id == note_id), None)
    if note is None:
        raise NotFound()
    if not can_edit_note(note, user, now):
        raise ServiceError("note_locked", _("記録は作成者が24時間以内に限り編集できます。訂正を追記してください。"), "body")
    if not body.strip():
        raise ServiceError("empty", _("記録が空です。"), "body")
    note.body = body.strip()
    note.edited_at = now or utcnow()
    session.flush()
    record(session, "note.edit", "person", person.id, {"note_id": note.id}, user_id=user.id)
    return note


# ── closing, legal hold, retention, export ─────────────────────────────────────────────────────


WATCH_CHOICES = (30, 90, 180)  # 見守り check-ins offered when closing: days after closing


def set_closed(
    session: Session, user: User, person: Person, closed: bool, watch_days: tuple[int, ...] = (),
    closed_on: date | None = None,
) -> list[FollowUp]:  # fmt: skip
    """Close (終結) or reopen a case. Closing may schedule light check-ins (見守り) ``watch_days`` after
    the closing day: follow-ups marked is_watch, listed with the others but not counted as 定着支援."""
    require_write(user)
    made: list[FollowUp] = []
    if closed:
        day = check_day(person, closed_on, "closed_on")
        if any(days not in WATCH_CHOICES for days in watch_days):
            raise ServiceError("invalid_choice", _("一覧から選んでください。"), "watch_days")
        person.closed_at = moment_of(day)
        for days in sorted(set(watch_days)):
            fu = FollowUp(target="person", due_on=day + timedelta(days=days), label=f"watch+{days}d", is_watch=True)
            person.followups.append(fu)
            made.append(fu)
    else:
        person.closed_at = None
    session.flush()
    detail = {"watch_days": sorted(set(watch_days))} if made else None
    record(session, "case.close" if closed else "case.reopen", "person", person.id, detail, user_id=user.id)
    return made


def set_legal_hold(session: Session, user: User, person: Person, hold: bool) -> None:
    require_owner(user, person)
    person.legal_hold = hold
    session.flush()
    record(session, "case.legal_hold", "person", person.id, {"hold": hold}, user_id=user.id)


def expired_cases(session: Session, now: datetime | None = None, retention_days: int | None = None) -> list[Person]:
    now = now or utcnow()
    days = retention_days if retention_days is not None else int(case_setting("case_retention_days"))
    cutoff = now - timedelta(days=days)
    return list(
        session.scalars(
            select(Person).where(
                Person.closed_at.is_not(None), Person.closed_at < cutoff, Person.legal_hold.is_(False)
            )
        )
    )


def purge_expired(session: Session, now: datetime | None = None, retention_days: int | None = None) -> int:
    """Delete closed cases past retention (not on legal hold): every row about them goes, cascading.

    The audit trail keeps only "case.purge" with the numeric id; it never held content.
    Backups: see docs in the CLI help — backups age out on their own rotation (≤ 35 days).
    """
    people = expired_cases(session, now, retention_days)
    for person in people:
        record(session, "case.purge", "person", person.id, {"closed_at": person.closed_at.isoformat() if person.closed_at else ""})
        session.delete(person)
    session.flush()
    return len(people)


def _iso(value: datetime | date | None) -> str | None:
    if isinstance(value, datetime):
        return clock.to_jst(value).isoformat()
    return value.isoformat() if value is not None else None


def export_person(session: Session, user: User, person: Person) -> dict[str, Any]:
    """本人開示: everything held about this person, including who read or changed the record.

    Only the owning office discloses: an office the case is shared with must not carry name and
    contact away."""
    if not is_owner_office(user, person):
        raise NotOwner()
    record(session, "case.export", "person", person.id, user_id=user.id)
    users = {u.id: u.display_name or u.email for u in session.scalars(select(User))}
    audit = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == "person", AuditEvent.object_id == str(person.id))
        .order_by(AuditEvent.id)
    )
    return {
        "notice": "本人開示用の出力です。Export for disclosure to the person (本人開示).",
        "exported_at": _iso(utcnow()),
        "person": {
            "case_code": person.case_code,
            "office": person.office.name,
            "name": person_name(person),
            "contact": person_contact(person),
            **{k: getattr(person, k) for k in PersonInput.__dataclass_fields__ if k not in ("name", "contact", "received_on")},
            "received_on": _iso(person.intake_day),
            "household_key": person.household_key,
            "legal_hold": person.legal_hold,
            "closed_at": _iso(person.closed_at),
            "created_at": _iso(person.created_at),
            "workers": [users.get(w.user_id, "") for w in person.workers],
        },
        "consents": [
            {
                "purpose": c.purpose,
                "recipient": c.recipient,
                "activity_id": c.activity_id,
                "method": c.method,
                "version": c.version,
                "granted_at": _iso(c.granted_at),
                "granted_on": _iso(c.granted_on),
                "withdrawn_at": _iso(c.withdrawn_at),
                "recorded_by": users.get(c.recorded_by_id or 0, ""),
                "note": c.note,
            }
            for c in person.consents
        ],
        "meetings": [
            {
                "kind": m.kind,
                "held_on": _iso(m.held_on),
                "attendees": m.attendees,
                "summary": m.summary,
                "without_consent": m.without_consent,
            }
            for m in person.meetings
        ],
        "plans": [
            {
                "version": pl.version, "made_on": _iso(pl.made_on), "goals": pl.goals, "supports": pl.supports,
                "includes_participation": pl.includes_participation, "host_name": pl.host_name,
                "activity_id": pl.activity_id, "review_on": _iso(pl.review_on), "reviewed_on": _iso(pl.reviewed_on),
                "review_note": pl.review_note, "evaluation": pl.evaluation, "evaluation_note": pl.evaluation_note,
                "evaluated_on": _iso(pl.evaluated_on),
            }
            for pl in person.plans
        ],
        "meeting_records": [
            {
                "kind": link.meeting.kind, "held_on": _iso(link.meeting.held_on),
                "attendee_orgs": link.meeting.attendee_orgs, "case_part": link.case_part,
                "without_consent": link.without_consent,
            }
            for link in person.meeting_links
        ],
        "placements": [
            {
                "host": p.host_label,
                "activity_id": p.activity_id,
                "stage": p.stage,
                "outcome": p.outcome,
                "outcome_note": p.outcome_note,
                "created_at": _iso(p.created_at),
                "events": [
                    {"from": e.from_stage, "to": e.to_stage, "at": _iso(e.at), "occurred_on": _iso(e.day), "by": users.get(e.by_id or 0, ""), "reason": e.reason}
                    for e in p.events
                ],
            }
            for p in person.placements
        ],
        "followups": [
            {
                "target": f.target,
                "due_on": _iso(f.due_on),
                "done_at": _iso(f.done_at),
                "done_on": _iso(f.done_on),
                "watch": f.is_watch,
                "note": f.note,
                "wellbeing_scale": f.wellbeing_scale,
                "wellbeing_score": f.wellbeing_score,
                "baseline": f.is_baseline,
            }
            for f in person.followups
        ],
        "notes": [
            {
                "at": _iso(n.created_at),
                "occurred_on": _iso(n.occurred_on),
                "author": users.get(n.author_id or 0, ""),
                "body": n.body,
                "edited_at": _iso(n.edited_at),
                "corrects": n.corrects_id,
                "id": n.id,
            }
            for n in person.notes
        ],
        "access_log": [
            {"at": _iso(a.at), "who": users.get(a.user_id or 0, ""), "action": a.action} for a in audit
        ],
    }


def verify_reauth(session: Session, user: User, password: str, ip: str = "") -> LoginResult:
    """The password again, on the login throttle (a locked account is refused even the right one)."""
    result = attempt_reauth(session, user, password, ip)
    if result.lock is None:
        ok = result.user is not None
        record(session, "auth.reauth" if ok else "auth.reauth_failed", "user", user.id, user_id=user.id)
    return result



# ── intake routes (the city's list) ─────────────────────────────────────────────────────────────


def edit_intake_route(session: Session, action: str, code: str, label: str = "") -> IntakeRoute:
    """add / rename / retire / restore a route of the intake list (`odekake intake-routes`). A retired
    route stays readable on the records that name it; it is only no longer offered."""
    code = code.strip()
    route = session.scalar(select(IntakeRoute).where(IntakeRoute.code == code))
    if action == "add":
        if route is not None:
            raise ServiceError("exists", "a route with that code exists; rename or restore it", "code")
        if not code or len(code) > 40 or not code.isascii() or not label.strip():
            raise ServiceError("invalid", "give an ASCII code (≤ 40 characters) and a label", "code")
        last = session.scalar(select(IntakeRoute.position).order_by(IntakeRoute.position.desc()).limit(1))
        route = IntakeRoute(code=code, label=label.strip()[:100], position=(last or 0) + 1, active=True)
        session.add(route)
    elif route is None:
        raise ServiceError("unknown", f"no route with code {code!r}", "code")
    elif action == "rename":
        if not label.strip():
            raise ServiceError("invalid", "give the new label", "label")
        route.label = label.strip()[:100]
    elif action in ("retire", "restore"):
        route.active = action == "restore"
    else:
        raise ServiceError("invalid", f"unknown action {action!r}", "action")
    session.flush()
    record(session, "intake_route.edit", "intake_route", route.id, {"action": action, "code": code})
    return route
