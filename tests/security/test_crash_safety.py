"""Crash safety: SIGKILL a real server while it writes under load, then check the database.

Every write the server acknowledged (HTTP 200) must be in the database, every transaction must be
all-or-nothing, and the database must pass its integrity check. The server runs the real app
(create_app: WAL + busy_timeout + synchronous=NORMAL on SQLite, the one-commit request boundary)
with one test-only write route added, in a subprocess so it can be killed mid-write.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import POSTGIS_URL
from webapp.config import PROJECT_ROOT

ROWS_PER_WRITE = 5

SERVER = r'''
import sys
from flask import request
from werkzeug.serving import make_server
from webapp import create_app
from webapp.extensions import csrf, db
from webapp.migrate import upgrade_to_head
from webapp.security import audit
from webapp.security.permissions import public

config = {"instance_dir": sys.argv[1], "env": "testing"}
if sys.argv[3]:
    config["database_url"] = sys.argv[3]
app = create_app(config)
with app.app_context():
    upgrade_to_head()


@public
def write():
    n = request.args["n"]
    for part in range(ROWS):
        audit.record(db.session(), "crash.test", "n", n, {"part": part, "pad": "x" * 2000})
    return {"ok": n}


app.add_url_rule("/__write", "crash_write", csrf.exempt(write), methods=["POST"])
server = make_server("127.0.0.1", int(sys.argv[2]), app, threaded=True)
print("ready", flush=True)
server.serve_forever()
'''.replace("ROWS", str(ROWS_PER_WRITE))


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _hammer_then_kill(tmp_path: Path, database_url: str) -> tuple[set[str], int]:
    script = tmp_path / "server.py"
    script.write_text(SERVER)
    port = _port()
    server = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path / "instance"), str(port), database_url],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )
    try:
        assert server.stdout is not None
        assert server.stdout.readline().strip() == "ready"
        acknowledged: set[str] = set()
        attempted = 0
        lock = threading.Lock()
        stop = threading.Event()

        def writer(worker: int) -> None:
            nonlocal attempted
            i = 0
            while not stop.is_set():
                n = f"{worker}-{i}"
                i += 1
                with lock:
                    attempted += 1
                try:
                    req = urllib.request.Request(f"http://127.0.0.1:{port}/__write?n={n}", method="POST", data=b"")
                    with urllib.request.urlopen(req, timeout=10) as r:
                        if r.status == 200 and json.loads(r.read())["ok"] == n:
                            with lock:
                                acknowledged.add(n)
                except (OSError, http.client.HTTPException, ValueError):
                    return  # the server is gone

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
        for t in threads:
            t.start()
        deadline = time.time() + 30
        while len(acknowledged) < 150 and time.time() < deadline:
            time.sleep(0.05)
        os.kill(server.pid, signal.SIGKILL)  # mid-write: eight requests are in flight
        server.wait(timeout=10)
        stop.set()
        for t in threads:
            t.join(timeout=15)
        return acknowledged, attempted
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        if server.stdout is not None:
            server.stdout.close()


def _check(engine_url: str, acknowledged: set[str], attempted: int) -> None:
    engine = create_engine(engine_url)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
            rows = conn.execute(
                text("SELECT object_id, count(*) FROM audit_event WHERE action = 'crash.test' GROUP BY object_id")
            ).all()
    finally:
        engine.dispose()
    stored = {n: c for n, c in rows}
    assert len(acknowledged) >= 150, "the load did not get going"
    assert acknowledged <= set(stored), f"acknowledged writes lost: {sorted(acknowledged - set(stored))[:10]}"
    assert all(c == ROWS_PER_WRITE for c in stored.values()), "a transaction was half-written"
    assert len(stored) <= attempted


def test_sigkill_mid_write_loses_no_acknowledged_write_sqlite(tmp_path: Path) -> None:
    acknowledged, attempted = _hammer_then_kill(tmp_path, "")
    # Opened without SpatiaLite: recovery of the WAL is plain SQLite's job.
    _check(f"sqlite:///{tmp_path / 'instance' / 'odekake.sqlite3'}", acknowledged, attempted)


@pytest.mark.postgis
@pytest.mark.skipif(not POSTGIS_URL, reason="set ODEKAKE_TEST_POSTGIS_URL (make test does)")
def test_sigkill_mid_write_loses_no_acknowledged_write_postgis(tmp_path: Path) -> None:
    name = f"odekake_crash_{os.getpid()}"
    base = POSTGIS_URL.rsplit("/", 1)[0]
    psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-q"]
    subprocess.run([*psql, "-d", "postgres", "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=True, capture_output=True)
    subprocess.run([*psql, "-d", "postgres", "-c", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    try:
        subprocess.run([*psql, "-d", name, "-c", "CREATE EXTENSION postgis"], check=True, capture_output=True)
        acknowledged, attempted = _hammer_then_kill(tmp_path, f"{base}/{name}")
        _check(f"{base}/{name}", acknowledged, attempted)
    finally:
        subprocess.run([*psql, "-d", "postgres", "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], capture_output=True)
