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
from webapp.search.analysis import query_terms, query_words

SYNONYMS_FILE = PROJECT_ROOT / "data" / "synonyms.toml"


def _key(term: str) -> str:
    return " ".join(query_terms(term))


@cache
def synonym_table(path: Path = SYNONYMS_FILE) -> dict[str, tuple[str, ...]]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    # folded key → the group's terms as written (Sudachi analyses them in their own script).
    table: dict[str, list[str]] = {}
    for group in data.get("group", []):
        terms = [str(t) for t in group.get("terms", []) if _key(str(t))]
        for t in terms:
            bucket = table.setdefault(_key(t), [])
            bucket.extend(x for x in terms if x not in bucket)
    return {k: tuple(v) for k, v in table.items()}


def expand(words: list[str] | list[tuple[str, str]]) -> list[list[str]]:
    """Group the query's words into spellings: [[as typed, synonym, ...], ...].

    ``words`` are (as typed, folded) pairs from :func:`analysis.query_words`, or folded words.
    A multi-word synonym (「認知症 カフェ」) is recognised when consecutive query words form it;
    the longest match wins.
    """
    pairs = [w if isinstance(w, tuple) else (w, w) for w in words]
    keys = [k for _, k in pairs]
    table = synonym_table()
    out: list[list[str]] = []
    i = 0
    while i < len(pairs):
        for j in range(len(pairs), i, -1):
            key = " ".join(keys[i:j])
            if j - i > 1 and key in table:
                typed = "".join(t for t, _ in pairs[i:j])
                out.append(list(dict.fromkeys([typed, *table[key]])))
                i = j
                break
        else:
            typed, key = pairs[i]
            out.append(list(dict.fromkeys([typed, *table.get(key, ())])))
            i += 1
    return out


def expand_query(raw: str) -> list[list[str]]:
    """Spellings for each word of a raw query; [] when it has no words (punctuation only)."""
    return expand(query_words(raw))
