"""`odekake reindex` sets the node's feed position; `feed-status` and `feed-purge` (real processes)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.factories import run
from webapp.changefeed.tailer import read_position


def test_reindex_sets_the_position_then_status_and_purge(tmp_path: Path) -> None:
    assert run(tmp_path, "init-db").returncode == 0
    assert run(tmp_path, "load-demo").returncode == 0
    status = run(tmp_path, "feed-status")
    assert status.returncode == 1 and "no position" in status.stdout

    assert run(tmp_path, "reindex", "--quiet").returncode == 0
    with sqlite3.connect(tmp_path / "odekake.sqlite3") as conn:
        newest = conn.execute("SELECT max(id) FROM change_log").fetchone()[0]
        assert newest > 0
    pos = read_position(tmp_path / "index")
    assert pos is not None and pos.last_id == newest
    status = run(tmp_path, "feed-status")
    assert status.returncode == 0 and "0 behind" in status.stdout, status.stdout + status.stderr

    with sqlite3.connect(tmp_path / "odekake.sqlite3") as conn:
        conn.execute("UPDATE change_log SET changed_at = '2020-01-01 00:00:00'")
        conn.execute("UPDATE activity SET name = name || '（改）' WHERE id = (SELECT min(id) FROM activity)")
    status = run(tmp_path, "feed-status")
    assert status.returncode == 1 and "1 behind" in status.stdout

    purged = run(tmp_path, "feed-purge", "--days", "7")
    assert purged.returncode == 0, purged.stderr
    assert f"removed {newest} change-log rows" in purged.stdout
    with sqlite3.connect(tmp_path / "odekake.sqlite3") as conn:
        # The rename's row is recent; ids go on from where they were (never reused).
        assert conn.execute("SELECT id FROM change_log").fetchall() == [(newest + 1,)]
