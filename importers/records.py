"""The importer's output contract: records, row issues and the read result.

Everything here is plain data so that the DB loader (webapp.imports.service) can consume it
without importing any reader.  ``row`` is provenance, not content, so it is left out of record
equality: the same listing read from a CSV with two title rows and from our own export is "the
same record".
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from schedule.model import Schedule

__all__ = [
    "ActivityRecord",
    "GeocodeLevel",
    "HasIssues",
    "ReadResult",
    "Reader",
    "RowIssue",
    "Severity",
    "StatusHint",
    "UnreadableFile",
]

Severity = Literal["error", "warning"]
StatusHint = Literal["published", "draft", "archived"]
GeocodeLevel = Literal["file", "gaiku", "chome", "oaza"]


class UnreadableFile(Exception):
    """The file as a whole cannot be read (CLI exit code 2). Carries a message in both languages."""

    def __init__(self, message_ja: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_ja = message_ja
        self.message_en = message_en


@dataclass(frozen=True)
class RowIssue:
    row: int
    column: str | None
    code: str
    message_ja: str
    message_en: str
    severity: Severity

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class ActivityRecord:
    source_id: str
    name: str
    name_kana: str | None = None
    name_en: str | None = None  # 名称_英語: the only honest English a listing can have
    description_en: str | None = None  # 説明_英語
    contact_name: str | None = None  # 連絡先名称 (or the words beside the phone number)
    category: str | None = None
    category_text: str | None = None
    audiences: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    description: str | None = None
    organization_name: str | None = None
    organization_kana: str | None = None
    place_name: str | None = None
    address: str | None = None
    postcode: str | None = None
    lat: float | None = None
    lon: float | None = None
    geocode_level: GeocodeLevel | None = None
    schedule: Schedule | None = None
    schedule_text: str | None = None
    schedule_needs_review: bool = False
    cost_yen: int | None = None
    cost_text: str | None = None
    booking_required: bool | None = None
    contact_phone: str | None = None
    extension: str | None = None
    contact_email: str | None = None
    url: str | None = None
    welcomes_first_timers: bool | None = None
    visit_ok: bool | None = None
    solo_ok: bool | None = None
    capacity: int | None = None
    accessibility: list[str] = field(default_factory=list)
    notes: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
    status_hint: StatusHint = "published"
    # 1-based line (CSV/xlsx: physical row, header and title rows counted; GeoJSON/KML/HSDS:
    # position of the feature/placemark/service).  Excluded from equality on purpose.
    row: int = field(default=0, compare=False)
    draft_reasons: list[str] = field(default_factory=list)
    # What the 特記事項 said (schedule.notes kinds: closure, conditional, …), for the report's
    # counts; provenance like ``row``, so not part of equality.
    note_kind: str | None = field(default=None, compare=False)
    # IDs the same row was given by earlier ID schemes (files without an ID column): a listing
    # imported under one of them is found again and takes the current ID (webapp.imports.loader).
    former_ids: tuple[str, ...] = field(default=(), compare=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (schedule via Schedule.to_dict())."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "schedule":
                value = value.to_dict() if value is not None else None
            elif isinstance(value, list | dict):
                value = value.copy()
            out[f.name] = value
        return out


class HasIssues:
    """``errors`` and ``warnings`` of a result's ``issues`` (a read file's, an import's)."""

    issues: list[RowIssue]

    @property
    def errors(self) -> list[RowIssue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[RowIssue]:
        return [i for i in self.issues if i.severity == "warning"]


@dataclass
class ReadResult(HasIssues):
    records: list[ActivityRecord]
    issues: list[RowIssue]
    rejected_rows: set[int]
    unknown_columns: list[str]
    encoding: str | None
    total_rows: int
    # Source ID of a rejected record → its row, when the ID could be read (the ID cell, or the
    # stable ID from name + address): --archive-missing must not archive a listing whose row is
    # present but bad.  Keyed by ID: one HSDS service (one row) can give several records.
    rejected_ids: dict[str, int] = field(default_factory=dict)
    # How each header cell was read (importers.columns.HeaderGuess), for the dry-run table and the
    # admin page's "confirm or change" step; empty for formats without headers.
    header_guesses: list[Any] = field(default_factory=list)

    @property
    def note_kinds(self) -> dict[str, int]:
        """How many kept rows had a 特記事項 of each kind (schedule.notes.NOTE_KINDS)."""
        counts: dict[str, int] = {}
        for record in self.records:
            if record.note_kind:
                counts[record.note_kind] = counts.get(record.note_kind, 0) + 1
        return counts

    @property
    def unidentified_rows(self) -> list[int]:
        """Rejected rows whose ID could not be read: they may stand for any stored listing."""
        return sorted(self.rejected_rows - set(self.rejected_ids.values()))

    def to_report(self) -> dict[str, Any]:
        """The JSON report the CLI writes with --report."""
        return {
            "encoding": self.encoding,
            "total_rows": self.total_rows,
            "imported_rows": len(self.records),
            "rejected_rows": sorted(self.rejected_rows),
            "rejected_ids": dict(sorted(self.rejected_ids.items(), key=lambda item: item[1])),
            "unidentified_rows": self.unidentified_rows,
            "unknown_columns": list(self.unknown_columns),
            "note_kinds": self.note_kinds,
            "columns": [g.to_dict() for g in self.header_guesses],
            "issues": [i.to_dict() for i in self.issues],
        }


class Reader(Protocol):
    """What every entry of importers.READERS provides."""

    format_name: str

    def read(
        self,
        path: Path,
        *,
        mapping: dict[str, str] | None = None,
        geocoder: Any = None,
    ) -> ReadResult: ...
