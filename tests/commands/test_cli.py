"""The `odekake` console script, run as a real process on a fresh embedded database."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.factories import run


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli")
    assert run(path, "init-db").returncode == 0
    return path


def test_init_and_load_demo_then_duplicate_rejected(instance: Path) -> None:
    first = run(instance, "load-demo")
    assert first.returncode == 0, first.stderr
    assert "サンプル" in first.stdout
    again = run(instance, "load-demo")
    assert again.returncode == 1
    assert again.stderr.count("\n") == 1 and "already loaded" in again.stderr and "Traceback" not in again.stderr
    skip = run(instance, "load-demo", "--if-empty")
    assert skip.returncode == 0 and "already loaded" in skip.stdout
    # init-db is idempotent
    assert run(instance, "init-db").returncode == 0


def test_create_user_and_errors(instance: Path) -> None:
    ok = run(instance, "create-user", "lead@example.jp", "--role", "office_lead", "--office", "生駒市社協",
             "--password-stdin", stdin="a long enough password\n")
    assert ok.returncode == 0, ok.stderr
    for args, stdin, needle in [
        (["create-user", "x@example.jp", "--role", "wizard", "--password-stdin"], "a long enough password\n", "unknown role"),
        (["create-user", "y@example.jp", "--role", "viewer", "--password-stdin"], "short\n", "at least 10"),
        (["create-user", "lead@example.jp", "--role", "viewer", "--password-stdin"], "a long enough password\n", "already exists"),
    ]:
        r = run(instance, *args, stdin=stdin)
        assert r.returncode == 1
        assert needle in r.stderr and "Traceback" not in r.stderr and r.stderr.count("\n") == 1


def test_bad_settings_are_one_line(tmp_path: Path) -> None:
    cases = [
        ({"ODEKAKE_ENV": "production"}, "ODEKAKE_SECRET_KEY is required"),
        ({"ODEKAKE_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/x"}, "cannot connect to the database"),
        ({"ODEKAKE_SPATIALITE_PATH": "/nonexistent/mod_spatialite"}, "cannot load SpatiaLite"),
        ({"ODEKAKE_DATABASE_URL": "mysql://x/y"}, "unsupported database URL"),
    ]
    for env, needle in cases:
        r = run(tmp_path / "i", "init-db", **env)
        assert r.returncode == 2, (env, r.stderr)
        assert needle in r.stderr and "Traceback" not in r.stderr and r.stderr.count("\n") == 1


def test_python_without_extension_loading_is_named() -> None:
    from webapp.db import SpatialiteUnavailable, _spatialite_listener

    class NoExtensions:
        def execute(self, *_: object) -> None:
            raise AssertionError("should stop before using the connection")

    with pytest.raises(SpatialiteUnavailable, match="/usr/bin/python3"):
        _spatialite_listener("mod_spatialite", 1000)(NoExtensions(), None)  # type: ignore[arg-type]
