"""Own-account pages (sessions, logout everywhere, second factor) are guarded by an explicit
`account:self` permission that every signed-in role is granted as data, not @public + manual checks."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from webapp.accounts.models.user import ROLES
from webapp.security.permissions import ACCOUNT_SELF, ROLE_PERMISSIONS, access_of

SELF_SERVICE = {
    "auth.password_change",
    "auth.security",
    "auth.revoke_others",
    "auth.revoke_session",
    "auth.totp_setup",
    "auth.totp_disable",
    "auth.totp_recovery_codes",
}


def test_every_role_may_manage_its_own_account() -> None:
    assert set(ROLES) <= set(ROLE_PERMISSIONS)
    assert all(ACCOUNT_SELF in ROLE_PERMISSIONS[role] for role in ROLES)


def test_self_service_pages_declare_account_self(app: Flask) -> None:
    declared = {ep: access_of(app.view_functions[ep]) for ep in SELF_SERVICE}
    assert declared == {ep: (ACCOUNT_SELF,) for ep in SELF_SERVICE}
    # and nothing else uses it: it grants only what is one's own
    others = {ep for ep, view in app.view_functions.items() if ACCOUNT_SELF in (access_of(view) or ())}
    assert others == SELF_SERVICE


def test_each_role_reaches_its_security_page_and_anonymous_is_sent_to_login(
    probe_app: Flask, role_clients: dict[str, FlaskClient]
) -> None:
    for role, client in role_clients.items():
        assert client.get("/auth/security").status_code == 200, role
        assert client.get("/auth/totp/setup").status_code == 200, role
        assert client.get("/auth/password/change").status_code == 200, role
    r = probe_app.test_client().get("/auth/security")
    assert r.status_code == 302 and "/auth/login" in r.headers["Location"]
