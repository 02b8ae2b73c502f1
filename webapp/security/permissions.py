"""Permissions as data. Roles grant permission strings; views declare what they need via require()."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app, request
from flask_login import current_user

F = TypeVar("F", bound=Callable[..., Any])

# The single table of who may do what. A role not listed here grants nothing.
# Every signed-in role manages its own account: its sessions, logout everywhere, the second factor.
ACCOUNT_SELF = "account:self"

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset(
        {
            ACCOUNT_SELF,
            "staff:access",
            "admin:users",
            "admin:offices",
            "admin:audit:read",
            "admin:import",
            "moderation:review",
            "staff:reports:read",
            "staff:reports:all_offices",
        }
    ),
    "moderator": frozenset({ACCOUNT_SELF, "staff:access", "moderation:review"}),
    "office_lead": frozenset(
        {
            ACCOUNT_SELF,
            "staff:access",
            "staff:case:read",
            "staff:case:write",
            "staff:case:assign",
            "staff:office:cases",
            "staff:reports:read",
        }
    ),
    "supporter": frozenset({ACCOUNT_SELF, "staff:access", "staff:case:read", "staff:case:write"}),
    # viewer: the city's 担当課 reading reports across offices (aggregates only, no case pages).
    "viewer": frozenset({ACCOUNT_SELF, "staff:access", "staff:reports:read", "staff:reports:all_offices"}),
    "organizer": frozenset({ACCOUNT_SELF, "organizer:listing:write"}),
}

ACCESS_ATTR = "_odekake_access"
PUBLIC = "public"


def permissions_for(roles: Iterable[str]) -> frozenset[str]:
    granted: set[str] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS.get(role, frozenset())
    return frozenset(granted)


def has_permission(user: Any, permission: str) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return permission in permissions_for(user.roles)


def public(view: F) -> F:
    """Declare a view open to everyone. Every route must be declared public or guarded."""
    setattr(view, ACCESS_ATTR, PUBLIC)
    return view


def require(*permissions: str) -> Callable[[F], F]:
    """Guard a view: anonymous users are sent to login, others without the permission get 403."""
    if not permissions:
        raise ValueError("require() needs at least one permission")

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
