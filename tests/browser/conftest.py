"""Browser test fixtures, shared by every area: a live server and Debian's chromium via Playwright.

- ``live_server``: the app served by werkzeug on 127.0.0.1:<free port> in a thread, against a
  fresh SpatiaLite database in a temporary instance directory, with the sample city loaded.
  ``live_server.url`` is the base URL, ``live_server.app`` the Flask app.
- ``browser``: headless chromium (``/usr/bin/chromium``; never ``playwright install``).
- ``new_context(**options)``: a browser context that can only reach 127.0.0.1 (every other
  request, e.g. map tiles, is aborted at once instead of hanging); options are Playwright's
  ``new_context`` options (viewport, locale, geolocation, permissions, java_script_enabled ...).
- ``page``: a page in a desktop-sized context; ``phone_page``: 390×844, touch, mobile.
- ``artifacts``: the ``test-artifacts/`` directory (gitignored) for screenshots and downloads.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine

CHROMIUM = os.environ.get("ODEKAKE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@dataclass
class LiveServer:
    url: str
    app: Flask
    engine: Engine

    def __call__(self, path: str = "/") -> str:
        return self.url + path


def _build_search_index(app: Flask) -> None:
    """Index the sample city so keyword searches go through the search service, as in production."""
    try:
        from webapp.search.index import current_index
        from webapp.search.sync import rebuild
    except ImportError:
        return
    from webapp.extensions import db

    with app.app_context():
        rebuild(db.session(), current_index())
        db.session.remove()


def _buffered(app: Any) -> Any:
    """The app's response read whole and closed before the dev server writes it.

    werkzeug's dev server skips ``close()`` on the response when the browser drops the connection
    mid-body (a navigation away from a page still loading Leaflet): the static file stays open, and
    its ResourceWarning surfaces in whichever later test the garbage collector runs in.
    """

    def wsgi(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()

    return wsgi


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    from werkzeug.serving import make_server

    from webapp import create_app
    from webapp.commands.migrate import upgrade_to_head
    from webapp.extensions import db
    from webapp.listings.demo import load_sample_city

    instance = tmp_path_factory.mktemp("live-instance")
    app = create_app({"instance_dir": instance, "env": "testing"})
    engine = db.engine
    assert engine is not None
    with app.app_context():
        upgrade_to_head()
        with db.transaction() as session:
            load_sample_city(session)
        _build_search_index(app)
    server = make_server("127.0.0.1", 0, _buffered(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", app, engine)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        engine.dispose()


@pytest.fixture(autouse=True)
def _live_database(request: pytest.FixtureRequest) -> None:
    # The db object is process-wide; other suites' fixtures re-point it at their own engine.
    if "live_server" in request.fixturenames:
        from webapp.extensions import db

        server: LiveServer = request.getfixturevalue("live_server")
        db.configure(server.engine)


@pytest.fixture(scope="session")
def _playwright() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(_playwright: Any) -> Iterator[Any]:
    b = _playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    try:
        yield b
    finally:
        b.close()


def _only_local(route: Any) -> None:
    host = route.request.url.split("//", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    if host == "127.0.0.1" or route.request.url.startswith(("data:", "blob:")):
        route.continue_()
    else:
        route.abort()


@pytest.fixture()
def new_context(browser: Any) -> Iterator[Callable[..., Any]]:
    contexts: list[Any] = []

    def make(**options: Any) -> Any:
        options.setdefault("locale", "ja-JP")
        options.setdefault("timezone_id", "Asia/Tokyo")
        context = browser.new_context(**options)
        context.set_default_timeout(15_000)
        context.route("**/*", _only_local)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture()
def page(new_context: Callable[..., Any]) -> Any:
    return new_context(**DESKTOP).new_page()


@pytest.fixture()
def phone_page(new_context: Callable[..., Any]) -> Any:
    return new_context(**PHONE).new_page()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS

