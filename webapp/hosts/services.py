"""Host register rules: who sees what, the 開拓 pipeline, contact history, 受け入れ先支援 notes.

Every staff member with staff:hosts:read sees the register (name, kind, offers, 受け入れ条件, stage);
the contact history and the support notes are seen only by staff of the offices that work with the
host (HostOffice). Services validate and flush; the request boundary commits. Every change, and
every read of the office-only parts, writes an AuditEvent in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from webapp import clock
from webapp.accounts.models.user import Office, User
from webapp.cases.messages import _
from webapp.hosts.models import (
    CONTACT_CHANNELS,
    HOST_KINDS,
    MOVES,
    OFFERS,
    STAGES,
    SUPPORT_NEEDS,
    WEEKDAYS,
    Host,
    HostContact,
    HostOffice,
    HostStageEvent,
    HostSupportNote,
)
from webapp.listings.models.organization import Organization
from webapp.security.audit import record
from webapp.service_error import ServiceError

NAME_MAX = 200
CONTACT_MAX = 300
TEXT_MAX = 2000
CODE_MAX = 50


class HostNotFound(ServiceError):
    def __init__(self) -> None:
        super().__init__("not_found", "not found")


@dataclass
class HostInput:
    name: str = ""
    kind: str = "other"
    organization_id: int | None = None
    contact: str = ""
    districts: list[str] = field(default_factory=list)
    offers: list[str] = field(default_factory=list)
    capacity: int | None = None
    weekdays: list[str] = field(default_factory=list)
    accommodations: str = ""
    origin_district: str = ""
    origin_interest: str = ""


def _check(data: HostInput, session: Session, known_districts: set[str] | None) -> None:
    if not data.name.strip():
        raise ServiceError("name_required", _("受け入れ先の名前を入力してください。"), "name")
    if len(data.name) > NAME_MAX:
        raise ServiceError("too_long", _("%(n)s文字以内で入力してください。", n=NAME_MAX), "name")
    if len(data.contact) > CONTACT_MAX:
        raise ServiceError("too_long", _("%(n)s文字以内で入力してください。", n=CONTACT_MAX), "contact")
    if len(data.accommodations) > TEXT_MAX:
        raise ServiceError("too_long", _("%(n)s文字以内で入力してください。", n=TEXT_MAX), "accommodations")
    if data.kind not in HOST_KINDS:
        raise ServiceError("unknown_choice", _("一覧から選んでください。"), "kind")
    if any(o not in OFFERS for o in data.offers):
        raise ServiceError("unknown_choice", _("一覧から選んでください。"), "offers")
    if any(w not in WEEKDAYS for w in data.weekdays):
        raise ServiceError("unknown_choice", _("一覧から選んでください。"), "weekdays")
    if known_districts is not None and any(d not in known_districts for d in data.districts):
        raise ServiceError("unknown_choice", _("一覧から選んでください。"), "districts")
    if data.capacity is not None and not 0 <= data.capacity <= 1000:
        raise ServiceError("out_of_range", _("0から1000までの数で入力してください。"), "capacity")
    if len(data.origin_district) > CODE_MAX or len(data.origin_interest) > CODE_MAX:
        raise ServiceError("too_long", _("%(n)s文字以内で入力してください。", n=CODE_MAX), "origin_district")
    if data.organization_id is not None and session.get(Organization, data.organization_id) is None:
        raise ServiceError("unknown_choice", _("一覧から選んでください。"), "organization_id")
    if data.kind == "listing_org" and data.organization_id is None:
        raise ServiceError("organization_required", _("地図に載っている団体を選んでください。"), "organization_id")


def _apply(host: Host, data: HostInput) -> None:
    host.name = data.name.strip()
    host.kind = data.kind
    host.organization_id = data.organization_id
    host.contact = data.contact.strip()
    host.districts = sorted(set(data.districts))
    host.offers = [o for o in OFFERS if o in data.offers]
    host.capacity = data.capacity
    host.weekdays = [w for w in WEEKDAYS if w in data.weekdays]
    host.accommodations = data.accommodations.strip()


def create_host(
    session: Session, user: User, data: HostInput, known_districts: set[str] | None = None
) -> Host:
    """A new host at 候補 (candidate), worked with by the creator's office."""
    _check(data, session, known_districts)
    today = clock.today()
    host = Host(stage="candidate", stage_on=today, created_by_id=user.id,
                origin_district=data.origin_district.strip(), origin_interest=data.origin_interest.strip())
    _apply(host, data)
    if user.office_id is not None:
        host.offices.append(HostOffice(office_id=user.office_id))
    host.events.append(HostStageEvent(stage="candidate", on=today, user_id=user.id))
    session.add(host)
    session.flush()
    record(session, "host.create", "host", host.id,
           {"kind": host.kind, "origin_district": host.origin_district, "origin_interest": host.origin_interest})
    return host


def update_host(
    session: Session, user: User, host: Host, data: HostInput, known_districts: set[str] | None = None
) -> Host:
    _check(data, session, known_districts)
    _apply(host, data)
    session.flush()
    record(session, "host.update", "host", host.id)
    return host


def get_host(session: Session, host_id: int) -> Host:
    host = session.get(Host, host_id, options=[selectinload(Host.offices), selectinload(Host.events)])
    if host is None:
        raise HostNotFound()
    return host


def list_hosts(session: Session, stage: str = "", kind: str = "", district: str = "") -> list[Host]:
    q = select(Host).options(selectinload(Host.offices)).order_by(Host.name, Host.id)
    if stage in STAGES:
        q = q.where(Host.stage == stage)
    if kind in HOST_KINDS:
        q = q.where(Host.kind == kind)
    hosts = list(session.scalars(q))
    if district:
        hosts = [h for h in hosts if district in h.districts or h.origin_district == district]
    return hosts


def works_with(user: User, host: Host) -> bool:
    """Whether the user's office works with this host (sees contact history and support notes)."""
    return user.office_id is not None and user.office_id in host.office_ids


def office_parts(session: Session, user: User, host: Host) -> tuple[list[HostContact], list[HostSupportNote]]:
    """The contact history and support notes, for staff of an office that works with the host (audited)."""
    if not works_with(user, host):
        return [], []
    record(session, "host.notes.read", "host", host.id)
    return list(host.contacts), list(host.support_notes)


def _dated(on: date | None) -> date:
    today = clock.today()
    day = on or today
    if day > today:
        raise ServiceError("future_date", _("今日より後の日付は選べません。"), "on")
    return day


def _require_office(user: User, host: Host) -> int:
    if not works_with(user, host) or user.office_id is None:
        raise ServiceError("not_working_with", _("この受け入れ先と連携している所属の職員だけが記録できます。"), "office")
    return user.office_id


def move_stage(session: Session, user: User, host: Host, to_stage: str, on: date | None = None, reason: str = "") -> Host:
    """One dated step of the pipeline (default today in Japan, never in the future, never before the last)."""
    if to_stage not in STAGES:
        raise ServiceError("unknown_choice", _("一覧から選んでください。"), "stage")
    if to_stage not in MOVES[host.stage]:
        raise ServiceError("bad_move", _("この段階からは、その段階に進めません。"), "stage")
    day = _dated(on)
    if day < host.stage_on:
        raise ServiceError("before_last_step", _("前の段階の日付より前の日付は選べません。"), "on")
    reason = reason.strip()
    if len(reason) > TEXT_MAX:
        raise ServiceError("too_long", _("%(n)s文字以内で入力してください。", n=TEXT_MAX), "reason")
    if to_stage == "declined" and not reason:
        raise ServiceError("reason_required", _("見送りの理由を入力してください。"), "reason")
    previous = host.stage
    host.stage, host.stage_on = to_stage, day
    host.declined_reason = reason if to_stage == "declined" else ""
    host.events.append(HostStageEvent(stage=to_stage, on=day, reason=reason, user_id=user.id))
    session.flush()
    record(session, "host.stage", "host", host.id, {"from": previous, "to": to_stage, "on": day.isoformat()})
    return host


def add_contact(session: Session, user: User, host: Host, channel: str, note: str, on: date | None = None) -> HostContact:
    office_id = _require_office(user, host)
    if channel not in CONTACT_CHANNELS:
        raise ServiceError("unknown_choice", _("一覧から選んでください。"), "channel")
    if len(note) > TEXT_MAX:
        raise ServiceError("too_long", _("%(n)s文字以内で入力してください。", n=TEXT_MAX), "note")
    contact = HostContact(office_id=office_id, on=_dated(on), channel=channel, note=note.strip(), user_id=user.id)
    host.contacts.append(contact)
    session.flush()
    record(session, "host.contact.add", "host", host.id, {"contact_id": contact.id, "channel": channel})
    return contact


def add_support_note(session: Session, user: User, host: Host, need: str, note: str, on: date | None = None) -> HostSupportNote:
    office_id = _require_office(user, host)
    if need not in SUPPORT_NEEDS:
        raise ServiceError("unknown_choice", _("一覧から選んでください。"), "need")
    if not note.strip():
        raise ServiceError("note_required", _("メモを入力してください。"), "note")
    if len(note) > TEXT_MAX:
        raise ServiceError("too_long", _("%(n)s文字以内で入力してください。", n=TEXT_MAX), "note")
    item = HostSupportNote(office_id=office_id, on=_dated(on), need=need, note=note.strip(), user_id=user.id)
    host.support_notes.append(item)
    session.flush()
    record(session, "host.support_note.add", "host", host.id, {"note_id": item.id, "need": need})
    return item


def add_office(session: Session, user: User, host: Host, office: Office) -> None:
    """Share a host with another office (its staff then see the office-only parts); views allow it to a
    lead of an office already working with the host."""
    if office.id in host.office_ids:
        return
    host.offices.append(HostOffice(office_id=office.id))
    session.flush()
    record(session, "host.office.add", "host", host.id, {"office_id": office.id})


def propose_listing(session: Session, user: User, host: Host) -> int:
    """Start a draft public listing for an agreed host, through the organizer/moderation flow.

    The draft is never published by this: it must be completed and sent for review, and a moderator
    approves it (listings.organizer). A host that is not on the map gets an Organization (untrusted).
    Returns the draft activity's id.
    """
    from webapp.listings import organizer

    if host.stage not in ("agreed", "receiving"):
        raise ServiceError("not_agreed", _("合意した受け入れ先だけを掲載の候補にできます。"), "stage")
    if host.listing_activity_id is not None:
        raise ServiceError("already_proposed", _("この受け入れ先の掲載はすでに作成されています。"), "stage")
    org = host.organization
    if org is None:
        org = Organization(source="host", source_id=f"host-{host.id}", name=host.name, kind="other", trusted=False)
        session.add(org)
        session.flush()
        host.organization_id = org.id
    activity, revision = organizer.start_listing(session, user, org)
    data = dict(revision.data)
    data["name"] = host.name
    data["description"] = host.accommodations
    revision.data = data
    activity.name = host.name
    host.listing_activity_id = activity.id
    session.flush()
    record(session, "host.listing.propose", "host", host.id, {"activity_id": activity.id})
    return activity.id
