"""Staff upkeep of listings: 2SC and 社協 keep resident-run 通いの場 current for organizers who have no
e-mail. A moderator edits a listing directly (published at once: the moderator is the reviewer),
archives it, or records 「電話で確認済み」, which resets its freshness exactly as the organizer's own
reconfirmation does. Every action is audited with what changed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jatext.normalize import fold
from webapp.accounts.models.user import User
from webapp.config import Settings
from webapp.listings import organizer as svc
from webapp.listings.freshness import confirm
from webapp.listings.models.activity import Activity
from webapp.listings.models.organizer import ActivityRevision
from webapp.orm import utcnow
from webapp.security.audit import record
from webapp.service_error import ServiceError

NOTE_LIMIT = 500
LIST_LIMIT = 100
STATUSES = ("published", "draft", "pending", "archived")


def find_listings(session: Session, text: str = "", status: str = "published") -> list[Activity]:
    """Listings for the staff upkeep list: by name or reading (folded, so かな/カナ/width agree)."""
    stmt = select(Activity).order_by(
        Activity.last_confirmed_at.is_not(None), Activity.last_confirmed_at, Activity.id
    )
    if status in STATUSES:
        stmt = stmt.where(Activity.status == status)
    words = [w for w in fold(text).split() if w]
    if not words:
        return list(session.scalars(stmt.limit(LIST_LIMIT)))
    # Fold in Python: a city has a few thousand listings, and the stored names are display text.
    rows = session.scalars(stmt).all()
    found = []
    for activity in rows:
        key = fold(f"{activity.name} {activity.name_kana}")
        if all(w in key for w in words):
            found.append(activity)
            if len(found) >= LIST_LIMIT:
                break
    return found


def _changed_fields(before: Mapping[str, str], after: Mapping[str, str]) -> list[str]:
    return [field for field in after if before.get(field, "") != after.get(field, "")]


def staff_edit(
    session: Session,
    settings: Settings,
    moderator: User,
    activity: Activity,
    data: dict[str, Any],
    on_changed: Callable[[int], None] | None = None,
) -> dict[str, str]:
    """Apply the staff form to the listing now. Returns field errors (nothing changed then)."""
    if activity.status == "archived":
        raise ServiceError("archived", _("掲載を終了した活動は編集できません。"), "activity")
    # An imported listing may have no organization: its own place is always a valid choice.
    errors = svc.validate(session, activity.organization_id or 0, data, own_place_id=activity.place_id)
    if errors:
        return errors
    before = svc.display_values(svc.snapshot(activity))
    svc.apply_data(session, settings, activity, data)
    if activity.status in ("draft", "pending"):
        activity.status = "published"
        activity.published_at = activity.published_at or utcnow()
    changed = _changed_fields(before, svc.display_values(data))
    record(
        session, "moderation.listing.edit", "activity", activity.id, {"fields": changed}, user_id=moderator.id
    )
    session.flush()
    if on_changed:
        on_changed(activity.id)
    return {}


def staff_archive(
    session: Session,
    moderator: User,
    activity: Activity,
    reason: str,
    on_changed: Callable[[int], None] | None = None,
) -> None:
    _check_length(reason, "reason")
    reason = svc.plain_text(reason, NOTE_LIMIT, multiline=True)
    if not reason:
        raise ServiceError("reason_required", _("掲載を終了する理由を書いてください。"), "reason")
    if activity.status == "archived":
        return
    activity.status = "archived"
    for revision in session.scalars(
        select(ActivityRevision).where(
            ActivityRevision.activity_id == activity.id, ActivityRevision.status.in_(svc.OPEN_STATUSES)
        )
    ):
        revision.status = "rejected"
        revision.message = reason
    record(
        session,
        "moderation.listing.archive",
        "activity",
        activity.id,
        {"reason": reason},
        user_id=moderator.id,
    )
    session.flush()
    if on_changed:
        on_changed(activity.id)


def _check_length(text: str, field: str) -> None:
    """A note longer than the limit is refused beside its field, never cut short in silence."""
    if len(text.strip()) > NOTE_LIMIT:
        raise ServiceError("too_long", _("%(n)s文字以内で入力してください。", n=NOTE_LIMIT), field)


def phone_confirm(
    session: Session,
    moderator: User,
    activity: Activity,
    note: str,
    on_changed: Callable[[int], None] | None = None,
) -> None:
    """「電話で確認済み」: someone called the organizer and it still runs as shown."""
    if activity.status != "published":
        raise ServiceError("not_published", _("公開中の活動だけ確認済みにできます。"), "activity")
    _check_length(note, "note")
    note = svc.plain_text(note, NOTE_LIMIT, multiline=True)
    confirm(session, activity, moderator.id, action="moderation.listing.phone_confirm", detail={"note": note})
    if on_changed:
        on_changed(activity.id)


def open_reports_count(session: Session) -> int:
    from webapp.listings.models.report import ErrorReport

    return (
        session.scalar(select(func.count()).select_from(ErrorReport).where(ErrorReport.status == "open")) or 0
    )


def pending_count(session: Session) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(ActivityRevision).where(ActivityRevision.status == "pending")
        )
        or 0
    )
