"""Server-side sessions: the signed cookie carries a random session id; a UserSession row makes it
revocable (logout, logout everywhere, admin revoke) and carries idle/absolute age limits.
Revoking every session of a user is `webapp.accounts.services.revoke_sessions`.

Staff accounts (any role other than organizer) get `staff_idle_minutes` / `staff_absolute_hours`
from settings (30 min / 12 h); organizer-only accounts get ORGANIZER_IDLE / ORGANIZER_ABSOLUTE.

The user loader (webapp.accounts.login.load_user) calls `validate()` on every request, so age limits and
revocation apply to every route; `end_expired_session()` then clears the dead cookie and says why.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import flash, g, has_request_context, request, session
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.accounts.models.security import UserSession
from webapp.accounts.models.user import User
from webapp.config import settings as current_settings
from webapp.extensions import db
from webapp.orm import utcnow
from webapp.security.permissions import STAFF_ROLES

SESSION_KEY = "_sid"
ORGANIZER_IDLE = timedelta(days=1)
ORGANIZER_ABSOLUTE = timedelta(days=14)
# last_seen_at is written at most this often: idle expiry keeps minute precision without a write
# per request.
TOUCH_EVERY = timedelta(seconds=60)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def is_staff(user: User) -> bool:
    return bool(user.roles & STAFF_ROLES)


def limits_for(user: User) -> tuple[timedelta, timedelta]:
    """(idle, absolute) lifetime of a session of this user."""
    if is_staff(user):
        settings = current_settings()
        return timedelta(minutes=settings.staff_idle_minutes), timedelta(hours=settings.staff_absolute_hours)
    return ORGANIZER_IDLE, ORGANIZER_ABSOLUTE


def expired(row: UserSession, user: User, now: datetime | None = None) -> bool:
    now = now or utcnow()
    idle, absolute = limits_for(user)
    return now - row.last_seen_at > idle or now - row.created_at > absolute


def start(dbs: Session, user: User, mfa: bool = False) -> UserSession:
    """Sign `user` in with a fresh cookie session and a new server-side record.

    The Flask session is cleared first, so nothing from before the login (a fixated cookie, a pending
    second factor) survives: the session id is rotated at every login.
    """
    keep_lang = session.get("lang")
    session.clear()
    if keep_lang:
        session["lang"] = keep_lang
    sid = secrets.token_urlsafe(32)
    row = UserSession(
        sid_hash=digest(sid),
        user_id=user.id,
        ip=(request.remote_addr or "")[:64],
        user_agent=(request.user_agent.string or "")[:300],
        mfa=mfa,
    )
    dbs.add(row)
    dbs.flush()
    session[SESSION_KEY] = sid
    login_user(user)
    g._odekake_session = row
    return row


def rotate(dbs: Session, user: User) -> UserSession:
    """New session id for the signed-in user (after a privilege change such as enabling TOTP)."""
    old = current_row(dbs)
    mfa = bool(old and old.mfa)
    if old is not None and old.revoked_at is None:
        old.revoked_at = utcnow()
    return start(dbs, user, mfa=mfa)


def current_row(dbs: Session | None = None) -> UserSession | None:
    if "_odekake_session" in g:
        return g._odekake_session
    sid = session.get(SESSION_KEY)
    row = None
    if isinstance(sid, str) and sid:
        row = (dbs or db.session()).scalar(select(UserSession).where(UserSession.sid_hash == digest(sid)))
    g._odekake_session = row
    return row


def validate(user: User) -> bool:
    """True when the cookie's session record is live for `user`; refreshes its last-seen time."""
    if not has_request_context():
        return False
    dbs = db.session()
    row = current_row(dbs)
    if row is None or row.user_id != user.id or row.revoked_at is not None:
        return False
    now = utcnow()
    if expired(row, user, now):
        row.revoked_at = now
        dbs.flush()
        return False
    if now - row.last_seen_at > TOUCH_EVERY:
        row.last_seen_at = now
        dbs.flush()
    return True


def end_expired_session() -> None:
    """before_request, every route: a cookie whose server-side session is over its age or revoked.

    The user loader has already refused it (the request is anonymous); here its cookie state is
    dropped and the person is told why, so the login page they are sent to explains itself.
    """
    if current_user.is_authenticated or not session.get(SESSION_KEY):
        return
    end_current()
    flash(_("一定時間操作がなかったため、ログアウトしました。もう一度ログインしてください。"), "info")


def end_current() -> None:
    """Logout: revoke this browser's record and clear the cookie session."""
    dbs = db.session()
    row = current_row(dbs)
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        dbs.flush()
    if current_user.is_authenticated:
        logout_user()
    keep_lang = session.get("lang")
    session.clear()
    if keep_lang:
        session["lang"] = keep_lang
    g._odekake_session = None


def revoke_one(dbs: Session, user: User, session_id: int) -> bool:
    row = dbs.get(UserSession, session_id)
    if row is None or row.user_id != user.id or row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    dbs.flush()
    return True


def live_sessions(dbs: Session, user: User) -> list[UserSession]:
    rows = dbs.scalars(
        select(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .order_by(UserSession.last_seen_at.desc())
    ).all()
    now = utcnow()
    return [r for r in rows if not expired(r, user, now)]
