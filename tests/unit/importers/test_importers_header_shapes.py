"""Header shapes cities publish: a header in two rows (group labels merged over the column names),
a column with values but no header, and a list that names each group only by its 団体名."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from importers import read_municipal_csv
from importers.xlsx import read_xlsx


def _codes(result) -> set[str]:  # type: ignore[no-untyped-def]
    return {i.code for i in result.issues}


def _two_row_xlsx(path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["令和8年度 地域の通いの場一覧（サンプル・架空）"])
    ws.merge_cells("A1:H1")
    ws.append(["番号", "団体名", "活動内容", "開催場所", None, "位置情報", None, "問い合わせ"])
    ws.append([None, None, None, "名称", "所在地", "緯度", "経度", "電話"])
    ws.merge_cells("D2:E2")
    ws.merge_cells("F2:G2")
    ws.append([1, "東新町いきいきクラブ", "体操とおしゃべり", "東新町集会所", "奈良県生駒市東新町1-1", 34.6912, 135.7001, "0743-00-0001"])
    ws.append([2, "元町ふれあいサロン", "お茶会", "元町公民館", "奈良県生駒市元町1-2-3", 34.6920, 135.7010, "0743-00-0002"])
    wb.save(path)
    return path


def test_a_header_in_two_rows_loses_no_column(tmp_path: Path) -> None:
    result = read_xlsx(_two_row_xlsx(tmp_path / "list.xlsx"))
    first, second = result.records
    assert first.name == "東新町いきいきクラブ" and first.organization_name == "東新町いきいきクラブ"
    assert first.description == "体操とおしゃべり"
    assert first.place_name == "東新町集会所"  # 開催場所 › 名称 is the place's name
    assert first.address == "奈良県生駒市東新町1-1"
    assert (round(first.lat or 0, 4), round(first.lon or 0, 4)) == (34.6912, 135.7001)
    assert first.contact_phone == "0743-00-0001"
    assert second.place_name == "元町公民館"
    assert {"two_row_header", "name_from_organization"} <= _codes(result)
    assert "unknown_column" not in _codes(result)


def test_a_column_without_a_header_is_kept_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text(
        "名称,住所,,緯度,経度\n"
        "ひだまりサロン,奈良県生駒市東新町1-1,毎週火曜 集会所2階,34.6912,135.7001\n",
        encoding="utf-8",
    )
    result = read_municipal_csv(path)
    (record,) = result.records
    assert record.extra.get("列3") == "毎週火曜 集会所2階"
    assert any(i.code == "unknown_column" and i.column == "列3" for i in result.issues)


def test_a_title_row_above_the_header_is_not_a_second_header_row(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text(
        "生駒市 通いの場一覧,令和8年4月1日現在\n"
        "名称,種別,住所,緯度,経度\n"
        "ひだまりサロン,サロン,奈良県生駒市東新町1-1,34.6912,135.7001\n",
        encoding="utf-8",
    )
    result = read_municipal_csv(path)
    (record,) = result.records
    assert record.name == "ひだまりサロン" and "two_row_header" not in _codes(result)
