"""参加の相談 (self-referral) rules: routing to an office, the staff list, marking one received, and
「受付する」: opening a case (the 受付) from it.

Routing: the office the resident chose; else the office covering the chosen district (OfficeDistrict);
else the first office (lowest id), so that no request is left without a reader. Staff see only their
own office's requests. Creating is audited without personal data; reading one and marking it
received are audited with the staff member.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from webapp import clock
from webapp.accounts.models.user import Office, User
from webapp.cases.messages import _
from webapp.consult.models import CONTACT_METHODS, WISHES, ConsultRequest, OfficeDistrict
from webapp.listings.models.activity import Activity
from webapp.security.audit import record
from webapp.service_error import ServiceError

if TYPE_CHECKING:
    from webapp.cases.models import Person

# The consent text shown on the form; change the version whenever the wording changes.
CONSENT_VERSION = "consult-2026-12"
NAME_MAX = 100
CONTACT_MAX = 200
MESSAGE_MAX = 1000
# What the confirmation promises ("who will contact them and when").
REPLY_WITHIN_OPEN_DAYS = 3
# The intake route of a case opened from a 参加の相談 (seeded by revision de33f76cb6be).
SITE_ROUTE = "site_self"


class ConsultNotFound(ServiceError):
    def __init__(self) -> None:
        super().__init__("not_found", "not found")


@dataclass
class ConsultInput:
    name: str = ""
    contact_method: str = "phone"
    contact: str = ""
    office_id: int | None = None
    district: str = ""
    wishes: list[str] = field(default_factory=list)
    message: str = ""
    activity_id: int | None = None
    consent: bool = False


def route_office(session: Session, office_id: int | None, district: str) -> Office | None:
    if office_id is not None:
        office = session.get(Office, office_id)
        if office is not None:
            return office
    if district:
        covering = session.scalar(select(OfficeDistrict).where(OfficeDistrict.district_code == district))
        if covering is not None:
            return covering.office
    return session.scalar(select(Office).order_by(Office.id).limit(1))


def create_request(session: Session, data: ConsultInput, known_districts: set[str]) -> ConsultRequest:
    if not data.consent:
        raise ServiceError("consent_required", _("同意していただける場合はチェックを入れてください。"), "consent")
    if not data.name.strip():
        raise ServiceError("name_required", _("お名前かニックネームを入力してください。"), "name")
    if not data.contact.strip():
        raise ServiceError("contact_required", _("連絡先を入力してください。"), "contact")
    if data.contact_method not in CONTACT_METHODS:
        raise ServiceError("unknown_choice", _("一覧から選んでください。"), "contact_method")
    if any(w not in WISHES for w in data.wishes):
        raise ServiceError("unknown_choice", _("一覧から選んでください。"), "wishes")
    if data.district and data.district not in known_districts:
        raise ServiceError("unknown_choice", _("一覧から選んでください。"), "district")
    for field_name, value, limit in (("name", data.name, NAME_MAX), ("contact", data.contact, CONTACT_MAX),
                                     ("message", data.message, MESSAGE_MAX)):  # fmt: skip
        if len(value) > limit:
            raise ServiceError("too_long", _("%(n)s文字以内で入力してください。", n=limit), field_name)
    activity_id = data.activity_id
    if activity_id is not None:
        activity = session.get(Activity, activity_id)
        if activity is None or activity.status != "published":
            activity_id = None
    office = route_office(session, data.office_id, data.district)
    req = ConsultRequest(
        office_id=office.id if office else None,
        district=data.district,
        activity_id=activity_id,
        name=data.name.strip(),
        contact_method=data.contact_method,
        contact=data.contact.strip(),
        wishes=[w for w in WISHES if w in data.wishes],
        message=data.message.strip(),
        consent_version=CONSENT_VERSION,
        consented_at=clock.now(),
        created_at=clock.now(),
    )
    session.add(req)
    session.flush()
    # No personal data in the audit detail: the request id and where it went.
    record(session, "consult.create", "consult_request", req.id, {"office_id": req.office_id}, user_id=None)
    return req


def _office_scope(user: User) -> int:
    if user.office_id is None:
        raise ConsultNotFound()
    return user.office_id


def list_for_office(session: Session, user: User, status: str = "") -> list[ConsultRequest]:
    if user.office_id is None:
        return []
    q = select(ConsultRequest).where(ConsultRequest.office_id == user.office_id)
    if status in ("new", "received"):
        q = q.where(ConsultRequest.status == status)
    rows = list(session.scalars(q.order_by(ConsultRequest.status, ConsultRequest.created_at.desc(), ConsultRequest.id.desc())))
    record(session, "consult.list", "office", user.office_id, {"count": len(rows)})
    return rows


def new_count(session: Session, user: User) -> int:
    """新しい相談 for the user's office (for the staff home)."""
    if user.office_id is None:
        return 0
    return int(
        session.scalar(
            select(func.count(ConsultRequest.id)).where(
                ConsultRequest.office_id == user.office_id, ConsultRequest.status == "new"
            )
        )
        or 0
    )


def get_request(session: Session, user: User, request_id: int) -> ConsultRequest:
    """One request of the user's own office (another office's is not found, exactly like a missing one)."""
    office_id = _office_scope(user)
    req = session.get(ConsultRequest, request_id)
    if req is None or req.office_id != office_id:
        raise ConsultNotFound()
    record(session, "consult.read", "consult_request", req.id)
    return req


def mark_received(session: Session, user: User, req: ConsultRequest) -> ConsultRequest:
    """受付済み: a staff member has taken it up (the cases feature's Intake is linked later via intake_id)."""
    if req.office_id != user.office_id:
        raise ConsultNotFound()
    if req.status == "received":
        return req
    req.status, req.received_at, req.received_by_id = "received", clock.now(), user.id
    session.flush()
    record(session, "consult.receive", "consult_request", req.id)
    return req


class AlreadyTakenUp(ServiceError):
    """The request already has a case (another staff member took it up first)."""

    def __init__(self, person_id: int | None) -> None:
        super().__init__("already_taken_up", "this consultation already has a case", "request")
        self.person_id = person_id


def _handover(req: ConsultRequest, activity_name: str) -> str:
    """The つなぐシート summary of the request, in Japanese like every stored case text (whatever language
    the staff member reads the site in)."""
    from flask_babel import force_locale

    from webapp.consult.labels import METHOD_LABELS, WISH_LABELS

    with force_locale("ja"):
        wishes = "・".join(str(WISH_LABELS[w]) for w in req.wishes if w in WISH_LABELS)
        method = str(METHOD_LABELS.get(req.contact_method, req.contact_method))
    lines = [f"サイトからの参加の相談 #{req.id}（受信 {clock.to_jst(req.created_at).strftime('%Y-%m-%d %H:%M')}）"]
    if req.wishes:
        lines.append(f"相談したいこと: {wishes}")
    if activity_name:
        lines.append(f"相談する活動: {activity_name}")
    lines.append(f"連絡の方法: {method}")
    if req.message:
        lines.append(f"伝えたいこと: {req.message}")
    return "\n".join(lines)


def take_up(session: Session, user: User, req: ConsultRequest) -> Person:
    """「受付する」: open a case (Person, the 受付) for the request and link it.

    Prefilled from the request: the name or nickname, the contact and how to reach them, the district
    (when it is still a known 小学校区), 行ってみたいけれど不安 → 一人で参加するのが不安, 一緒に行ってほしい →
    同行が必要, and a つなぐシート summary (what they would like, the activity, their message). Received on
    the day the request arrived (Japan date), so 相談件数 counts it in the same period before and after.
    The consent given on the form becomes the case's record-keeping consent (purpose record_keeping,
    version = the form's consent version, dated the day it was given); it covers nothing else: sharing
    with a host or at a meeting is asked for in person. The request is marked received; the staff
    member is assigned to the case (cases.services.create_person). A request that already has a case
    raises AlreadyTakenUp, also when another staff member took it up a moment earlier.
    """
    from webapp.cases import services as cases
    from webapp.cases.suggestions import district_choices

    if req.office_id != user.office_id:
        raise ConsultNotFound()
    if req.intake_id is not None:
        raise AlreadyTakenUp(req.intake_id)
    activity = session.get(Activity, req.activity_id) if req.activity_id else None
    routes = {r.code for r in cases.intake_routes(session)}
    received = clock.to_jst(req.created_at).date()
    district = req.district if req.district in {c for c, _n in district_choices(session)} else ""
    person = cases.create_person(session, user, cases.PersonInput(
        name=req.name, contact=req.contact, contact_preference=req.contact_method, referral_source="self",
        district=district, received_on=received, intake_route=SITE_ROUTE if SITE_ROUTE in routes else "",
        solo_worry="anxious" in req.wishes, needs_accompany="accompany" in req.wishes,
        handover_summary=_handover(req, activity.name if activity else ""),
    ))  # fmt: skip
    cases.grant_consent(
        session, user, person, "record_keeping", "written", version=req.consent_version,
        granted_on=max(received, clock.to_jst(req.consented_at).date()),
        note=f"サイトの参加の相談フォームで同意（説明の版 {req.consent_version}）。ほかの目的の同意は含まない。",
    )  # fmt: skip
    # Linked only if nobody linked it meanwhile: a second click or a colleague's is refused, and the
    # view's error status rolls this whole transaction (the case just made included) back.
    claimed = session.execute(
        update(ConsultRequest)
        .where(ConsultRequest.id == req.id, ConsultRequest.intake_id.is_(None))
        .values(intake_id=person.id, status="received", received_at=clock.now(), received_by_id=user.id)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise AlreadyTakenUp(None)
    session.refresh(req)
    record(session, "consult.intake", "consult_request", req.id, {"person_id": person.id})
    return person


def case_codes(session: Session, requests: list[ConsultRequest]) -> dict[int, str]:
    """request id → the case code of the case opened from it (only requests that have one)."""
    from webapp.cases.models import Person

    ids = {r.intake_id: r.id for r in requests if r.intake_id is not None}
    if not ids:
        return {}
    rows = session.execute(select(Person.id, Person.case_code).where(Person.id.in_(list(ids))))
    return {ids[pid]: str(code) for pid, code in rows}


def case_code_of(session: Session, req: ConsultRequest) -> str:
    """The case code of the case opened from this request ("" when none)."""
    return case_codes(session, [req]).get(req.id, "")


def set_office_districts(session: Session, office: Office, district_codes: list[str]) -> None:
    """The districts an office covers for 参加の相談 (a district moves from its previous office)."""
    for code in district_codes:
        row = session.scalar(select(OfficeDistrict).where(OfficeDistrict.district_code == code))
        if row is None:
            session.add(OfficeDistrict(office_id=office.id, district_code=code))
        else:
            row.office_id = office.id
    session.flush()
    record(session, "consult.office_districts", "office", office.id, {"districts": sorted(district_codes)})


def district_choices(session: Session) -> list[tuple[str, str]]:
    """小学校区 (not the city outline) as (code, name), by name."""
    from webapp.listings.models.place import District

    rows = session.execute(select(District.code, District.name).where(District.kind != "city").order_by(District.name))
    return [(str(c), str(n)) for c, n in rows]


def office_choices(session: Session) -> list[tuple[int, str]]:
    return [(int(i), str(n)) for i, n in session.execute(select(Office.id, Office.name).order_by(Office.id))]


def office_of_districts(session: Session) -> dict[str, int]:
    """district code → the office covering it."""
    return {str(c): int(o) for c, o in session.execute(select(OfficeDistrict.district_code, OfficeDistrict.office_id))}


def assign_districts(session: Session, assignment: dict[str, int | None]) -> None:
    """Set every district's office at once (None: no office; its requests go to the first office)."""
    current = {row.district_code: row for row in session.scalars(select(OfficeDistrict))}
    for code, office_id in assignment.items():
        row = current.get(code)
        if office_id is None:
            if row is not None:
                session.delete(row)
        elif row is None:
            session.add(OfficeDistrict(office_id=office_id, district_code=code))
        else:
            row.office_id = office_id
    session.flush()
    record(session, "consult.office_districts", "office", "", {k: v for k, v in sorted(assignment.items())})
