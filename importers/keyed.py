"""Shared logic for sources whose rows carry their own keys (GeoJSON properties, KML ExtendedData)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from importers.build import RawRow, build_records
from importers.columns import (
    CANONICAL_HEADER,
    HeaderGuess,
    describe_headers,
    is_ignored_standard,
    resolve_headers,
)
from importers.issues import issue
from importers.records import ReadResult, RowIssue

__all__ = ["KeyedItem", "read_keyed", "to_text"]


@dataclass
class KeyedItem:
    row: int
    props: dict[str, str]
    lat: str | None = None
    lon: str | None = None
    # Fields filled from the source's own structure (KML <name>) used only when no property gives them.
    defaults: dict[str, str] = field(default_factory=dict)
    issues: list[RowIssue] = field(default_factory=list)


def to_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "、".join(to_text(v) for v in value if v is not None and to_text(v))
    if isinstance(value, dict):
        import json

        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def read_keyed(
    items: list[KeyedItem],
    *,
    mapping: dict[str, str] | None,
    geocoder: Any,
    encoding: str | None,
) -> ReadResult:
    header_issues: list[RowIssue] = []
    unknown: list[str] = []
    reported: set[str] = set()
    raws: list[RawRow] = []
    guesses: dict[str, HeaderGuess] = {}
    for item in items:
        keys = list(item.props)
        known, extra_cols, dupes = resolve_headers(keys, mapping)
        for read in describe_headers(keys, mapping):
            if read.column not in guesses:
                guesses[read.column] = read
                if read.how == "guess" and read.field is not None:
                    header_issues.append(issue(
                        "header_guess", item.row, read.column,
                        field=CANONICAL_HEADER[read.field], confidence=f"{read.confidence:.0%}",
                    ))
        dupe_idx = {i for i, _ in dupes}
        for i, key in extra_cols.items():
            if i in dupe_idx or key in reported or is_ignored_standard(key):
                continue
            reported.add(key)
            unknown.append(key)
            header_issues.append(issue("unknown_column", item.row, key))
        values = {fld: item.props[keys[i]] for i, fld in known.items()}
        columns = {fld: keys[i] for i, fld in known.items()}
        for fld, value in item.defaults.items():
            if not values.get(fld, "").strip():
                values[fld] = value
        # Geometry wins over 緯度/経度 properties: it is what every map draws.
        if item.lat is not None and item.lon is not None:
            values["lat"], values["lon"] = item.lat, item.lon
            columns.setdefault("lat", "geometry")
            columns.setdefault("lon", "geometry")
        extra = {key: item.props[key] for i, key in extra_cols.items() if item.props[key].strip()}
        header_issues.extend(item.issues)
        raws.append(RawRow(row=item.row, values=values, columns=columns, extra=extra, present=frozenset(known.values())))
    result = build_records(raws, geocoder=geocoder, encoding=encoding, unknown_columns=unknown, header_issues=header_issues)
    result.header_guesses = list(guesses.values())
    return result
