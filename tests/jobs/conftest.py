"""Jobs tests use the real Redis on 127.0.0.1:6379, database 5 (this area's own; .ci/run's machine
starts Redis). They do not skip without it in CI."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace

import pytest
from flask import Flask

REDIS_URL = os.environ.get("ODEKAKE_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")


@pytest.fixture()
def redis_url() -> Iterator[str]:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {REDIS_URL}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    client.flushdb()  # database 5 belongs to these tests
    try:
        yield REDIS_URL
    finally:
        client.flushdb()
        client.close()


@pytest.fixture()
def queued_app(app: Flask, redis_url: str) -> Iterator[Flask]:
    """The test app with redis_url set: jobs go to the queue instead of running inline."""
    original = app.extensions["odekake_settings"]
    app.extensions["odekake_settings"] = replace(original, redis_url=redis_url, job_queue="odekake-test")
    try:
        yield app
    finally:
        app.extensions["odekake_settings"] = original
        for queue in app.extensions.pop("odekake_job_queue", {}).values():
            queue.connection.close()


def burst(app: Flask) -> int:
    """Run every queued job in this process (rq's SimpleWorker, burst mode); returns how many were taken."""
    from rq import SimpleWorker

    from webapp.config import settings
    from webapp.jobs import job_queue

    with app.app_context():
        queue = job_queue(settings())
        waiting = queue.count
        worker = SimpleWorker([queue], connection=queue.connection)
        worker.work(burst=True, logging_level="WARNING")
        return int(waiting - queue.count)
