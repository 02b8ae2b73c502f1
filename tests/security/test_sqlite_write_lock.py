"""SQLite under several workers: a request that writes takes the write lock at BEGIN.

A deferred transaction that has read cannot upgrade to a write after another connection committed
(WAL: SQLITE_BUSY_SNAPSHOT, "database is locked" at once, whatever busy_timeout says). bench/load.py
showed it as failed staff writes; webapp.db begins such requests with BEGIN IMMEDIATE.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text

from webapp.config import load_settings
from webapp.db import make_engine, request_will_write


@pytest.fixture()
def engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    settings = load_settings({"instance_dir": tmp_path, "env": "testing"})
    eng = make_engine(settings)
    with eng.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
    yield eng
    eng.dispose()


def _other_writer(tmp_path: Path) -> sqlite3.Connection:
    # Another gunicorn worker, not willing to wait at all (timeout 0).
    return sqlite3.connect(tmp_path / "odekake.sqlite3", timeout=0, isolation_level=None)


def test_which_requests_take_the_write_lock() -> None:
    app = Flask("probe")
    assert not request_will_write()  # CLI, tests: no request
    cases = {
        ("GET", "/"): False,
        ("GET", "/activities/1"): False,
        ("GET", "/staff/cases/1"): True,  # reads of case data are audited: a write
        ("GET", "/auth/security"): True,
        ("POST", "/activities/1/report"): True,
        ("POST", "/staff/cases/1/notes"): True,
    }
    for (method, path), expected in cases.items():
        with app.test_request_context(path, method=method):
            assert request_will_write() is expected, (method, path)


def test_a_writing_request_holds_the_lock_from_begin(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app = Flask("probe")
    other = _other_writer(tmp_path)
    try:
        with app.test_request_context("/staff/cases/1/notes", method="POST"), engine.connect() as conn, conn.begin():
            conn.execute(text("SELECT count(*) FROM t")).scalar()
            # the other worker cannot slip a commit in between this request's read and write
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("INSERT INTO t VALUES (2)")
            conn.execute(text("INSERT INTO t VALUES (1)"))
        assert other.execute("SELECT count(*) FROM t").fetchone() == (1,)
    finally:
        other.close()


def test_a_deferred_read_then_write_fails_after_another_commit(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Why: the failure BEGIN IMMEDIATE avoids (a public page must therefore never write)."""
    app = Flask("probe")
    other = _other_writer(tmp_path)
    try:
        with (
            app.test_request_context("/", method="GET"),
            engine.connect() as conn,
            pytest.raises(Exception, match="locked"),
            conn.begin(),
        ):
            conn.execute(text("SELECT count(*) FROM t")).scalar()
            other.execute("INSERT INTO t VALUES (2)")  # autocommit: committed now
            conn.execute(text("INSERT INTO t VALUES (1)"))
    finally:
        other.close()
