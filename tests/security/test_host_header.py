"""F1 (Security round 2): links in mails come from the base_url setting, never the Host header;
unknown Host headers are refused; production does not start without base_url."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.helpers import csrf_token
from webapp.config import ConfigError, load_settings
from webapp.mail.models import OutboxMessage

SITE = "https://odekake.example.jp"


@pytest.fixture()
def site_app(app: Flask) -> Iterator[Flask]:
    """The app with a configured public address that differs from every host the test client uses."""
    original = app.extensions["odekake_settings"]
    app.extensions["odekake_settings"] = replace(original, base_url=SITE)
    try:
        yield app
    finally:
        app.extensions["odekake_settings"] = original


def _bodies(session: Session, to: str) -> list[str]:
    return list(session.scalars(select(OutboxMessage.body).where(OutboxMessage.to == to)))


def _links(bodies: list[str]) -> list[str]:
    return [m for body in bodies for m in re.findall(r"https?://\S+", body)]


@pytest.mark.parametrize("role", ["admin", "supporter", "organizer"])
def test_forgot_password_with_a_poisoned_host_never_mails_its_host(
    app: Flask, client: FlaskClient, session: Session, make_user: Any, role: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_user(f"{role}@example.jp", role, office="生駒市社協")
    # The attacker's own session and CSRF token would be for their host; CSRF is not what is tested.
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    r = client.post(
        "/auth/password/forgot", data={"email": f"{role}@example.jp"}, headers={"Host": "attacker.example"}
    )
    assert r.status_code == 400  # an unknown Host is refused outright
    assert not any("attacker.example" in body for body in _bodies(session, f"{role}@example.jp"))


def test_reset_link_is_built_on_base_url_whatever_host_was_asked(
    site_app: Flask, client: FlaskClient, session: Session, make_user: Any
) -> None:
    make_user("admin@example.jp", "admin", office="生駒市社協")
    # 127.0.0.1 is an allowed host in testing: the link must still not come from it.
    token = csrf_token(client, "http://127.0.0.1/auth/password/forgot")
    r = client.post(
        "http://127.0.0.1/auth/password/forgot", data={"csrf_token": token, "email": "admin@example.jp"}
    )
    assert r.status_code == 200
    links = _links(_bodies(session, "admin@example.jp"))
    assert links and all(link.startswith(f"{SITE}/auth/password/reset/") for link in links), links


def test_verification_link_is_built_on_base_url(site_app: Flask, client: FlaskClient, session: Session) -> None:
    token = csrf_token(client, "http://127.0.0.1/auth/signup")
    r = client.post(
        "http://127.0.0.1/auth/signup",
        data={"csrf_token": token, "email": "new@example.org", "organization_name": "ひまわりの会"},
    )
    assert r.status_code == 302
    links = _links(_bodies(session, "new@example.org"))
    assert links and all(link.startswith(f"{SITE}/auth/verify/") for link in links), links


def test_invitation_link_is_built_on_base_url(
    site_app: Flask, client: FlaskClient, session: Session, make_user: Any
) -> None:
    from tests.helpers import login
    from webapp.listings.models.organization import Organization

    make_user("admin@example.jp", "admin", office="生駒市社協")
    org = Organization(source="manual", source_id="host-1", name="東新町自治会")
    session.add(org)
    session.flush()
    login(client, "admin@example.jp")
    token = csrf_token(client, "/organizer/invite")
    client.post(
        "/organizer/invite",
        data={"csrf_token": token, "email": "inv@example.org", "organization_id": org.id},
    )
    links = _links(_bodies(session, "inv@example.org"))
    assert links and all(link.startswith(f"{SITE}/auth/invite/") for link in links), links


def test_reconfirmation_links_use_base_url_unless_the_cli_overrides(site_app: Flask) -> None:
    from webapp.mail import mail_link

    settings = site_app.extensions["odekake_settings"]
    with site_app.test_request_context(base_url="http://attacker.example"):
        assert mail_link(settings, "organizer.reconfirm", token="t").startswith(f"{SITE}/organizer/reconfirm/t")
        override = mail_link(settings, "organizer.reconfirm", "https://map.example.jp/sub", token="t")
        assert override == "https://map.example.jp/sub/organizer/reconfirm/t"


def test_unknown_host_is_refused_and_known_ones_served(app: Flask, client: FlaskClient) -> None:
    assert client.get("/", headers={"Host": "attacker.example"}).status_code == 400
    assert client.get("/", headers={"Host": "localhost"}).status_code == 200
    assert client.get("/", headers={"Host": "127.0.0.1:5000"}).status_code == 200


def _production(**extra: str) -> dict[str, str]:
    env = {
        "ODEKAKE_ENV": "production",
        "ODEKAKE_SECRET_KEY": "x" * 40,
        "ODEKAKE_DATABASE_URL": "postgresql://u@db/odekake",
        "ODEKAKE_ENCRYPTION_KEY": "k",
    }
    env.update(extra)
    return env


def test_production_without_base_url_refuses_to_start(tmp_path: Any) -> None:
    with pytest.raises(ConfigError, match="ODEKAKE_BASE_URL") as info:
        load_settings({"instance_dir": tmp_path}, environ=_production())
    assert "\n" not in str(info.value)
    with pytest.raises(ConfigError, match="base_url"):
        load_settings({"instance_dir": tmp_path}, environ=_production(ODEKAKE_BASE_URL="odekake.example.jp"))


def test_production_trusts_only_base_url_and_trusted_hosts(tmp_path: Any) -> None:
    settings = load_settings(
        {"instance_dir": tmp_path},
        environ=_production(ODEKAKE_BASE_URL=f"{SITE}/", ODEKAKE_TRUSTED_HOSTS="internal.city.local"),
    )
    assert settings.base_url == SITE
    assert settings.allowed_hosts == ("odekake.example.jp", "internal.city.local")
    dev = load_settings({"instance_dir": tmp_path, "env": "development"}, environ={})
    assert dev.base_url == "http://127.0.0.1:5000" and "localhost" in dev.allowed_hosts
