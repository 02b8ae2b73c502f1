"""Rate limits counted in the database (ratelimit_storage_uri = "db://", the production default
without Redis): every worker and node counts against one limit, a window ends on time, old counters
are purged, and the consult form's limit still answers with its translated 429 page.
SpatiaLite (counters in a file beside the database) and PostGIS.

Workers are separate processes, as under gunicorn: flask-limiter keeps one storage per process,
so two apps in this process would share it whatever the setting (see test_shared_rate_limits.py).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Engine, delete, func, select

from tests.conftest import Clock
from webapp import clock as webapp_clock
from webapp.config import load_settings
from webapp.security.models import RateLimitHit
from webapp.security.rate_limits import DatabaseStorage, counter_engine, counter_file, purge_expired

ROOT = Path(__file__).resolve().parent.parent.parent
T = RateLimitHit.__table__

WORKER = """
import json, logging, re, sys
from cryptography.fernet import Fernet
from webapp import create_app

instance, database_url, storage, site_key, env, count, query = sys.argv[1:8]
records = []
handler = logging.Handler()
handler.emit = lambda record: records.append((record.levelname, record.getMessage()))
logging.getLogger().addHandler(handler)
config = {"instance_dir": instance, "env": env, "database_url": database_url, "site_key": site_key}
if storage != "-":
    config["ratelimit_storage_uri"] = storage
if env == "production":
    config.update(secret_key="s" * 48, encryption_key=Fernet.generate_key().decode(), base_url="https://localhost")
app = create_app(config)
from webapp.extensions import limiter
client = app.test_client()
statuses, body = [], ""
for _ in range(int(count)):
    page = client.get("/consult/request" + query).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    # No name and no consent: the form comes back with its errors (400), and the post counts.
    answer = client.post("/consult/request" + query, data={"csrf_token": token, "name": "", "contact": "x"})
    statuses.append(answer.status_code)
    body = answer.get_data(as_text=True)
print(json.dumps({"statuses": statuses, "body": body, "logs": records, "storage": type(limiter.storage).__name__}))
"""


@pytest.fixture()
def database_url(_backend_app: tuple[Flask, Engine]) -> str:
    """The suite's database (at head), as a URL another process can open."""
    return _backend_app[1].url.render_as_string(hide_password=False)


@pytest.fixture()
def site_key(_backend_app: tuple[Flask, Engine]) -> Iterator[str]:
    """A site of this test's own: its counters are removed afterwards (they commit at once)."""
    key = f"t{os.getpid()}-{secrets.token_hex(4)}"
    yield key
    with counter_engine(_backend_app[1]).begin() as conn:
        conn.execute(delete(T).where(T.c.key.startswith(f"{key}:")))


def _worker(tmp_path: Path, database_url: str, storage: str, site_key: str, count: int, *, env: str = "testing",
            query: str = "") -> dict[str, object]:  # fmt: skip
    script = tmp_path / "worker.py"
    script.write_text(WORKER, encoding="utf-8")
    instance = tmp_path / "instance"
    instance.mkdir(exist_ok=True)
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ODEKAKE_")}
    environ["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [sys.executable, str(script), str(instance), database_url, storage, site_key, env, str(count), query],
        capture_output=True, text=True, timeout=180, env=environ, cwd=ROOT, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_two_workers_share_the_consult_forms_limit_and_its_429_page_is_translated(
    tmp_path: Path, database_url: str, site_key: str
) -> None:
    first = _worker(tmp_path, database_url, "db://", site_key, 5)
    assert first["storage"] == "DatabaseStorage" and first["statuses"] == [400] * 5  # 5 per hour, all used
    second = _worker(tmp_path, database_url, "db://", site_key, 1)
    assert second["statuses"] == [429]  # another process: the limit is already used up
    assert "アクセスが集中しています" in str(second["body"])
    english = _worker(tmp_path, database_url, "db://", site_key, 1, query="?lang=en")
    assert english["statuses"] == [429] and "Too many requests" in str(english["body"])


def test_memory_counts_stay_in_their_process(tmp_path: Path, database_url: str, site_key: str) -> None:
    """The control: what the database storage is for (each gunicorn worker would allow 5)."""
    _worker(tmp_path, database_url, "memory://", site_key, 5)
    assert _worker(tmp_path, database_url, "memory://", site_key, 1)["statuses"] == [400]


def test_production_counts_in_the_database_by_default_and_does_not_warn(
    tmp_path: Path, database_url: str, site_key: str
) -> None:
    settings = load_settings({"instance_dir": tmp_path, "env": "production", "database_url": database_url,
                              "secret_key": "s" * 48, "encryption_key": "k", "base_url": "https://odekake.example.jp"},
                             environ={})  # fmt: skip
    assert settings.resolved_ratelimit_storage_uri == "db://" and settings.rate_limits_shared
    done = _worker(tmp_path, database_url, "-", site_key, 0, env="production")
    assert done["storage"] == "DatabaseStorage"
    assert not any("per worker" in text for _level, text in done["logs"]), done["logs"]  # type: ignore[union-attr]


# ── the storage itself ───────────────────────────────────────────────────────────────────────


@pytest.fixture()
def storage(_backend_app: tuple[Flask, Engine], site_key: str) -> DatabaseStorage:
    return DatabaseStorage("db://", key_prefix=f"{site_key}:limits", engine=_backend_app[1])


def test_a_window_counts_then_ends_on_time(storage: DatabaseStorage, clock: Clock) -> None:
    start = webapp_clock.now()
    assert [storage.incr("k", 60) for _ in range(3)] == [1, 2, 3]
    assert storage.get("k") == 3 and storage.get("other") == 0
    assert storage.get_expiry("k") == (start + timedelta(seconds=60)).timestamp()
    clock.set(start + timedelta(seconds=59))
    assert storage.incr("k", 60, amount=2) == 5  # the same window: its end does not move
    clock.set(start + timedelta(seconds=60))
    assert storage.get("k") == 0
    assert storage.incr("k", 60) == 1  # a new window from now
    assert storage.get_expiry("k") == (start + timedelta(seconds=120)).timestamp()
    storage.clear("k")
    assert storage.get("k") == 0 and storage.check()


def test_counting_is_atomic_across_connections(storage: DatabaseStorage) -> None:
    seen: list[int] = []

    def hits() -> None:
        for _ in range(10):
            seen.append(storage.incr("busy", 3600))

    threads = [threading.Thread(target=hits) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(seen) == list(range(1, 41))  # no two hits saw the same count


def test_reset_clears_only_this_sites_counters_and_purge_only_ended_windows(
    _backend_app: tuple[Flask, Engine], storage: DatabaseStorage, site_key: str, clock: Clock
) -> None:
    engine = _backend_app[1]
    other = DatabaseStorage("db://", key_prefix=f"{site_key}x:limits", engine=engine)  # another site
    try:
        storage.incr("a", 60)
        storage.incr("b", 3600)
        other.incr("a", 60)
        assert storage.get("a") == 1 and other.get("a") == 1  # the prefix keeps them apart
        start = webapp_clock.now()
        clock.set(start + timedelta(seconds=61))
        assert purge_expired(engine) >= 2  # both "a" windows ended ("b" has not)
        with counter_engine(engine).connect() as conn:
            mine = conn.scalar(select(func.count()).where(T.c.key.startswith(f"{site_key}:")))
        assert mine == 1 and storage.get("b") == 1
        assert storage.reset() == 1 and storage.get("b") == 0
    finally:
        other.reset()


def test_sqlite_keeps_the_counters_in_a_file_of_their_own(_backend_app: tuple[Flask, Engine], backend: str) -> None:
    """A signed-in POST holds the SQLite database's write lock when its limit is counted."""
    engine = _backend_app[1]
    if backend != "sqlite":
        assert counter_engine(engine) is engine
        return
    side = counter_engine(engine)
    assert side is not engine and Path(side.url.database or "") == counter_file(engine.url.database or "")
    assert Path(side.url.database or "").name == "odekake.ratelimit.sqlite3"
    assert os.stat(side.url.database or "").st_mode & 0o077 == 0  # client addresses are in the keys


# ── several sites on one Redis ───────────────────────────────────────────────────────────────

REDIS = "redis://127.0.0.1:6379/13"


def test_two_sites_on_one_redis_count_apart(tmp_path: Path, database_url: str, site_key: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS)
    other = f"{site_key}-b"
    try:
        assert _worker(tmp_path, database_url, REDIS, site_key, 5)["statuses"] == [400] * 5
        assert _worker(tmp_path, database_url, REDIS, site_key, 1)["statuses"] == [429]
        assert _worker(tmp_path, database_url, REDIS, other, 1)["statuses"] == [400]  # its own count
        mine = [k.decode() for k in client.scan_iter(match=f"{site_key}:*")]
        theirs = [k.decode() for k in client.scan_iter(match=f"{other}:*")]
        assert mine and all(k.startswith(f"{site_key}:limits:") for k in mine)
        assert theirs and all(k.startswith(f"{other}:limits:") for k in theirs)
    finally:
        for pattern in (f"{site_key}:*", f"{other}:*"):
            for key in client.scan_iter(match=pattern):
                client.delete(key)
        client.close()
