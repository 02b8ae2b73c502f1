"""Crash safety: SIGKILL a real server while it writes under load, then check the database.

Every write the server acknowledged (HTTP 200) must be in the database, every transaction must be
all-or-nothing, and the database must pass its integrity check. The server runs the real app
(create_app: WAL + busy_timeout + synchronous=NORMAL on SQLite, the one-commit request boundary)
with one test-only write route added, in a subprocess so it can be killed mid-write.

Each write also publishes a listing and updates the search index after the commit, as the real
publish path does; a kill between the two leaves the index behind the DB. After the kill the real
`odekake reindex --check` CLI must report the drift and repair it until the index agrees with the DB.
"""

from __future__ import annotations

import http.client
import json
import os
import re
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
from datetime import time
from flask import request
from werkzeug.serving import make_server
from webapp import create_app
from webapp.extensions import csrf, db
from webapp.commands.migrate import upgrade_to_head
from webapp.listings.models.activity import Activity
from webapp.listings.models.place import Place
from webapp.signals import activity_changed_after_commit
from webapp.security import audit
from webapp.security.permissions import public
from webapp.listings.spatial import set_location

config = {"instance_dir": sys.argv[1], "env": "testing"}
if sys.argv[3]:
    config["database_url"] = sys.argv[3]
app = create_app(config)
with app.app_context():
    upgrade_to_head()


@public
def write():
    n = request.args["n"]
    session = db.session()
    for part in range(ROWS):
        audit.record(session, "crash.test", "n", n, {"part": part, "pad": "x" * 2000})
    place = Place(source="crash", source_id=n, name=f"会場{n}")
    set_location(place, 34.69, 135.70)
    activity = Activity(
        source="crash", source_id=n, name=f"クラッシュ試験{n}", status="published", place=place,
        schedule_rrule="FREQ=WEEKLY;BYDAY=TU", start_time=time(10), end_time=time(12),
        schedule_text="毎週火曜", cost_yen=0,
    )
    session.add_all([place, activity])
    session.flush()
    activity_changed_after_commit(activity.id)  # indexed after the boundary commits, like a publish
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
    log = (tmp_path / "server.log").open("w")  # read by the assertions below when they fail
    server = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path / "instance"), str(port), database_url],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=log, text=True,
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
        log.flush()
        served = (tmp_path / "server.log").read_text()
        # Eight threads commit and update the index at once: none may lose its index update
        # (a reader opening a table of contents a concurrent commit had just replaced once did).
        assert "search index update failed" not in served, served[-4000:]
        return acknowledged, attempted
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        if server.stdout is not None:
            server.stdout.close()
        log.close()


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


# ── after the crash: `odekake reindex --check` brings search back in line with the DB ──────────

_SUMMARY = re.compile(r"checked (\d+) published activities: (\d+) missing, (\d+) stale, (\d+) extra")

# Run in its own process (the test process's app and db are the suite's): every published
# activity's fingerprint as the DB gives it, and as the index stores it.
AGREEMENT = r"""
import json
from sqlalchemy import select
from webapp import create_app
from webapp.extensions import db
from webapp.listings.models.activity import Activity
from webapp.search.index import activity_source, fingerprint, index_at

app = create_app()
with app.app_context():
    index = index_at(app.extensions["odekake_settings"].resolved_index_dir)
    published = db.session().scalars(select(Activity).where(Activity.status == "published")).all()
    print(json.dumps({
        "db": {str(a.id): fingerprint(activity_source(a)) for a in published},
        "index": {str(k): v for k, v in index.stored().items()},
        "crash": sorted(a.source_id for a in published if a.source == "crash"),
    }))
"""


def _cli_env(tmp_path: Path, database_url: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "ODEKAKE_ENV": "testing"}
    env["ODEKAKE_INSTANCE_DIR"] = str(tmp_path / "instance")
    env.pop("ODEKAKE_DATABASE_URL", None)
    if database_url:
        env["ODEKAKE_DATABASE_URL"] = database_url
    return env


def _odekake(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The installed console script, as an operator runs it after a crash."""
    script = Path(sys.executable).with_name("odekake")
    command = [str(script)] if script.exists() else [sys.executable, "-c", "from webapp.commands import main; main()"]
    return subprocess.run([*command, *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600)


def _drift(output: str) -> tuple[int, int, int]:
    found = _SUMMARY.search(output)
    assert found, output
    return int(found.group(2)), int(found.group(3)), int(found.group(4))


def _lose_index_updates(engine_url: str, tmp_path: Path, acknowledged: set[str]) -> None:
    """Make certain what a kill between commit and index update leaves behind (the kill itself
    may or may not have landed in that window): an edit, an archive and a publish the index missed."""
    from webapp.search.index import SearchIndex

    edited, archived, published = sorted(acknowledged)[:3]
    engine = create_engine(engine_url)
    try:
        with engine.begin() as conn:
            where = "WHERE source = 'crash' AND source_id = :n"
            conn.execute(text(f"UPDATE activity SET name = name || ' 改' {where}"), {"n": edited})
            conn.execute(text(f"UPDATE activity SET status = 'archived' {where}"), {"n": archived})
            dropped = conn.execute(text(f"SELECT id FROM activity {where}"), {"n": published}).scalar_one()
    finally:
        engine.dispose()
    with SearchIndex(tmp_path / "instance" / "index").writer() as w:
        w.delete_by_term("id", str(dropped))


def _reindex_check_repairs(tmp_path: Path, database_url: str, acknowledged: set[str]) -> None:
    env = _cli_env(tmp_path, database_url)
    first = _odekake(env, "reindex", "--check")
    assert first.returncode == 1, first.stdout + first.stderr  # drift found (and repaired)
    print(first.stdout)  # shown with -s: the drift the crash left
    missing, stale, extra = _drift(first.stdout)
    assert missing >= 1 and stale >= 1 and extra >= 1, first.stdout
    assert re.search(r"repaired (\d+) documents", first.stdout), first.stdout
    assert int(re.search(r"repaired (\d+)", first.stdout).group(1)) >= missing + stale + extra  # type: ignore[union-attr]

    again = _odekake(env, "reindex", "--check")
    assert again.returncode == 0, again.stdout + again.stderr
    assert _drift(again.stdout) == (0, 0, 0), again.stdout

    # Checked independently of the CLI's own comparison: same documents, same content.
    probe = subprocess.run(
        [sys.executable, "-c", AGREEMENT], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert probe.returncode == 0, probe.stderr[-2000:]
    state = json.loads(probe.stdout.strip().splitlines()[-1])
    assert state["db"] == state["index"]
    archived = sorted(acknowledged)[1]
    assert acknowledged - {archived} <= set(state["crash"]), "an acknowledged publish is not searchable"


def test_sigkill_mid_write_loses_no_acknowledged_write_sqlite(tmp_path: Path) -> None:
    acknowledged, attempted = _hammer_then_kill(tmp_path, "")
    # Opened without SpatiaLite: recovery of the WAL is plain SQLite's job.
    url = f"sqlite:///{tmp_path / 'instance' / 'odekake.sqlite3'}"
    _check(url, acknowledged, attempted)
    _lose_index_updates(url, tmp_path, acknowledged)
    _reindex_check_repairs(tmp_path, "", acknowledged)


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
        _lose_index_updates(f"{base}/{name}", tmp_path, acknowledged)
        _reindex_check_repairs(tmp_path, f"{base}/{name}", acknowledged)
    finally:
        subprocess.run([*psql, "-d", "postgres", "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], capture_output=True)
