"""F19: the SQLite database (it holds case notes) is created 0600 like the keys, and so are its
-wal and -shm files; an existing file readable by others is tightened."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.factories import run

DB_NAME = "odekake.sqlite3"


@pytest.fixture()
def usual_umask() -> Iterator[None]:
    # The usual 022: without the fix SQLite creates the file 0644.
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_db_on_a_fresh_instance_creates_the_database_0600(tmp_path: Path, usual_umask: None) -> None:
    instance = tmp_path / "fresh"
    done = run(instance, "init-db")
    assert done.returncode == 0, done.stderr
    assert oct(_mode(instance / DB_NAME)) == oct(0o600)


def test_wal_and_shm_files_follow_and_an_old_0644_file_is_tightened(tmp_path: Path, usual_umask: None) -> None:
    from webapp.config import load_settings
    from webapp.db import make_engine

    path = tmp_path / DB_NAME
    path.touch(mode=0o644)
    path.chmod(0o644)
    engine = make_engine(load_settings({"instance_dir": tmp_path, "env": "testing"}, environ={}))
    try:
        assert _mode(path) == 0o600
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (n INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
            for suffix in ("-wal", "-shm"):
                side = Path(f"{path}{suffix}")
                assert side.exists() and oct(_mode(side)) == oct(0o600), suffix
    finally:
        engine.dispose()
