"""Changing one's own password (account:self): the current password first, a wrong one counts as a
failed login, bad input is refused with a translated message and changes nothing, success ends
every other session and keeps this one under a new id."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.helpers import csrf_token, login
from webapp.accounts import throttle
from webapp.accounts.models.security import LoginAttempt
from webapp.accounts.models.user import User
from webapp.accounts.passwords import verify_password

OLD = "correct horse battery"
NEW = "a much better passphrase"
URL = "/auth/password/change"


def _post(client: FlaskClient, current: str, new: str, confirm: str | None = None, lang: str = "ja") -> tuple[int, str]:
    data = {"csrf_token": csrf_token(client, URL), "current": current, "password": new, "confirm": confirm or new}
    r = client.post(URL + f"?lang={lang}", data=data)
    return r.status_code, r.get_data(as_text=True)


def _hash(session: Session, email: str) -> str:
    session.expire_all()
    return str(session.scalar(select(User.password_hash).where(User.email == email)))


def test_change_ends_other_sessions_and_keeps_this_one(app: Flask, make_user, session: Session) -> None:  # type: ignore[no-untyped-def]
    make_user("staff@example.jp", "supporter")
    here, elsewhere = app.test_client(), app.test_client()
    login(here, "staff@example.jp")
    login(elsewhere, "staff@example.jp")
    assert here.get("/auth/security").get_data(as_text=True).count(URL) == 1  # linked from the page
    r = here.post(URL, data={"csrf_token": csrf_token(here, URL), "current": OLD, "password": NEW, "confirm": NEW})
    assert r.status_code == 302 and r.headers["Location"].endswith("/auth/security")
    assert verify_password(_hash(session, "staff@example.jp"), NEW)
    assert here.get("/staff/").status_code == 200  # still signed in here
    assert elsewhere.get("/staff/").status_code == 302  # signed out elsewhere
    fresh = app.test_client()
    login(fresh, "staff@example.jp", NEW)


@pytest.mark.parametrize(
    ("current", "new", "confirm", "status", "message"),
    [
        ("wrong password!", NEW, None, 200, "今のパスワードが違います"),
        (OLD, "password123", None, 400, "よく使われているパスワード"),
        (OLD, "short", None, 400, "10文字以上"),
        (OLD, NEW, "something else", 400, "同じパスワードを入力してください"),
        (OLD, "staff@example.jp-x", None, 400, "メールアドレスを含めないでください"),
    ],
)
def test_bad_input_is_refused_and_nothing_changes(
    app: Flask, make_user, session: Session, current: str, new: str, confirm: str | None, status: int, message: str  # type: ignore[no-untyped-def]
) -> None:
    make_user("staff@example.jp", "supporter")
    client = app.test_client()
    login(client, "staff@example.jp")
    before = _hash(session, "staff@example.jp")
    got, page = _post(client, current, new, confirm)
    assert got == status and message in page, page[:3000]
    assert _hash(session, "staff@example.jp") == before
    assert client.get("/staff/").status_code == 200  # still signed in


def test_messages_are_translated(app: Flask, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("staff@example.jp", "supporter")
    client = app.test_client()
    login(client, "staff@example.jp")
    assert "The current password is wrong" in _post(client, "wrong password!", NEW, lang="en")[1]
    assert "commonly used" in _post(client, OLD, "password123", lang="en")[1]


def test_guessing_the_current_password_locks_like_a_login(app: Flask, make_user, session: Session) -> None:  # type: ignore[no-untyped-def]
    make_user("staff@example.jp", "supporter")
    client = app.test_client()
    login(client, "staff@example.jp")
    for _ in range(throttle.MAX_FAILURES_PER_ACCOUNT):
        assert _post(client, "wrong password!", NEW)[0] == 200
    failures = session.scalar(
        select(func.count()).where(LoginAttempt.email == "staff@example.jp", LoginAttempt.success.is_(False))
    )
    assert failures == throttle.MAX_FAILURES_PER_ACCOUNT
    status, page = _post(client, OLD, NEW)  # even the right one now waits
    assert status == 429 and "一時的にログインできません" in page
    assert verify_password(_hash(session, "staff@example.jp"), OLD)
