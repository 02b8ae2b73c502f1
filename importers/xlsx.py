"""Excel (.xlsx) reader: first sheet, same headers and rules as the CSV reader."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from typing import Any

from importers.records import ReadResult, UnreadableFile
from importers.tabular import HEADER_SCAN_ROWS, find_header, read_table
from importers.textfile import ReadClock, check_zip

__all__ = ["XlsxReader", "read_xlsx"]

# A "100-column sheet" is normal; a million columns is a broken file or an attack.
MAX_COLUMNS = 1000
# A city lists a few thousand places; a sheet of more rows than this is not a city's list.
MAX_ROWS = 200_000


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M") if value.second == 0 else value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def read_xlsx(path: Path, *, mapping: dict[str, str] | None = None, geocoder: Any = None) -> ReadResult:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    path = Path(path)
    # An .xlsx is a zip: its declared member count and expanded sizes are checked before openpyxl
    # expands anything (it loads the shared strings whole, even in read-only mode).
    try:
        with zipfile.ZipFile(path) as zf:
            check_zip(zf, path.name)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnreadableFile(
            f"Excel ファイル（.xlsx）として開けません: {path.name}（{exc}）",
            f"cannot open {path.name} as an Excel .xlsx workbook ({exc})",
        ) from exc
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise UnreadableFile(
            f"Excel ファイル（.xlsx）として開けません: {path.name}（{exc}）",
            f"cannot open {path.name} as an Excel .xlsx workbook ({exc})",
        ) from exc
    try:
        if not wb.worksheets:
            raise UnreadableFile(f"シートがありません: {path.name}", f"the workbook has no sheet: {path.name}")
        ws = wb.worksheets[0]
        # Many generators write a wrong <dimension> (often "A1"); trusting it truncates rows.
        ws.reset_dimensions()
        rows = _sheet_rows(ws, path.name, mapping)
    finally:
        wb.close()
    return read_table(rows, mapping=mapping, geocoder=geocoder, encoding=None)


def _sheet_rows(ws: Any, name: str, mapping: dict[str, str] | None) -> list[tuple[int, list[str]]]:
    """The sheet's rows, streamed: the header is checked on the first rows before the rest is read."""
    clock = ReadClock(name)
    rows: list[tuple[int, list[str]]] = []
    filled = 0
    header_checked = False
    try:
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            if number > MAX_ROWS:
                raise UnreadableFile(f"行数が多すぎます（{MAX_ROWS}行まで）", f"too many rows (at most {MAX_ROWS})")
            clock.check()
            cells = [_cell(v) for v in values[:MAX_COLUMNS]]
            while cells and not cells[-1]:
                cells.pop()
            rows.append((number, cells))
            if not header_checked and any(c.strip() for c in cells):
                filled += 1
                if filled >= HEADER_SCAN_ROWS:
                    # Same rule as read_table (which checks again): a sheet without a header is
                    # refused after its first rows, not after a million.
                    find_header(rows, mapping)
                    header_checked = True
    except (KeyError, ValueError, TypeError, zipfile.BadZipFile) as exc:
        raise UnreadableFile(
            f"シートを読めません: {name}（{exc}）", f"cannot read the sheet in {name} ({exc})"
        ) from exc
    return rows


class XlsxReader:
    format_name = "xlsx"

    def read(self, path: Path, *, mapping: dict[str, str] | None = None, geocoder: Any = None) -> ReadResult:
        return read_xlsx(path, mapping=mapping, geocoder=geocoder)
