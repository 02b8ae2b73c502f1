"""Text → code vocabularies for 種別 (category), 対象 (audience) and バリアフリー (accessibility).

Categories come from data/synonyms.toml ``[category_terms]`` and the taxonomy ja labels.
Audience and accessibility words come from the taxonomy labels plus the short tables below of
words seen in city lists; if data/synonyms.toml grows ``[audience_terms]`` or
``[accessibility_terms]`` tables they are merged in (data wins).
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from jatext.normalize import fold

__all__ = ["DATA_DIR", "Vocab", "load_vocab"]

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

_AUDIENCE_WORDS: dict[str, str] = {
    "どなたでも": "everyone", "誰でも": "everyone", "だれでも": "everyone", "全世代": "everyone",
    "どなたでも参加可": "everyone", "地域住民": "everyone", "一般": "everyone", "市民": "everyone",
    "高齢者": "elderly", "高齢の方": "elderly", "シニア": "elderly", "65歳以上": "elderly",
    "60歳以上": "elderly", "おおむね65歳以上": "elderly",
    "親子": "parents_children", "乳幼児": "parents_children", "乳幼児と保護者": "parents_children",
    "未就学児": "parents_children", "妊婦": "parents_children", "子育て中の方": "parents_children",
    "子ども": "children", "こども": "children", "子供": "children", "小学生": "children",
    "児童": "children", "中学生": "youth", "高校生": "youth", "若者": "youth", "学生": "youth",
    "障がい者": "disability", "障害者": "disability", "障がいのある方": "disability",
    "障害のある方": "disability",
    "ひきこもり": "hikikomori", "引きこもり": "hikikomori",
    "介護者": "caregivers", "介護者家族": "caregivers", "家族介護者": "caregivers",
    "介護している方": "caregivers", "認知症の方と家族": "caregivers",
}

_ACCESSIBILITY_WORDS: dict[str, str] = {
    "車いす": "wheelchair", "車椅子": "wheelchair", "車いす可": "wheelchair", "車椅子対応": "wheelchair",
    "多目的トイレ": "accessible_toilet", "だれでもトイレ": "accessible_toilet",
    "バリアフリートイレ": "accessible_toilet", "車いす用トイレ": "accessible_toilet",
    "駐車場": "parking", "駐車場あり": "parking", "エレベーター": "elevator", "エレベータ": "elevator",
    "段差なし": "step_free", "スロープ": "step_free", "筆談": "hearing_support",
    "補聴": "hearing_support", "授乳室": "nursing_room", "ベビーカー可": "stroller",
    "ベビーカー": "stroller", "送迎": "pickup", "送迎あり": "pickup",
}

# Separators inside a multi-valued cell.  「・」 is not one: it sits inside names
# (ふれあい・いきいきサロン, 子ども・子育て).
SPLIT_RE = re.compile(r"[、,;；/\n|]+")


@functools.lru_cache(maxsize=4096)
def _key(text: str) -> str:
    return fold(text).replace(" ", "")


@dataclass(frozen=True)
class Vocab:
    categories: frozenset[str]
    category_terms: dict[str, str]  # folded term → code
    audiences: frozenset[str]
    audience_terms: dict[str, str]
    accessibility: frozenset[str]
    accessibility_terms: dict[str, str]

    def category(self, text: str) -> str | None:
        return _lookup(text, self.categories, self.category_terms)

    def audience(self, text: str) -> str | None:
        return _lookup(text, self.audiences, self.audience_terms)

    def accessibility_code(self, text: str) -> str | None:
        return _lookup(text, self.accessibility, self.accessibility_terms)


def _lookup(text: str, codes: frozenset[str], terms: dict[str, str]) -> str | None:
    raw = text.strip()
    if raw in codes:
        return raw
    key = _key(raw)
    if not key:
        return None
    if key in terms:
        return terms[key]
    # Substring: 「ふれあい・いきいきサロン」 contains サロン.  The longest matching term wins so
    # that 「子育てサロン」 is parenting, not salon.
    best: tuple[int, str] | None = None
    for term, code in terms.items():
        if len(term) >= 2 and term in key and (best is None or len(term) > best[0]):
            best = (len(term), code)
    return best[1] if best else None


@functools.cache
def load_vocab(data_dir: Path = DATA_DIR) -> Vocab:
    taxonomy = tomllib.loads((data_dir / "taxonomy.toml").read_text(encoding="utf-8"))
    synonyms = tomllib.loads((data_dir / "synonyms.toml").read_text(encoding="utf-8"))

    def table(kind: str, words: dict[str, str], extra_table: str) -> tuple[frozenset[str], dict[str, str]]:
        entries = taxonomy.get(kind, [])
        codes = frozenset(e["code"] for e in entries)
        terms: dict[str, str] = {}
        for word, code in words.items():
            if code in codes:
                terms[_key(word)] = code
        for e in entries:
            for label in [e.get("ja", ""), *SPLIT_RE.split(e.get("ja", "")), *e.get("ja", "").split("・")]:
                if label and _key(label) not in terms:
                    terms[_key(label)] = e["code"]
        for word, code in synonyms.get(extra_table, {}).items():
            if code in codes:
                terms[_key(word)] = code
        return codes, terms

    cat_codes, cat_terms = table("category", {}, "category_terms")
    aud_codes, aud_terms = table("audience", _AUDIENCE_WORDS, "audience_terms")
    acc_codes, acc_terms = table("accessibility", _ACCESSIBILITY_WORDS, "accessibility_terms")
    return Vocab(cat_codes, cat_terms, aud_codes, aud_terms, acc_codes, acc_terms)
