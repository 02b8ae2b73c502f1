"""Staff import page: admin:import only, upload → dry-run table → confirm, CSRF, size cap (413)."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.helpers import csrf_token, login
from webapp.listings.models.activity import Activity
from webapp.security.models import AuditEvent

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"
URL = "/staff/import"
_CONFIRM = re.compile(r'action="(/staff/import/[A-Za-z0-9_-]+/confirm)"')


pytestmark = pytest.mark.usefixtures("own_index")  # a throw-away index (tests/conftest.py)


def _count(session: Session, source: str) -> int:
    return session.scalar(select(func.count()).select_from(Activity).where(Activity.source == source)) or 0


def _upload(client: FlaskClient, data: bytes, name: str = "kayoi.csv", fmt: str = "municipal-csv", source: str = "kayoi", **extra: str):  # type: ignore[no-untyped-def]
    token = csrf_token(client, URL)
    form = {"csrf_token": token, "format": fmt, "source": source, "file": (io.BytesIO(data), name), **extra}
    return client.post(URL, data=form, content_type="multipart/form-data")


def test_only_import_admins(client: FlaskClient, make_user) -> None:  # type: ignore[no-untyped-def]
    assert client.get(URL).status_code == 302  # anonymous → login
    make_user("mod@example.jp", "moderator")
    login(client, "mod@example.jp")
    assert client.get(URL).status_code == 403


def test_preview_then_confirm(client: FlaskClient, make_user, session: Session, own_index) -> None:  # type: ignore[no-untyped-def]
    make_user("admin@example.jp", "admin")
    login(client, "admin@example.jp")
    page = client.get(URL)
    assert page.status_code == 200 and "オープンデータの取り込み" in page.get_data(as_text=True)
    assert page.headers.get("Cache-Control", "").find("no-store") >= 0

    preview = _upload(client, (FIXTURES / "kayoi_utf8bom_crlf.csv").read_bytes())
    body = preview.get_data(as_text=True)
    assert preview.status_code == 200, body[:500]
    assert "取り込みの確認" in body and "11行目「名称」: 名称がありません" in body
    assert _count(session, "kayoi") == 0  # the preview wrote nothing
    action = _CONFIRM.search(body)
    assert action

    # Confirm without a CSRF token is refused and changes nothing.
    assert client.post(action.group(1)).status_code == 400
    assert _count(session, "kayoi") == 0

    token = csrf_token(client, URL)
    done = client.post(action.group(1), data={"csrf_token": token})
    assert done.status_code == 200
    assert "取り込みました" in done.get_data(as_text=True)
    assert _count(session, "kayoi") == 4
    assert session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "import")) == 1
    assert own_index.doc_count() == 3  # indexed after commit: the published ones (K004 is a draft)
    # The stored upload is gone: confirming twice is a 404, not a second import.
    token = csrf_token(client, URL)
    assert client.post(action.group(1), data={"csrf_token": token}).status_code == 404


def test_preview_in_english_and_unreadable_file(client: FlaskClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("admin@example.jp", "admin")
    login(client, "admin@example.jp")
    client.get("/?lang=en")
    preview = _upload(client, (FIXTURES / "kayoi_utf8bom_crlf.csv").read_bytes())
    assert "Row 11, column 名称: name is missing" in preview.get_data(as_text=True)
    bad = _upload(client, b"\x00\x01\x02", name="x.csv")
    assert bad.status_code == 400
    assert "could not be read" in bad.get_data(as_text=True)


def test_an_unreadable_file_is_named_as_uploaded(client: FlaskClient, make_user) -> None:  # type: ignore[no-untyped-def]
    """The reason names the person's file, not the name it was stored under for the preview."""
    make_user("admin@example.jp", "admin")
    login(client, "admin@example.jp")
    members = io.BytesIO()
    with zipfile.ZipFile(members, "w") as archive:
        for i in range(300):
            archive.writestr(f"layer{i}.kml", "<kml/>")
    bad = _upload(client, members.getvalue(), name="市の地図.kmz", fmt="kml", source="citymap")
    body = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "市の地図.kmz" in body
    assert "upload." not in body


def test_bad_form_and_other_users_token(client: FlaskClient, make_user, app) -> None:  # type: ignore[no-untyped-def]
    make_user("admin@example.jp", "admin")
    make_user("admin2@example.jp", "admin")
    login(client, "admin@example.jp")
    assert _upload(client, b"x", source="manual").status_code == 400
    assert _upload(client, b"x", source="日本語").status_code == 400
    preview = _upload(client, (FIXTURES / "kosodate_cp932.csv").read_bytes(), name="k.csv", source="kosodate")
    action = _CONFIRM.search(preview.get_data(as_text=True))
    assert action
    other = app.test_client()
    login(other, "admin2@example.jp")
    assert other.post(action.group(1), data={"csrf_token": csrf_token(other, URL)}).status_code == 404
    assert other.post("/staff/import/short/confirm", data={"csrf_token": csrf_token(other, URL)}).status_code == 404


def test_upload_over_the_cap_is_413(client: FlaskClient, make_user, app) -> None:  # type: ignore[no-untyped-def]
    make_user("admin@example.jp", "admin")
    login(client, "admin@example.jp")
    cap = app.config["MAX_CONTENT_LENGTH"]
    # A raw body (not a files dict): the test client would spool a dict this big to a temp file.
    body = b"--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n\r\n" + b"a" * cap
    response = client.post(URL, data=body, content_type="multipart/form-data; boundary=x")
    assert response.status_code == 413
    assert "ファイルが大きすぎます" in response.get_data(as_text=True)
