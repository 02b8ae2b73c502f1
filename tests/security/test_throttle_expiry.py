"""Login attempts expire without a cron: every failed attempt deletes a bounded batch of rows older
than throttle.KEEP; `odekake purge-login-attempts` deletes them all (a real CLI process)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.helpers import csrf_token
from webapp.accounts import throttle
from webapp.accounts.models.security import LoginAttempt

ODEKAKE = str(Path(sys.executable).parent / "odekake")


def _counts(session: Session) -> tuple[int, int]:
    cutoff = throttle.utcnow() - throttle.KEEP
    old = session.scalar(select(func.count()).where(LoginAttempt.at < cutoff))
    new = session.scalar(select(func.count()).where(LoginAttempt.at >= cutoff))
    return int(old or 0), int(new or 0)


def _fail(client: FlaskClient) -> None:
    token = csrf_token(client, "/auth/login")
    r = client.post("/auth/login", data={"email": "x@example.jp", "password": "not the password", "csrf_token": token})
    assert r.status_code == 200


def test_failed_logins_delete_expired_attempts_a_batch_at_a_time(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    now = throttle.utcnow()
    extra = 50
    for i in range(throttle.PURGE_BATCH + extra):
        throttle.record(session, f"old{i}@example.jp", "10.0.0.1", False, now=now - throttle.KEEP - timedelta(days=1))
    for i in range(3):
        throttle.record(session, f"recent{i}@example.jp", "10.0.0.2", False, now=now - timedelta(days=30))
    session.commit()
    assert _counts(session) == (throttle.PURGE_BATCH + extra, 3)

    _fail(client)
    assert _counts(session) == (extra, 4)  # a batch gone; the recent ones and the new failure kept
    _fail(client)
    assert _counts(session) == (0, 5)


def test_a_successful_login_leaves_the_table_alone(app: Flask, client: FlaskClient, session: Session, make_user) -> None:  # type: ignore[no-untyped-def]
    from tests.helpers import login

    make_user("staff@example.jp", "supporter")
    throttle.record(session, "old@example.jp", "", False, now=throttle.utcnow() - throttle.KEEP - timedelta(days=1))
    session.commit()
    login(client, "staff@example.jp")
    assert _counts(session)[0] == 1


def test_purge_login_attempts_command(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ODEKAKE_")}
    env["ODEKAKE_INSTANCE_DIR"] = str(tmp_path)
    assert subprocess.run([ODEKAKE, "init-db"], env=env, capture_output=True, timeout=120).returncode == 0
    now = throttle.utcnow()
    rows = [(now - throttle.KEEP - timedelta(days=d), f"a{d}@example.jp") for d in range(1, 6)]
    rows.append((now - timedelta(days=1), "recent@example.jp"))
    with sqlite3.connect(tmp_path / "odekake.sqlite3") as conn:
        conn.executemany(
            "INSERT INTO login_attempt (at, email, ip, success) VALUES (?, ?, '', 0)",
            [(at.strftime("%Y-%m-%d %H:%M:%S.%f"), email) for at, email in rows],
        )
    done = subprocess.run([ODEKAKE, "purge-login-attempts"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "deleted 5 login attempts older than 90 days" in done.stdout
    with sqlite3.connect(tmp_path / "odekake.sqlite3") as conn:
        assert conn.execute("SELECT email FROM login_attempt").fetchall() == [("recent@example.jp",)]
