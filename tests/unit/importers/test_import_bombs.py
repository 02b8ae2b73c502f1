"""F8: zip bombs and runaway sheets are refused from the zip's directory and the first rows.

The bombs are built here.  Every test makes zipfile's member reading fail once the bomb is
written, so "refused" means "refused before anything was expanded"; no timings are asserted.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest

from importers import UnreadableFile, read_hsds, read_kml, read_xlsx, textfile

CHUNK = b"\0" * (1 << 20)


def _huge_member(zf: zipfile.ZipFile, name: str, megabytes: int) -> None:
    # Zeros deflate ~1000:1, as in the bombs of the report (a few hundred KB on disk).
    with zf.open(name, "w", force_zip64=True) as member:
        for _ in range(megabytes):
            member.write(CHUNK)


def _many_members(path: Path, count: int, name: str = "x{}.csv") -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for i in range(count):
            zf.writestr(name.format(i), "id,name\n")
    return path


@pytest.fixture
def no_expanding(monkeypatch: pytest.MonkeyPatch) -> None:
    """After this, reading any member of any zip fails the test."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a zip member was expanded")

    monkeypatch.setattr(zipfile.ZipFile, "open", refuse)


# ── HSDS zip ────────────────────────────────────────────────────────────────────────────────


@pytest.fixture
def many_member_hsds(tmp_path: Path) -> Path:
    return _many_members(tmp_path / "many.zip", textfile.MAX_ZIP_MEMBERS + 50)


def test_hsds_zip_many_members(many_member_hsds: Path, no_expanding: None) -> None:
    with pytest.raises(UnreadableFile, match="too many files") as raised:
        read_hsds(many_member_hsds)
    assert "ZIP" in raised.value.message_ja and str(textfile.MAX_ZIP_MEMBERS) in raised.value.message_ja


@pytest.fixture
def huge_member_hsds(tmp_path: Path) -> Path:
    path = tmp_path / "huge.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("services.csv", "id,name\ns1,サロン\n")
        _huge_member(zf, "locations.csv", 40)
    assert path.stat().st_size < 200_000
    return path


def test_hsds_zip_huge_member(huge_member_hsds: Path, no_expanding: None) -> None:
    with pytest.raises(UnreadableFile, match=r"locations\.csv inside huge\.zip is too large once expanded"):
        read_hsds(huge_member_hsds)


@pytest.fixture
def large_total_hsds(tmp_path: Path) -> Path:
    # Each member under the per-member cap, together over the total cap.
    path = tmp_path / "total.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("services.csv", "id,name\ns1,サロン\n")
        for name in ("locations.csv", "phones.csv", "schedules.csv"):
            _huge_member(zf, name, 15)
    return path


def test_hsds_zip_large_total(large_total_hsds: Path, no_expanding: None) -> None:
    with pytest.raises(UnreadableFile, match="too large once expanded") as raised:
        read_hsds(large_total_hsds)
    assert "展開すると大きすぎます" in raised.value.message_ja


def test_hsds_rows_are_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importers.hsds

    monkeypatch.setattr(importers.hsds, "MAX_CSV_ROWS", 5)
    path = tmp_path / "rows.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("services.csv", "id,name\n" + "".join(f"s{i},サロン{i}\n" for i in range(10)))
    with pytest.raises(UnreadableFile, match=r"too many rows in services\.csv"):
        read_hsds(path)


# ── KMZ ─────────────────────────────────────────────────────────────────────────────────────


@pytest.fixture
def huge_kmz(tmp_path: Path) -> Path:
    path = tmp_path / "map.kmz"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        _huge_member(zf, "doc.kml", 40)
    return path


def test_kmz_huge_kml(huge_kmz: Path, no_expanding: None) -> None:
    with pytest.raises(UnreadableFile, match="too large"):
        read_kml(huge_kmz)


def test_kmz_many_members(tmp_path: Path) -> None:
    path = _many_members(tmp_path / "many.kmz", textfile.MAX_ZIP_MEMBERS + 1, "icon{}.kml")
    with pytest.raises(UnreadableFile, match="too many files"):
        read_kml(path)


def test_plain_kml_over_the_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importers.kml

    monkeypatch.setattr(importers.kml, "MAX_KML_BYTES", 1000)
    path = tmp_path / "map.kml"
    path.write_text('<kml xmlns="http://www.opengis.net/kml/2.2">' + " " * 2000 + "</kml>", encoding="utf-8")
    with pytest.raises(UnreadableFile, match="too large"):
        read_kml(path)


# ── XLSX (a zip too) ────────────────────────────────────────────────────────────────────────


def _sheet(path: Path, rows: list[list[Any]]) -> Path:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def test_xlsx_with_a_huge_part_is_refused_before_openpyxl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _sheet(tmp_path / "book.xlsx", [["名称", "住所"], ["サロン", "生駒市"]])
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as zf:
        _huge_member(zf, "xl/sharedStrings2.xml", 40)

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("openpyxl opened the bomb")

    monkeypatch.setattr("openpyxl.load_workbook", refuse)
    with pytest.raises(UnreadableFile, match="too large once expanded"):
        read_xlsx(path)


def test_xlsx_with_too_many_parts(tmp_path: Path) -> None:
    path = _sheet(tmp_path / "book.xlsx", [["名称", "住所"], ["サロン", "生駒市"]])
    with zipfile.ZipFile(path, "a") as zf:
        for i in range(textfile.MAX_ZIP_MEMBERS):
            zf.writestr(f"xl/media/x{i}.bin", b"")
    with pytest.raises(UnreadableFile, match="too many files"):
        read_xlsx(path)


def test_xlsx_bad_header_stops_after_the_first_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importers.xlsx

    rows = 3000
    path = _sheet(tmp_path / "noheader.xlsx", [[f"a{i}", f"b{i}", f"c{i}"] for i in range(rows)])
    seen = 0
    real = importers.xlsx._cell

    def counting(value: Any) -> str:
        nonlocal seen
        seen += 1
        return real(value)

    monkeypatch.setattr(importers.xlsx, "_cell", counting)
    with pytest.raises(UnreadableFile, match="no header row found"):
        read_xlsx(path)
    # The first ten rows were looked at; the other 2,990 were never read.
    assert seen <= 3 * 20


def test_read_time_is_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # An exhausted clock: every zip-based reader stops between rows with the reason.
    monkeypatch.setattr(textfile, "MAX_READ_SECONDS", -1.0)
    book = _sheet(tmp_path / "book.xlsx", [["名称", "住所"], ["サロン", "生駒市"]])
    hsds = tmp_path / "hsds.zip"
    with zipfile.ZipFile(hsds, "w") as zf:
        zf.writestr("services.csv", "id,name\ns1,サロン\n")
    kmz = tmp_path / "map.kmz"
    with zipfile.ZipFile(kmz, "w") as zf:
        zf.writestr(
            "doc.kml",
            '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>サロン</name>'
            "<Point><coordinates>135.7,34.69</coordinates></Point></Placemark></Document></kml>",
        )
    for read, path in ((read_xlsx, book), (read_hsds, hsds), (read_kml, kmz)):
        with pytest.raises(UnreadableFile, match="takes too long") as raised:
            read(path)
        assert "時間がかかりすぎます" in raised.value.message_ja


def test_a_normal_xlsx_still_reads(tmp_path: Path) -> None:
    path = _sheet(
        tmp_path / "book.xlsx",
        [["生駒市 サロン一覧"], [], ["名称", "種別", "住所", "緯度", "経度"]]
        + [[f"サロン{i}", "サロン", "奈良県生駒市元町1-1", 34.69, 135.70] for i in range(30)],
    )
    result = read_xlsx(path)
    assert len(result.records) == 30
