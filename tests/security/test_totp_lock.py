"""F2 (Security round 2): second-factor failures are counted on their own; a correct password in
between does not reset them, so right password + 4 wrong codes, three times, ends in a lock."""

from __future__ import annotations

from html import unescape
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.factories import PW, enable_totp, post_login
from tests.helpers import csrf_token, login
from webapp.accounts import throttle
from webapp.accounts.services import record_second_factor


def test_right_password_between_wrong_codes_does_not_reset_the_count(
    app: Flask, client: FlaskClient, make_user: Any, session: Session
) -> None:
    user = make_user("admin@example.jp", "admin")
    login(client, "admin@example.jp")
    enable_totp(client, session, user)
    wrong_codes_judged = 0
    locked = False
    for _round in range(3):
        c = app.test_client()
        r = post_login(c, "admin@example.jp", PW)
        if r.status_code == 429:
            locked = True
            break
        assert r.status_code == 302 and r.headers["Location"].endswith("/auth/totp")
        for _ in range(4):
            r = c.post("/auth/totp", data={"csrf_token": csrf_token(c, "/auth/totp"), "code": "000000"})
            if r.status_code == 200:
                wrong_codes_judged += 1
                continue
            locked = True
            break
        if locked:
            break
    assert locked
    assert wrong_codes_judged < throttle.MAX_FAILURES_PER_ACCOUNT
    # Locked: the code form answers 429 with the minutes left, translated.
    c = app.test_client()
    r = post_login(c, "admin@example.jp", PW)
    assert r.status_code == 429
    assert "分後にもう一度お試しください" in r.get_data(as_text=True)


def test_totp_page_itself_answers_429_while_locked(app: Flask, make_user: Any, session: Session) -> None:
    user = make_user("staff@example.jp", "supporter")
    c = app.test_client()
    login(c, "staff@example.jp")
    enable_totp(c, session, user)
    c = app.test_client()
    assert post_login(c, "staff@example.jp", PW).status_code == 302
    for _ in range(throttle.MAX_FAILURES_PER_ACCOUNT):
        record_second_factor(session, user, "10.0.0.9", success=False)
    session.commit()
    r = c.post("/auth/totp?lang=en", data={"csrf_token": csrf_token(c, "/auth/totp"), "code": "000000"})
    assert r.status_code == 429
    assert "Please try again in" in unescape(r.get_data(as_text=True))


def test_only_a_correct_code_clears_the_second_factor_count(app_ctx: Flask, make_user: Any, session: Session) -> None:
    from webapp.accounts.services import second_factor_lock

    user = make_user("lead@example.jp", "office_lead")
    for _ in range(throttle.MAX_FAILURES_PER_ACCOUNT - 1):
        record_second_factor(session, user, "10.0.0.9", success=False)
    throttle.record(session, user.email, "10.0.0.9", success=True)  # the password step succeeds
    assert record_second_factor(session, user, "10.0.0.9", success=False) is not None
    assert second_factor_lock(session, user, "10.0.0.9") is not None
    # a correct code (e.g. after the lock has run out) starts the count afresh
    record_second_factor(session, user, "10.0.0.9", success=True)
    assert second_factor_lock(session, user, "10.0.0.9") is None
