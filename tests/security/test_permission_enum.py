"""Permissions are an enum and roles one list: a misspelt permission fails loudly, never a silent 403."""

from __future__ import annotations

import pytest

from webapp.accounts.models.user import ROLES
from webapp.accounts.sessions import limits_for
from webapp.security.permissions import (
    ROLE_NAMES,
    ROLE_PERMISSIONS,
    STAFF_ROLES,
    Permission,
    has_permission,
    require,
)


def test_a_misspelt_permission_is_refused_where_it_is_written() -> None:
    with pytest.raises(ValueError):
        require("staff:cse:read")

    class Someone:
        is_authenticated = True
        is_active = True
        roles = frozenset({"supporter"})

    with pytest.raises(ValueError):
        has_permission(Someone(), "staff:case:reed")
    assert has_permission(Someone(), "staff:case:read") is has_permission(Someone(), Permission.CASE_READ) is True


def test_one_list_of_roles() -> None:
    assert ROLES is ROLE_NAMES
    assert set(ROLE_PERMISSIONS) == set(ROLE_NAMES)
    assert set(ROLE_NAMES) - {"organizer"} == STAFF_ROLES
    assert all(isinstance(p, Permission) for perms in ROLE_PERMISSIONS.values() for p in perms)


def test_staff_limits_follow_the_role_list(app_ctx: object) -> None:
    class Account:
        def __init__(self, roles: set[str]) -> None:
            self.roles = frozenset(roles)

    staff_idle, _ = limits_for(Account({"viewer"}))  # type: ignore[arg-type]
    organizer_idle, _ = limits_for(Account({"organizer"}))  # type: ignore[arg-type]
    assert staff_idle < organizer_idle
