"""Shared logic for sheet-like sources (CSV, xlsx): find the header row, map columns, build rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from importers.build import RawRow, build_records
from importers.columns import (
    CANONICAL_HEADER,
    describe_headers,
    field_for,
    guess_field,
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


def _field(header: str) -> str | None:
    if field_for(header):
        return field_for(header)
    guessed = guess_field(header)
    return guessed[0] if guessed else None


def _pick(group: str, child: str) -> str:
    """One header for a column named in two rows: the group label above (merged over several
    columns: 開催場所, 位置情報, 問い合わせ) and the column's own name below it."""
    own, grouped = _field(child), _field(group)
    if own == "name" and grouped not in (None, "name"):
        return group  # 開催場所 › 名称: the place's name, not the activity's
    if own:
        return child  # 位置情報 › 緯度, 問い合わせ › 電話
    return f"{group}_{child}"  # neither reads alone: both words, for the person and the mapping


def two_row_header(upper: Sequence[str], lower: Sequence[str]) -> list[str] | None:
    """The header when ``upper`` (the row above the best header row) is its first half: it names
    columns the lower row leaves blank (番号, 団体名 over merged cells), and labels groups over the
    lower row's names. None when the upper row is a title or a note (fewer than two cells)."""
    up = [c.strip() for c in upper]
    low = [c.strip() for c in lower]
    width = max(len(up), len(low))
    up += [""] * (width - len(up))
    low += [""] * (width - len(low))
    if sum(1 for c in up if c) < 2 or not any(u and not w for u, w in zip(up, low, strict=True)):
        return None
    merged: list[str] = []
    group = ""
    for u, w in zip(up, low, strict=True):
        if u:
            group = u
        elif not w:
            group = ""  # a blank column ends a merged group label
        if not w:
            merged.append(u)
        elif not group:
            merged.append(w)
        else:
            merged.append(_pick(group, w))
    return merged


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
    shape_issues: list[RowIssue] = []
    if h > 0 and any(c.strip() for c in text_rows[h - 1][1]):
        merged = two_row_header(text_rows[h - 1][1], headers)
        if merged is not None:
            shape_issues.append(issue("two_row_header", header_line, None, value=text_rows[h - 1][0], line=header_line))
            headers = merged
    # A column with values but no header is still the file's: named by its position, kept in extra.
    for i, header in enumerate(headers):
        if not header and any(i < len(cells) and cells[i].strip() for _line, cells in text_rows[h + 1 :]):
            headers[i] = f"列{i + 1}"
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
    name_from: int | None = None
    if "name" not in known.values() and "organization" in known.values():
        # 通いの場 lists often name each group only by its 団体名 / グループ名: that is the activity's name.
        name_from = next(i for i, f in known.items() if f == "organization")
        shape_issues.append(issue("name_from_organization", header_line, headers[name_from], value=headers[name_from]))
    if "name" not in known.values() and name_from is None:
        shown = "、".join(f"「{h}」" for h in headers if h)[:200]
        raise UnreadableFile(
            f"{header_line}行目の見出し（{shown}）に名称の列が見つかりません（--map で列名を対応付けてください）",
            f"no name (名称) column found in the header row (line {header_line}: {shown}); map one with --map",
        )
    header_issues: list[RowIssue] = shape_issues + [
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
    if name_from is not None:
        columns["name"] = headers[name_from]
    present = frozenset(known.values()) | ({"name"} if name_from is not None else set())

    def raws() -> Any:
        for line, cells in text_rows[h + 1 :]:
            values = {fld: cells[i] if i < len(cells) else "" for i, fld in known.items()}
            if name_from is not None:
                values["name"] = values["organization"]
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
