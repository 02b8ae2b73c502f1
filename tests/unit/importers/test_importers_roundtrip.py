"""export → import gives equal records; the CSV reader never fails except with UnreadableFile."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from importers import (
    READERS,
    ReadResult,
    UnreadableFile,
    read_geojson,
    read_hsds,
    read_municipal_csv,
    write_geojson,
    write_hsds,
    write_municipal_csv,
)
from importers.municipal_csv import read_municipal_csv_bytes

SOURCES = [
    ("municipal-csv", "kayoi_utf8bom_crlf.csv"),
    ("municipal-csv", "kosodate_cp932.csv"),
    ("municipal-csv", "events_utf8_lf.csv"),
    ("municipal-csv", "coords_messy.csv"),
    ("kml", "ibasho_mymaps.kml"),
    ("geojson", "dementia_cafe.geojson"),
    ("hsds", "hsds_services.json"),
]

WRITERS = [
    ("csv", write_municipal_csv, read_municipal_csv, "out.csv"),
    ("geojson", write_geojson, read_geojson, "out.geojson"),
    ("hsds-json", write_hsds, read_hsds, "out.json"),
    ("hsds-zip", write_hsds, read_hsds, "out.zip"),
    ("hsds-dir", write_hsds, read_hsds, "hsds_out"),
]


@pytest.mark.parametrize(("fmt", "name"), SOURCES)
@pytest.mark.parametrize(("label", "write", "read", "out"), WRITERS, ids=[w[0] for w in WRITERS])
def test_fixture_round_trip(fixtures: Path, tmp_path: Path, fmt, name, label, write, read, out) -> None:
    original = READERS[fmt].read(fixtures / name).records
    write(original, tmp_path / out)
    again = read(tmp_path / out)
    assert again.records == original
    assert again.rejected_rows == set()


def test_csv_export_is_excel_friendly(fixtures: Path, tmp_path: Path) -> None:
    records = read_municipal_csv(fixtures / "kayoi_utf8bom_crlf.csv").records
    path = tmp_path / "out.csv"
    write_municipal_csv(records, path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.split(b"\r\n")
    assert lines[0].decode("utf-8-sig").startswith("ID,名称,名称_カナ,種別")
    assert b"\n" not in lines[0] and len(lines) == len(records) + 2


def test_formula_like_values_are_defused_in_csv_and_come_back(tmp_path: Path) -> None:
    text = "名称,種別,備考\n\"=HYPERLINK(\"\"http://evil\"\")\",サロン,@SUM(1)\n"
    (record,) = read_municipal_csv_bytes(text.encode()).records
    path = tmp_path / "out.csv"
    write_municipal_csv([record], path)
    body = path.read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in body and "'@SUM" in body
    assert read_municipal_csv(path).records == [record]


# ── properties ────────────────────────────────────────────────────────────────────────────

cell_text = st.text(
    # Control characters other than tab/newline make a file "binary" (rejected on purpose).
    alphabet=st.characters(exclude_categories=("Cs", "Co", "Cn", "Cc"), include_characters="\n\t"),
    max_size=30,
)
HEADERS = ["ID", "名称", "名称_カナ", "種別", "住所", "緯度", "経度", "電話番号", "開催日時", "料金", "対象",
           "タグ", "備考", "要予約", "定員", "バリアフリー情報", "メモ列"]
SAMPLES = {
    "種別": st.sampled_from(["サロン", "子ども食堂", "謎", "", "ふれあい・いきいきサロン"]),
    "緯度": st.one_of(st.just(""), st.floats(min_value=24, max_value=45).map(repr), st.just("34°41'30\"")),
    "経度": st.one_of(st.just(""), st.floats(min_value=123, max_value=153).map(repr)),
    "開催日時": st.sampled_from(["毎週火曜日 10時～11時半", "第1土曜日", "不定期", "平日（祝日を除く）", "", "月・水・金"]),
    "料金": st.sampled_from(["無料", "100円", "大人500円、子ども200円", ""]),
    "電話番号": st.sampled_from(["0743-74-1111", "０７４３ー７４ー１１１１", "123", ""]),
    "要予約": st.sampled_from(["要", "不要", "たぶん", ""]),
}


def _row_strategy():
    return st.fixed_dictionaries({h: SAMPLES.get(h, cell_text) for h in HEADERS})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(_row_strategy(), min_size=1, max_size=5))
def test_property_csv_export_import_round_trip(rows: list[dict[str, str]]) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(HEADERS)
    for i, row in enumerate(rows):
        row = {**row, "ID": f"id{i}", "名称": row["名称"] or f"名{i}"}
        writer.writerow([row[h] for h in HEADERS])
    first = read_municipal_csv_bytes(buf.getvalue().encode("utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        for write, read, out in ((write_municipal_csv, read_municipal_csv, "x.csv"),
                                 (write_geojson, read_geojson, "x.geojson"),
                                 (write_hsds, read_hsds, "x.json")):
            path = Path(tmp) / out
            write(first.records, path)
            assert read(path).records == first.records


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=2000))
def test_property_csv_reader_never_raises_anything_but_unreadable_file(data: bytes) -> None:
    try:
        result = read_municipal_csv_bytes(data)
    except UnreadableFile as exc:
        assert exc.message_ja and exc.message_en
    else:
        assert isinstance(result, ReadResult)


header_line = st.lists(st.sampled_from([*HEADERS, "", "謎", "名称（カナ）", "ＩＤ"]), min_size=1, max_size=8)


@settings(max_examples=200, deadline=None)
@given(header=header_line, body=st.lists(st.lists(cell_text, max_size=10), max_size=6),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp932"]))
def test_property_csv_reader_on_csv_shaped_input(header: list[str], body: list[list[str]], encoding: str) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(body)
    try:
        data = buf.getvalue().encode(encoding)
    except UnicodeEncodeError:
        data = buf.getvalue().encode("utf-8")
    try:
        result = read_municipal_csv_bytes(data)
    except UnreadableFile:
        return
    # every row is either a record or rejected, and every rejection has an error naming it
    assert len(result.records) + len(result.rejected_rows) == result.total_rows
    error_rows = {i.row for i in result.errors}
    assert result.rejected_rows == error_rows
    for i in result.issues:
        assert f"{i.row}行目" in i.message_ja and f"Row {i.row}" in i.message_en
