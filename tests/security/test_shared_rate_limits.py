"""F20 (Security round 2): with ratelimit_storage_uri = redis://… every worker counts against the
same limit; production without it warns at start-up that limits are per worker.

Workers are separate processes here, as under gunicorn (the Limiter object is one per process, so
two apps in this process would share it whatever the storage). Redis must run on 127.0.0.1:6379
(.ci/run starts it); these tests do not skip without it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REDIS = "redis://127.0.0.1:6379/15"
ROOT = Path(__file__).resolve().parent.parent.parent

WORKER = """
import json, logging, sys
from cryptography.fernet import Fernet
from webapp import create_app

instance, storage, env, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
records = []
handler = logging.Handler()
handler.emit = lambda record: records.append((record.levelname, record.getMessage()))
logging.getLogger().addHandler(handler)
config = {"instance_dir": instance, "env": env, "ratelimit_storage_uri": storage}
if env == "production":
    config.update(secret_key="s" * 48, encryption_key=Fernet.generate_key().decode(),
                  database_url="sqlite:///" + instance + "/prod.sqlite3", base_url="https://localhost")
app = create_app(config)
client = app.test_client()
# /auth/verify/<token> is limited to 30 per hour and needs no table for a bad token.
statuses = [client.get("/auth/verify/not-a-token", base_url="https://localhost").status_code for _ in range(count)]
print(json.dumps({"statuses": statuses, "logs": records}))
"""


def _worker(tmp_path: Path, storage: str, count: int, env: str = "testing") -> dict[str, list]:  # type: ignore[type-arg]
    script = tmp_path / "worker.py"
    script.write_text(WORKER, encoding="utf-8")
    instance = tmp_path / "instance"
    instance.mkdir(exist_ok=True)
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ODEKAKE_")}
    environ["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [sys.executable, str(script), str(instance), storage, env, str(count)],
        capture_output=True, text=True, timeout=120, env=environ, cwd=ROOT, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


@pytest.fixture()
def redis_db() -> str:
    import redis

    client = redis.Redis.from_url(REDIS)
    client.flushdb()  # db 15 is this test's own
    try:
        yield REDIS  # type: ignore[misc]
    finally:
        client.flushdb()
        client.close()


def test_two_workers_share_one_count_in_redis(tmp_path: Path, redis_db: str) -> None:
    first = _worker(tmp_path, redis_db, 30)
    assert set(first["statuses"]) == {400}  # a bad link, within the limit
    second = _worker(tmp_path, redis_db, 1)
    assert second["statuses"] == [429]  # another worker: the limit is already used up


def test_production_with_per_worker_limits_warns(tmp_path: Path) -> None:
    logs = _worker(tmp_path, "memory://", 0, env="production")["logs"]
    assert any(level == "WARNING" and "per worker" in text for level, text in logs), logs
    shared = _worker(tmp_path, REDIS, 0, env="production")["logs"]
    assert not any("per worker" in text for _level, text in shared), shared
