"""Query-time synonyms from data/synonyms.toml, keyed by the folded spelling.

A term expands to the union of the groups that contain it (one step, no transitive closure), as
the file's header says.  Keys are folded with the same chain as queries, so ｻﾛﾝ finds the
サロン group and 100歳体操 the 百歳体操 one.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from webapp.config import PROJECT_ROOT
from webapp.search.analysis import query_terms

SYNONYMS_FILE = PROJECT_ROOT / "data" / "synonyms.toml"


def _key(term: str) -> str:
    return " ".join(query_terms(term))


@cache
def synonym_table(path: Path = SYNONYMS_FILE) -> dict[str, tuple[str, ...]]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    table: dict[str, list[str]] = {}
    for group in data.get("group", []):
        keys = [_key(t) for t in group.get("terms", [])]
        keys = [k for k in dict.fromkeys(keys) if k]
        for k in keys:
            bucket = table.setdefault(k, [])
            bucket.extend(x for x in keys if x not in bucket)
    return {k: tuple(v) for k, v in table.items()}


def expand(words: list[str]) -> list[list[str]]:
    """Group the query's folded words into spellings: [[word, synonym, ...], ...].

    A multi-word synonym (「認知症 カフェ」) is recognised when consecutive query words form it;
    the longest match wins.
    """
    table = synonym_table()
    out: list[list[str]] = []
    i = 0
    while i < len(words):
        for j in range(len(words), i, -1):
            key = " ".join(words[i:j])
            if j - i > 1 and key in table:
                out.append(list(dict.fromkeys([key.replace(" ", ""), *table[key]])))
                i = j
                break
        else:
            word = words[i]
            out.append(list(dict.fromkeys([word, *table.get(word, ())])))
            i += 1
    return out
