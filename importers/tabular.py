"""Shared logic for sheet-like sources (CSV, xlsx): find the header row, map columns, build rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from importers.build import RawRow, build_records
from importers.columns import (
    CANONICAL_HEADER,
    describe_headers,
    header_score,
    is_ignored_standard,
    resolve_headers,
)
from importers.issues import issue
from importers.records import ReadResult, RowIssue, UnreadableFile

__all__ = ["HEADER_SCAN_ROWS", "read_table"]

# City files put a title, a date and notes above the header; ten rows covers what we have seen.
HEADER_SCAN_ROWS = 10


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def find_header(
    rows: Sequence[tuple[int, Sequence[str]]], mapping: dict[str, str] | None
) -> int:
    """Index into rows of the header row: the best-scoring of the first non-blank rows."""
    best_index, best_score = -1, 0
    seen = 0
    for index, (_line, cells) in enumerate(rows):
        if not any(c.strip() for c in cells):
            continue
        seen += 1
        score = header_score([c.strip() for c in cells], mapping)
        if score > best_score:
            best_index, best_score = index, score
        if seen >= HEADER_SCAN_ROWS:
            break
    if best_index < 0 or best_score < 2:
        raise UnreadableFile(
            "見出し行が見つかりません（最初の10行に「名称」「住所」「緯度」などの列名がありません）",
            "no header row found (the first 10 rows have no known column names such as 名称, 住所, 緯度)",
        )
    return best_index


def read_table(
    rows: Sequence[tuple[int, Sequence[Any]]],
    *,
    mapping: dict[str, str] | None,
    geocoder: Any,
    encoding: str | None,
) -> ReadResult:
    """rows: (1-based line in the file, cells)."""
    text_rows = [(line, [_cell(c) for c in cells]) for line, cells in rows]
    h = find_header(text_rows, mapping)
    header_line, headers = text_rows[h]
    headers = [c.strip() for c in headers]
    lowered = {h.lower() for h in headers}
    if {"id", "name", "organization_id"} <= lowered and not mapping:
        # HSDS services.csv alone: its locations, schedules and costs are in the other tables.
        raise UnreadableFile(
            "HSDS の services.csv のようです。ほかの表（locations.csv など）と一緒に、ZIP またはフォルダを"
            "形式 hsds で取り込んでください",
            "this looks like an HSDS services.csv: import it with the other tables (locations.csv …), "
            "as a zip or directory, with the format hsds",
        )
    known, extra_cols, dupes = resolve_headers(headers, mapping)
    guesses = describe_headers(headers, mapping)
    if "name" not in known.values():
        shown = "、".join(f"「{h}」" for h in headers if h)[:200]
        raise UnreadableFile(
            f"{header_line}行目の見出し（{shown}）に名称の列が見つかりません（--map で列名を対応付けてください）",
            f"no name (名称) column found in the header row (line {header_line}: {shown}); map one with --map",
        )
    header_issues: list[RowIssue] = [
        issue("header_guess", header_line, g.column, field=CANONICAL_HEADER[g.field], confidence=f"{g.confidence:.0%}")
        for g in guesses
        if g.how == "guess" and g.field is not None
    ]
    unknown: list[str] = []
    for i, header in extra_cols.items():
        if any(i == d for d, _ in dupes):
            continue
        if not is_ignored_standard(header):
            unknown.append(header)
            header_issues.append(issue("unknown_column", header_line, header))
    read_at = dict(zip((i for i, h in enumerate(headers) if h), guesses, strict=True))
    for i, header in dupes:
        first = next(headers[j] for j, f in known.items() if f == read_at[i].field)
        header_issues.append(issue("duplicate_column", header_line, header, value=first))
    columns = {fld: headers[i] for i, fld in known.items()}
    present = frozenset(known.values())

    def raws() -> Any:
        for line, cells in text_rows[h + 1 :]:
            values = {fld: cells[i] if i < len(cells) else "" for i, fld in known.items()}
            extra = {header: cells[i] for i, header in extra_cols.items() if i < len(cells) and cells[i].strip()}
            for i in range(len(headers), len(cells)):
                if cells[i].strip() and any(c.strip() for c in cells[: len(headers)]):
                    header_issues.append(issue("extra_cells", line, f"列{i + 1}", value=cells[i].strip()))
                    extra[f"列{i + 1}"] = cells[i]
            yield RawRow(row=line, values=values, columns=columns, extra=extra, present=present)

    raw_rows = list(raws())
    result = build_records(
        raw_rows, geocoder=geocoder, encoding=encoding, unknown_columns=unknown, header_issues=header_issues
    )
    result.header_guesses = guesses
    return result
