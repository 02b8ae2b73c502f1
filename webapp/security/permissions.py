"""Permissions as data: a `Permission` enum, ONE list of roles, and `require()` / `@public` on every view."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app, request
from flask_login import current_user

F = TypeVar("F", bound=Callable[..., Any])


class Permission(StrEnum):
    """Everything a view or a service may check. A string that is not one of these is refused."""

    ACCOUNT_SELF = "account:self"  # one's own sessions, logout everywhere, second factor
    STAFF_ACCESS = "staff:access"
    CASE_READ = "staff:case:read"
    CASE_WRITE = "staff:case:write"
    CASE_ASSIGN = "staff:case:assign"
    OFFICE_CASES = "staff:office:cases"
    REPORTS_READ = "staff:reports:read"
    REPORTS_ALL_OFFICES = "staff:reports:all_offices"
    MODERATION_REVIEW = "moderation:review"
    LISTING_UPKEEP = "moderation:listing:upkeep"  # staff edit, archive, 「電話で確認済み」 on any listing
    LISTING_WRITE = "organizer:listing:write"
    ADMIN_USERS = "admin:users"
    ADMIN_OFFICES = "admin:offices"
    ADMIN_AUDIT_READ = "admin:audit:read"
    ADMIN_IMPORT = "admin:import"
    HOSTS_READ = "staff:hosts:read"  # the host register (受け入れ先); office-only parts need HostOffice
    HOSTS_WRITE = "staff:hosts:write"
    # A host's people answer 受け入れのご相談 (打診) sent to their host; checked together with membership
    # of the host's organization (webapp.hosts.requests), never alone.
    HOST_ANSWER = "organizer:host:answer"
    CONSULT_READ = "staff:consult:read"  # 参加の相談 sent from the public site, one's own office's
    CONSULT_WRITE = "staff:consult:write"


P = Permission


@dataclass(frozen=True)
class Role:
    name: str
    permissions: frozenset[Permission]
    staff: bool  # staff session limits (staff_idle_minutes / staff_absolute_hours) apply


# The ONE list of roles: who may do what. A role not listed here does not exist.
ROLES: tuple[Role, ...] = (
    Role(
        "admin",
        frozenset({P.ACCOUNT_SELF, P.STAFF_ACCESS, P.ADMIN_USERS, P.ADMIN_OFFICES, P.ADMIN_AUDIT_READ,
                   P.ADMIN_IMPORT, P.MODERATION_REVIEW, P.LISTING_UPKEEP, P.REPORTS_READ, P.REPORTS_ALL_OFFICES}),
        staff=True,
    ),
    Role("moderator", frozenset({P.ACCOUNT_SELF, P.STAFF_ACCESS, P.MODERATION_REVIEW, P.LISTING_UPKEEP}), staff=True),
    Role(
        "office_lead",
        frozenset({P.ACCOUNT_SELF, P.STAFF_ACCESS, P.CASE_READ, P.CASE_WRITE, P.CASE_ASSIGN, P.OFFICE_CASES,
                   P.REPORTS_READ, P.HOSTS_READ, P.HOSTS_WRITE, P.CONSULT_READ, P.CONSULT_WRITE}),
        staff=True,
    ),
    Role(
        "supporter",
        frozenset({P.ACCOUNT_SELF, P.STAFF_ACCESS, P.CASE_READ, P.CASE_WRITE, P.HOSTS_READ, P.HOSTS_WRITE,
                   P.CONSULT_READ, P.CONSULT_WRITE}),
        staff=True,
    ),
    # viewer: the city's 担当課 reading reports across offices (aggregates only, no case pages).
    Role("viewer", frozenset({P.ACCOUNT_SELF, P.STAFF_ACCESS, P.REPORTS_READ, P.REPORTS_ALL_OFFICES}), staff=True),
    Role("organizer", frozenset({P.ACCOUNT_SELF, P.LISTING_WRITE, P.HOST_ANSWER}), staff=False),
)
ROLE_NAMES: tuple[str, ...] = tuple(r.name for r in ROLES)
ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {r.name: r.permissions for r in ROLES}
STAFF_ROLES: frozenset[str] = frozenset(r.name for r in ROLES if r.staff)
ACCOUNT_SELF = Permission.ACCOUNT_SELF

ACCESS_ATTR = "_odekake_access"
PUBLIC = "public"


def permissions_for(roles: Iterable[str]) -> frozenset[Permission]:
    granted: set[Permission] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS.get(role, frozenset())
    return frozenset(granted)


def has_permission(user: Any, permission: Permission | str) -> bool:
    permission = Permission(permission)  # a misspelt permission is an error, never a silent "no"
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return permission in permissions_for(user.roles)


def public(view: F) -> F:
    """Declare a view open to everyone. Every route must be declared public or guarded."""
    setattr(view, ACCESS_ATTR, PUBLIC)
    return view


def require(*wanted: Permission | str) -> Callable[[F], F]:
    """Guard a view: anonymous users are sent to login, others without the permission get 403."""
    if not wanted:
        raise ValueError("require() needs at least one permission")
    permissions = tuple(Permission(p) for p in wanted)  # ValueError at import for a misspelt one

    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
            for permission in permissions:
                if not has_permission(current_user, permission):
                    abort(403)
            return view(*args, **kwargs)

        setattr(guarded, ACCESS_ATTR, tuple(permissions))
        return guarded  # type: ignore[return-value]

    return decorate


def access_of(view: Callable[..., Any] | None) -> str | tuple[str, ...] | None:
    return getattr(view, ACCESS_ATTR, None) if view is not None else None


def enforce_declared_access() -> None:
    """before_request: deny by default any endpoint that declared nothing (a forgotten decorator)."""
    endpoint = request.endpoint
    if endpoint is None or endpoint == "static":
        return
    view = current_app.view_functions.get(endpoint)
    if access_of(view) is None:
        abort(403)
