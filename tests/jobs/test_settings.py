"""redis_url: one setting for the queue and the shared rate limits (create_app hands the resolved
URI to flask-limiter; tests/security/test_shared_rate_limits.py runs workers against Redis)."""

from __future__ import annotations

from pathlib import Path

import pytest

from webapp.config import ConfigError, Settings, load_settings


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


def test_the_site_key_names_the_site_in_shared_services(tmp_path: Path) -> None:
    """Rate-limit keys and the job queue carry it: two sites on one Redis never share either."""
    from rq.job import validate_job_id

    from webapp.jobs.progress import rq_job_id

    def site(**env: str) -> Settings:
        return load_settings({"instance_dir": tmp_path, "env": "testing"}, environ=env)

    pg = {"ODEKAKE_DATABASE_URL": "postgresql://odekake@db.example.internal:5432/odekake"}
    ikoma = site(ODEKAKE_BASE_URL="https://odekake.ikoma.example.jp", **pg)
    assert ikoma.site_key == "odekake-ikoma-example-jp_odekake"
    assert ikoma.job_queue == ikoma.site_key and ikoma.ratelimit_key_prefix == "odekake-ikoma-example-jp_odekake:limits"
    validate_job_id(rq_job_id(ikoma, 12))  # RQ takes the page's job ids
    assert site(ODEKAKE_BASE_URL="https://odekake.ikoma.example.jp", **pg).site_key == ikoma.site_key
    # Another city on the same database server and Redis; staging of the same city.
    nara = site(ODEKAKE_BASE_URL="https://odekake.nara.example.jp",
                ODEKAKE_DATABASE_URL="postgresql://odekake@db.example.internal:5432/nara")  # fmt: skip
    staging = site(ODEKAKE_BASE_URL="https://odekake.ikoma.example.jp", ODEKAKE_DATABASE_URL=pg["ODEKAKE_DATABASE_URL"] + "_staging")
    assert len({ikoma.site_key, nara.site_key, staging.site_key}) == 3
    # Two development checkouts (SQLite files in different places) differ too.
    one = load_settings({"instance_dir": tmp_path / "a", "env": "development"}, environ={})
    two = load_settings({"instance_dir": tmp_path / "b", "env": "development"}, environ={})
    assert one.site_key != two.site_key and one.site_key.startswith("127-0-0-1-5000_odekake-")
    named = site(ODEKAKE_SITE_KEY="ikoma", ODEKAKE_JOB_QUEUE="ikoma-jobs")
    assert (named.site_key, named.job_queue) == ("ikoma", "ikoma-jobs")


@pytest.mark.parametrize("setting", ["ODEKAKE_SITE_KEY", "ODEKAKE_JOB_QUEUE"])
def test_a_site_key_or_queue_rq_cannot_carry_stops_start_up(tmp_path: Path, setting: str) -> None:
    with pytest.raises(ConfigError, match=setting.removeprefix("ODEKAKE_").lower()):
        load_settings({"instance_dir": tmp_path, "env": "testing"}, environ={setting: "odekake:city"})
