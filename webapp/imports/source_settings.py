"""What a person decided about one source's files, kept for its next import: the column mapping
(header guesses confirmed or changed) and 「この一覧の種別」.

One TOML file per source in instance/import-sources/, in the same format as `odekake import
--map` ([columns], [list], [categories]), so a saved choice can be read, copied to the command
line or edited by hand.  (Instance files are per node; a multi-node site shares the instance
directory or copies these files with the rest of its configuration.)
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from importers.columns import load_mapping
from importers.list_category import ListCategory, list_category, list_category_from_toml
from webapp.config import settings as current_settings

__all__ = ["SourceSettings", "choices_from_meta", "load_source_settings", "save_source_settings", "settings_path"]


@dataclass(frozen=True)
class SourceSettings:
    columns: dict[str, str] = field(default_factory=dict)  # the file's header → field
    category: ListCategory = field(default_factory=ListCategory)

    def __bool__(self) -> bool:
        return bool(self.columns or self.category)


def settings_path(source: str, instance_dir: Path | None = None) -> Path:
    # validate_source() allows only [A-Za-z0-9_.:-]: a safe file name once ":" is replaced.
    base = instance_dir or current_settings().instance_dir
    return base / "import-sources" / f"{source.replace(':', '_')}.toml"


def load_source_settings(source: str, instance_dir: Path | None = None) -> SourceSettings:
    path = settings_path(source, instance_dir)
    if not path.exists():
        return SourceSettings()
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return SourceSettings(columns=load_mapping(path), category=list_category_from_toml(data))


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a TOML basic string


def save_source_settings(source: str, chosen: SourceSettings, instance_dir: Path | None = None) -> Path:
    path = settings_path(source, instance_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"# odekake import settings for source {source!s} (same format as --map)", "", "[columns]"]
    lines += [f"{_q(k)} = {_q(v)}" for k, v in chosen.columns.items()]
    if chosen.category.every_row:
        lines += ["", "[list]", f"category = {_q(chosen.category.every_row)}"]
    if chosen.category.values:
        lines += ["", "[categories]"] + [f"{_q(k)} = {_q(v)}" for k, v in chosen.category.values.items()]
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def choices_from_meta(meta: dict[str, Any]) -> SourceSettings:
    """The person's choices on the preview page (kept with the upload), else what was saved for the source."""
    chosen = meta.get("choices")
    if not isinstance(chosen, dict):
        return load_source_settings(meta["source"])
    return SourceSettings(
        columns=dict(chosen.get("columns") or {}),
        category=list_category(chosen.get("every") or None, dict(chosen.get("values") or {})),
    )
