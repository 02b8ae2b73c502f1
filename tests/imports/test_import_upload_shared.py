"""An upload waits in the database between preview and confirm: the confirm may reach another web
node (another instance directory, another disk), and uploads nobody confirmed are forgotten."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.helpers import csrf_token, login
from webapp.imports.uploads import ImportUpload
from webapp.listings.models.activity import Activity

CSV = Path(__file__).resolve().parents[1] / "fixtures" / "import" / "kayoi_utf8bom_crlf.csv"
URL = "/staff/import"
_CONFIRM = re.compile(r'action="(/staff/import/([A-Za-z0-9_-]+)/confirm)"')


pytestmark = pytest.mark.usefixtures("own_index")  # a throw-away index (tests/conftest.py)


def _preview(client: FlaskClient, email: str) -> re.Match[str]:
    login(client, email)
    form = {"csrf_token": csrf_token(client, URL), "format": "municipal-csv", "source": "kayoi",
            "file": (io.BytesIO(CSV.read_bytes()), "サロン一覧.csv")}  # fmt: skip
    preview = client.post(URL, data=form, content_type="multipart/form-data")
    found = _CONFIRM.search(preview.get_data(as_text=True))
    assert found, preview.get_data(as_text=True)[:500]
    return found


def test_the_confirm_is_answered_by_another_node(
    app: Flask, client: FlaskClient, make_user, session: Session, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    make_user("admin-nodes@example.jp", "admin")
    found = _preview(client, "admin-nodes@example.jp")
    stored = session.get(ImportUpload, found.group(2))
    assert stored is not None and stored.content == CSV.read_bytes()
    assert stored.meta["filename"] == "サロン一覧.csv" and stored.meta["total_rows"] > 0
    # Node B: same database, its own instance directory (nothing of node A's disk).
    settings = app.extensions["odekake_settings"]
    app.extensions["odekake_settings"] = replace(settings, instance_dir=tmp_path / "node-b")
    try:
        done = client.post(found.group(1), data={"csrf_token": csrf_token(client, URL)})
    finally:
        app.extensions["odekake_settings"] = settings
    assert done.status_code == 200, done.get_data(as_text=True)[:500]
    assert "取り込みました" in done.get_data(as_text=True)
    count = session.scalar(select(func.count()).select_from(Activity).where(Activity.source == "kayoi"))
    assert count and count > 0
    session.expire_all()
    assert session.get(ImportUpload, found.group(2)) is None  # gone with the import's commit


def test_only_the_uploader_confirms_and_old_uploads_are_forgotten(
    client: FlaskClient, make_user, session: Session, clock  # type: ignore[no-untyped-def]
) -> None:
    make_user("admin-nodes@example.jp", "admin")
    make_user("other-admin@example.jp", "admin")
    found = _preview(client, "admin-nodes@example.jp")
    login(client, "other-admin@example.jp")
    assert client.post(found.group(1), data={"csrf_token": csrf_token(client, URL)}).status_code == 404
    clock.set(datetime(2026, 12, 5, 20, 31, tzinfo=UTC))  # a day and a minute after the fixture's moment
    _preview(client, "other-admin@example.jp")  # the next upload sweeps those older than a day
    session.expire_all()
    assert session.get(ImportUpload, found.group(2)) is None
    assert session.scalar(select(func.count()).select_from(ImportUpload)) == 1
