"""Freshness: "still running as shown?" reconfirmation mails, one-click confirm, stale flags.

An activity is due when its last confirmation is older than `reconfirm_months`; one mail is sent per
due period (a ReconfirmationNotice remembers it). It is flagged — shown as possibly outdated on the
public page and listed for moderators — once a notice has gone unanswered for
`reconfirm_grace_days`, or when nothing confirms it for months + grace (e.g. no organizer to mail).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from webapp.accounts.mail_tokens import make_token, read_token
from webapp.accounts.models.user import User
from webapp.config import Settings
from webapp.listings.models.activity import Activity
from webapp.listings.models.organizer import OrganizationMembership, ReconfirmationNotice
from webapp.mail import queue_mail
from webapp.orm import utcnow
from webapp.security.audit import record

LinkFor = Callable[[str], str]
_ID_CHUNK = 5000


def _months(settings: Settings) -> timedelta:
    # A month is taken as 30 days: the schedule is a reminder, not a contract.
    return timedelta(days=30 * settings.reconfirm_months)


def _confirmed_at(activity: Activity) -> datetime | None:
    return activity.last_confirmed_at or activity.published_at


def _unconfirmed_since(cutoff: datetime) -> ColumnElement[bool]:
    """Published and not confirmed since ``cutoff``: the candidates for a reminder or a flag."""
    return and_(
        Activity.status == "published",
        or_(Activity.last_confirmed_at.is_(None), Activity.last_confirmed_at < cutoff),
    )


def due_activities(session: Session, settings: Settings, now: datetime | None = None) -> list[Activity]:
    now = now or utcnow()
    cutoff = now - _months(settings)
    candidates = session.scalars(
        select(Activity)
        .where(_unconfirmed_since(cutoff), Activity.organization_id.is_not(None))
        .order_by(Activity.id)
    ).all()
    due = []
    for activity in candidates:
        since = _confirmed_at(activity)
        if since is not None and since >= cutoff:
            continue
        already = session.scalar(
            select(ReconfirmationNotice.id).where(
                ReconfirmationNotice.activity_id == activity.id,
                ReconfirmationNotice.confirmed_at.is_(None),
                ReconfirmationNotice.sent_at >= cutoff,
            )
        )
        if already is None:
            due.append(activity)
    return due


def reconfirm_token(settings: Settings, activity: Activity) -> str:
    return make_token(settings, "reconfirm", {"a": activity.id})


def send_reconfirmations(
    session: Session, settings: Settings, confirm_link: LinkFor, now: datetime | None = None
) -> int:
    """Mail every organizer of each due activity; returns how many activities were asked."""
    now = now or utcnow()
    sent = 0
    for activity in due_activities(session, settings, now):
        recipients = session.scalars(
            select(User.email)
            .join(OrganizationMembership, OrganizationMembership.user_id == User.id)
            .where(OrganizationMembership.organization_id == activity.organization_id, User.active.is_(True))
        ).all()
        if not recipients:
            continue
        link = confirm_link(reconfirm_token(settings, activity))
        for email in recipients:
            queue_mail(
                session,
                settings,
                email,
                _("おでかけマップ: 「%(name)s」の掲載内容の確認", name=activity.name),
                _("「%(name)s」は今も掲載どおりに開催していますか。", name=activity.name)
                + "\n"
                + _("変わりがなければ、次のリンクを開いてボタンを押してください。")
                + "\n\n"
                + link
                + "\n\n"
                + _("内容が変わった場合や終了した場合は、主催者のページから更新してください。")
                + "\n",
            )
        session.add(ReconfirmationNotice(activity_id=activity.id, sent_at=now))
        record(session, "organizer.reconfirm_sent", "activity", activity.id, {"to": len(recipients)})
        sent += 1
    session.flush()
    return sent


def activity_for_token(session: Session, settings: Settings, token: str) -> Activity | None:
    max_age = int((_months(settings) + timedelta(days=settings.reconfirm_grace_days * 4)).total_seconds())
    payload = read_token(settings, "reconfirm", token, max_age)
    if not payload:
        return None
    activity = session.get(Activity, payload.get("a"))
    if activity is None or activity.status != "published":
        return None
    return activity


def confirm(
    session: Session,
    activity: Activity,
    user_id: int | None = None,
    now: datetime | None = None,
    *,
    action: str = "organizer.reconfirm",
    detail: dict[str, Any] | None = None,
) -> None:
    """Still running as shown: by the organizer's link, or by staff after a phone call (``action``)."""
    now = now or utcnow()
    activity.last_confirmed_at = now
    for notice in session.scalars(
        select(ReconfirmationNotice).where(
            ReconfirmationNotice.activity_id == activity.id, ReconfirmationNotice.confirmed_at.is_(None)
        )
    ):
        notice.confirmed_at = now
    record(session, action, "activity", activity.id, detail, user_id=user_id)
    session.flush()


@dataclass(frozen=True)
class Flagged:
    activity: Activity
    confirmed_at: datetime | None
    notice_sent_at: datetime | None


def flagged_ids(
    session: Session, settings: Settings, activities: Iterable[Activity], now: datetime | None = None
) -> set[int]:
    """The ids among ``activities`` that :func:`is_flagged` flags, with at most one query."""
    now = now or utcnow()
    grace = timedelta(days=settings.reconfirm_grace_days)
    flagged: set[int] = set()
    asked: list[int] = []
    for activity in activities:
        if activity.status != "published" or activity.id is None:
            continue
        since = _confirmed_at(activity)
        if since is None or since < now - _months(settings) - grace:
            flagged.add(activity.id)
        else:
            asked.append(activity.id)
    # A notice still unanswered after the grace period flags the listing. (Chunks: SQLite caps
    # bound parameters; a page of results is one chunk.)
    for start in range(0, len(asked), _ID_CHUNK):
        flagged.update(
            session.scalars(
                select(ReconfirmationNotice.activity_id)
                .where(
                    ReconfirmationNotice.activity_id.in_(asked[start : start + _ID_CHUNK]),
                    ReconfirmationNotice.confirmed_at.is_(None),
                    ReconfirmationNotice.sent_at < now - grace,
                )
                .distinct()
            )
        )
    return flagged


def is_flagged(session: Session, settings: Settings, activity: Activity, now: datetime | None = None) -> bool:
    """For the public page: show "this information may be out of date"."""
    return activity.id in flagged_ids(session, settings, [activity], now)


def flagged_activities(session: Session, settings: Settings, now: datetime | None = None) -> list[Flagged]:
    now = now or utcnow()
    # Only an activity unconfirmed for a whole period can be flagged; is_flagged() decides the rest.
    cutoff = now - _months(settings)
    rows = session.scalars(
        select(Activity).where(_unconfirmed_since(cutoff)).order_by(Activity.last_confirmed_at, Activity.id)
    ).all()
    ids = flagged_ids(session, settings, rows, now)
    flagged = []
    for activity in rows:
        if activity.id in ids:
            sent = session.scalar(
                select(ReconfirmationNotice.sent_at)
                .where(ReconfirmationNotice.activity_id == activity.id)
                .order_by(ReconfirmationNotice.sent_at.desc())
                .limit(1)
            )
            flagged.append(Flagged(activity, _confirmed_at(activity), sent))
    return flagged


def is_stale(settings: Settings, activity: Activity, now: datetime | None = None) -> bool:
    """Not confirmed for settings.stale_after_days (default ~6 months): 「情報が古いかもしれません」."""
    confirmed = activity.last_confirmed_at
    if confirmed is None:
        return True
    return (now or utcnow()) - confirmed > timedelta(days=settings.stale_after_days)


def outdated_ids(session: Session, settings: Settings, activities: Iterable[Activity]) -> set[int]:
    """Which of these listings show 「情報が古いかもしれません」: stale by age or flagged (one query)."""
    activities = list(activities)
    stale = {a.id for a in activities if is_stale(settings, a)}
    return stale | flagged_ids(session, settings, [a for a in activities if a.id not in stale])
