"""User accounts: creation, authentication (with throttling), passwords, reset tokens, offices and roles."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import has_request_context
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from webapp.accounts import throttle
from webapp.accounts.models.security import PasswordResetToken, UserSession
from webapp.accounts.models.user import ROLES, Office, RoleMembership, User
from webapp.accounts.passwords import (
    MAX_LENGTH,
    MIN_LENGTH,
    dummy_verify,
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)
from webapp.orm import utcnow
from webapp.service_error import ServiceError

RESET_TOKEN_TTL = timedelta(hours=1)



def password_message(problem: str) -> str:
    """The password policy's reason (a password_problem code) for the person choosing a password.

    In the page's language on a page; in English outside a request (the command line speaks English).
    """
    if not has_request_context():
        with force_locale("en"):
            return _password_message(problem)
    return _password_message(problem)


def _password_message(problem: str) -> str:
    messages = {
        "too_short": _("パスワードは%(n)d文字以上にしてください。", n=MIN_LENGTH),
        "too_long": _("パスワードは%(n)d文字以内にしてください。", n=MAX_LENGTH),
        "common": _("よく使われているパスワードの一覧にあるため使えません。別のパスワードにしてください。"),
        "like_email": _("パスワードにメールアドレスを含めないでください。"),
    }
    return messages[problem]


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_new_password(password: str, email: str = "") -> None:
    """Raise ServiceError("weak_password", …, "password") when `password` may not be used."""
    problem = password_problem(password, email)
    if problem is not None:
        raise ServiceError("weak_password", password_message(problem), "password")


def get_or_create_office(session: Session, name: str) -> Office:
    office = session.scalar(select(Office).where(Office.name == name))
    if office is None:
        office = Office(name=name)
        session.add(office)
        session.flush()
    return office


def create_user(
    session: Session,
    email: str,
    password: str,
    roles: list[str],
    office_name: str | None = None,
    display_name: str = "",
) -> User:
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise ServiceError("invalid_email", f"not an e-mail address: {email!r}", "email")
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise ServiceError("unknown_role", f"unknown role {unknown[0]!r}; choose from {', '.join(ROLES)}", "role")
    check_new_password(password, email)
    if session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        raise ServiceError("duplicate_email", f"a user with e-mail {email} already exists", "email")
    user = User(email=email, password_hash=hash_password(password), display_name=display_name)
    if office_name:
        user.office = get_or_create_office(session, office_name)
    user.memberships = [RoleMembership(role=r) for r in dict.fromkeys(roles)]
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """Check a password. Unknown user and wrong password take the same time and both give None."""
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    session.flush()
    return user


@dataclass(frozen=True)
class LoginResult:
    user: User | None = None
    lock: throttle.Lock | None = None


def attempt_login(session: Session, email: str, password: str, ip: str) -> LoginResult:
    """authenticate() behind the per-account and per-IP throttle; every attempt is recorded.

    A locked address is refused without looking at the password (and without saying whether the
    account exists); the hash is still computed so a lock costs an attacker the same time.
    """
    email = normalise_email(email)[:254]
    # A locked second factor locks the password step too: no new round of codes until it expires.
    lock = throttle.check(session, email, ip) or throttle.check(session, throttle.second_factor_key(email), "")
    if lock is not None:
        dummy_verify(password)
        return LoginResult(lock=lock)
    user = authenticate(session, email, password)
    throttle.record(session, email, ip, success=user is not None)
    if user is None:
        throttle.purge_some(session)
    return LoginResult(user=user)


def second_factor_lock(session: Session, user: User, ip: str) -> throttle.Lock | None:
    """The lock in force on `user`'s second factor (its own count, see throttle.second_factor_key)."""
    return throttle.check(session, throttle.second_factor_key(user.email), ip)


def record_second_factor(session: Session, user: User, ip: str, success: bool) -> throttle.Lock | None:
    """Count a TOTP attempt under the second-factor key; returns the lock now in force, if any.

    A correct password does not reset this count; only a correct code does.
    """
    key = throttle.second_factor_key(user.email)
    throttle.record(session, key, ip, success=success)
    if success:
        return None
    throttle.purge_some(session)
    return throttle.check(session, key, ip)


def attempt_reauth(session: Session, user: User, password: str, ip: str) -> LoginResult:
    """Ask a signed-in user for their password again (e.g. before a case export).

    Counted like a login on the same per-account and per-IP throttle: otherwise the form is a
    password oracle without a limit. A locked account is refused even with the right password.
    """
    lock = throttle.check(session, user.email, ip)
    if lock is not None:
        dummy_verify(password)
        return LoginResult(lock=lock)
    ok = user.active and verify_password(user.password_hash, password)
    throttle.record(session, user.email, ip, success=ok)
    if not ok:
        # No lock in this answer even when this failure reaches the limit: a locked answer is a 429,
        # and a 4xx rolls the request back, this failure with it (the next attempt sees the lock).
        throttle.purge_some(session)
        return LoginResult()
    return LoginResult(user=user)


def lock_message(lock: throttle.Lock) -> str:
    """What a locked person is told (in the page's language), with the minutes left."""
    return _(
        "ログインの失敗が続いたため、一時的にログインできません。%(n)d分後にもう一度お試しください。",
        n=lock.minutes_left(),
    )


def revoke_sessions(session: Session, user: User) -> None:
    """Sign `user` out everywhere: bump the session version and revoke every session record."""
    session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    user.session_version += 1
    session.flush()


def set_password(session: Session, user: User, password: str) -> None:
    """Change a password (checked like a new one) and sign the user out of every session."""
    check_new_password(password, user.email)
    user.password_hash = hash_password(password)
    revoke_sessions(session, user)


def set_roles(session: Session, user: User, roles: list[str]) -> None:
    """Change roles; a privilege change ends every session, so the new rights start at a new login."""
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise ServiceError("unknown_role", f"unknown role {unknown[0]!r}; choose from {', '.join(ROLES)}", "role")
    wanted = list(dict.fromkeys(roles))
    user.memberships = [m for m in user.memberships if m.role in wanted]
    have = {m.role for m in user.memberships}
    user.memberships.extend(RoleMembership(role=r) for r in wanted if r not in have)
    revoke_sessions(session, user)


def set_active(session: Session, user: User, active: bool) -> None:
    user.active = active
    if not active:
        revoke_sessions(session, user)
    session.flush()


def issue_reset_token(session: Session, user: User, ttl: timedelta = RESET_TOKEN_TTL) -> str:
    """A single-use password reset token (to put in the e-mailed link); only its digest is stored.

    Issuing a new token voids the user's earlier unused ones.
    """
    from webapp.accounts.sessions import digest

    now = utcnow()
    session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session="fetch")
    )
    token = secrets.token_urlsafe(32)
    session.add(PasswordResetToken(user_id=user.id, token_hash=digest(token), created_at=now, expires_at=now + ttl))
    session.flush()
    return token


def peek_reset_token(session: Session, token: str) -> User | None:
    """The user a still-valid token belongs to, without using it up (to show the reset form)."""
    from webapp.accounts.sessions import digest

    if not token or len(token) > 200:
        return None
    row = session.scalar(select(PasswordResetToken).where(PasswordResetToken.token_hash == digest(token)))
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return None
    user = session.get(User, row.user_id)
    if user is None or not (user.active or awaiting_verification(user)):
        return None
    return user


def awaiting_verification(user: User) -> bool:
    """A signed-up organizer who has not verified the address yet (inactive and never signed in)."""
    return not user.active and user.last_login_at is None and "organizer" in user.roles


def consume_reset_token(session: Session, token: str) -> User | None:
    """Use up a reset token: the user it was issued for, or None when unknown, used or expired.

    Call set_password() on the returned user in the same transaction.
    """
    from webapp.accounts.sessions import digest

    user = peek_reset_token(session, token)
    if user is None:
        return None
    # Conditional update: of two concurrent uses of the same token, exactly one matches a row.
    result = session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.token_hash == digest(token), PasswordResetToken.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return None
    session.flush()
    return user
