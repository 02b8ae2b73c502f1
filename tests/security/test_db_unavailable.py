"""The database down: /healthz answers 503 (not 500), the command line exits 2 (not 1), one line."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from tests.factories import run

CLOSED_PORT_URL = "postgresql+psycopg://nobody@127.0.0.1:1/odekake_down"
FIXTURE_CSV = Path(__file__).parents[1] / "fixtures" / "import" / "kayoi_utf8bom_crlf.csv"


@pytest.fixture(params=["postgis", "sqlite"])
def down_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    from webapp import create_app
    from webapp.extensions import db

    # PostgreSQL: nothing listens on port 1.  SQLite: the file's directory does not exist.
    url = CLOSED_PORT_URL if request.param == "postgis" else f"sqlite:///{tmp_path}/missing/dir/odekake.sqlite3"
    app = create_app({"instance_dir": tmp_path / "instance", "env": "testing", "database_url": url})
    engine = db.engine
    try:
        yield app
    finally:
        db.session.remove()
        assert engine is not None
        engine.dispose()


def test_healthz_is_503_when_the_database_is_down(down_app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    response = down_app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "unavailable"
    assert response.headers["Retry-After"] == "30"
    assert "unhandled error" not in caplog.text


def test_healthz_is_200_when_the_database_is_up(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


@pytest.mark.parametrize(
    "args",
    [
        ("import", "municipal-csv", str(FIXTURE_CSV), "--source", "down"),
        ("export", "geojson", "OUT"),
        ("purge-login-attempts",),
    ],
)
def test_cli_exits_2_when_the_database_is_unreachable(tmp_path: Path, args: tuple[str, ...]) -> None:
    args = tuple(str(tmp_path / "out.geojson") if a == "OUT" else a for a in args)
    done = run(tmp_path / "i", *args, ODEKAKE_DATABASE_URL=CLOSED_PORT_URL)
    assert done.returncode == 2, done.stderr
    assert "cannot use the database" in done.stderr and "Connection refused" in done.stderr
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1
