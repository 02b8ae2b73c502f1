"""Two app processes, each with its own index directory, on one PostGIS database: a change made
through node A (an import by A's command line, an edit committed by another client) is found by a
search on node B within 2 s — B follows the change log (LISTEN/NOTIFY), nothing is run by hand."""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.factories import ODEKAKE, POSTGIS_URL, fresh_postgis_database, run

pytestmark = pytest.mark.skipif(not POSTGIS_URL, reason="set ODEKAKE_TEST_POSTGIS_URL to run PostGIS tests")

PORTS = {"a": 5106, "b": 5116}
VISIBLE_WITHIN_S = 2.0
CSV = (
    "ID,名称,名称_カナ,種別,所在地_連結表記,緯度,経度,開催日時,料金\r\n"
    "F001,ふくろう将棋サロン,フクロウショウギサロン,ふれあい・いきいきサロン,奈良県生駒市東新町８－３８,"
    "34.6918,135.7007,毎週火曜日 10時～11時半,無料\r\n"
)


def _env(instance: Path, url: str) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ODEKAKE_")}
    environ.update(ODEKAKE_INSTANCE_DIR=str(instance), ODEKAKE_DATABASE_URL=url, ODEKAKE_ENV="development")
    return environ


def _search(port: int, q: str) -> list[dict[str, object]]:
    url = f"http://127.0.0.1:{port}/api/v1/activities?" + urllib.parse.urlencode({"q": q, "per_page": 50})
    with urllib.request.urlopen(url, timeout=5) as response:
        items: list[dict[str, object]] = json.load(response)["items"]
        return items


def _wait_for(check, timeout: float) -> float:  # type: ignore[no-untyped-def]
    """Poll ``check()`` until true; seconds it took (fails after ``timeout``)."""
    start = time.monotonic()
    while True:
        try:
            if check():
                return time.monotonic() - start
        except OSError:
            pass  # server still starting
        if time.monotonic() - start > timeout:
            pytest.fail(f"not true within {timeout} s")
        time.sleep(0.05)


@pytest.fixture()
def nodes(tmp_path: Path) -> Iterator[tuple[str, dict[str, Path]]]:
    with fresh_postgis_database("odekake_test_feed_nodes") as url:
        instances = {name: tmp_path / f"node-{name}" for name in PORTS}
        for name, step in (("a", "init-db"), ("a", "load-demo")):
            result = run(instances[name], step, ODEKAKE_DATABASE_URL=url)
            assert result.returncode == 0, result.stderr
        logs = {name: open(tmp_path / f"node-{name}.log", "wb") for name in PORTS}  # noqa: SIM115
        procs = [
            subprocess.Popen(
                [ODEKAKE, "run", "--no-reload", "--port", str(port)],
                env=_env(instances[name], url), stdout=subprocess.DEVNULL, stderr=logs[name],
            )
            for name, port in PORTS.items()
        ]
        try:
            for name, port in PORTS.items():
                # The first request starts the node's tailer; it builds its index and position.
                _wait_for(lambda port=port: _search(port, "サロン"), timeout=120)
                _wait_for(lambda name=name: (instances[name] / "index.feed.json").exists(), timeout=120)
            yield url, instances
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            for name, log in logs.items():
                log.close()
                # Shown by pytest when the test fails: the nodes' own account.
                lines = (tmp_path / f"node-{name}.log").read_text(errors="replace").splitlines()
                print(f"--- node {name} ---", *[x for x in lines if '"GET ' not in x][-40:], sep="\n")
            create_engine(url).dispose()


def test_a_change_through_node_a_is_found_on_node_b(nodes: tuple[str, dict[str, Path]], tmp_path: Path) -> None:
    url, instances = nodes
    b = PORTS["b"]
    assert not _search(b, "ふくろう")

    # 1. An import through node A's command line (A's own index directory).
    path = tmp_path / "new.csv"
    path.write_text(CSV, encoding="utf-8")
    result = run(instances["a"], "import", "municipal-csv", str(path), "--source", "feedtest", ODEKAKE_DATABASE_URL=url)
    assert result.returncode == 0, result.stdout + result.stderr
    _wait_for(lambda: _search(b, "ふくろう"), timeout=VISIBLE_WITHIN_S)

    # 2. A rename committed by another client (any SQL: the triggers log it): both nodes follow.
    engine = create_engine(url)
    with engine.begin() as conn:
        target = conn.execute(text("SELECT id FROM activity WHERE name = 'ふくろう将棋サロン'")).one()
        conn.execute(text("UPDATE activity SET name = 'かわせみ将棋サロン', name_kana = 'カワセミショウギサロン' WHERE id = :i"), {"i": target.id})
    engine.dispose()
    for port in PORTS.values():
        _wait_for(lambda port=port: _search(port, "かわせみ"), timeout=VISIBLE_WITHIN_S)
