"""F3 (Security round 2): the case-export password re-entry is on the login throttle, so it is no
longer a password oracle; a locked re-entry refuses even the right password."""

from __future__ import annotations

from html import unescape

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.factories import PASSWORD, make_staff
from tests.helpers import csrf_token, login
from webapp.accounts import throttle
from webapp.cases import services as svc


def test_export_reauth_locks_after_the_login_limit(app: Flask, client: FlaskClient, session: Session) -> None:
    with app.app_context():
        staff = make_staff(session, "sup@example.jp", "supporter", "所属A")
        person = svc.create_person(session, staff, svc.PersonInput(field="elderly", name="山田 太郎"))
        session.flush()
    login(client, "sup@example.jp", PASSWORD)
    url = f"/staff/cases/{person.id}/export"
    token = csrf_token(client, url)
    statuses = [
        client.post(url, data={"csrf_token": token, "password": f"guess {i}", "format": "json"}).status_code
        for i in range(12)
    ]
    assert statuses[: throttle.MAX_FAILURES_PER_ACCOUNT] == [200] * throttle.MAX_FAILURES_PER_ACCOUNT
    assert set(statuses[throttle.MAX_FAILURES_PER_ACCOUNT :]) == {429}
    # the right password does not get through while the lock lasts
    r = client.post(f"{url}?lang=en", data={"csrf_token": token, "password": PASSWORD, "format": "json"})
    assert r.status_code == 429 and not r.is_json
    assert "Please try again in" in unescape(r.get_data(as_text=True))


def test_reauth_failures_count_towards_the_login_lock(app: Flask, session: Session) -> None:
    with app.app_context():
        staff = make_staff(session, "lead@example.jp", "office_lead", "所属A")
        for _ in range(throttle.MAX_FAILURES_PER_ACCOUNT):
            result = svc.verify_reauth(session, staff, "wrong password", "10.1.1.1")
            assert result.user is None
        locked = svc.verify_reauth(session, staff, PASSWORD, "10.1.1.1")
        assert locked.user is None and locked.lock is not None
        assert throttle.check(session, staff.email, "10.1.1.1") is not None
