"""Address → point from the 位置参照情報 (国土交通省) CSV files, in memory.

Two source layouts are read (CP932 as downloaded, or UTF-8):

* 街区レベル: one row per 街区 (block, in 住居表示 areas) or 地番 (elsewhere).
* 大字・町丁目レベル: one row per 大字 or 丁目, a representative point.

Lookups fall back 街区 → 丁目 → 大字 and are plain dict hits on folded keys, so 100k addresses
take seconds. Text is normalised by :mod:`jatext.normalize` only (clean/fold/kanji numerals);
this module only knows the *structure* of a Japanese address.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from os import PathLike
from pathlib import Path
from typing import Literal, NamedTuple

from jatext.normalize import clean, fold, kanji_numerals_to_digits

Level = Literal["gaiku", "chome", "oaza"]

PREFECTURES = (
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県", "栃木県", "群馬県",
    "埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県", "石川県", "福井県", "山梨県", "長野県",
    "岐阜県", "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府", "兵庫県", "奈良県", "和歌山県",
    "鳥取県", "島根県", "岡山県", "広島県", "山口県", "徳島県", "香川県", "愛媛県", "高知県", "福岡県",
    "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県",
)  # fmt: skip

GAIKU_COLUMNS = (
    "都道府県名", "市区町村名", "大字・丁目名", "小字・通称名", "街区符号・地番", "座標系番号",
    "Ｘ座標", "Ｙ座標", "緯度", "経度", "住居表示フラグ", "代表フラグ", "更新前履歴フラグ", "更新後履歴フラグ",
)  # fmt: skip
OAZA_COLUMNS = (
    "都道府県コード", "都道府県名", "市区町村コード", "市区町村名", "大字町丁目コード", "大字町丁目名",
    "緯度", "経度", "原典資料コード", "大字・字・丁目区分コード",
)  # fmt: skip

_KANJI_NUM = "〇一二三四五六七八九十百千"
_POSTCODE_RE = re.compile(r"^〒?\s*\d{3}-?\d{4}(?!\d)\s*")
_SPACE_RE = re.compile(r"\s+")
# Where the house-number part starts: any arabic digit, or a kanji numeral run that is clearly
# a number (followed by 丁目/番/号/a dash/の+numeral/the end). 一分町 and 三条 stay names.
_TAIL_START_RE = re.compile(rf"\d|[{_KANJI_NUM}]+(?=丁目|番|号|[-ー−‐]|[のノ][\d{_KANJI_NUM}]|$)")
_DASH_IN_TAIL_RE = re.compile(rf"(?<=[\d{_KANJI_NUM}])[ー−‐―–—](?=[\d{_KANJI_NUM}])")
_BARE_KANJI_NUM_RE = re.compile(rf"(?<=[-のノ])[{_KANJI_NUM}]+(?![丁番号{_KANJI_NUM}])")
_TAIL_TOKEN_RE = re.compile(r"[-のノ]?(\d+)(丁目|番地|番|号)?")
_CITY_RE = re.compile(r"^(?:[^\d\s]{1,5}?郡[^\d\s]{1,5}?[町村]|[^\d\s]{1,6}?市(?:市)?(?:[^\d\s]{1,4}?区)?)")
_TOKYO_WARD_RE = re.compile(r"^[^\d\s]{1,4}?区")


class NormalizedAddress(NamedTuple):
    """An address split into parts. ``town`` has 大字/字 removed and no 丁目; ``rest`` is what
    follows the block (号, 枝番, building), joined with ``-``/space."""

    pref: str | None
    city: str | None
    town: str | None
    chome: int | None
    block: str | None
    rest: str


@dataclass(frozen=True)
class GeocodeResult:
    lat: float
    lon: float
    level: Level
    matched_text: str


# --------------------------------------------------------------------------------------------
# normalisation


def _prepare(text: str) -> str:
    s = clean(text)
    s = _POSTCODE_RE.sub("", s)
    return _SPACE_RE.sub("", s)


def _split_pref(s: str) -> tuple[str | None, str]:
    for pref in PREFECTURES:
        if s.startswith(pref):
            return pref, s[len(pref) :]
    return None, s


def _strip_oaza(s: str) -> str:
    if s.startswith("大字"):
        return s[2:]
    if s.startswith("字") and len(s) > 1:
        return s[1:]
    return s


def _split_town_heuristic(s: str) -> tuple[str, str]:
    m = _TAIL_START_RE.search(s)
    if not m:
        return s, ""
    return s[: m.start()], s[m.start() :]


def _bare_numeral(m: re.Match[str]) -> str:
    # jatext converts a kanji numeral only with a counter; give it one and take it back.
    return kanji_numerals_to_digits(m.group(0) + "号")[:-1]


def _parse_tail(tail: str) -> tuple[int | None, str | None, str]:
    """'3丁目8番38号' / '3-8-38' / '八番地の三' → (chome, block, rest)."""
    t = _DASH_IN_TAIL_RE.sub("-", tail)
    t = kanji_numerals_to_digits(t)
    t = _BARE_KANJI_NUM_RE.sub(_bare_numeral, t)
    tokens: list[tuple[str, str | None]] = []
    pos = 0
    while pos < len(t):
        m = _TAIL_TOKEN_RE.match(t, pos)
        if not m:
            break
        tokens.append((m.group(1), m.group(2)))
        pos = m.end()
    trailing = t[pos:].lstrip("-のノ")
    chome: int | None = None
    numbers = [n for n, _ in tokens]
    chome_at = next((i for i, (_, mark) in enumerate(tokens) if mark == "丁目"), None)
    if chome_at is not None:
        chome = int(tokens[chome_at][0])
        numbers = numbers[chome_at + 1 :]
    elif len(numbers) >= 3:
        # 1-2-3 with no marks: 丁目-番-号 is the only reading with three numbers.
        chome = int(numbers[0])
        numbers = numbers[1:]
    block = str(int(numbers[0])) if numbers else None
    rest_parts = [str(int(n)) for n in numbers[1:]]
    rest = "-".join(rest_parts)
    if trailing:
        rest = f"{rest} {trailing}".strip()
    return chome, block, rest


def _split_city_heuristic(pref: str | None, s: str) -> tuple[str | None, str]:
    m = _CITY_RE.match(s)
    if m:
        return m.group(0), s[m.end() :]
    if pref == "東京都":
        m = _TOKYO_WARD_RE.match(s)
        if m:
            return m.group(0), s[m.end() :]
    return None, s


def normalize_address(text: str) -> NormalizedAddress:
    """Split a free-form Japanese address without a dictionary.

    ``奈良県生駒市東新町８－３８``, ``生駒市東新町8番38号`` and ``東新町八番三十八号`` all give
    town 東新町, block "8", rest "38". A bare ``a-b`` is read as 番-号; :class:`Geocoder`
    re-reads it as 丁目-番 when the town has 丁目.
    """
    s = _prepare(text)
    pref, s = _split_pref(s)
    city, s = _split_city_heuristic(pref, s)
    town_raw, tail = _split_town_heuristic(s)
    town = _strip_oaza(town_raw) or None
    chome, block, rest = _parse_tail(tail)
    return NormalizedAddress(pref, city, town, chome, block, rest)


# --------------------------------------------------------------------------------------------
# index


class _Entry(NamedTuple):
    lat: float
    lon: float
    text: str


@lru_cache(maxsize=65536)
def _town_and_chome(name: str) -> tuple[str, int | None]:
    """'東生駒一丁目' → ('東生駒', 1); '大字高山町' → ('高山町', None)."""
    s = _strip_oaza(_SPACE_RE.sub("", clean(name)))
    town, tail = _split_town_heuristic(s)
    if tail:
        chome, block, _ = _parse_tail(tail)
        if chome is None and block is not None and tail.endswith("丁目"):
            chome = int(block)
        if chome is not None:
            return town, chome
    return s, None


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp932")


@lru_cache(maxsize=1024)
def _norm_header(h: str) -> str:
    return clean(h).strip('"')


_GAIKU_SET = {_norm_header(c) for c in GAIKU_COLUMNS}
_OAZA_SET = {_norm_header(c) for c in OAZA_COLUMNS}


# Building the index repeats the same few names thousands of times (one row per block).
@lru_cache(maxsize=65536)
def _clean_name(s: str) -> str:
    return clean(s)


@lru_cache(maxsize=65536)
def _fold_name(s: str) -> str:
    return fold(s)


class Geocoder:
    """In-memory 位置参照情報 index. Build with :meth:`from_files` or :meth:`from_rows`."""

    def __init__(self, *, default_city: str | None = None) -> None:
        # The city an address without a city name is taken to be in when its town exists in
        # several cities (a one-city site: "東新町8-38" means 生駒市東新町, not 奈良市東新町).
        self.default_city = default_city
        self._city_pref: dict[str, str] = {}  # city key -> prefecture
        self._city_name: dict[str, str] = {}  # city key -> display
        self._city_by_head: dict[str, list[str]] = defaultdict(list)  # first 2 chars of key -> keys
        self._town_name: dict[tuple[str, str], str] = {}  # (city key, town key) -> display
        self._town_cities: dict[str, set[str]] = defaultdict(set)
        self._town_maxlen = 0
        self._gaiku: dict[tuple[str, str, int | None, str], _Entry] = {}
        self._gaiku_rep: set[tuple[str, str, int | None, str]] = set()
        self._chome: dict[tuple[str, str, int], _Entry] = {}
        self._oaza: dict[tuple[str, str], _Entry] = {}
        self._has_chome: set[tuple[str, str]] = set()
        self._cities_by_pref: dict[str, set[str]] = defaultdict(set)
        self.rows_read = 0
        self.rows_skipped = 0

    # ---- building

    @classmethod
    def from_files(cls, paths: Iterable[str | PathLike[str]], *, default_city: str | None = None) -> Geocoder:
        """Read 街区レベル and/or 大字・町丁目レベル CSV files (CP932 or UTF-8, with or without BOM)."""
        geocoder = cls(default_city=default_city)
        for p in paths:
            path = Path(p)
            text = _read_text(path)
            reader = csv.reader(io.StringIO(text, newline=""))
            header = next(reader, None)
            if not header:
                raise ValueError(f"{path}: empty file")
            names = [_norm_header(h) for h in header]
            if not (set(names) >= _GAIKU_SET or set(names) >= _OAZA_SET):
                raise ValueError(
                    f"{path}: not a 位置参照情報 CSV (街区レベル or 大字・町丁目レベル); header was {header[:6]}…"
                )
            geocoder._add_rows(dict(zip(names, row, strict=False)) for row in reader if row)
        geocoder._finish()
        return geocoder

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, str]], *, default_city: str | None = None) -> Geocoder:
        """Build from mappings keyed by either layout's column names (mixed is fine)."""
        geocoder = cls(default_city=default_city)
        geocoder._add_rows({_norm_header(k): v for k, v in row.items()} for row in rows)
        geocoder._finish()
        return geocoder

    def _add_city(self, pref: str, city: str) -> str:
        key = _fold_name(city)
        if key not in self._city_pref:
            self._city_pref[key] = pref
            self._city_name[key] = city
            self._city_by_head[key[:2]].append(key)
            # People drop the 郡 ("平群町" for "生駒郡平群町"): index that spelling too.
            if "郡" in city[:-1]:
                short = city.split("郡", 1)[1]
                short_key = fold(short)
                if short_key not in self._city_pref:
                    self._city_pref[short_key] = pref
                    self._city_name[short_key] = city
                    self._city_by_head[short_key[:2]].append(short_key)
        return self._city_key_canonical(key)

    def _city_key_canonical(self, key: str) -> str:
        return _fold_name(self._city_name[key])

    def _add_town(self, city_key: str, town: str) -> str:
        key = _fold_name(town)
        self._town_name.setdefault((city_key, key), town)
        self._town_cities[key].add(city_key)
        self._town_maxlen = max(self._town_maxlen, len(key))
        return key

    def _add_rows(self, rows: Iterable[Mapping[str, str]]) -> None:
        for row in rows:
            self.rows_read += 1
            try:
                lat = float(row["緯度"])
                lon = float(row["経度"])
                pref = _clean_name(row["都道府県名"])
                city = _clean_name(row["市区町村名"])
            except (KeyError, TypeError, ValueError):
                self.rows_skipped += 1
                continue
            if not (-90 <= lat <= 90 and -180 <= lon <= 180) or not city:
                self.rows_skipped += 1
                continue
            city_key = self._add_city(pref, city)
            if "街区符号・地番" in row:
                town_name, chome = _town_and_chome(row.get("大字・丁目名", ""))
                block = clean(row.get("街区符号・地番", ""))
                if not town_name or not block:
                    self.rows_skipped += 1
                    continue
                block = str(int(block)) if block.isdigit() else block
                town_key = self._add_town(city_key, town_name)
                jukyo = row.get("住居表示フラグ", "").strip() == "1"
                chome_text = f"{chome}丁目" if chome is not None else ""
                mark = "番" if jukyo else "番地"
                text = f"{pref}{city}{town_name}{chome_text}{block}{mark}"
                key = (city_key, town_key, chome, block)
                representative = row.get("代表フラグ", "").strip() == "1"
                # One 街区 can appear several times (小字, history rows); the 代表 row wins.
                if key not in self._gaiku or (representative and key not in self._gaiku_rep):
                    self._gaiku[key] = _Entry(lat, lon, text)
                    if representative:
                        self._gaiku_rep.add(key)
                if chome is not None:
                    self._has_chome.add((city_key, town_key))
            elif "大字町丁目名" in row:
                town_name, chome = _town_and_chome(row.get("大字町丁目名", ""))
                if not town_name:
                    self.rows_skipped += 1
                    continue
                town_key = self._add_town(city_key, town_name)
                if chome is not None:
                    text = f"{pref}{city}{town_name}{chome}丁目"
                    self._chome.setdefault((city_key, town_key, chome), _Entry(lat, lon, text))
                    self._has_chome.add((city_key, town_key))
                else:
                    self._oaza.setdefault((city_key, town_key), _Entry(lat, lon, f"{pref}{city}{town_name}"))
            else:
                self.rows_skipped += 1

    def _finish(self) -> None:
        # Fill missing 丁目 and 大字 points with the mean of what lies below them, so that the
        # fallback chain works with a 街区-only or 町丁目-only download too.
        sums: dict[tuple, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
        for (city, town, chome, _block), e in self._gaiku.items():
            if chome is not None and (city, town, chome) not in self._chome:
                acc = sums[(city, town, chome)]
                acc[0] += e.lat
                acc[1] += e.lon
                acc[2] += 1
        for (city, town, chome), (slat, slon, n) in sums.items():
            name = self._town_name[(city, town)]
            text = f"{self._city_pref[city]}{self._city_name[city]}{name}{chome}丁目"
            self._chome[(city, town, chome)] = _Entry(slat / n, slon / n, text)
        oaza_sums: dict[tuple, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
        for (city, town, _chome), e in self._chome.items():
            if (city, town) not in self._oaza:
                acc = oaza_sums[(city, town)]
                acc[0] += e.lat
                acc[1] += e.lon
                acc[2] += 1
        for (city, town, chome, _block), e in self._gaiku.items():
            if chome is None and (city, town) not in self._oaza:
                acc = oaza_sums[(city, town)]
                acc[0] += e.lat
                acc[1] += e.lon
                acc[2] += 1
        for (city, town), (slat, slon, n) in oaza_sums.items():
            name = self._town_name[(city, town)]
            text = f"{self._city_pref[city]}{self._city_name[city]}{name}"
            self._oaza[(city, town)] = _Entry(slat / n, slon / n, text)
        for keys in self._city_by_head.values():
            keys.sort(key=len, reverse=True)
        self._cities_by_pref = defaultdict(set)
        for name in set(self._city_name.values()):
            self._cities_by_pref[self._city_pref[fold(name)]].add(fold(name))

    def __len__(self) -> int:
        return len(self._gaiku) + len(self._chome) + len(self._oaza)

    @property
    def cities(self) -> list[str]:
        return sorted(set(self._city_name.values()))

    # ---- lookup

    def town_points(self, city: str | None = None) -> list[tuple[str, float, float]]:
        """(town name, lat, lon) of every 大字・町 of ``city`` (default: the default city), for map labels."""
        wanted = _fold_name(city or self.default_city or "")
        return sorted(
            (self._town_name[(c, t)], e.lat, e.lon) for (c, t), e in self._oaza.items() if not wanted or c == wanted
        )

    def is_town(self, name: str) -> bool:
        """Whether ``name`` (as typed: 東生駒, 桜ヶ丘) is a town (大字・町名) of the table."""
        key = _fold_name(name)
        return bool(key) and key in self._town_cities

    def _match_city(self, folded: str) -> str | None:
        for key in self._city_by_head.get(folded[:2], ()):
            if folded.startswith(key):
                return key
        return None

    def _match_town(self, allowed: set[str] | None, folded: str) -> tuple[str, str, int] | None:
        """Longest known town that prefixes ``folded``, owned by exactly one allowed city.

        First pass: the town must be followed by a number, 字, or nothing (so 東 does not eat
        東新町8); second pass: any follower (an 大字 followed by a building name).
        """
        limit = min(len(folded), self._town_maxlen)
        for strict in (True, False):
            for n in range(limit, 0, -1):
                owners = self._town_cities.get(folded[:n])
                if not owners:
                    continue
                nxt = folded[n : n + 1]
                if strict and nxt and not (nxt.isdigit() or nxt in _KANJI_NUM or nxt in "-字番の"):
                    continue
                mine = owners if allowed is None else owners & allowed
                if len(mine) == 1:
                    return next(iter(mine)), folded[:n], n
                if len(mine) > 1:
                    # Same town name in several cities and no city written.
                    default = fold(self.default_city) if self.default_city else None
                    if default in mine:
                        return default, folded[:n], n
                    return None
        return None

    def normalize(self, text: str) -> NormalizedAddress:
        """Like :func:`normalize_address`, but cities and towns are matched against the index."""
        parsed = self._parse(text)
        if parsed is None:
            return normalize_address(text)
        city_key, town_key, chome, block, rest = parsed
        city = self._city_name[city_key]
        return NormalizedAddress(
            self._city_pref[city_key], city, self._town_name[(city_key, town_key)], chome, block, rest
        )

    def _parse(self, text: str) -> tuple[str, str, int | None, str | None, str] | None:
        s = _prepare(text)
        pref, s = _split_pref(s)
        folded = fold(s)
        if len(folded) != len(s):
            # fold() changed the length (a symbol folded away), so positions no longer line up;
            # split heuristically and look the parts up whole.
            h = normalize_address(text)
            if not h.town:
                return None
            town_key = fold(h.town)
            if h.city:
                ck = self._match_city(fold(h.city))
                owners = {self._city_key_canonical(ck)} if ck else set()
            else:
                owners = set(self._town_cities.get(town_key, ()))
            owners = {c for c in owners if (c, town_key) in self._town_name}
            default = fold(self.default_city) if self.default_city else None
            if len(owners) > 1 and default in owners:
                owners = {default}
            if len(owners) != 1:
                return None
            return owners.pop(), town_key, h.chome, h.block, h.rest
        city_key = self._match_city(folded)
        if city_key is not None:
            s, folded = s[len(city_key) :], folded[len(city_key) :]
            city_key = self._city_key_canonical(city_key)
            if pref and self._city_pref[city_key] != pref:
                return None
            candidates: set[str] | None = {city_key}
        else:
            # No city written: the town must then belong to one city only (of the prefecture).
            candidates = self._cities_by_pref.get(pref, set()) if pref else None
        for prefix in ("大字", "字"):
            if folded.startswith(prefix) and folded[len(prefix) :]:
                hit = self._match_town(candidates, folded[len(prefix) :])
                if hit:
                    city_key, town_key, n = hit
                    tail = s[len(prefix) + n :]
                    break
        else:
            hit = self._match_town(candidates, folded)
            if not hit:
                return None
            city_key, town_key, n = hit
            tail = s[n:]
        if city_key is None:
            return None
        if tail.startswith("字"):
            # 小字 between the 大字 and the 地番: not indexed; keep it out of the numbers.
            m = _TAIL_START_RE.search(tail)
            tail = tail[m.start() :] if m else ""
        chome, block, rest = _parse_tail(tail)
        return city_key, town_key, chome, block, rest

    def geocode(self, address: str) -> GeocodeResult | None:
        """Best point for an address, falling back 街区 → 丁目 → 大字; None if the town is unknown."""
        parsed = self._parse(address)
        if parsed is None:
            return None
        city, town, chome, block, rest = parsed
        readings = [(chome, block)]
        if chome is None and block is not None and (city, town) in self._has_chome:
            # "東生駒1-2" in a town with 丁目 means 1丁目2番, not 1番2号.
            first_rest = rest.split("-", 1)[0].split(" ", 1)[0]
            readings.append((int(block), first_rest if first_rest.isdigit() else None))
        elif chome is not None and (city, town) not in self._has_chome:
            # "東新町8-38-201" where the town has no 丁目: 番-号-room, so 8 is the block.
            readings.append((None, str(chome)))
        for c, b in readings:
            if b is not None:
                e = self._gaiku.get((city, town, c, b))
                if e:
                    return GeocodeResult(e.lat, e.lon, "gaiku", e.text)
        for c, _ in readings:
            if c is not None:
                e = self._chome.get((city, town, c))
                if e:
                    return GeocodeResult(e.lat, e.lon, "chome", e.text)
        e = self._oaza.get((city, town))
        if e:
            return GeocodeResult(e.lat, e.lon, "oaza", e.text)
        return None
