"""「この一覧の種別」: a list whose own 種別 are outside our taxonomy (a 保育所一覧 with 認可保育所,
小規模保育 …) says what its rows are, once, instead of every row landing as a draft.

Either one category for every row, or the file's 種別 values mapped to categories (values not
mapped keep the usual rule).  The wording the file used stays in category_text.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from importers.records import ReadResult, UnreadableFile
from importers.vocab import load_vocab
from jatext.normalize import fold

__all__ = ["ListCategory", "apply_list_category", "category_code", "list_category", "list_category_from_toml"]

_CATEGORY_DRAFTS = frozenset({"unknown_category", "missing_category"})


@dataclass(frozen=True)
class ListCategory:
    every_row: str | None = None
    values: dict[str, str] = field(default_factory=dict)  # the file's 種別 → category code

    def __bool__(self) -> bool:
        return bool(self.every_row or self.values)

    def category_for(self, text: str | None) -> str | None:
        if self.every_row:
            return self.every_row
        if not text:
            return None
        key = fold(text)
        for value, code in self.values.items():
            if fold(value) == key:
                return code
        return None

    def to_toml_tables(self) -> dict[str, object]:
        out: dict[str, object] = {}
        if self.every_row:
            out["list"] = {"category": self.every_row}
        if self.values:
            out["categories"] = dict(self.values)
        return out


def category_code(target: str) -> str | None:
    """A category code from a code (parenting) or any wording the vocabulary knows (子育てひろば)."""
    vocab = load_vocab()
    target = target.strip()
    if target in vocab.categories:
        return target
    return vocab.category(target) if target else None


def list_category(every_row: str | None = None, values: dict[str, str] | None = None) -> ListCategory:
    """Validated choice; raises UnreadableFile naming every category it does not know."""
    bad: list[str] = []
    code = None
    if every_row:
        code = category_code(every_row)
        if code is None:
            bad.append(every_row)
    mapped: dict[str, str] = {}
    for value, target in (values or {}).items():
        resolved = category_code(str(target))
        if resolved is None:
            bad.append(f"{value} = {target}")
        else:
            mapped[str(value)] = resolved
    if bad:
        raise UnreadableFile(
            "種別の指定が分かりません: " + "、".join(bad),
            "unknown category in the list's category choice: " + ", ".join(bad),
        )
    return ListCategory(every_row=code, values=mapped)


def list_category_from_toml(data: dict[str, object]) -> ListCategory:
    """From a mapping file's ``[list] category = "…"`` and ``[categories]`` tables."""
    table = data.get("list")
    every = table.get("category") if isinstance(table, dict) else None
    values = data.get("categories")
    return list_category(
        str(every) if every else None,
        {str(k): str(v) for k, v in values.items()} if isinstance(values, dict) else None,
    )


def apply_list_category(result: ReadResult, choice: ListCategory) -> ReadResult:
    """The result with the list's category applied; the rows it gave a category lose the
    category draft reason (and are published when that was the only one) and its warnings."""
    if not choice:
        return result
    changed_rows: set[int] = set()
    records = []
    for record in result.records:
        code = choice.category_for(record.category_text)
        if code is None or (record.category == code and not choice.every_row):
            records.append(record)
            continue
        reasons = [r for r in record.draft_reasons if r not in _CATEGORY_DRAFTS]
        hint = record.status_hint
        if hint == "draft" and record.draft_reasons and not reasons:
            hint = "published"
        records.append(dataclasses.replace(record, category=code, draft_reasons=reasons, status_hint=hint))
        changed_rows.add(record.row)
    issues = [i for i in result.issues if not (i.code in _CATEGORY_DRAFTS and i.row in changed_rows)]
    return dataclasses.replace(result, records=records, issues=issues)
