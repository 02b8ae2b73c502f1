"""F8 through the two doors: the admin upload shows the cap as the reason, the command line exits 2
(the readers' own caps are tested in tests/unit/importers/test_import_bombs.py)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from importers import textfile
from tests.factories import run
from tests.helpers import csrf_token, login
from webapp.listings.models.activity import Activity


def _many_member_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for i in range(textfile.MAX_ZIP_MEMBERS + 10):
            zf.writestr(f"t{i}.csv", "id,name\n")
    return buffer.getvalue()


def _huge_member_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("services.csv", "id,name\ns1,サロン\n")
        with zf.open("locations.csv", "w", force_zip64=True) as member:
            for _ in range(40):
                member.write(b"\0" * (1 << 20))
    return buffer.getvalue()


@pytest.mark.parametrize("lang, needle", [("ja", "中のファイルが多すぎます"), ("en", "too many files inside")])
def test_admin_upload_of_a_zip_bomb_is_refused_with_the_reason(
    client: FlaskClient, make_user, session: Session, lang: str, needle: str  # type: ignore[no-untyped-def]
) -> None:
    make_user("admin@example.jp", "admin")
    login(client, "admin@example.jp")
    url = "/staff/import" + ("?lang=en" if lang == "en" else "")
    token = csrf_token(client, url)
    form = {"csrf_token": token, "format": "hsds", "source": "bomb", "file": (io.BytesIO(_many_member_zip()), "hsds.zip")}
    response = client.post(url, data=form, content_type="multipart/form-data")
    assert response.status_code == 400
    assert needle in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Activity).where(Activity.source == "bomb")) == 0


def test_cli_import_of_a_zip_bomb_exits_2_with_the_reason(tmp_path: Path) -> None:
    instance = tmp_path / "inst"
    assert run(instance, "init-db").returncode == 0
    bomb = tmp_path / "hsds.zip"
    bomb.write_bytes(_huge_member_zip())
    done = run(instance, "import", "hsds", str(bomb), "--source", "bomb")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "too large once expanded" in done.stderr and "展開すると大きすぎます" in done.stderr
    assert done.stderr.count("\n") == 1
