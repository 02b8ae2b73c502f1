"""F16: `odekake import` on SQLite while the site keeps writing (see test_sqlite_write_lock.py for
why a deferred transaction that has read fails at its first write after another commit).

The import now takes the write lock at BEGIN (waiting busy_timeout for it), retries the whole
file a few times with a growing pause while another writer holds the lock, and gives up with
exit 2 and one line (a database problem; nothing written), not exit 1 with a traceback's line.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import run
from webapp.config import PROJECT_ROOT

CSV = Path(__file__).parents[1] / "fixtures" / "import" / "kayoi_utf8bom_crlf.csv"
DB = "odekake.sqlite3"

# `odekake` with test hooks, chosen by F16_MODE:
#   web-write-mid-import   another worker commits a write between the import's first reads and
#                          its first write (it does not wait: timeout 0)
#   lock-for-a-while       another worker holds the write lock for 1.5 s as the import begins
# Pauses between attempts are shortened so the test stays quick.
HOOKED = r"""
import os, sqlite3, sys, threading, time
import webapp.commands.imports as cli_import
cli_import.LOCK_BACKOFF_S = 0.3
cli_import.LOCK_BACKOFF_MAX_S = 1.0
import webapp.db as wdb
from webapp.imports import loader as import_loader

path = os.environ["F16_DB"]
mode = os.environ["F16_MODE"]
fired = []

if mode == "web-write-mid-import":
    original = import_loader.Loader.prepare

    def prepare(self, records):
        out = original(self, records)
        if not fired:
            fired.append(1)
            other = sqlite3.connect(path, timeout=0, isolation_level=None)
            try:
                other.execute("INSERT INTO web_writes VALUES (1)")
                print("HOOK web write committed", file=sys.stderr)
            except sqlite3.OperationalError as exc:
                print(f"HOOK web write had to wait: {exc}", file=sys.stderr)
            other.close()
        return out

    import_loader.Loader.prepare = prepare

if mode == "lock-for-a-while":
    real_writing = wdb.writing
    held = threading.Event()

    def hold() -> None:
        other = sqlite3.connect(path, timeout=5, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO web_writes VALUES (1)")
        held.set()
        time.sleep(1.5)
        other.execute("COMMIT")
        other.close()

    def writing():
        if not fired:
            fired.append(1)
            threading.Thread(target=hold, daemon=True).start()
            held.wait(5)
        return real_writing()

    wdb.writing = writing
    real_locked = wdb.is_database_locked

    def is_locked(exc):
        found = real_locked(exc)
        if found:
            print("HOOK locked, retrying", file=sys.stderr)
        return found

    wdb.is_database_locked = is_locked

from webapp.commands import main
sys.argv = ["odekake", *sys.argv[1:]]
main()
"""


@pytest.fixture()
def instance(tmp_path: Path) -> Path:
    path = tmp_path / "inst"
    done = run(path, "init-db")
    assert done.returncode == 0, done.stderr
    con = sqlite3.connect(path / DB)
    con.execute("CREATE TABLE web_writes (n INTEGER)")  # what the site's workers write into
    con.commit()
    con.close()
    return path


def _hooked_import(instance: Path, mode: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ODEKAKE_")}
    env.update(
        ODEKAKE_INSTANCE_DIR=str(instance), ODEKAKE_SQLITE_BUSY_TIMEOUT_MS="100",
        F16_DB=str(instance / DB), F16_MODE=mode,
    )
    return subprocess.run(
        [sys.executable, "-c", HOOKED, "import", "municipal-csv", str(CSV), "--source", "kayoi"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300,
    )


def _imported(instance: Path) -> int:
    con = sqlite3.connect(instance / DB)
    try:
        return int(con.execute("SELECT count(*) FROM activity WHERE source = 'kayoi'").fetchone()[0])
    finally:
        con.close()


def test_a_web_write_between_the_imports_read_and_write_does_not_fail_it(instance: Path) -> None:
    done = _hooked_import(instance, "web-write-mid-import")
    # Before: the web write slipped in, then the import's first write failed ("database is locked").
    assert done.returncode == 1, done.stdout + done.stderr  # 1: one row of the file is rejected
    assert "created 4" in done.stdout
    assert "HOOK web write had to wait" in done.stderr  # the import held the lock from BEGIN
    assert _imported(instance) == 4


def test_a_lock_held_for_a_while_is_waited_for_and_retried(instance: Path) -> None:
    done = _hooked_import(instance, "lock-for-a-while")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "created 4" in done.stdout
    assert "HOOK locked, retrying" in done.stderr
    assert "error" not in done.stderr
    assert _imported(instance) == 4


def test_a_lock_that_never_goes_is_exit_2_with_one_line(instance: Path) -> None:
    other = sqlite3.connect(instance / DB, timeout=5, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO web_writes VALUES (1)")
    try:
        env = {"ODEKAKE_SQLITE_BUSY_TIMEOUT_MS": "50"}
        done = run(instance, "import", "municipal-csv", str(CSV), "--source", "kayoi", **env)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.count("\n") == 1 and "locked" in done.stderr and "Traceback" not in done.stderr
    assert _imported(instance) == 0


def test_the_configured_busy_timeout_is_the_one_in_force(tmp_path: Path) -> None:
    # Loading SpatiaLite sets a busy timeout of its own (5 s); ours must win.
    from sqlalchemy import text

    from webapp.config import load_settings
    from webapp.db import make_engine

    engine = make_engine(load_settings({"instance_dir": tmp_path, "env": "testing", "sqlite_busy_timeout_ms": 1234}))
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 1234
    finally:
        engine.dispose()
