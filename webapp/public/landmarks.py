"""Landmarks residents name for 「近くで探す」 (near=): stations, 公民館, 小学校, the city hall.

Read from ``instance/landmarks.csv`` when the city has put its own list there, else the shipped
サンプル ``data/sample/landmarks.csv`` (``name,kana,kind,lat,lon``; ``#`` lines are comments).
A typed name is matched by its folded key, as people write it: 「生駒駅」「いこまえき」
「近鉄生駒駅」「生駒駅前」「生駒小」 (= 生駒小学校) all name the same place.
"""

from __future__ import annotations

import csv
import io
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from jatext import fold
from webapp.config import PROJECT_ROOT, Settings

SAMPLE_FILE = PROJECT_ROOT / "data" / "sample" / "landmarks.csv"
# Operators and "near" words people put around a landmark's name.
_PREFIX_RE = re.compile(r"^(?:近鉄|きんてつ|jr|けいはんな線?|生駒ケーブル|いこまけーぶる)")
_SUFFIX_RE = re.compile(r"(?:の?(?:前|まえ|付近|ふきん|周辺|しゅうへん|近く|ちかく|あたり|辺り))$")
_SCHOOL_RE = re.compile(r"(小|中)$")
_lock = threading.Lock()
_cache: dict[Path, dict[str, Landmark]] = {}


@dataclass(frozen=True)
class Landmark:
    name: str
    kana: str
    kind: str
    lat: float
    lon: float


def landmark_key(text: str) -> str:
    """The matching key of a typed landmark name (folded, no spaces, no operator or 「前」)."""
    key = fold(text).replace(" ", "")
    key = _PREFIX_RE.sub("", key)
    key = _SUFFIX_RE.sub("", key)
    # 「生駒小」「生駒南中」: the short form of 小学校/中学校.
    return _SCHOOL_RE.sub(lambda m: m.group(1) + "学校", key)


def landmarks_file(settings: Settings) -> Path:
    own = settings.instance_dir / "landmarks.csv"
    return own if own.is_file() else SAMPLE_FILE


def load_landmarks(path: Path) -> dict[str, Landmark]:
    """Key → landmark, keyed by the folded name and the folded kana."""
    text = "\n".join(line for line in path.read_text(encoding="utf-8-sig").splitlines() if not line.startswith("#"))
    out: dict[str, Landmark] = {}
    for row in csv.DictReader(io.StringIO(text)):
        try:
            item = Landmark(row["name"].strip(), (row.get("kana") or "").strip(), (row.get("kind") or "").strip(),
                            float(row["lat"]), float(row["lon"]))  # fmt: skip
        except (KeyError, TypeError, ValueError):
            continue  # a broken line never hides the others
        for spelling in (item.name, item.kana):
            if spelling:
                out.setdefault(landmark_key(spelling), item)
    return out


def find_landmark(settings: Settings, text: str) -> Landmark | None:
    path = landmarks_file(settings)
    with _lock:
        if path not in _cache:
            _cache[path] = load_landmarks(path)
        table = _cache[path]
    return table.get(landmark_key(text))


def clear_cache() -> None:
    with _lock:
        _cache.clear()
