"""The Japanese analysis chain for the search index, built on jatext (the one normaliser).

Every string goes through the same steps at index time and at query time:

* ``words``: SudachiPy (via :func:`jatext.tokens`, mode C) over ``clean()`` text with kanji
  numerals turned into digits (百歳→100歳); each morpheme gives its folded normalized form
  (子ども/こども→子供, ｻﾛﾝ→さろん), its folded surface and its folded reading.  Because the
  reading is a token too, a query typed in hiragana as one word (「こそだて」, which Sudachi
  itself would split into こそ/だて) still hits the kanji word 子育て.
* ``yomi``: character trigrams of the hiragana reading of each run of text (reading computed
  without the numeral rewrite, so 百歳体操 also reads ひゃくさいたいそう), plus an *anchored*
  trigram ``^xyz`` at the start of each word's reading.  Used for kana queries of 3+
  characters (「こそだてひろば」「しかのだい」), which must start where a word starts: a reading
  matches whole words or word prefixes, never the inside of another word (いご ≠ かいご).
* ``gram``: character unigrams and bigrams of the folded text, so 1–2 character queries
  (碁, 囲碁, 体操) and words Sudachi splits differently still match.

Tokens are produced here, in Python, and handed to Whoosh joined by spaces (the schema's fields
use a whitespace tokenizer), so Whoosh never needs to know about Japanese.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jatext import fold, ga_runs, kanji_numerals_to_digits, tokens, unify_ke
from jatext.normalize import clean

__all__ = [
    "QueryTerm",
    "is_kana",
    "query_terms",
    "reading_runs",
    "town_of",
    "word_tokens",
    "yomi_grams",
]

YOMI_N = 3
ANCHOR = "^"  # marks a reading trigram that starts a word
_BOUNDARY = "|"  # between the readings of two words inside a run (never in a reading)
_KANA_RE = re.compile("^[\u3041-\u3096\u309d\u309e\u30fcー]+$")
_SPACE_RE = re.compile(r"\s+")
_KANJI_NUMERAL_RE = re.compile("[〇零一二三四五六七八九十百千万]")
# 奈良県生駒市鹿ノ台東1丁目11-15 → 鹿ノ台東; the town is what follows the city, up to a digit.
_TOWN_RE = re.compile(r"^(?:.{2,4}?[都道府県])?(?:.{1,6}?郡)?.{1,8}?[市町村](?:.{1,4}?区)?(?P<town>[^0-9\s-]{1,12}?)(?:[0-9一二三四五六七八九十]+丁目|[0-9]|$)")
_DIRECTION_SUFFIX = "東西南北中上下"


# Morphemes repeat endlessly across listings (の, 体操, さろん): folding each distinct one once
# makes indexing ~5x faster.  fold() is pure, so caching it cannot change a result.
_fold = lru_cache(maxsize=262_144)(fold)


def is_kana(text: str) -> bool:
    """True when ``text`` (already folded) is hiragana and long-vowel marks only."""
    return bool(_KANA_RE.match(text))


def _numerals(text: str) -> str:
    return kanji_numerals_to_digits(text) if _KANJI_NUMERAL_RE.search(text) else text


def _clean(text: str) -> str:
    # ヶ/ヵ → ケ before Sudachi: 西松ヶ丘 and 西松ケ丘 then split alike in data and queries.
    return unify_ke(clean(text))


def word_tokens(text: str | None) -> list[str]:
    """Folded word tokens (normalized form, surface and reading of each morpheme), in order."""
    if not text:
        return []
    converted = _numerals(_clean(text))
    return _words_of(tokens(converted), converted)


def _words_of(toks: Iterable[Any], text: str = "") -> list[str]:
    # Place-name runs (西松が丘) whole, however Sudachi split them (喜里/が/丘): the fold of
    # ヶ/ケ/が survives the split, so 喜里ケ丘 finds 喜里が丘 and back.
    out: list[str] = ga_runs(fold(text)) if text else []
    for t in toks:
        surface = _fold(t.surface)
        if not surface:
            continue  # whitespace and punctuation: Sudachi even gives a space the reading きごう
        for form in (_fold(t.normalized_form), surface, _fold(t.reading_hiragana)):
            # A form can fold to several words (normalized forms with spaces); keep them all.
            for piece in form.split():
                if piece not in out[-3:]:
                    out.append(piece)
    return out


def reading_runs(text: str | None) -> list[str]:
    """Folded hiragana readings of the text's runs (split at spaces and punctuation)."""
    if not text:
        return []
    return [r.replace(_BOUNDARY, "") for r in _runs_of(tokens(_clean(text)))]


def _runs_of(toks: Iterable[Any]) -> list[str]:
    # Readings of consecutive words joined, with _BOUNDARY where one word ends and the next starts.
    runs: list[str] = []
    current: list[str] = []
    for t in toks:
        surface = _fold(t.surface)
        if not surface:
            if current:
                runs.append(_BOUNDARY.join(current))
                current = []
            continue
        piece = _fold(t.reading_hiragana).replace(" ", "")
        if piece:
            current.append(piece)
    if current:
        runs.append(_BOUNDARY.join(current))
    return [r for r in runs if r]


def analyse_text(text: str | None) -> tuple[list[str], list[str]]:
    """(word_tokens, reading_runs) of one text, tokenising it once when it has no kanji numerals."""
    if not text:
        return [], []
    words, runs = _analyse_cached(text)
    return list(words), list(runs)


@lru_cache(maxsize=16_384)
def _analyse_cached(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    # Addresses, organisation and category labels repeat across listings; re-indexing too.
    cleaned = _clean(text)
    toks = tokens(cleaned)
    converted = _numerals(cleaned)
    words = _words_of(toks if converted == cleaned else tokens(converted), converted)
    return tuple(words), tuple(_runs_of(toks))


def _grams(s: str, n: int) -> list[str]:
    if len(s) <= n:
        return [s] if s else []
    return [s[i : i + n] for i in range(len(s) - n + 1)]


def yomi_grams(runs: Iterable[str]) -> list[str]:
    """Trigrams of each reading run (runs shorter than 3 are kept whole), and an anchored
    trigram (``^`` + 3 kana) where each word of the run starts (runs from :func:`analyse_text`
    mark word boundaries; a run without marks is one word)."""
    out: list[str] = []
    for run in runs:
        words = run.split(_BOUNDARY)
        plain = "".join(words)
        out.extend(_grams(plain, YOMI_N))
        start = 0
        for word in words:
            if len(plain) - start >= YOMI_N:
                out.append(ANCHOR + plain[start : start + YOMI_N])
            start += len(word)
    return out


def anchored_grams(text: str) -> list[str]:
    """What a kana query of 3+ characters must hit in a yomi field: its trigrams and the anchor
    of its start (so it begins where a word begins)."""
    return [ANCHOR + text[:YOMI_N], *dict.fromkeys(_grams(text, YOMI_N))]


def town_of(address: str | None) -> list[str]:
    """The town (町名) of an address, and its base without a direction suffix: 鹿ノ台東 → [鹿ノ台東, 鹿ノ台]."""
    if not address:
        return []
    m = _TOWN_RE.match(clean(address))
    if not m or not m.group("town"):
        return []
    town = m.group("town")
    out = [town]
    if len(town) > 2 and town[-1] in _DIRECTION_SUFFIX:
        out.append(town[:-1])
    return out


@dataclass(frozen=True)
class QueryTerm:
    """One alternative spelling of one word of the query, analysed like the index."""

    text: str  # folded, numerals as digits
    words: tuple[str, ...]  # Sudachi normalized forms (folded), in order
    kana: bool

    @property
    def split_kana(self) -> bool:
        """A kana word Sudachi cut into pieces (いご → い/ご, まちのえき → まち/の/えき): its pieces
        are not words of the query and must not be matched one by one anywhere in a listing."""
        return self.kana and len(self.words) > 1


def _normalized_words(text: str) -> tuple[str, ...]:
    runs = ga_runs(fold(text))
    if runs:
        # 西松が丘 is one word of the index whatever Sudachi makes of it here (西/松が丘).
        rest = fold(text)
        for run in runs:
            rest = rest.replace(run, " ")
        return tuple(runs) + (_normalized_words(rest) if rest.strip() else ())
    out: list[str] = []
    for t in tokens(text):
        surface = _fold(t.surface)
        if not surface:
            continue
        # Only the normalized form: surface/reading alternatives of a *query* word would widen
        # the match (こそだて → こそ AND だて) instead of narrowing it.
        for piece in _fold(t.normalized_form).split():
            out.append(piece)
    return tuple(out)


def query_terms(raw: str) -> list[str]:
    """Split a query into folded words (space separated after folding); empty for punctuation only."""
    return [w for w in fold(_numerals(clean(raw))).split() if w]


def query_words(raw: str) -> list[tuple[str, str]]:
    """The query's words as (as typed, folded key).  Sudachi must see the typed script: folded
    hiragana 「からおけ」 splits as から/おけ, while カラオケ is one word."""
    out: list[tuple[str, str]] = []
    for chunk in _numerals(_clean(raw)).split():
        pieces = _fold(chunk).split()
        if len(pieces) == 1:
            out.append((chunk, pieces[0]))
        else:  # punctuation inside the chunk (囲碁・将棋): the folded pieces are the words
            out.extend((p, p) for p in pieces)
    return out


@lru_cache(maxsize=8192)
def analyse_term(word: str) -> QueryTerm:
    """Analyse one folded query word (or synonym) for the three fields."""
    folded = _fold(_numerals(_clean(word))).replace(" ", "")
    return QueryTerm(text=folded, words=_normalized_words(_numerals(_clean(word))), kana=is_kana(folded))


def compact(text: str) -> str:
    return _SPACE_RE.sub("", text)
