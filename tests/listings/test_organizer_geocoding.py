"""Address → point for organizers: the shipped sample table, address variants, and import-geocoder."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from webapp.config import Settings
from webapp.listings.geocoding import clear_cache, geocode, geocoder_dir, import_table
from webapp.service_error import ServiceError

ODEKAKE = str(Path(sys.executable).parent / "odekake")
BLOCK_3 = (34.692278, 135.700199)  # 元町一丁目 3番 in the sample 街区 table


@pytest.fixture()
def settings(tmp_path: Path) -> Iterator[Settings]:
    clear_cache()
    yield replace(Settings(), instance_dir=tmp_path)
    clear_cache()


@pytest.mark.parametrize(
    "address",
    [
        "奈良県生駒市元町1丁目3番5号",
        "奈良県生駒市元町一丁目三番五号",
        "生駒市元町1-3-5",
        "生駒市元町１－３－５",
        "生駒市元町1ー3ー5",
        "〒630-0257 奈良県生駒市元町1丁目3-5 元町ハイツ101",
        "元町1丁目3番",
        "奈良県 生駒市 元町 1-3",
    ],
)
def test_block_level_variants(settings: Settings, address: str) -> None:
    result = geocode(settings, address)
    assert result is not None and result.level == "gaiku"
    assert (result.lat, result.lon) == BLOCK_3


@pytest.mark.parametrize(
    ("address", "level", "matched"),
    [
        ("生駒市元町1丁目", "chome", "奈良県生駒市元町1丁目"),
        ("生駒市元町一丁目999番", "chome", "奈良県生駒市元町1丁目"),
        ("奈良県生駒市大字小明町", "oaza", "奈良県生駒市小明町"),
        ("生駒市字小明町", "oaza", "奈良県生駒市小明町"),
        ("生駒市東新町", "oaza", "奈良県生駒市東新町"),
    ],
)
def test_fallback_levels(settings: Settings, address: str, level: str, matched: str) -> None:
    result = geocode(settings, address)
    assert result is not None and result.level == level and result.matched_text == matched


@pytest.mark.parametrize("address", ["", "   ", "東京都千代田区永田町1-7-1", "生駒市存在しない町1-1", "x" * 301])
def test_unknown_addresses(settings: Settings, address: str) -> None:
    assert geocode(settings, address) is None


def _write_table(path: Path, town: str, lat: str, lon: str) -> None:
    header = '"都道府県コード","都道府県名","市区町村コード","市区町村名","大字町丁目コード","大字町丁目名","緯度","経度","原典資料コード","大字・字・丁目区分コード"'
    row = f'"29","奈良県","29201","奈良市","292010001000","{town}","{lat}","{lon}","1","1"'
    path.write_bytes(f"{header}\r\n{row}\r\n".encode("cp932"))


def test_import_table_replaces_the_sample(settings: Settings, tmp_path: Path) -> None:
    source = tmp_path / "29201_2024.csv"
    _write_table(source, "登大路町", "34.685000", "135.830000")
    written, rows = import_table(settings, source)
    assert rows == 1 and [p.name for p in written] == ["29201_2024.csv"]
    assert (geocoder_dir(settings) / "29201_2024.csv").exists()
    result = geocode(settings, "奈良県奈良市登大路町30")
    assert result is not None and result.level == "oaza" and result.lat == pytest.approx(34.685)
    # the imported table is now the table: the sample city is no longer used
    assert geocode(settings, "生駒市元町1-3") is None


def test_import_zip_as_downloaded(settings: Settings, tmp_path: Path) -> None:
    csv_path = tmp_path / "29201.csv"
    _write_table(csv_path, "登大路町", "34.685000", "135.830000")
    archive = tmp_path / "29201-17.0a.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(csv_path, "29201-17.0a/29201_2024.csv")
        z.writestr("29201-17.0a/readme.txt", "not a table")
    written, _rows = import_table(settings, archive)
    assert [p.name for p in written] == ["29201_2024.csv"]


def test_import_refuses_non_tables(settings: Settings, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("名前,住所\nA,B\n", encoding="utf-8")
    with pytest.raises(ServiceError, match="位置参照情報"):
        import_table(settings, bad)
    assert not geocoder_dir(settings).exists()
    with pytest.raises(ServiceError, match="no such file"):
        import_table(settings, tmp_path / "missing.csv")


def test_import_geocoder_command(tmp_path: Path) -> None:
    source = tmp_path / "29201.csv"
    _write_table(source, "登大路町", "34.685000", "135.830000")
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ODEKAKE_")}
    environ["ODEKAKE_INSTANCE_DIR"] = str(tmp_path / "instance")
    ok = subprocess.run([ODEKAKE, "import-geocoder", str(source)], capture_output=True, text=True, env=environ, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert "1 rows from 1 file(s)" in ok.stdout
    assert (tmp_path / "instance" / "geocoder" / "29201.csv").exists()
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    r = subprocess.run([ODEKAKE, "import-geocoder", str(bad)], capture_output=True, text=True, env=environ, timeout=120)
    assert r.returncode == 2 and "Traceback" not in r.stderr and r.stderr.count("\n") == 1
