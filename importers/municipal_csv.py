"""自治体標準オープンデータセット-style CSV: reader and writer."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from importers.export import escape_formula, export_headers, record_to_row, unescape_formula
from importers.records import ActivityRecord, ReadResult
from importers.tabular import read_table
from importers.textfile import decode_bytes, read_bytes, split_rows

__all__ = ["MunicipalCsvReader", "read_municipal_csv", "read_municipal_csv_bytes", "write_municipal_csv"]


def read_municipal_csv_bytes(
    data: bytes,
    *,
    name: str = "",
    mapping: dict[str, str] | None = None,
    geocoder: Any = None,
) -> ReadResult:
    text, encoding = decode_bytes(data, name)
    rows = [(line, [unescape_formula(c) for c in cells]) for line, cells in split_rows(text)]
    return read_table(rows, mapping=mapping, geocoder=geocoder, encoding=encoding)


def read_municipal_csv(path: Path, *, mapping: dict[str, str] | None = None, geocoder: Any = None) -> ReadResult:
    path = Path(path)
    return read_municipal_csv_bytes(read_bytes(path), name=path.name, mapping=mapping, geocoder=geocoder)


class MunicipalCsvReader:
    format_name = "municipal-csv"

    def read(self, path: Path, *, mapping: dict[str, str] | None = None, geocoder: Any = None) -> ReadResult:
        return read_municipal_csv(path, mapping=mapping, geocoder=geocoder)


def write_municipal_csv(records: Iterable[ActivityRecord], path: Path) -> None:
    """UTF-8 with BOM and CRLF: Excel (ja) opens it without garbling; quoting per RFC 4180."""
    records = list(records)
    headers = export_headers(records)
    with Path(path).open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerow(headers)
        for r in records:
            row = record_to_row(r)
            writer.writerow([_cell(h, row.get(h, "")) for h in headers])


def _cell(header: str, value: str) -> str:
    # Coordinates are numbers (negative is legitimate); everything else is guarded.
    if header in ("緯度", "経度"):
        return value
    # Multi-line values keep "\n" only; Excel shows them as line breaks inside the cell.
    return escape_formula(value)
