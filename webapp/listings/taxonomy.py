"""Category, audience, accessibility and interest vocabularies, read once from data/taxonomy.toml."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache

from webapp.config import PROJECT_ROOT

TAXONOMY_FILE = PROJECT_ROOT / "data" / "taxonomy.toml"


@dataclass(frozen=True)
class Term:
    code: str
    ja: str
    en: str
    color: str = ""
    icon: str = ""
    kana: str = ""

    def label(self, lang: str) -> str:
        return self.en if lang == "en" and self.en else self.ja


@dataclass(frozen=True)
class Taxonomy:
    categories: dict[str, Term]
    audiences: dict[str, Term]
    accessibility: dict[str, Term]
    interests: dict[str, Term]


def _terms(rows: list[dict[str, object]]) -> dict[str, Term]:
    ordered = sorted(rows, key=lambda r: int(r.get("order", 0)))  # type: ignore[call-overload]
    return {
        str(r["code"]): Term(
            code=str(r["code"]),
            ja=str(r.get("ja", r["code"])),
            en=str(r.get("en", r["code"])),
            color=str(r.get("color", "")),
            icon=str(r.get("icon", "")),
            kana=str(r.get("kana", "")),
        )
        for r in ordered
    }


@cache
def taxonomy() -> Taxonomy:
    data = tomllib.loads(TAXONOMY_FILE.read_text(encoding="utf-8"))
    return Taxonomy(
        categories=_terms(data.get("category", [])),
        audiences=_terms(data.get("audience", [])),
        accessibility=_terms(data.get("accessibility", [])),
        interests=_terms(data.get("interest", [])),
    )
