"""Static URLs carry a hash of the file's content (?v=…), so nginx and browsers may keep them a year
(webapp/assets.py, deploy/nginx); a changed file gets a new URL. SpatiaLite and PostGIS."""

from __future__ import annotations

import os
import re
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from webapp.assets import IMMUTABLE, asset_version
from webapp.config import PROJECT_ROOT

STATIC = PROJECT_ROOT / "static"
STATIC_URL = re.compile(r'(?:href|src|data-[a-z-]+)="(/static/[^"?]+)(?:\?v=([0-9a-f]+))?"')


def test_every_static_url_a_page_writes_names_its_content(client: FlaskClient, indexed_city: Session) -> None:
    seen = 0
    for path in ("/", "/?lang=en", "/about", "/auth/login"):
        page = client.get(path).get_data(as_text=True)
        for url, version in STATIC_URL.findall(page):
            filename = url.removeprefix("/static/")
            assert version == asset_version(str(STATIC), filename), (path, url)
            seen += 1
    assert seen >= 5  # the stylesheet, the scripts, the map's lazily loaded Leaflet files


def test_the_app_answers_the_current_fingerprint_as_immutable(client: FlaskClient) -> None:
    version = asset_version(str(STATIC), "css/site.css")
    current = client.get(f"/static/css/site.css?v={version}")
    assert current.status_code == 200 and current.headers["Cache-Control"] == IMMUTABLE
    current.close()
    # An old page's URL after an upgrade, or none: the current file, to be revalidated.
    for url in ("/static/css/site.css?v=000000000000", "/static/css/site.css"):
        answer = client.get(url)
        assert answer.status_code == 200 and "immutable" not in answer.headers.get("Cache-Control", ""), url
        answer.close()


def test_a_changed_file_gets_a_new_version(tmp_path: Path) -> None:
    css = tmp_path / "css" / "x.css"
    css.parent.mkdir()
    css.write_text("body { color: #222; }", encoding="utf-8")
    first = asset_version(str(tmp_path), "css/x.css")
    assert first is not None and len(first) == 12 and asset_version(str(tmp_path), "css/x.css") == first
    css.write_text("body { color: #111; }", encoding="utf-8")
    os.utime(css, ns=(css.stat().st_atime_ns, css.stat().st_mtime_ns + 1_000_000))
    assert asset_version(str(tmp_path), "css/x.css") not in (None, first)
    assert asset_version(str(tmp_path), "css/none.css") is None
    assert asset_version(str(tmp_path), "../x.css") is None  # never outside the folder


def test_a_missing_file_gets_no_version(app: Flask) -> None:
    with app.test_request_context("/"):
        from flask import url_for

        assert url_for("static", filename="css/no-such-file.css") == "/static/css/no-such-file.css"
        assert url_for("static", filename="css/site.css").startswith("/static/css/site.css?v=")
