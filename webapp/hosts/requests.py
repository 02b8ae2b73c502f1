"""受け入れのご相談: a 打診 answered by the host through its organizer accounts (the closed loop).

When staff move a placement linked to a register host to 打診 (cases.placements.move_stage), a
HostRequest is opened and every organizer account of the host's organization gets a mail with a
link and no personal data. The host's people then see, on their organizer pages, ONLY what the
person's share_host consent names (cases.models.SHARE_FIELDS) — read again each time, so a
withdrawal takes it away at once — and answer 受け入れ可 / 見学から / 今は難しい (reason) /
もう少し知りたい (a thread with the supporters). The answer moves no stage: the board shows it and
the supporter moves the placement. Every read and write is audited on the host's side and the case's.

Who may see a request:
- the host's people: users with Permission.HOST_ANSWER who are members of the host's organization,
  while the consent it was sent under is live (otherwise: not found);
- staff: those who may see the person's case (cases' visibility); only staff of the case's own
  office write in the thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from webapp.accounts.models.user import User
from webapp.cases.labels import AGE_LABELS, ROLE_LABELS
from webapp.cases.messages import _, text_of
from webapp.cases.models import Consent, Person, Placement
from webapp.cases.placements import HostFigures, answer_figures
from webapp.config import Settings
from webapp.hosts.models import HOST_ANSWERS, NOT_NOW_REASONS, Host, HostMessage, HostRequest
from webapp.listings.models.activity import Activity
from webapp.listings.models.organizer import OrganizationMembership
from webapp.orm import utcnow
from webapp.security.audit import record
from webapp.security.permissions import Permission, has_permission
from webapp.service_error import ServiceError

MESSAGE_MAX = 2000
REASON_TEXT_MAX = 1000
ACCEPTING = frozenset({"accept", "visit_first"})

LinkFor = Callable[[int], str]


def request_link(settings: Settings, base_url: str | None = None) -> LinkFor:
    """Links to a request's page for the host's people, on the site address (never the Host header)."""

    def link(request_id: int) -> str:
        from webapp.mail import mail_link

        return mail_link(settings, "host_requests.request_view", base_url, host_request_id=request_id)

    return link


class RequestNotFound(ServiceError):
    def __init__(self) -> None:
        super().__init__("not_found", "not found")


# ── the directory the cases feature uses (plugged in by create_app) ─────────────────────────────


class RegisterDirectory:
    """cases.host_link.HostDirectory over the host register."""

    def choices(self, session: Session) -> list[tuple[int, str]]:
        rows = session.execute(select(Host.id, Host.name).where(Host.stage != "declined").order_by(Host.name, Host.id))
        return [(int(i), str(n)) for i, n in rows]

    def name_of(self, session: Session, host_id: int) -> str | None:
        host = session.get(Host, host_id)
        return host.name if host is not None else None

    def host_of_activity(self, session: Session, activity_id: int) -> int | None:
        activity = session.get(Activity, activity_id)
        if activity is None or activity.organization_id is None:
            return None
        return session.scalar(
            select(Host.id).where(Host.organization_id == activity.organization_id).order_by(Host.id).limit(1)
        )

    def proposed(self, session: Session, user: User, placement: Placement, consent: Consent) -> None:
        from webapp.config import settings

        send_request(session, settings(), user, placement, consent, request_link(settings()))

    def consent_withdrawn(self, session: Session, user: User, consent: Consent) -> None:
        close_for_consent(session, user, consent)


# ── the host's people ───────────────────────────────────────────────────────────────────────────


def host_people(session: Session, host: Host) -> list[User]:
    """The host's organizer accounts: active members of its organization who may answer."""
    if host.organization_id is None:
        return []
    users = session.scalars(
        select(User)
        .join(OrganizationMembership, OrganizationMembership.user_id == User.id)
        .where(OrganizationMembership.organization_id == host.organization_id, User.active.is_(True))
        .order_by(User.id)
    )
    return [u for u in users if has_permission(u, Permission.HOST_ANSWER)]


def _mail_people(session: Session, settings: Settings, people: list[User], subject: str, lead: str, link: str) -> None:
    from webapp.mail import queue_mail

    body = (
        lead + "\n" + _("内容は次のリンクから、主催者のアカウントでログインしてご覧ください。") + "\n\n" + link + "\n\n"
        + _("このメールには、ご本人についての情報は書かれていません。") + "\n"
    )  # fmt: skip
    for person in people:
        queue_mail(session, settings, person.email, subject, body)


def send_request(
    session: Session, settings: Settings, user: User, placement: Placement, consent: Consent, link_for: LinkFor
) -> HostRequest | None:
    """Open the request for a placement moved to 打診 (one open request per placement) and mail the
    host's people. A host without organizer accounts gets none: its answer is taken by phone."""
    host = session.get(Host, placement.host_id) if placement.host_id is not None else None
    if host is None:
        return None
    people = host_people(session, host)
    if not people:
        return None
    existing = session.scalar(
        select(HostRequest).where(HostRequest.placement_id == placement.id, HostRequest.closed_at.is_(None))
    )
    if existing is not None and existing.consent_id == consent.id:
        return existing
    if existing is not None:
        existing.closed_at = utcnow()
    req = HostRequest(
        host_id=host.id, placement_id=placement.id, consent_id=consent.id, office_id=placement.person.office_id,
        sent_by_id=user.id, sent_at=placement.proposed_at or utcnow(),
    )  # fmt: skip
    session.add(req)
    session.flush()
    detail = {"request_id": req.id, "placement_id": placement.id, "consent_id": consent.id,
              "fields": list(consent.share_fields), "to": len(people)}  # fmt: skip
    record(session, "host.request.send", "person", placement.person_id, detail, user_id=user.id)
    record(session, "host.request.send", "host", host.id, detail, user_id=user.id)
    _mail_people(
        session, settings, people, _("おでかけマップ: 受け入れのご相談が届きました"),
        _("「%(host)s」さまに、参加支援の担当者から受け入れのご相談が届きました。", host=host.name), link_for(req.id),
    )  # fmt: skip
    return req


def _tell_supporter(session: Session, req: HostRequest, lead: str) -> None:
    """Mail the supporter who sent the 打診 that the host answered or wrote (a link, no content)."""
    from flask import has_app_context

    from webapp.config import settings
    from webapp.mail import mail_link, queue_mail

    sender = session.get(User, req.sent_by_id) if req.sent_by_id is not None else None
    if sender is None or not sender.active or not has_app_context():
        return
    link = mail_link(settings(), "hosts.staff_request", host_request_id=req.id)
    queue_mail(session, settings(), sender.email, _("おでかけマップ: 受け入れ先からの連絡"), lead + "\n\n" + link + "\n")


def _live(req: HostRequest, consent: Consent | None) -> bool:
    return req.closed_at is None and consent is not None and consent.withdrawn_at is None


def _member_query(session: Session, user: User) -> Select[HostRequest]:
    org_ids = select(OrganizationMembership.organization_id).where(OrganizationMembership.user_id == user.id)
    return (
        select(HostRequest)
        .join(Host, HostRequest.host_id == Host.id)
        .join(Consent, HostRequest.consent_id == Consent.id)
        .where(Host.organization_id.in_(org_ids), HostRequest.closed_at.is_(None), Consent.withdrawn_at.is_(None))
    )


def requests_for_member(session: Session, user: User) -> list[HostRequest]:
    """The open requests of every host this user is a member of, newest first (list: no person data)."""
    if not has_permission(user, Permission.HOST_ANSWER):
        return []
    rows = list(session.scalars(_member_query(session, user).order_by(HostRequest.sent_at.desc(), HostRequest.id.desc())))
    record(session, "host.request.list", "host_request", "", {"ids": [r.id for r in rows]}, user_id=user.id)
    return rows


def unanswered_count(session: Session, user: User) -> int:
    """How many open requests of the user's hosts have no answer yet (the organizer home's panel)."""
    if not has_permission(user, Permission.HOST_ANSWER):
        return 0
    query = _member_query(session, user).where(HostRequest.answer == "").with_only_columns(func.count())
    return int(session.scalar(query) or 0)


def load_for_member(session: Session, user: User, request_id: int) -> HostRequest:
    """A request of one of the user's hosts while its consent is live (audited), else not found."""
    from webapp.cases.services import valid_id

    if not has_permission(user, Permission.HOST_ANSWER) or not valid_id(request_id):
        raise RequestNotFound()
    req = session.scalar(_member_query(session, user).where(HostRequest.id == request_id))
    if req is None:
        raise RequestNotFound()
    placement = placement_of(session, req)
    detail = {"request_id": req.id, "side": "host"}
    record(session, "host.request.read", "person", placement.person_id, detail, user_id=user.id)
    record(session, "host.request.read", "host", req.host_id, detail, user_id=user.id)
    return req


def load_for_staff(session: Session, user: User, request_id: int) -> HostRequest:
    """A request of a case this user may see (audited as a case read by cases), else not found."""
    from webapp.cases.placements import load_placement
    from webapp.cases.services import NotFound, valid_id

    if not valid_id(request_id):
        raise RequestNotFound()
    req = session.get(HostRequest, request_id)
    if req is None:
        raise RequestNotFound()
    try:
        load_placement(session, user, req.placement_id)
    except NotFound:
        raise RequestNotFound() from None
    return req


def latest_for_placement(session: Session, user: User, placement_id: int) -> tuple[Placement, HostRequest | None]:
    """A placement this user may see (audited by cases) and its latest request, if one was sent."""
    from webapp.cases.placements import load_placement
    from webapp.cases.services import NotFound

    try:
        placement = load_placement(session, user, placement_id)
    except NotFound:
        raise RequestNotFound() from None
    req = session.scalar(
        select(HostRequest).where(HostRequest.placement_id == placement_id).order_by(HostRequest.id.desc()).limit(1)
    )
    return placement, req


def staff_may_write(session: Session, user: User, req: HostRequest) -> bool:
    """Only staff of the case's own office write in the thread (a shared case is read-only)."""
    return (
        has_permission(user, Permission.CASE_WRITE) and user.office_id is not None and user.office_id == req.office_id
    )


def placement_of(session: Session, req: HostRequest) -> Placement:
    placement = session.get(Placement, req.placement_id)
    assert placement is not None  # the request goes with its placement (ON DELETE CASCADE)
    return placement


def consent_of(session: Session, req: HostRequest) -> Consent | None:
    return session.get(Consent, req.consent_id) if req.consent_id is not None else None


def is_open(session: Session, req: HostRequest) -> bool:
    return _live(req, consent_of(session, req))


# ── what the host sees ──────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class SharedPart:
    field: str
    values: list[str]


@dataclass(frozen=True)
class SharedView:
    """What the host's people see of a request: the place asked, when, and the consented parts only."""

    host_name: str
    activity_name: str
    sent_at: datetime
    parts: list[SharedPart]


def shared_view(session: Session, req: HostRequest) -> SharedView:
    """Only what the consent names; an empty list when it names nothing (or is gone)."""
    from webapp.i18n import current_lang
    from webapp.listings.taxonomy import taxonomy

    consent = consent_of(session, req)
    placement = placement_of(session, req)
    person: Person = placement.person
    fields = list(consent.share_fields) if consent is not None and consent.withdrawn_at is None else []
    lang = current_lang()
    terms = taxonomy()
    parts: list[SharedPart] = []
    for field in fields:
        values: list[str] = []
        if field == "nickname" and consent is not None:
            values = [consent.nickname] if consent.nickname else []
        elif field == "age_band":
            values = [text_of(AGE_LABELS.get(person.age_band, person.age_band))]
        elif field == "wishes":
            values = [terms.interests[c].label(lang) for c in person.interests if c in terms.interests]
            values += [text_of(ROLE_LABELS[c]) for c in person.roles_wanted if c in ROLE_LABELS]
        elif field == "accommodations":
            values = [terms.accessibility[c].label(lang) for c in person.accessibility_needs if c in terms.accessibility]
            if person.solo_worry:
                values.append(_("一人での参加に不安があります"))
            if person.needs_accompany:
                values.append(_("はじめは支援者の同行が必要です"))
        elif field == "supporter_contact":
            sender = session.get(User, req.sent_by_id) if req.sent_by_id is not None else None
            if sender is not None:
                office = sender.office.name if sender.office is not None else ""
                values = [v for v in (sender.display_name, office, sender.email) if v]
        parts.append(SharedPart(field, values))
    host = session.get(Host, req.host_id)
    return SharedView(
        host_name=host.name if host is not None else "",
        activity_name=placement.activity.name if placement.activity is not None else "",
        sent_at=req.sent_at,
        parts=parts,
    )


# ── answers and the thread ──────────────────────────────────────────────────────────────────────


def answer_request(
    session: Session, user: User, req: HostRequest, answer: str, reason: str = "", reason_text: str = "",
    message: str = "",
) -> HostRequest:  # fmt: skip
    """The host's answer. The first real answer (not もう少し知りたい) sets the placement's answered_at and
    host_accepted, the one record the host figures read; the board shows the latest as a badge."""
    if not is_open(session, req):
        raise RequestNotFound()
    if answer not in HOST_ANSWERS:
        raise ServiceError("answer_required", _("回答を一つ選んでください。"), "answer")
    reason, reason_text, message = reason.strip(), reason_text.strip(), message.strip()
    if answer == "not_now":
        if reason not in NOT_NOW_REASONS:
            raise ServiceError("reason_required", _("難しい理由を一つ選んでください。"), "reason")
        if reason == "other" and not reason_text:
            raise ServiceError("reason_text_required", _("「その他」の内容を書いてください。"), "reason_text")
    else:
        reason, reason_text = "", ""
    if len(reason_text) > REASON_TEXT_MAX:
        raise ServiceError("too_long", _("%(n)s文字以内で書いてください。", n=REASON_TEXT_MAX), "reason_text")
    if answer == "more_info" and not message:
        raise ServiceError("message_required", _("知りたいことを書いてください。"), "message")
    if len(message) > MESSAGE_MAX:
        raise ServiceError("too_long", _("%(n)s文字以内で書いてください。", n=MESSAGE_MAX), "message")
    now = utcnow()
    req.answer, req.reason, req.reason_text = answer, reason, reason_text
    req.answered_at, req.answered_by_id = now, user.id
    placement = placement_of(session, req)
    placement.host_answer = answer
    if answer != "more_info" and placement.answered_at is None:
        placement.answered_at, placement.host_accepted = now, answer in ACCEPTING
    if message:
        req.messages.append(HostMessage(side="host", author_id=user.id, body=message, at=now))
    session.flush()
    _tell_supporter(session, req, _("受け入れ先から打診への回答が届きました。段階はまだ変わっていません。"))
    detail = {"request_id": req.id, "answer": answer, "reason": reason, "side": "host"}
    record(session, "host.request.answer", "person", placement.person_id, detail, user_id=user.id)
    record(session, "host.request.answer", "host", req.host_id, detail, user_id=user.id)
    return req


def _tell_host(session: Session, req: HostRequest) -> None:
    """Mail the host's people that the supporter wrote in the thread (a link, no content)."""
    from flask import has_app_context

    from webapp.config import settings

    host = session.get(Host, req.host_id)
    if host is None or not has_app_context():
        return
    _mail_people(
        session, settings(), host_people(session, host), _("おでかけマップ: 担当者からメッセージが届きました"),
        _("「%(host)s」さまへの受け入れのご相談に、担当者からメッセージが届きました。", host=host.name),
        request_link(settings())(req.id),
    )  # fmt: skip


def add_message(session: Session, user: User, req: HostRequest, side: str, body: str) -> HostMessage:
    """A message in the request's thread; none once the consent is withdrawn (the thread is closed)."""
    if not is_open(session, req):
        raise ServiceError("closed", _("この相談は終了しています（本人の同意が撤回されました）。"), "body")
    if side == "staff" and not staff_may_write(session, user, req):
        raise ServiceError("not_owner", _("このケースを持つ所属の職員だけが書き込めます。"), "body")
    body = body.strip()
    if not body:
        raise ServiceError("body_required", _("メッセージを書いてください。"), "body")
    if len(body) > MESSAGE_MAX:
        raise ServiceError("too_long", _("%(n)s文字以内で書いてください。", n=MESSAGE_MAX), "body")
    message = HostMessage(side=side, author_id=user.id, body=body, at=utcnow())
    req.messages.append(message)
    session.flush()
    if side == "host":
        _tell_supporter(session, req, _("受け入れ先からメッセージが届きました。"))
    else:
        _tell_host(session, req)
    placement = placement_of(session, req)
    detail = {"request_id": req.id, "message_id": message.id, "side": side}
    record(session, "host.request.message", "person", placement.person_id, detail, user_id=user.id)
    record(session, "host.request.message", "host", req.host_id, detail, user_id=user.id)
    return message


def close_for_consent(session: Session, user: User, consent: Consent) -> int:
    """The share_host consent was withdrawn: close every request sent under it (and its thread)."""
    rows = list(
        session.scalars(select(HostRequest).where(HostRequest.consent_id == consent.id, HostRequest.closed_at.is_(None)))
    )
    now = utcnow()
    for req in rows:
        req.closed_at = now
        record(session, "host.request.close", "host", req.host_id,
               {"request_id": req.id, "why": "consent_withdrawn"}, user_id=user.id)  # fmt: skip
    session.flush()
    return len(rows)


# ── reminders ───────────────────────────────────────────────────────────────────────────────────


def remind_unanswered(session: Session, settings: Settings, link_for: LinkFor, now: datetime | None = None) -> int:
    """Mail the host's people once about each request unanswered after proposal_overdue_days (the
    placement still at 打診, the consent live). Returns how many requests were reminded."""
    now = now or utcnow()
    limit = now - timedelta(days=settings.proposal_overdue_days)
    rows = list(
        session.scalars(
            select(HostRequest)
            .join(Placement, HostRequest.placement_id == Placement.id)
            .join(Consent, HostRequest.consent_id == Consent.id)
            .where(
                HostRequest.closed_at.is_(None), HostRequest.reminded_at.is_(None), HostRequest.sent_at < limit,
                Placement.stage == "proposed", Placement.answered_at.is_(None), Consent.withdrawn_at.is_(None),
            )
            .order_by(HostRequest.id)
        )
    )
    reminded = 0
    for req in rows:
        host = session.get(Host, req.host_id)
        assert host is not None
        people = host_people(session, host)
        req.reminded_at = now
        if people:
            _mail_people(
                session, settings, people, _("おでかけマップ: 受け入れのご相談へのご回答のお願い"),
                _("「%(host)s」さまへの受け入れのご相談に、まだご回答をいただいていません。", host=host.name),
                link_for(req.id),
            )  # fmt: skip
            reminded += 1
        record(session, "host.request.remind", "host", req.host_id, {"request_id": req.id, "to": len(people)})
    session.flush()
    return reminded


def host_figures(session: Session, host: Host, now: datetime | None = None) -> HostFigures:
    """Response rate and median days to answer (cases.placements.HostFigures: one definition for
    phone-recorded and host-entered answers) over the host's placements: linked to it, or at an
    activity of its organization."""
    activity_ids: list[int] = []
    if host.organization_id is not None:
        activity_ids = list(session.scalars(select(Activity.id).where(Activity.organization_id == host.organization_id)))
    return answer_figures(session, activity_ids=activity_ids, host_id=host.id, now=now)
