"""Authentication hardening: passwords, throttling, server-side sessions, age limits, TOTP, reset tokens."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import PW, enable_totp, post_login
from tests.helpers import csrf_token, login
from webapp.accounts import passwords, throttle, totp
from webapp.accounts import services as accounts
from webapp.accounts.models.security import LoginAttempt, PasswordResetToken, UserSession
from webapp.service_error import ServiceError

# --- passwords ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("short", "too_short"),
        ("password1234", "common"),
        ("qwertyuiop", "common"),
        ("1234567890", "common"),
        ("Password2024!", "common"),
        ("sakura123456", "common"),
        ("aaaaaaaaaaaa", "common"),
        ("x" * 300, "too_long"),
        ("hanako.yamada-secret", "like_email"),
    ],
)
def test_weak_passwords_are_refused(password: str, code: str) -> None:
    assert passwords.password_problem(password, "hanako.yamada@example.jp") == code


def test_good_password_passes_and_list_is_shipped() -> None:
    assert passwords.password_problem(PW, "staff@example.jp") is None
    assert 9_000 <= len(passwords.common_passwords()) <= 20_000


def test_create_user_refuses_common_password(session: Session) -> None:
    with pytest.raises(ServiceError) as info:
        accounts.create_user(session, "a@example.jp", "password123!", ["viewer"])
    assert info.value.code == "weak_password" and info.value.field == "password"


# --- unknown user vs wrong password -------------------------------------------------------------


def test_unknown_user_runs_the_same_hash(client: FlaskClient, make_user, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    make_user("staff@example.jp", "supporter")
    calls: list[str] = []
    real = passwords._hasher

    class Counting:
        def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
            return getattr(real, name)

        def verify(self, hash_: str, password: str) -> bool:
            calls.append(password)
            return real.verify(hash_, password)

    monkeypatch.setattr(passwords, "_hasher", Counting())
    bodies = []
    for email in ("staff@example.jp", "nobody@example.jp"):
        calls.clear()
        token = csrf_token(client, "/auth/login")
        r = client.post("/auth/login", data={"email": email, "password": "wrong password!", "csrf_token": token})
        assert r.status_code == 200
        assert calls == ["wrong password!"]  # exactly one Argon2 verify either way
        # the re-rendered form carries a freshly signed CSRF token (it embeds a timestamp)
        body = re.sub(r'name="csrf_token"[^>]*value="[^"]+"', "CSRF", r.get_data(as_text=True))
        bodies.append(body.replace(email, "E"))
    assert bodies[0] == bodies[1]


# --- throttling ----------------------------------------------------------------------------------


def test_five_failures_lock_the_account_even_with_the_right_password(
    client: FlaskClient, make_user, session: Session
) -> None:  # type: ignore[no-untyped-def]
    make_user("staff@example.jp", "supporter")
    for _ in range(throttle.MAX_FAILURES_PER_ACCOUNT):
        assert post_login(client, "staff@example.jp", "wrong password!").status_code == 200
    r = post_login(client, "staff@example.jp", PW)
    assert r.status_code == 429
    body = r.get_data(as_text=True)
    assert "一時的にログインできません" in body and "15分後" in body
    # an unrelated account from the same IP still works
    make_user("other@example.jp", "supporter")
    assert post_login(client, "other@example.jp", PW).status_code == 302


def test_lock_is_the_same_for_unknown_addresses_and_translated(client: FlaskClient) -> None:
    for _ in range(throttle.MAX_FAILURES_PER_ACCOUNT):
        post_login(client, "ghost@example.jp", "wrong password!")
    client.get("/?lang=en")
    r = post_login(client, "ghost@example.jp", "wrong password!")
    assert r.status_code == 429
    assert "Too many failed sign-ins" in r.get_data(as_text=True)


def test_lock_lives_in_the_database_and_expires(session: Session) -> None:
    now = throttle.utcnow()
    for i in range(5):
        throttle.record(session, "a@example.jp", "10.0.0.1", False, now=now - timedelta(minutes=10 - i))
    lock = throttle.check(session, "a@example.jp", "10.0.0.9", now=now)
    assert lock is not None and lock.scope == "account"
    assert lock.until == now - timedelta(minutes=10) + throttle.WINDOW
    assert lock.minutes_left(now) == 5
    assert throttle.check(session, "a@example.jp", "10.0.0.9", now=now + timedelta(minutes=6)) is None
    assert session.scalar(select(func.count()).select_from(LoginAttempt)) == 5


def test_success_clears_the_account_count(session: Session) -> None:
    now = throttle.utcnow()
    for i in range(4):
        throttle.record(session, "a@example.jp", "", False, now=now - timedelta(minutes=5, seconds=i))
    throttle.record(session, "a@example.jp", "", True, now=now - timedelta(minutes=4))
    throttle.record(session, "a@example.jp", "", False, now=now - timedelta(minutes=3))
    assert throttle.check(session, "a@example.jp", "", now=now) is None


def test_per_ip_limit_across_many_addresses(session: Session) -> None:
    now = throttle.utcnow()
    for i in range(throttle.MAX_FAILURES_PER_IP):
        throttle.record(session, f"u{i}@example.jp", "192.0.2.7", False, now=now - timedelta(seconds=i))
    lock = throttle.check(session, "fresh@example.jp", "192.0.2.7", now=now)
    assert lock is not None and lock.scope == "ip"
    assert throttle.check(session, "fresh@example.jp", "192.0.2.8", now=now) is None


# --- sessions ------------------------------------------------------------------------------------


def _live_rows(session: Session, user_id: int) -> list[UserSession]:
    return list(
        session.scalars(select(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None)))
    )


def test_login_rotates_the_cookie_and_creates_a_record(client: FlaskClient, make_user, session: Session) -> None:  # type: ignore[no-untyped-def]
    user = make_user("staff@example.jp", "supporter")
    client.get("/auth/login")
    before = client.get_cookie("session")
    login(client, "staff@example.jp")
    after = client.get_cookie("session")
    assert before is not None and after is not None and before.value != after.value
    rows = _live_rows(session, user.id)
    assert len(rows) == 1 and len(rows[0].sid_hash) == 64


def test_logout_revokes_a_copied_cookie(app: Flask, client: FlaskClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("staff@example.jp", "supporter")
    login(client, "staff@example.jp")
    stolen = client.get_cookie("session")
    assert stolen is not None
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/staff/")})
    thief = app.test_client()
    thief.set_cookie("session", stolen.value)
    assert thief.get("/staff/").status_code == 302


def test_logout_everywhere_and_admin_revoke(app: Flask, make_user, session: Session) -> None:  # type: ignore[no-untyped-def]
    user = make_user("staff@example.jp", "supporter")
    make_user("admin@example.jp", "admin")
    laptop, phone, admin = app.test_client(), app.test_client(), app.test_client()
    login(laptop, "staff@example.jp")
    login(phone, "staff@example.jp")
    assert len(_live_rows(session, user.id)) == 2
    r = laptop.post("/auth/security/revoke-others", data={"csrf_token": csrf_token(laptop, "/auth/security")})
    assert r.status_code == 302
    assert laptop.get("/staff/").status_code == 200
    assert phone.get("/staff/").status_code == 302
    login(phone, "staff@example.jp")
    login(admin, "admin@example.jp")
    token = csrf_token(admin, "/staff/")
    assert admin.post(f"/auth/users/{user.id}/revoke-sessions", data={"csrf_token": token}).status_code == 302
    assert laptop.get("/staff/").status_code == 302 and phone.get("/staff/").status_code == 302
    assert _live_rows(session, user.id) == []
    # the supporter cannot revoke anyone
    login(phone, "staff@example.jp")
    token = csrf_token(phone, "/staff/")
    assert phone.post(f"/auth/users/{user.id}/revoke-sessions", data={"csrf_token": token}).status_code == 403


def test_revoke_one_of_my_sessions(app: Flask, make_user, session: Session) -> None:  # type: ignore[no-untyped-def]
    user = make_user("staff@example.jp", "supporter")
    a, b = app.test_client(), app.test_client()
    login(a, "staff@example.jp")
    login(b, "staff@example.jp")
    page = a.get("/auth/security").get_data(as_text=True)
    ids = [int(x) for x in re.findall(r"/auth/security/sessions/(\d+)/revoke", page)]
    assert len(ids) == 1
    assert a.post(f"/auth/security/sessions/{ids[0]}/revoke", data={"csrf_token": csrf_token(a, "/auth/security")}).status_code == 302
    assert b.get("/staff/").status_code == 302 and a.get("/staff/").status_code == 200
    # someone else's session id is not found
    other = make_user("other@example.jp", "supporter")
    c = app.test_client()
    login(c, "other@example.jp")
    theirs = _live_rows(session, other.id)[0].id
    r = a.post(f"/auth/security/sessions/{theirs}/revoke", data={"csrf_token": csrf_token(a, "/auth/security")})
    assert r.status_code == 404
    assert c.get("/staff/").status_code == 200
    assert user.id != other.id


@pytest.mark.parametrize(("field", "age"), [("last_seen_at", timedelta(minutes=31)), ("created_at", timedelta(hours=12, minutes=1))])
def test_staff_idle_and_absolute_limits(client: FlaskClient, make_user, session: Session, field: str, age: timedelta) -> None:  # type: ignore[no-untyped-def]
    user = make_user("staff@example.jp", "supporter")
    login(client, "staff@example.jp")
    assert client.get("/staff/").status_code == 200
    row = _live_rows(session, user.id)[0]
    setattr(row, field, throttle.utcnow() - age)
    session.flush()
    assert client.get("/staff/").status_code == 302
    assert _live_rows(session, user.id) == []


def test_organizer_sessions_are_not_cut_at_thirty_minutes(client: FlaskClient, make_user, session: Session) -> None:  # type: ignore[no-untyped-def]
    user = make_user("org@example.jp", "organizer")
    login(client, "org@example.jp")
    row = _live_rows(session, user.id)[0]
    row.last_seen_at = throttle.utcnow() - timedelta(hours=2)
    session.flush()
    client.get("/")
    assert _live_rows(session, user.id) != []


def test_role_change_ends_sessions(client: FlaskClient, make_user, session: Session) -> None:  # type: ignore[no-untyped-def]
    user = make_user("staff@example.jp", "supporter")
    login(client, "staff@example.jp")
    accounts.set_roles(session, user, ["viewer"])
    assert client.get("/staff/").status_code == 302
    login(client, "staff@example.jp")
    assert client.get("/staff/").status_code == 200


def test_password_change_ends_sessions(client: FlaskClient, make_user, session: Session) -> None:  # type: ignore[no-untyped-def]
    user = make_user("staff@example.jp", "supporter")
    login(client, "staff@example.jp")
    accounts.set_password(session, user, "a much better passphrase")
    assert client.get("/staff/").status_code == 302
    with pytest.raises(ServiceError):
        accounts.set_password(session, user, "iloveyou123")


# --- TOTP ----------------------------------------------------------------------------------------




def test_totp_login_with_code_and_no_replay(app: Flask, client: FlaskClient, make_user, session: Session) -> None:  # type: ignore[no-untyped-def]
    user = make_user("staff@example.jp", "supporter")
    login(client, "staff@example.jp")
    secret, _codes = enable_totp(client, session, user)
    fresh = app.test_client()
    r = post_login(fresh, "staff@example.jp", PW)
    assert r.status_code == 302 and r.headers["Location"].endswith("/auth/totp")
    assert fresh.get("/staff/").status_code == 302  # not signed in yet
    bad = fresh.post("/auth/totp", data={"csrf_token": csrf_token(fresh, "/auth/totp"), "code": "000000"})
    assert bad.status_code == 200 and "確認コードが違います" in bad.get_data(as_text=True)
    # the step used at setup cannot be replayed; the next step's code works
    code = pyotp.TOTP(secret).at(time.time() + 30)
    r = fresh.post("/auth/totp", data={"csrf_token": csrf_token(fresh, "/auth/totp"), "code": code})
    assert r.status_code == 302
    assert fresh.get("/staff/").status_code == 200
    again = app.test_client()
    post_login(again, "staff@example.jp", PW)
    r = again.post("/auth/totp", data={"csrf_token": csrf_token(again, "/auth/totp"), "code": code})
    assert r.status_code == 200 and again.get("/staff/").status_code == 302


def test_totp_recovery_code_is_single_use(app: Flask, client: FlaskClient, make_user, session: Session) -> None:  # type: ignore[no-untyped-def]
    user = make_user("staff@example.jp", "supporter")
    login(client, "staff@example.jp")
    _secret, codes = enable_totp(client, session, user)
    for expect_ok in (True, False):
        c = app.test_client()
        post_login(c, "staff@example.jp", PW)
        r = c.post("/auth/totp", data={"csrf_token": csrf_token(c, "/auth/totp"), "code": codes[0].upper()})
        assert (r.status_code == 302) is expect_ok
    assert totp.remaining_recovery_codes(session, user) == totp.RECOVERY_CODE_COUNT - 1


def test_totp_guessing_locks(app: Flask, client: FlaskClient, make_user, session: Session) -> None:  # type: ignore[no-untyped-def]
    user = make_user("staff@example.jp", "supporter")
    login(client, "staff@example.jp")
    enable_totp(client, session, user)
    c = app.test_client()
    post_login(c, "staff@example.jp", PW)
    statuses = []
    for _ in range(throttle.MAX_FAILURES_PER_ACCOUNT):
        r = c.post("/auth/totp", data={"csrf_token": csrf_token(c, "/auth/totp"), "code": "123456"})
        statuses.append(r.status_code)
        if r.status_code == 302:
            break
    assert statuses[-1] == 302  # the lock sends the browser back to the login page
    assert post_login(c, "staff@example.jp", PW).status_code == 429


def test_pending_second_factor_expires(app: Flask, client: FlaskClient, make_user, session: Session) -> None:  # type: ignore[no-untyped-def]
    user = make_user("staff@example.jp", "supporter")
    login(client, "staff@example.jp")
    enable_totp(client, session, user)
    c = app.test_client()
    post_login(c, "staff@example.jp", PW)
    with c.session_transaction() as s:
        s["_mfa_pending"] = {**s["_mfa_pending"], "at": s["_mfa_pending"]["at"] - 3600}
    assert c.get("/auth/totp").status_code == 302


def test_totp_disable_needs_a_code(client: FlaskClient, make_user, session: Session) -> None:  # type: ignore[no-untyped-def]
    user = make_user("staff@example.jp", "supporter")
    login(client, "staff@example.jp")
    secret, _ = enable_totp(client, session, user)
    token = csrf_token(client, "/auth/security")
    client.post("/auth/totp/disable", data={"csrf_token": token, "code": "000000"})
    assert totp.enabled(session, user)
    code = pyotp.TOTP(secret).at(time.time() + 30)
    client.post("/auth/totp/disable", data={"csrf_token": csrf_token(client, "/auth/security"), "code": code})
    assert not totp.enabled(session, user)


# --- password reset tokens -----------------------------------------------------------------------


def test_reset_tokens_are_single_use_and_expire(make_user, session: Session) -> None:  # type: ignore[no-untyped-def]
    user = make_user("org@example.jp", "organizer")
    token = accounts.issue_reset_token(session, user)
    assert token not in {row.token_hash for row in session.scalars(select(PasswordResetToken))}
    assert accounts.peek_reset_token(session, token) is user
    assert accounts.consume_reset_token(session, token) is user
    assert accounts.consume_reset_token(session, token) is None
    old = accounts.issue_reset_token(session, user, ttl=timedelta(seconds=-1))
    assert accounts.consume_reset_token(session, old) is None
    first = accounts.issue_reset_token(session, user)
    second = accounts.issue_reset_token(session, user)
    assert accounts.consume_reset_token(session, first) is None  # a newer token voids older ones
    assert accounts.consume_reset_token(session, second) is user
    assert accounts.consume_reset_token(session, "x" * 500) is None
