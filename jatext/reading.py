"""Readings (furigana) via SudachiPy + sudachidict-core, split mode C.

The tokenizer is created lazily, once per process (loading the dictionary costs ~0.1 s and
~70 MB, which import time must not pay), and guarded by a lock because a SudachiPy tokenizer
must not be used from two threads at once.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

__all__ = ["Token", "reading", "ruby_segments", "tokens"]

_lock = threading.Lock()
_tokenizer: Any = None

# Sudachi refuses inputs above ~49 KB; city texts are far shorter, but chunk defensively.
_MAX_CHUNK = 4000

_KANJI_RE = re.compile("[\u3005\u3006\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_KANJI_RUN_RE = re.compile(
    "([\u3005\u3006\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+)"
)


@dataclass(frozen=True, slots=True)
class Token:
    """One morpheme.  ``part_of_speech`` is Sudachi's 6-field tuple, e.g. ('名詞', '普通名詞', '一般', '*', '*', '*')."""

    surface: str
    normalized_form: str
    reading_hiragana: str
    part_of_speech: tuple[str, ...]


def _get_tokenizer() -> Any:
    global _tokenizer
    if _tokenizer is None:
        from sudachipy import Dictionary, SplitMode

        _tokenizer = Dictionary(dict="core").tokenizer(mode=SplitMode.C)
    return _tokenizer


_HIRAGANA = {c: c - 0x60 for c in range(0x30A1, 0x30F7)}


def _to_hiragana(s: str) -> str:
    return s.translate(_HIRAGANA)


@lru_cache(maxsize=1 << 16)
def _keeps_surface(surface: str) -> bool:
    # Digits and Latin words are shown as written: Sudachi would read "10" as イチレイ and "2026"
    # as ニレイニロク, which no resident says.
    norm = unicodedata.normalize("NFKC", surface)
    return bool(norm) and all(c.isascii() for c in norm) and any(c.isalnum() for c in norm)


_pos_cache: dict[int, tuple[str, ...]] = {}


def _pos(pos_id: int, morpheme: Any) -> tuple[str, ...]:
    # A few hundred distinct parts of speech: build each tuple once (called under _lock).
    pos = _pos_cache.get(pos_id)
    if pos is None:
        pos = _pos_cache[pos_id] = tuple(morpheme.part_of_speech())
    return pos


def _chunks(text: str) -> list[str]:
    out: list[str] = []
    for line in text.splitlines(keepends=True):
        while len(line) > _MAX_CHUNK:
            # Cut after punctuation or a space so no word is split; hard cut only as last resort.
            cut = max(line.rfind(c, 0, _MAX_CHUNK) for c in "。、．，,. 　!?！？")
            cut = cut + 1 if cut > 0 else _MAX_CHUNK
            out.append(line[:cut])
            line = line[cut:]
        if line:
            out.append(line)
    return out


def tokens(text: str | None) -> list[Token]:
    """Split ``text`` into morphemes (mode C).  Concatenated surfaces equal the input."""
    if not text:
        return []
    result: list[Token] = []
    with _lock:
        tok = _get_tokenizer()
        for chunk in _chunks(text):
            for m in tok.tokenize(chunk):
                surface = m.surface()
                if _keeps_surface(surface):
                    read = unicodedata.normalize("NFKC", surface)
                else:
                    read = _to_hiragana(m.reading_form()) or surface
                result.append(
                    Token(
                        surface=surface,
                        normalized_form=m.normalized_form(),
                        reading_hiragana=read,
                        part_of_speech=_pos(m.part_of_speech_id(), m),
                    )
                )
    return result


def reading(text: str | None) -> str:
    """Hiragana reading of the whole text; digits and Latin words are kept as written
    (NFKC, so ``１０時`` reads ``10じ``); whitespace and punctuation are kept."""
    return "".join(t.reading_hiragana for t in tokens(text))


def _split_okurigana(surface: str, read: str) -> list[tuple[str, str | None]]:
    """Align a token's surface with its reading so that only kanji runs carry ruby.

    引き籠もり/ひきこもり → [(引, ひ), (き, None), (籠, こ), (もり, None)].  When the kana parts of
    the surface cannot be found in the reading (irregular readings, 今日 etc.), the whole token
    gets the whole reading.
    """
    parts = [p for p in _KANJI_RUN_RE.split(surface) if p]
    if len(parts) == 1:
        return [(surface, read)]
    pattern = "".join("(.+?)" if _KANJI_RE.match(p) else f"({re.escape(_to_hiragana(p))})" for p in parts)
    m = re.fullmatch(pattern, read)
    if not m:
        return [(surface, read)]
    return [(p, g if _KANJI_RE.match(p) else None) for p, g in zip(parts, m.groups(), strict=True)]


def ruby_segments(text: str | None) -> list[tuple[str, str | None]]:
    """Split ``text`` into runs for furigana: ``(run, reading)`` where reading is hiragana for
    runs that contain kanji and None for everything else.  Concatenated runs equal the input.

    Unknown kanji (no dictionary reading) get None rather than a wrong guess.
    """
    out: list[tuple[str, str | None]] = []
    for t in tokens(text):
        if not _KANJI_RE.search(t.surface) or _KANJI_RE.search(t.reading_hiragana):
            out.append((t.surface, None))
            continue
        out.extend(_split_okurigana(t.surface, t.reading_hiragana))
    # Merge neighbouring plain runs so templates emit fewer spans.
    merged: list[tuple[str, str | None]] = []
    for run, rd in out:
        if rd is None and merged and merged[-1][1] is None:
            merged[-1] = (merged[-1][0] + run, None)
        else:
            merged.append((run, rd))
    return merged
