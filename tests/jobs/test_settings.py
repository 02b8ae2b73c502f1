"""redis_url: one setting for the queue and the shared rate limits (create_app hands the resolved
URI to flask-limiter; tests/security/test_shared_rate_limits.py runs workers against Redis)."""

from __future__ import annotations

from pathlib import Path

import pytest

from webapp.config import ConfigError, load_settings


def test_rate_limits_follow_redis_url_unless_a_storage_is_named(tmp_path: Path) -> None:
    plain = load_settings({"instance_dir": tmp_path, "env": "testing"}, environ={})
    assert plain.resolved_ratelimit_storage_uri == "memory://" and not plain.rate_limits_shared
    shared = load_settings({"instance_dir": tmp_path, "env": "testing"}, environ={"ODEKAKE_REDIS_URL": "redis://127.0.0.1:6379/5"})
    assert shared.resolved_ratelimit_storage_uri == "redis://127.0.0.1:6379/5" and shared.rate_limits_shared
    named = load_settings(
        {"instance_dir": tmp_path, "env": "testing"},
        environ={"ODEKAKE_REDIS_URL": "redis://127.0.0.1:6379/5", "ODEKAKE_RATELIMIT_STORAGE_URI": "memcached://m:11211"},
    )
    assert named.resolved_ratelimit_storage_uri == "memcached://m:11211"


def test_a_redis_url_that_is_not_one_stops_start_up(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="redis_url"):
        load_settings({"instance_dir": tmp_path, "env": "testing"}, environ={"ODEKAKE_REDIS_URL": "127.0.0.1:6379"})
