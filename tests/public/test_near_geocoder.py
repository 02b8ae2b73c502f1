"""The residents' 「近くで探す」 uses the project geocoder: a table imported with import-geocoder, not
only the shipped sample (it once read the sample files directly, with 生駒市 written into the code)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from webapp.listings.geocoding import clear_cache, geocoder_dir

HEADER = (
    '"都道府県コード","都道府県名","市区町村コード","市区町村名","大字町丁目コード","大字町丁目名","緯度","経度",'
    '"原典資料コード","大字・字・丁目区分コード"'
)


@pytest.fixture()
def imported_table(app: Flask) -> Iterator[None]:
    """A 大字・町丁目 table of another (fictional) town, as `odekake import-geocoder` leaves it."""
    target = geocoder_dir(app.extensions["odekake_settings"])
    target.mkdir(parents=True, exist_ok=True)
    table = target / "29201_2024.csv"
    row = '"29","奈良県","29201","奈良市","292010001000","架空台一丁目","34.6940","135.7000","1","3"'
    table.write_bytes(f"{HEADER}\r\n{row}\r\n".encode("cp932"))
    clear_cache()
    yield
    table.unlink()
    clear_cache()


def test_near_reads_the_imported_table(client: FlaskClient, indexed_city: Session, imported_table: None) -> None:
    r = client.get("/?near=奈良市架空台一丁目&radius=5000")
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    assert "見つかりませんでした" not in r.get_data(as_text=True)
