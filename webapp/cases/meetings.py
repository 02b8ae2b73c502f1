"""Meetings (会議) as records of their own: kind, regular or ad hoc, date, attending organisations, the
theme part, the cases discussed (case part) and the outputs.

Consent rules for linking a case: a 支援会議 (社会福祉法第106条の6) may discuss a person without their
consent — the link is recorded as such and the page shows the attendees' duty of confidentiality;
every other kind (重層的支援会議 first) needs the person's live consent to share with meetings.
A meeting belongs to the office of the staff member who recorded it; staff of that office with case
access see it, and see only the linked cases they may open (cases.services.visible_condition).
Reads and writes are audited: on the meeting, and on the person for every case part.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.accounts.models.user import User
from webapp.cases.messages import _
from webapp.cases.models import Person
from webapp.cases.plan_models import (
    MEETING_KINDS_ALL,
    NO_CONSENT_KINDS,
    OUTPUT_KINDS,
    Meeting,
    MeetingCase,
    MeetingOutput,
)
from webapp.cases.services import (
    NotFound,
    check_day,
    live_consent,
    require_write,
    valid_id,
    visible_condition,
)
from webapp.security.audit import record
from webapp.security.permissions import Permission, has_permission
from webapp.service_error import ServiceError

MAX_ORGS = 30


@dataclass
class MeetingInput:
    kind: str = "support_meeting"
    regular: bool = True
    held_on: date | None = None
    attendee_orgs: list[str] = field(default_factory=list)
    theme: str = ""


def _orgs(raw: list[str]) -> list[str]:
    seen: list[str] = []
    for name in raw:
        name = name.strip()
        if name and name not in seen:
            seen.append(name[:200])
    return seen


def create_meeting(session: Session, user: User, data: MeetingInput) -> Meeting:
    require_write(user)
    if user.office_id is None:
        raise ServiceError("no_office", _("あなたのアカウントには所属がありません。管理者に依頼してください。"), "office")
    if data.kind not in MEETING_KINDS_ALL:
        raise ServiceError("invalid_choice", _("会議の種類を選んでください。"), "kind")
    day = check_day(None, data.held_on, "held_on")
    orgs = _orgs(data.attendee_orgs)
    if not orgs:
        raise ServiceError("attendees_required", _("出席した機関を書いてください（出席者には守秘義務があります）。"), "attendee_orgs")
    if len(orgs) > MAX_ORGS:
        raise ServiceError("too_many", _("出席機関は%(n)s件までです。", n=MAX_ORGS), "attendee_orgs")
    meeting = Meeting(
        office_id=user.office_id, kind=data.kind, regular=data.regular, held_on=day, attendee_orgs=orgs,
        theme=data.theme.strip(), recorded_by_id=user.id,
    )  # fmt: skip
    session.add(meeting)
    session.flush()
    record(session, "meeting.create", "meeting", meeting.id, {"kind": data.kind}, user_id=user.id)
    return meeting


def _can_see_meetings(user: User) -> bool:
    return has_permission(user, Permission.CASE_READ) and user.office_id is not None


def list_meetings(session: Session, user: User, start: date | None = None, end: date | None = None) -> list[Meeting]:
    if not _can_see_meetings(user):
        raise NotFound()
    query = select(Meeting).where(Meeting.office_id == user.office_id)
    if start is not None:
        query = query.where(Meeting.held_on >= start)
    if end is not None:
        query = query.where(Meeting.held_on <= end)
    meetings = list(session.scalars(query.order_by(Meeting.held_on.desc(), Meeting.id.desc()).limit(500)))
    record(session, "meeting.list", "meeting", "", {"ids": [m.id for m in meetings]}, user_id=user.id)
    return meetings


def load_meeting(session: Session, user: User, meeting_id: int) -> Meeting:
    if not _can_see_meetings(user) or not valid_id(meeting_id):
        raise NotFound()
    meeting = session.get(Meeting, meeting_id)
    if meeting is None or meeting.office_id != user.office_id:
        raise NotFound()
    record(session, "meeting.read", "meeting", meeting.id, user_id=user.id)
    return meeting


def visible_cases(session: Session, user: User, meeting: Meeting) -> list[MeetingCase]:
    """The case parts of this meeting that this user may open (each read audited on the person)."""
    ids = [link.person_id for link in meeting.cases]
    if not ids:
        return []
    visible = set(session.scalars(select(Person.id).where(Person.id.in_(ids), visible_condition(user))))
    links = [link for link in meeting.cases if link.person_id in visible]
    for link in links:
        record(session, "case.read", "person", link.person_id, {"meeting_id": meeting.id}, user_id=user.id)
    return links


def link_case(
    session: Session, user: User, meeting: Meeting, person: Person, case_part: str, confirms_plan: bool = False
) -> MeetingCase:
    """Record that this (visible) case was discussed, under the consent rules; optionally the meeting
    confirmed the person's current 支援プラン."""
    require_write(user)
    if any(link.person_id == person.id for link in meeting.cases):
        raise ServiceError("already_linked", _("このケースはすでにこの会議に記録されています。"), "case_code")
    check_day(person, meeting.held_on, "case_code")
    consent = live_consent(person, "multiagency_meeting")
    if meeting.kind not in NO_CONSENT_KINDS and consent is None:
        raise ServiceError(
            "consent_required",
            _("この会議でケースを共有するには本人の同意が必要です（同意がない場合は支援会議（社会福祉法第106条の6）として記録できます）。"),
            "case_code",
        )
    plan = person.current_plan
    if confirms_plan:
        if plan is None:
            raise ServiceError("no_plan", _("このケースには支援プランがありません。"), "confirms_plan")
        if plan.made_on > meeting.held_on:
            raise ServiceError("plan_after_meeting", _("会議の後に作成されたプランは確認できません。"), "confirms_plan")
        plan.confirmed_by_meeting_id = meeting.id
    link = MeetingCase(
        person_id=person.id, consent_id=consent.id if consent else None,
        without_consent=consent is None, case_part=case_part.strip(), recorded_by_id=user.id,
    )  # fmt: skip
    meeting.cases.append(link)
    session.flush()
    record(
        session, "case.meeting", "person", person.id,
        {"meeting_id": meeting.id, "kind": meeting.kind, "without_consent": link.without_consent,
         "confirms_plan_id": plan.id if confirms_plan and plan else None},
        user_id=user.id,
    )  # fmt: skip
    return link


def add_output(
    session: Session, user: User, meeting: Meeting, kind: str, text: str, district: str = "", done_on: date | None = None
) -> MeetingOutput:
    """What the meeting decided (e.g. develop a new host for X in Y district); ``done_on`` once done."""
    require_write(user)
    if kind not in OUTPUT_KINDS:
        raise ServiceError("invalid_choice", _("種類を選んでください。"), "output_kind")
    if not text.strip():
        raise ServiceError("text_required", _("内容を書いてください。"), "output_text")
    if done_on is not None:
        check_day(None, done_on, "done_on")
        if done_on < meeting.held_on:
            raise ServiceError("before_meeting", _("会議の開催日より前の日付は入力できません。"), "done_on")
    output = MeetingOutput(kind=kind, text=text.strip(), district=district.strip()[:50], done_on=done_on)
    meeting.outputs.append(output)
    session.flush()
    record(session, "meeting.output", "meeting", meeting.id, {"output_id": output.id, "kind": kind}, user_id=user.id)
    return output


def find_visible_person(session: Session, user: User, case_code: str) -> Person:
    person = session.scalar(select(Person).where(Person.case_code == case_code.strip().upper(), visible_condition(user)))
    if person is None:
        raise ServiceError("unknown_case", _("見ることのできるケースのケース番号を入力してください。"), "case_code")
    return person
