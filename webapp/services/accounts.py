"""User accounts: creation, authentication, offices and roles."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.auth.passwords import hash_password, needs_rehash, password_problem, verify_password
from webapp.models import ROLES, Office, RoleMembership, User
from webapp.models.base import utcnow
from webapp.services.errors import ServiceError


def normalise_email(email: str) -> str:
    return email.strip().lower()


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
    problem = password_problem(password)
    if problem == "too_short":
        raise ServiceError("weak_password", "password must be at least 10 characters", "password")
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
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    session.flush()
    return user
