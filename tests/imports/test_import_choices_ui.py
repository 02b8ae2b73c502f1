"""Staff import page, issue 21: every header guess shown with a way to change it; 「この一覧の種別」;
the confirmed choices are saved for the source and used by its next upload."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.helpers import csrf_token, login
from webapp.listings.models.activity import Activity

CITY = Path(__file__).resolve().parents[1] / "fixtures" / "import" / "city"
URL = "/staff/import"
_CHOICES = re.compile(r'action="(/staff/import/[A-Za-z0-9_-]+/choices)"')
_CONFIRM = re.compile(r'action="(/staff/import/[A-Za-z0-9_-]+/confirm)"')


@pytest.fixture(autouse=True)
def _own_index_and_instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, app: Flask):  # type: ignore[no-untyped-def]
    from webapp.search.index import SearchIndex

    index = SearchIndex(tmp_path / "index")
    monkeypatch.setattr("webapp.search.index.current_index", lambda: index)
    # Saved choices go to this test's own instance directory.
    monkeypatch.setattr("webapp.imports.source_settings.current_settings",
                        lambda: type("S", (), {"instance_dir": tmp_path})())
    return tmp_path


def _upload(client: FlaskClient, path: Path, source: str):  # type: ignore[no-untyped-def]
    form = {"csrf_token": csrf_token(client, URL), "format": "municipal-csv", "source": source,
            "file": (io.BytesIO(path.read_bytes()), path.name)}
    return client.post(URL, data=form, content_type="multipart/form-data")


def _fields(body: str) -> dict[str, str]:
    """name → value of the hidden colname/catname inputs, for posting choices back."""
    return dict(re.findall(r'name="((?:colname|colhow|colwas|catname)-\d+)" value="([^"]*)"', body))


def test_header_guesses_are_shown_and_can_be_changed(client: FlaskClient, make_user, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    make_user("admin@example.jp", "admin")
    login(client, "admin@example.jp")
    body = _upload(client, CITY / "pref_own_headers.csv", "pref").get_data(as_text=True)
    assert "列の読み取り" in body and "推定（確からしさ 74%）" in body
    assert '<option value="name" selected>名称</option>' in body
    hidden = _fields(body)
    index = next(k for k, v in hidden.items() if v.startswith("運営団体名")).removeprefix("colname-")
    # Every select posts its value, as a browser does: unchanged ones keep what they showed.
    selects = {f"col-{k.removeprefix('colwas-')}": v for k, v in hidden.items() if k.startswith("colwas-")}
    form = {**hidden, **selects, "csrf_token": csrf_token(client, URL), f"col-{index}": "place_name", "category_mode": "file"}
    again = client.post(_CHOICES.search(body).group(1), data=form)  # type: ignore[union-attr]
    text = again.get_data(as_text=True)
    assert again.status_code == 200 and "保存した対応" in text
    done = client.post(_CONFIRM.search(text).group(1), data={"csrf_token": csrf_token(client, URL)})  # type: ignore[union-attr]
    assert done.status_code == 200
    saved = (tmp_path / "import-sources" / "pref.toml").read_text(encoding="utf-8")
    assert '"運営団体名" = "place_name"' in saved
    assert '"開催日時"' not in saved  # read by its exact name and left alone: not a mapping
    assert r'"子ども食堂\r\n名称" = "name"' in saved  # a guess confirmed (the cell's line break, TOML-escaped)
    # The next upload of this source reads the column as chosen, without asking again.
    second = _upload(client, CITY / "pref_own_headers.csv", "pref").get_data(as_text=True)
    assert '<option value="place_name" selected>場所名称</option>' in second


def test_list_category_choice_publishes_a_childcare_list(
    client: FlaskClient, make_user, session: Session, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    make_user("admin@example.jp", "admin")
    login(client, "admin@example.jp")
    body = _upload(client, CITY / "hoikusho_list.csv", "hoiku").get_data(as_text=True)
    assert "この一覧の種別" in body and "認可保育所" in body
    form = {**_fields(body), "csrf_token": csrf_token(client, URL), "category_mode": "every", "category_every": "parenting"}
    again = client.post(_CHOICES.search(body).group(1), data=form).get_data(as_text=True)  # type: ignore[union-attr]
    assert "に対応する分類がありません" not in again
    client.post(_CONFIRM.search(again).group(1), data={"csrf_token": csrf_token(client, URL)})  # type: ignore[union-attr]
    rows = session.scalars(select(Activity).where(Activity.source == "hoiku")).all()
    assert {(a.category, a.status) for a in rows} == {("parenting", "published")}
    assert 'category = "parenting"' in (tmp_path / "import-sources" / "hoiku.toml").read_text(encoding="utf-8")


def test_preview_in_english_names_the_choices(client: FlaskClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("admin@example.jp", "admin")
    login(client, "admin@example.jp")
    client.get(URL + "?lang=en")
    body = _upload(client, CITY / "koukyou_shisetsu_cp932.csv", "koukyou").get_data(as_text=True)
    assert "How the columns were read" in body and "What this list is" in body
    assert "Closures added to the schedule" in body and "Conditional (to be checked)" in body
