"""What one import did: counts, row issues, kept and rejected rows, notes (printed, shown, written as JSON)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from importers import RowIssue
from importers.records import HasIssues

__all__ = ["ImportReport"]


@dataclass
class ImportReport(HasIssues):
    format: str
    source: str
    path: str
    dry_run: bool
    total_rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    archived: int = 0
    rejected: int = 0
    kept: int = 0  # rows left as a moderator or organizer set them (see kept_rows)
    ids_carried_over: int = 0  # listings found under a former ID and given the file's (loader)
    encoding: str | None = None
    unknown_columns: list[str] = field(default_factory=list)
    issues: list[RowIssue] = field(default_factory=list)
    rejected_rows: list[int] = field(default_factory=list)
    unidentified_rows: list[int] = field(default_factory=list)  # rejected, ID unreadable (archive-missing)
    kept_rows: list[dict[str, Any]] = field(default_factory=list)  # {row, source_id, reason, fields}
    notes: list[tuple[str, str]] = field(default_factory=list)  # (ja, en) about the run as a whole
    changed_ids: list[int] = field(default_factory=list)  # activity ids created/updated/archived
    changed_place_ids: list[int] = field(default_factory=list)  # places whose fields changed
    note_kinds: dict[str, int] = field(default_factory=dict)
    columns: list[dict[str, Any]] = field(default_factory=list)
    # The file's 種別 values: [{text, category (code or None), rows}] for 「この一覧の種別」.
    category_values: list[dict[str, Any]] = field(default_factory=list)  # how each header was read (HeaderGuess.to_dict)  # 特記事項 kind → rows (schedule.notes)
    index_mark: str | None = None  # the "index pending" mark set before commit (webapp.search.sync)

    @property
    def exit_code(self) -> int:
        return 1 if self.rejected else 0

    def rejections(self) -> list[RowIssue]:
        """The reason(s) each rejected row was rejected: its errors (row, column, ja, en)."""
        rejected = set(self.rejected_rows)
        return [i for i in self.issues if i.severity == "error" and i.row in rejected]

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "source": self.source,
            "path": self.path,
            "dry_run": self.dry_run,
            "encoding": self.encoding,
            "total_rows": self.total_rows,
            "counts": {
                "created": self.created,
                "updated": self.updated,
                "unchanged": self.unchanged,
                "archived": self.archived,
                "rejected": self.rejected,
                "kept": self.kept,
            },
            "ids_carried_over": self.ids_carried_over,
            "kept_rows": [dict(k) for k in self.kept_rows],
            "rejected_rows": [i.to_dict() for i in self.rejections()],
            "unidentified_rows": list(self.unidentified_rows),
            "unknown_columns": list(self.unknown_columns),
            "note_kinds": dict(self.note_kinds),
            "columns": [dict(c) for c in self.columns],
            "issues": [i.to_dict() for i in self.issues],
            "notes": [{"message_ja": ja, "message_en": en} for ja, en in self.notes],
        }
