"""Organizer passwords go through the one policy (webapp.accounts.services) and show its own reason."""

from __future__ import annotations

from html import unescape
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import PASSWORD, logout, outbox_links, sign_up
from tests.helpers import csrf_token, login
from webapp.accounts.models.user import User
from webapp.listings.models.organization import Organization

WEAK = [
    ("short", "パスワードは10文字以上にしてください。", "at least 10 characters"),
    ("x" * 300, "パスワードは256文字以内にしてください。", "at most 256 characters"),
    ("password1234", "よく使われているパスワードの一覧にあるため使えません", "commonly used passwords"),
    ("hanako.yamada-secret", "パスワードにメールアドレスを含めないでください。", "must not contain the e-mail address"),
]


def _text(response: Any) -> str:
    return unescape(response.get_data(as_text=True))


@pytest.mark.parametrize(("password", "ja", "en"), WEAK)
def test_verification_shows_the_policy_reason(
    client: FlaskClient, session: Session, password: str, ja: str, en: str
) -> None:
    # The password is chosen on the page the verification link opens (the sign-up form takes none).
    sign_up(client, "hanako.yamada@example.org")
    link = outbox_links(client, "hanako.yamada@example.org", "/auth/verify/")[0]
    for lang, expected in (("ja", ja), ("en", en)):
        url = f"{link}?lang={lang}"
        data = {"csrf_token": csrf_token(client, url), "password": password, "confirm": password}
        r = client.post(url, data=data)
        assert r.status_code == 200
        body = _text(r)
        assert expected in body, body[:3000]
    user = session.scalar(select(User).where(User.email == "hanako.yamada@example.org"))
    assert user is not None and not user.active


def test_refused_reset_password_keeps_the_link_working(client: FlaskClient, make_user: Any) -> None:
    make_user("hanako.yamada@example.org", "organizer")
    token = csrf_token(client, "/auth/password/forgot")
    client.post("/auth/password/forgot", data={"csrf_token": token, "email": "hanako.yamada@example.org"})
    link = outbox_links(client, "hanako.yamada@example.org", "/auth/password/reset/")[0]
    # Contains the mailbox name: refused with the policy's reason, and nothing is used up.
    bad = "hanako.yamada-secret"
    r = client.post(link, data={"csrf_token": csrf_token(client, link), "password": bad, "confirm": bad})
    assert r.status_code == 200
    assert "パスワードにメールアドレスを含めないでください。" in _text(r)
    login(client, "hanako.yamada@example.org")  # the old password still works
    logout(client)
    good = "a much better passphrase"
    r = client.post(link, data={"csrf_token": csrf_token(client, link), "password": good, "confirm": good})
    assert r.status_code == 302, _text(r)[:2000]
    login(client, "hanako.yamada@example.org", good)


def test_invitation_refuses_a_common_password(client: FlaskClient, session: Session, make_user: Any) -> None:
    make_user("admin@example.org", "admin")
    org = Organization(source="manual", source_id="inv-pw", name="東新町自治会")
    session.add(org)
    session.flush()
    login(client, "admin@example.org")
    token = csrf_token(client, "/organizer/invite")
    client.post("/organizer/invite", data={"csrf_token": token, "email": "new@example.org", "organization_id": org.id})
    logout(client)
    link = outbox_links(client, "new@example.org", "/auth/invite/")[0]
    r = client.post(link, data={"csrf_token": csrf_token(client, link), "password": "password1234", "display_name": "佐藤"})
    assert r.status_code == 200
    assert "よく使われているパスワードの一覧にあるため使えません" in _text(r)
    assert session.scalar(select(User.id).where(User.email == "new@example.org")) is None
    r = client.post(link, data={"csrf_token": csrf_token(client, link), "password": PASSWORD, "display_name": "佐藤"})
    assert r.status_code == 302
    login(client, "new@example.org")


def test_labels_state_the_policy_length(client: FlaskClient) -> None:
    sign_up(client, "label@example.org")
    link = outbox_links(client, "label@example.org", "/auth/verify/")[0]
    assert "パスワード（10文字以上）" in _text(client.get(f"{link}?lang=ja"))
    assert "Password (10 characters or more)" in _text(client.get(f"{link}?lang=en"))
