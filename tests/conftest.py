"""Shared fixtures: one app per database backend, a savepoint per test, a real CSRF token helper."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tests.factories import POSTGIS_URL, World, _build_world, fresh_postgis_database
from webapp import clock as webapp_clock

BACKENDS = ["sqlite", "postgis"]

_apps: dict[str, tuple[Flask, Engine]] = {}


def _build_app(backend: str, tmp_root: Path) -> tuple[Flask, Engine]:
    from webapp import create_app
    from webapp.commands.migrate import upgrade_to_head
    from webapp.extensions import db

    instance = tmp_root / f"instance-{backend}"
    config: dict[str, object] = {"instance_dir": instance, "env": "testing"}
    if backend == "postgis":
        if not POSTGIS_URL:
            if os.environ.get("CI"):
                pytest.fail("ODEKAKE_TEST_POSTGIS_URL is not set in CI")
            pytest.skip("set ODEKAKE_TEST_POSTGIS_URL to run PostGIS tests (make test does)")
        config["database_url"] = POSTGIS_URL
    app = create_app(config)
    assert db.engine is not None
    with app.app_context():
        upgrade_to_head()
    return app, db.engine


@pytest.fixture(scope="session")
def _tmp_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("odekake")


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def _backend_app(backend: str, _tmp_root: Path) -> tuple[Flask, Engine]:
    if backend not in _apps:
        _apps[backend] = _build_app(backend, _tmp_root)
    return _apps[backend]


@pytest.fixture()
def app(_backend_app: tuple[Flask, Engine]) -> Iterator[Flask]:
    """The app for this backend, with every test inside an outer transaction rolled back after it."""
    from webapp.extensions import db

    flask_app, engine = _backend_app
    db.configure(engine)
    connection = engine.connect()
    outer = connection.begin()
    db.session_factory.configure(bind=connection, join_transaction_mode="create_savepoint")
    try:
        # No app context is held open here: requests must each get their own `g`, as in production.
        yield flask_app
    finally:
        db.session.remove()
        outer.rollback()
        connection.close()
        db.session_factory.configure(bind=engine, join_transaction_mode="conditional_savepoint")
        from webapp.extensions import limiter

        limiter.reset()


@pytest.fixture()
def app_ctx(app: Flask) -> Iterator[Flask]:
    with app.app_context():
        yield app


@pytest.fixture()
def session(app: Flask) -> Session:
    from webapp.extensions import db

    return db.session()


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture()
def make_user(session: Session):  # type: ignore[no-untyped-def]
    from webapp.accounts.services import create_user

    def _make(email: str, *roles: str, office: str | None = None, password: str = "correct horse battery") -> object:
        return create_user(session, email, password, list(roles), office)

    return _make


def pytest_configure(config: pytest.Config) -> None:
    # Pages are tested in ja and en: build the English catalog from its parts first.
    import importlib.util

    spec = importlib.util.spec_from_file_location("odekake_i18n", Path(__file__).parent.parent / "scripts" / "i18n.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.compile_catalog()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # Close every pooled SpatiaLite connection while the interpreter is whole; letting the garbage
    # collector finalise them at exit aborts inside the extension ("double free").
    for _, engine in _apps.values():
        engine.dispose()


@pytest.fixture()
def own_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """An empty search index of this test's own: what a request indexes after its commit goes there,
    not into the app's index shared by tests (the database side is rolled back, an index would not be)."""
    from webapp.search.index import SearchIndex

    index = SearchIndex(tmp_path / "index")
    monkeypatch.setattr("webapp.search.index.current_index", lambda: index)
    return index


@pytest.fixture()
def indexed_city(session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Session:
    """The sample city, and a search index of exactly it (the app's own index is shared by tests)."""
    from webapp.listings.demo import load_sample_city
    from webapp.search import sync
    from webapp.search.index import SearchIndex
    from webapp.search.service import result_cache

    load_sample_city(session)
    # Committed (the outer test transaction still rolls it back): requests close the scoped session.
    session.commit()
    index = SearchIndex(tmp_path / "index")
    sync.rebuild(session, index)
    monkeypatch.setattr("webapp.search.index.current_index", lambda: index)
    result_cache.clear()
    return session


@pytest.fixture()
def empty_database(backend: str) -> Iterator[str]:
    """A database of its own for migration tests (the suite's is at head): "" for a SQLite file of the
    test's own, or the URL of a fresh PostGIS database, dropped afterwards."""
    if backend == "sqlite":
        yield ""
        return
    if not POSTGIS_URL:
        pytest.skip("set ODEKAKE_TEST_POSTGIS_URL to run PostGIS tests")
    with fresh_postgis_database(f"odekake_migration_{os.getpid()}") as url:
        yield url


@pytest.fixture()
def world(app: Flask, session: Session) -> World:
    # The app context is held only while building: each request must get its own `g` (conftest).
    with app.app_context():
        return _build_world(session)


@pytest.fixture()
def moderator(make_user: Any) -> Any:
    return make_user("mod@example.org", "moderator")


class Clock:
    """A settable clock for webapp.clock: ``clock.set(datetime(2026, 12, 4, 20, 30, tzinfo=UTC))``."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self._monkeypatch = monkeypatch

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("give the clock an aware datetime")
        self._monkeypatch.setattr(webapp_clock, "_now", lambda: moment)


@pytest.fixture()
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Set the app's clock (webapp.clock.now, orm defaults); default 20:30 UTC = 05:30 next day in Japan."""
    c = Clock(monkeypatch)
    c.set(datetime(2026, 12, 4, 20, 30, tzinfo=UTC))
    return c
