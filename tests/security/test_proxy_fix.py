"""Behind the city's reverse proxy (proxy_fix_hops = 1) the login throttle, the rate limits and the
session records see the client's address from X-Forwarded-For; with the default 0 the header is
ignored, so nobody can pick their own address by sending it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.helpers import csrf_token

CLIENT_A = "203.0.113.5"
CLIENT_B = "198.51.100.7"


def _fail_login(client: FlaskClient, forwarded: str, email: str = "nobody@example.jp") -> int:
    headers = {"X-Forwarded-For": forwarded}
    page = client.get("/auth/login", headers=headers)
    assert page.status_code == 200
    token = csrf_token(client, "/auth/login")
    r = client.post(
        "/auth/login", data={"email": email, "password": "wrong password!", "csrf_token": token}, headers=headers
    )
    return r.status_code


@pytest.fixture()
def proxied_app(tmp_path: Path) -> Iterator[Flask]:
    from webapp import create_app
    from webapp.commands.migrate import upgrade_to_head
    from webapp.extensions import db, limiter

    app = create_app({"instance_dir": tmp_path, "env": "testing", "proxy_fix_hops": 1})
    try:
        with app.app_context():
            upgrade_to_head()
        yield app
    finally:
        limiter.reset()
        assert db.engine is not None
        db.engine.dispose()


def _attempt_ips(app: Flask) -> list[str]:
    from webapp.accounts.models.security import LoginAttempt
    from webapp.extensions import db

    with app.app_context():
        return list(db.session().scalars(select(LoginAttempt.ip).order_by(LoginAttempt.id)))


def test_proxy_fix_gives_the_throttle_and_the_limiter_the_client_address(proxied_app: Flask) -> None:
    client = proxied_app.test_client()
    assert _fail_login(client, CLIENT_A) == 200
    assert _attempt_ips(proxied_app) == [CLIENT_A]  # not the proxy's 127.0.0.1
    # 21 failures from A: refused (flask-limiter's 20/minute and the DB throttle's 20 per IP both
    # trip here); B, behind the same proxy, is not affected: both count per client, not per proxy.
    statuses = [_fail_login(client, CLIENT_A, f"a{i}@example.jp") for i in range(20)]
    assert statuses[-1] == 429
    assert _fail_login(client, CLIENT_B, "b@example.jp") == 200
    assert _attempt_ips(proxied_app)[-1] == CLIENT_B


def test_without_proxy_fix_the_forwarded_header_is_ignored(app: Flask) -> None:
    client = app.test_client()
    assert _fail_login(client, CLIENT_A) == 200
    assert _attempt_ips(app)[-1] == "127.0.0.1"


def test_proxy_fix_hops_default_is_zero() -> None:
    from webapp.config import Settings

    assert Settings().proxy_fix_hops == 0
