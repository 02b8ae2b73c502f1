"""The Whoosh index: schema, documents built from activities, one reused searcher per process.

Only the activity id (and a content fingerprint used to detect stale documents) is stored; all
searchable text is analysed by :mod:`webapp.search.analysis` and handed to Whoosh pre-tokenised.

Writers from several processes (gunicorn workers, the CLI) serialise on Whoosh's file lock
(``fcntl.flock`` on ``WRITELOCK``): :meth:`SearchIndex.writer` waits for it instead of failing.
"""

from __future__ import annotations

import bisect
import fcntl
import hashlib
import json
import logging
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, overload

from whoosh import index as whoosh_index
from whoosh.analysis import SpaceSeparatedTokenizer
from whoosh.columns import NumericColumn, VarBytesColumn
from whoosh.fields import COLUMN, ID, STORED, FieldType, Schema
from whoosh.formats import Existence
from whoosh.reading import TermNotFound
from whoosh.writing import IndexWriter

from webapp.config import settings as current_settings
from webapp.search import heap
from webapp.search.analysis import (
    QueryTerm,
    analyse_term,
    analyse_text,
    anchored_grams,
    town_of,
    yomi_grams,
)

log = logging.getLogger(__name__)


def _patch_whoosh_has_column() -> None:
    """Cache W3PerDocReader.has_column per reader.

    Whoosh asks it once per *posting* while merging segments (doc_field_length → a stat() of
    the length-column file each time): 60 % of commit time measured here.  A segment's files
    never change once written, so the answer per reader is fixed.
    """
    from whoosh.codec import whoosh3

    original = whoosh3.W3PerDocReader.has_column
    if getattr(original, "_odekake_cached", False):
        return

    def has_column(self: Any, fieldname: str) -> bool:
        cache = self.__dict__.setdefault("_odekake_has_column", {})
        if fieldname not in cache:
            cache[fieldname] = original(self, fieldname)
        return bool(cache[fieldname])

    has_column._odekake_cached = True  # type: ignore[attr-defined]
    whoosh3.W3PerDocReader.has_column = has_column


# Bump when the analysis chain or the document shape changes: every stored fingerprint then
# differs, and `odekake reindex --check` reports all documents as stale.
ANALYSIS_VERSION = "5"
INDEX_NAME = "activities"
WRITE_TIMEOUT_S = 30.0

# Fields (all pre-tokenised, space separated, no positions):
#   w_title  words of the name and its kana          (a match here ranks highest)
#   w_body   words of category labels, organisation, place, address, town, description
#   y_title  reading trigrams of the name and kana    (kana queries: こそだてひろば)
#   y_body   reading trigrams of the short body fields (town, place, category, organisation —
#            not the description or the address, whose readings would triple the postings)
# A character n-gram field was measured and dropped: at 2,000 listings it held ~425 postings per
# listing (15 ms/listing to index, 100s of ms per query in pure-Python Whoosh).  Short and
# unknown words are matched instead by substring over the *term dictionary* of w_title/w_body
# (a few thousand distinct words), which finds 碁 in 囲碁 and 子育て in 子育て支援センター.
FIELDS = ("w_title", "w_body", "y_title", "y_body")
# Match kinds, strongest first (issue 20): an exact word outranks a reading, a reading a
# synonym, a synonym a substring; a match in the title adds TITLE_BONUS.  A listing's score
# for one query word is its best kind over the word's spellings; a query's score is the sum.
KIND_WORD = 6.0  # the word itself (a kana word: a whole word's reading, いご → 囲碁)
KIND_READING = 4.0  # a kana word as a word's reading prefix, or over several words' readings
KIND_SYNONYM = 2.5  # a word or reading of a synonym (居場所 for ひきこもり)
KIND_SUBSTRING = 1.0  # inside a longer word (碁 → 碁会所); a synonym's substring: half
TITLE_BONUS = 0.5
MAX_SUBSTRING_TERMS = 400
_SENTENCE_RE = re.compile(r"(?<=[。！？!?\n])")
# A word in more than this share of listings is skipped inside a multi-word AND.
COMMON_FRACTION = 0.3
# ... on indexes this large (small cities read every list: it is cheap there and exact).
COMMON_MIN_DOCS = 20_000


def _ws_field() -> FieldType:
    # Tokens are already folded by analysis.py.  Matching is set algebra with tiered scores, so
    # postings need neither positions nor frequencies nor field lengths: the cheapest format
    # (smaller postings, faster adds).
    return FieldType(format=Existence(), analyzer=SpaceSeparatedTokenizer(), scorable=False)


def make_schema() -> Schema:
    fields: dict[str, Any] = {
        "id": ID(stored=True, unique=True, sortable=True),
        "stamp": STORED(),
        # Kana sort key as a column (not indexed): ties in relevance are broken in kana order
        # without a trip to the database.
        "kana": COLUMN(VarBytesColumn()),
        # Facets for the in-memory prefilter (see webapp.search.facets): place and the cheap filters.
        "lat": COLUMN(NumericColumn("d", default=float("nan"))),
        "lon": COLUMN(NumericColumn("d", default=float("nan"))),
        "cat": COLUMN(VarBytesColumn()),
        "free": COLUMN(NumericColumn("B", default=0)),
        "wdays": COLUMN(NumericColumn("B", default=0)),
    }
    for name in FIELDS:
        fields[name] = _ws_field()
    return Schema(**fields)


# --------------------------------------------------------------------------------------------
# documents


@dataclass(frozen=True)
class SourceText:
    """The text of one activity that search looks at (built from the DB rows)."""

    id: int
    name: str = ""
    name_kana: str = ""
    category: str = ""  # labels (ja, en, kana), category_text, audience and interest labels
    organization: str = ""
    place: str = ""  # place name and its kana
    address: str = ""
    town: str = ""  # 町名 (and district name)
    description: str = ""
    # Facets (not searched as text): where, category code, free, weekdays bitmask (bit 0 = Monday).
    lat: float | None = None
    lon: float | None = None
    category_code: str = ""
    free: bool = False
    weekdays: int = 0


def weekday_mask(activity: Any) -> int:
    """Bitmask of the weekdays the schedule can occur on (0 when not derivable)."""
    from webapp.listings.models.activity import schedule_key, schedule_weekdays

    if not (activity.schedule_rrule or activity.schedule_rdates):
        return 0
    try:
        return sum(1 << d for d in schedule_weekdays(schedule_key(activity)))
    except ValueError:
        return 0


def activity_source(activity: Any) -> SourceText:
    """Collect an Activity's searchable text (its place, organization and taxonomy labels)."""
    from webapp.listings.taxonomy import taxonomy

    tx = taxonomy()
    labels: list[str] = []
    if activity.category and activity.category in tx.categories:
        term = tx.categories[activity.category]
        labels += [term.ja, term.kana, term.en]
    labels.append(activity.category_text or "")
    for code in activity.audiences or ():
        if code in tx.audiences:
            labels.append(tx.audiences[code].ja)
    for code in activity.tags or ():
        if code in tx.interests:
            labels.append(tx.interests[code].ja)
    place = activity.place
    org = activity.organization
    address = place.address if place is not None else ""
    towns = town_of(address)
    if place is not None and place.district is not None:
        towns += [place.district.name, place.district.name_kana]
    return SourceText(
        id=int(activity.id),
        name=activity.name or "",
        name_kana=activity.name_kana or "",
        category=" ".join(x for x in labels if x),
        organization=" ".join(x for x in (org.name, org.name_kana) if x) if org is not None else "",
        place=" ".join(x for x in (place.name, place.name_kana) if x) if place is not None else "",
        address=address or "",
        town=" ".join(dict.fromkeys(x for x in towns if x)),
        description=activity.description or "",
        lat=place.lat if place is not None else None,
        lon=place.lon if place is not None else None,
        category_code=activity.category or "",
        free=activity.cost_yen == 0,
        weekdays=weekday_mask(activity),
    )


def fingerprint(src: SourceText) -> str:
    payload = json.dumps([ANALYSIS_VERSION, *src.__dict__.values()], ensure_ascii=False)
    return hashlib.sha1(payload.encode("utf-8")).hexdigest()[:16]


def make_document(src: SourceText) -> dict[str, Any]:
    """Whoosh fields for one activity: space-joined tokens from the one analysis chain."""
    title_words: list[str] = []
    title_runs: list[str] = []
    for text in (src.name, src.name_kana):
        words, runs = analyse_text(text)
        title_words += words
        title_runs += runs
    body_words: list[str] = []
    body_runs: list[str] = []
    for text in (src.category, src.organization, src.place, src.town):
        words, runs = analyse_text(text)
        body_words += words
        body_runs += runs
    # The address's reading would add ならけんいこまし… trigrams to every listing; its town is
    # read through the town field instead.
    body_words += analyse_text(src.address)[0]
    for sentence in _SENTENCE_RE.split(src.description):
        # Sentence by sentence: boilerplate (「初めての方も歓迎です。」) is analysed once per process.
        body_words += analyse_text(sentence)[0]
    return {
        "id": str(src.id),
        "stamp": fingerprint(src),
        "kana": (src.name_kana or src.name).encode("utf-8"),
        "lat": src.lat if src.lat is not None else float("nan"),
        "lon": src.lon if src.lon is not None else float("nan"),
        "cat": src.category_code.encode("utf-8"),
        "free": 1 if src.free else 0,
        "wdays": src.weekdays,
        "w_title": " ".join(dict.fromkeys(title_words)),
        "w_body": " ".join(dict.fromkeys(body_words)),
        "y_title": " ".join(dict.fromkeys(yomi_grams(title_runs))),
        "y_body": " ".join(dict.fromkeys(yomi_grams(body_runs))),
    }


# --------------------------------------------------------------------------------------------
# matching: set algebra over posting lists (fast in Python, unlike Whoosh's scored matchers)


def _leaf_doc_array(leaf: Any, field: str, token: str) -> Any:
    """Docnums of one term in one segment, read block by block (not id by id)."""
    import numpy as np
    from whoosh.codec.whoosh3 import W3LeafMatcher
    from whoosh.matching.wrappers import FilterMatcher

    try:
        m = leaf.postings(field, token)
    except TermNotFound:
        return np.empty(0, dtype=np.int64)
    while isinstance(m, FilterMatcher):  # deleted documents: dropped later via the id array
        m = m.child
    if isinstance(m, W3LeafMatcher) and not m._byteids:
        chunks = []
        while True:
            if m._data is None:
                m._read_data()
            # Ids are stored delta-encoded per block: a cumulative sum decodes a block at C speed
            # (Whoosh's own decoder is a Python generator, one step per posting).
            chunks.append(np.cumsum(np.asarray(m._data[0], dtype=np.int64)))
            if m._lastblock:
                break
            m._goto(m._nextoffset)
        return np.concatenate(chunks) if chunks else np.empty(0, dtype=np.int64)
    return np.fromiter(m.all_ids(), dtype=np.int64)


class _Segment:
    """What one segment contributes to the in-memory arrays, read once per process.

    A segment's files never change once written (only its deletions do, applied per generation
    in :meth:`SearchIndex._load_ids`), so a commit that adds one document costs reading that one
    new small segment, not every document of the index again.
    """

    def __init__(self, leaf: Any) -> None:
        import numpy as np

        n = int(leaf.doc_count_all())
        self.size = n
        ids = np.zeros(n, dtype=np.int64)
        kana: list[str] = [""] * n
        self.categories: list[str] = []
        if n:
            column = leaf.column_reader("id")
            kana_column = leaf.column_reader("kana")
            for docnum in range(n):
                value = column[docnum]
                ids[docnum] = int(value) if value else 0
                key = kana_column[docnum]
                kana[docnum] = key.decode("utf-8") if isinstance(key, bytes) else str(key or "")
        self.ids = ids
        self.kana = kana
        self.kana_arr = np.array(kana, dtype=str) if n else np.empty(0, dtype="<U1")
        self._leaf = leaf
        self._facets: tuple[Any, Any, Any, Any, Any, list[str]] | None = None
        self.postings: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self.vocab: dict[str, tuple[list[str], dict[str, list[int]]]] = {}
        self.lock = threading.Lock()

    def facets(self) -> tuple[Any, Any, Any, Any, Any, list[str]]:
        """(lat, lon, free, wdays, category codes, category names) of this segment."""
        import numpy as np

        with self.lock:
            if self._facets is None:
                n, leaf = self.size, self._leaf
                lat = np.fromiter(leaf.column_reader("lat"), dtype=float, count=n)
                lon = np.fromiter(leaf.column_reader("lon"), dtype=float, count=n)
                free = np.fromiter(leaf.column_reader("free"), dtype=np.uint8, count=n)
                wdays = np.fromiter(leaf.column_reader("wdays"), dtype=np.uint8, count=n)
                codes: dict[bytes, int] = {}
                cat = np.fromiter(
                    (codes.setdefault(bytes(v or b""), len(codes)) for v in leaf.column_reader("cat")),
                    dtype=np.int32, count=n,
                )
                self._facets = (lat, lon, free, wdays, cat, [c.decode("utf-8") for c in codes])
            return self._facets

    def get(self, leaf: Any, field: str, token: str) -> Any:
        key = (field, token)
        with self.lock:
            hit = self.postings.get(key)
            if hit is not None:
                self.postings.move_to_end(key)
                return hit
        result = _leaf_doc_array(leaf, field, token)
        with self.lock:
            self.postings[key] = result
            while len(self.postings) > 2048:
                self.postings.popitem(last=False)
        return result

    def vocabulary(self, leaf: Any, field: str) -> tuple[list[str], dict[str, list[int]]]:
        """The field's distinct terms in this segment and a character → term positions map."""
        with self.lock:
            cached = self.vocab.get(field)
        if cached is not None:
            return cached
        terms = sorted({raw.decode("utf-8") if isinstance(raw, bytes) else raw for raw in leaf.lexicon(field)})
        by_char: dict[str, list[int]] = {}
        for i, term in enumerate(terms):
            for ch in set(term):
                by_char.setdefault(ch, []).append(i)
        with self.lock:
            self.vocab[field] = (terms, by_char)
        heap.settle(int(leaf.doc_count_all()))
        return terms, by_char


class _Postings:
    """Per-searcher posting lists as sorted numpy arrays of global docnums, with a small cache.

    Posting lists and term dictionaries are cached per segment (:class:`_Segment`) and shifted
    by the segment's offset in this generation, so they survive commits that leave the segment.
    """

    def __init__(self, reader: Any, segments: list[_Segment] | None = None) -> None:
        self.leaves = [(leaf, offset) for leaf, offset in reader.leaf_readers()] if reader.doc_count_all() else []
        self.segments = segments if segments is not None else [_Segment(leaf) for leaf, _ in self.leaves]
        self.size = int(reader.doc_count_all())
        self._cache: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, field: str, token: str) -> Any:
        import numpy as np

        key = (field, token)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        parts = [
            seg.get(leaf, field, token) + offset
            for (leaf, offset), seg in zip(self.leaves, self.segments, strict=True)
        ]
        result = np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
        with self._lock:
            self._cache[key] = result
            while len(self._cache) > 2048:
                self._cache.popitem(last=False)
        return result

    def containing(self, field: str, text: str) -> list[str]:
        """Terms of ``field`` that contain ``text`` (but are not ``text`` itself)."""
        found: set[str] = set()
        chars = set(text)
        for (leaf, _), seg in zip(self.leaves, self.segments, strict=True):
            terms, by_char = seg.vocabulary(leaf, field)
            lists = [by_char.get(ch, []) for ch in chars]
            if not lists or not all(lists):
                continue
            rarest = min(lists, key=len)
            found.update(terms[i] for i in rarest if text in terms[i] and terms[i] != text)
        out = sorted(found, key=lambda t: (len(t), t))  # shortest (closest) words first when capped
        return out[:MAX_SUBSTRING_TERMS]

    def prefixed(self, field: str, text: str) -> list[str]:
        """Terms of ``field`` that start with ``text`` (but are not ``text`` itself)."""
        return [t for t in self.containing(field, text) if t.startswith(text)]

    def doc_frequency(self, field: str, token: str) -> int:
        return sum(int(leaf.doc_frequency(field, token)) for leaf, _ in self.leaves)

    def selective(self, words: list[str]) -> list[str]:
        """Drop words found in most listings (の, 場) from an AND of several words.

        Reading the posting list of a particle costs as much as the rest of the query and
        narrows nothing; the remaining, rarer words decide.
        """
        if len(words) < 2 or self.size < COMMON_MIN_DOCS:
            return words
        limit = COMMON_FRACTION * max(1, self.size)
        kept = [w for w in words if self.doc_frequency("w_body", w) + self.doc_frequency("w_title", w) <= limit]
        return kept or words

    def union(self, field: str, tokens: Iterable[str]) -> Any:
        import numpy as np

        arrays = [self.get(field, t) for t in tokens]
        if not arrays:
            return np.empty(0, dtype=np.int64)
        return np.unique(np.concatenate(arrays)) if len(arrays) > 1 else arrays[0]

    def all_of(self, field: str, tokens: Iterable[str]) -> Any:
        import numpy as np

        arrays = sorted((self.get(field, t) for t in tokens), key=len)
        if not arrays:
            return np.empty(0, dtype=np.int64)
        out = arrays[0]
        for other in arrays[1:]:
            if not len(out):
                break
            out = np.intersect1d(out, other, assume_unique=True)
        return out


def _raise(scores: Any, docs: Any, tier: float) -> None:
    import numpy as np

    if len(docs):
        scores[docs] = np.maximum(scores[docs], tier)


def _raise_both(p: _Postings, scores: Any, field: str, docs_of: Callable[[str], Any], kind: float) -> None:
    """``kind`` for a body match, ``kind + TITLE_BONUS`` for a title match (field: w or y)."""
    _raise(scores, docs_of(f"{field}_body"), kind)
    _raise(scores, docs_of(f"{field}_title"), kind + TITLE_BONUS)


def spelling_scores(p: _Postings, term: QueryTerm, *, synonym: bool = False) -> Any:
    """Dense array docnum → best match kind for one spelling of one query word (0 = no match).

    A kana spelling matches a word's reading whole (いご → 囲碁), as a word's prefix, or from
    the start of a word across several (しかのだい → 鹿ノ台東); never inside another word's
    reading (いご is not in かいご) and never piece by piece when Sudachi cuts it (い/ご).
    Other spellings match their words (every word of the spelling), then as a substring of a
    longer dictionary word.
    """
    import numpy as np

    scores = np.zeros(p.size, dtype=np.float32)
    if not term.text:
        return scores
    word_kind = KIND_SYNONYM if synonym else KIND_WORD
    reading_kind = KIND_SYNONYM if synonym else KIND_READING
    substring_kind = KIND_SUBSTRING / 2 if synonym else KIND_SUBSTRING
    n = len(term.text)
    if term.kana:
        # The kana word whole: a word's surface or reading token (こそだて → 子育て).
        _raise_both(p, scores, "w", lambda f: p.get(f, term.text), word_kind)
        if n >= 3:
            # A word's reading that starts with it (いこま → いこまる), and a reading over
            # several words from a word start (こそだてひろば, ひゃくさいたいそう).
            _raise_both(p, scores, "w", lambda f: p.union(f, p.prefixed(f, term.text)), reading_kind)
            _raise_both(p, scores, "y", lambda f: p.all_of(f, anchored_grams(term.text)), reading_kind)
    words = [] if term.split_kana else p.selective(list(term.words))
    if words:
        if len(words) == 1:
            _raise(scores, p.get("w_body", words[0]), word_kind)
        else:
            # Each word of the spelling in the title or the body.
            anywhere = np.ones(p.size, dtype=bool)
            for w in words:
                hit = np.zeros(p.size, dtype=bool)
                hit[p.get("w_title", w)] = True
                hit[p.get("w_body", w)] = True
                anywhere &= hit
            _raise(scores, np.nonzero(anywhere)[0], word_kind)
        _raise(scores, p.all_of("w_title", words), word_kind + TITLE_BONUS)
    if not term.kana:
        # Substring of a longer dictionary word: 碁 → 囲碁, 子育て → 子育て支援センター.
        _raise_both(p, scores, "w", lambda f: p.union(f, p.containing(f, term.text)), substring_kind)
    return scores


def match_groups(p: _Postings, groups: list[list[str]]) -> Any:
    """Dense scores: AND over the query's words; each word scores its best spelling (the first
    spelling is the word as typed, the others its synonyms)."""
    import numpy as np

    total = None
    for spellings in groups:
        word = np.zeros(p.size, dtype=np.float32)
        for n, s in enumerate(spellings):
            np.maximum(word, spelling_scores(p, analyse_term(s), synonym=n > 0), out=word)
        total = word if total is None else np.where((total > 0) & (word > 0), total + word, 0)
        if not total.any():
            break
    return total if total is not None else np.zeros(p.size, dtype=np.float32)


class Facets:
    """Per-generation arrays (by docnum) of id, lat, lon, category, free, weekday mask."""

    def __init__(self, ids: Any, lat: Any, lon: Any, cat: Any, categories: list[str], free: Any, wdays: Any) -> None:
        self.ids, self.lat, self.lon, self.cat, self.free, self.wdays = ids, lat, lon, cat, free, wdays
        self.categories = categories
        self.kana: Sequence[str] = []
        self._by_id: Any = None

    def positions(self, ids: Any) -> Any:
        """Docnum of each activity id (-1 when not in this generation), vectorised."""
        import numpy as np

        ids = np.asarray(ids, dtype=np.int64)
        if self._by_id is None:
            self._by_id = np.argsort(self.ids, kind="stable")  # once per generation; benign race
        order = self._by_id
        if not len(order) or not len(ids):
            return np.full(len(ids), -1, dtype=np.int64)
        at = order[np.clip(np.searchsorted(self.ids, ids, sorter=order), 0, len(order) - 1)]
        return np.where((self.ids[at] == ids) & (ids > 0), at, -1).astype(np.int64)

    @classmethod
    def from_segments(cls, ids: Any, segments: list[_Segment]) -> Facets:
        """Concatenate the segments' cached facet arrays (``ids``: this generation's, deletions as 0)."""
        import numpy as np

        if not segments or not len(ids):
            empty = np.empty(0)
            return cls(ids, empty, empty, np.empty(0, dtype=np.int32), [], empty, np.empty(0, dtype=np.uint8))
        parts = [seg.facets() for seg in segments if seg.size]
        categories: list[str] = []
        where: dict[str, int] = {}
        cats = []
        for _lat, _lon, _free, _wdays, cat, names in parts:
            remap = np.array([where.setdefault(c, len(where)) for c in names] or [0], dtype=np.int32)
            cats.append(remap[cat] if len(cat) else cat)
        categories = list(where)
        return cls(
            ids,
            np.concatenate([p[0] for p in parts]),
            np.concatenate([p[1] for p in parts]),
            np.concatenate(cats),
            categories,
            np.concatenate([p[2] for p in parts]),
            np.concatenate([p[3] for p in parts]),
        )

    def candidates(
        self,
        *,
        box: tuple[float, float, float, float] | None = None,
        categories: tuple[str, ...] = (),
        free: bool = False,
        weekday: int | None = None,
    ) -> Any:
        """Docnums of live documents passing the cheap filters (numpy boolean algebra)."""
        import numpy as np

        mask = self.ids > 0
        if box is not None:
            minlon, minlat, maxlon, maxlat = box
            mask &= (self.lat >= minlat) & (self.lat <= maxlat) & (self.lon >= minlon) & (self.lon <= maxlon)
        if categories:
            wanted = [self.categories.index(c) for c in categories if c in self.categories]
            mask &= np.isin(self.cat, wanted)
        if free:
            mask &= self.free == 1
        if weekday is not None:
            mask &= (self.wdays & (1 << weekday)) != 0
        return np.nonzero(mask)[0]


# --------------------------------------------------------------------------------------------
# the index on disk


class _Concat(Sequence[str]):
    """The segments' kana keys end to end, indexed by global docnum (no copy per generation)."""

    def __init__(self, parts: list[list[str]]) -> None:
        self._parts = parts
        self._starts: list[int] = []
        total = 0
        for part in parts:
            self._starts.append(total)
            total += len(part)
        self._len = total

    def __len__(self) -> int:
        return self._len

    @overload
    def __getitem__(self, docnum: int) -> str: ...
    @overload
    def __getitem__(self, docnum: slice) -> list[str]: ...
    def __getitem__(self, docnum: int | slice) -> str | list[str]:
        if isinstance(docnum, slice):
            return [self[i] for i in range(*docnum.indices(self._len))]
        if docnum < 0:
            docnum += self._len
        k = bisect.bisect_right(self._starts, docnum) - 1
        if k < 0 or docnum >= self._len:
            raise IndexError(docnum)
        return self._parts[k][docnum - self._starts[k]]


class _LazyKana(list[str]):
    """Kana keys of a ranking, looked up only when read (usually never)."""

    def __init__(self, kana: Sequence[str], order: Any) -> None:
        super().__init__()
        self._kana, self._order = kana, order

    def __len__(self) -> int:
        return len(self._order)

    def __iter__(self) -> Iterator[str]:
        return (self._kana[d] for d in self._order.tolist())


_TOC_NAME = re.compile(rf"_{INDEX_NAME}_\d+\.toc")
_TOC_RETRIES = 50
_T = TypeVar("_T")


def _reading_toc(read: Callable[[], _T]) -> _T:
    """``read()`` again when a concurrent commit deleted the TOC or segment it was opening.

    A commit writes the new table of contents, then deletes the old one and merged segments;
    a reader that listed the directory just before finds them gone. Reading again picks up the
    new generation, so the retry ends as soon as the writer has finished its clean-up.
    """
    for attempt in range(_TOC_RETRIES):
        try:
            return read()
        except FileNotFoundError:
            if attempt == _TOC_RETRIES - 1:
                raise
            time.sleep(0.01 * (attempt + 1))
    raise AssertionError("unreachable")


class SearchIndex:
    """One index directory; a searcher reused across requests, refreshed when the index changes."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._ix: Any = None
        self._searcher: Any = None
        self._ids: Any = None  # numpy int64 by docnum; deleted documents are 0
        self._kana: Sequence[str] = []
        self._kana_arr: Any = None
        self._postings: _Postings | None = None
        self._facets: Facets | None = None
        self._landing: Any = None
        self._segments: dict[str, _Segment] = {}  # by segment id, kept across generations
        self._current: list[_Segment] = []
        self._loaded = False
        self._complete = False  # seen built, with no build of this node's in progress (build_missing)

    # -- opening

    def exists(self) -> bool:
        """Whether a table of contents has been written; a directory listing, no file opened.

        (Whoosh's ``exists_in`` opens the newest TOC, which a writer in another thread or process
        may delete between the listing and the open.)
        """
        try:
            names = os.listdir(self.path)
        except FileNotFoundError:
            return False
        return any(_TOC_NAME.fullmatch(name) for name in names)

    def open(self) -> Any:
        if self._ix is None:
            _patch_whoosh_has_column()
            self.path.mkdir(parents=True, exist_ok=True)
            if not self.exists():
                self._create()
            self._ix = _reading_toc(lambda: whoosh_index.open_dir(str(self.path), indexname=INDEX_NAME))
        return self._ix

    def _create(self) -> None:
        # Two processes may race to create the index: only the holder of the write lock does it.
        from whoosh.filedb.filestore import FileStorage

        storage = FileStorage(str(self.path))
        lock = storage.lock(f"{INDEX_NAME}_CREATE")
        deadline = time.monotonic() + WRITE_TIMEOUT_S
        while not lock.acquire(blocking=False):
            if time.monotonic() > deadline:
                raise TimeoutError(f"cannot create search index in {self.path}: lock held")
            time.sleep(0.05)
        try:
            if not self.exists():
                storage.create_index(make_schema(), indexname=INDEX_NAME)
        finally:
            lock.release()

    # -- writing

    @contextmanager
    def writer(
        self, timeout: float = WRITE_TIMEOUT_S, *, replace: bool = False, merge: bool = True
    ) -> Iterator[IndexWriter]:
        """A writer holding the index's write lock; waits up to ``timeout`` seconds for it.

        ``replace=True`` drops every existing segment at commit: a rebuild becomes visible to
        readers all at once, and a crash before commit leaves the old index intact.
        ``merge=False`` leaves other segments alone (the bulk writer needs that).
        """
        from whoosh.writing import CLEAR

        ix = self.open()
        w = ix.writer(timeout=timeout, delay=0.05)
        try:
            yield w
        except BaseException:
            w.cancel()
            raise
        else:
            if replace:
                w.commit(mergetype=CLEAR)
            else:
                w.commit(merge=merge)

    # -- reading

    def searcher(self) -> Any:
        """The process's searcher, refreshed when another writer has committed."""
        with self._lock:
            ix = self.open()
            if self._searcher is None:
                _reading_toc(lambda: self._open_searcher(ix))
            elif not self._searcher.up_to_date():
                # Not Searcher.refresh(): it reuses segment readers by segment id, and a segment
                # whose documents were only deleted keeps its id, so the deletions were missed.
                # The old searcher is not closed here: another thread may still be reading it;
                # it closes its files when the last reference goes.
                _reading_toc(lambda: self._open_searcher(ix))
            return self._searcher

    def _open_searcher(self, ix: Any) -> None:
        self._searcher = ix.searcher()
        # The arrays are assembled on first use: a process that only reads stamps (an import of
        # one row, the tailer) never builds them.
        self._loaded = False

    def _ensure_arrays(self) -> None:
        """Under self._lock: this generation's arrays, assembled from the segments."""
        if not self._loaded:
            self._load_ids()
            self._loaded = True

    def _load_ids(self) -> None:
        # docnum → activity id and kana key for this searcher generation, assembled from the
        # per-segment arrays (:class:`_Segment`): only segments new since the last generation are
        # read; deleted documents map to 0 and are skipped.
        import numpy as np

        reader = self._searcher.reader()
        leaves = [leaf for leaf, _ in reader.leaf_readers()] if reader.doc_count_all() else []
        segments: list[_Segment] = []
        seen: dict[str, _Segment] = {}
        id_parts = []
        for leaf in leaves:
            key = leaf.segment().segment_id()
            seg = self._segments.get(key) or _Segment(leaf)
            seen[key] = seg
            segments.append(seg)
            ids = seg.ids
            if leaf.has_deletions():
                ids = ids.copy()
                deleted = np.fromiter(leaf.deleted_docs_set, dtype=np.int64)
                ids[deleted[deleted < len(ids)]] = 0
            id_parts.append(ids)
        self._segments = seen  # merged-away segments are forgotten
        self._current = segments
        self._ids = np.concatenate(id_parts) if id_parts else np.empty(0, dtype=np.int64)
        self._kana = _Concat([seg.kana for seg in segments])
        self._kana_arr = None
        self._postings = _Postings(reader, segments)
        self._facets = None  # built on first use: text-only searches never need them
        self._landing = None

    def facets(self) -> Facets:
        """Numpy arrays of the facets by docnum, for the current searcher generation."""
        self.searcher()
        with self._lock:
            self._ensure_arrays()
            if self._facets is None:
                self._facets = Facets.from_segments(self._ids, self._current)
                self._facets.kana = self._kana
                heap.settle(len(self._ids))
            return self._facets

    def _kana_array(self) -> Any:
        self.searcher()
        with self._lock:
            return self._kana_array_locked()

    def _kana_array_locked(self) -> Any:
        import numpy as np

        self._ensure_arrays()
        if self._kana_arr is None:
            parts = [seg.kana_arr for seg in self._current]
            self._kana_arr = np.concatenate(parts) if parts else np.empty(0, dtype="<U1")
        return self._kana_arr

    def landing_ids(self) -> Any:
        """Ids of every indexed listing in kana order (the page with no query), once per generation."""
        import numpy as np

        self.searcher()
        with self._lock:
            kana = self._kana_array_locked()
            if self._landing is None:
                ids = self._ids
                order = np.lexsort((ids, kana)) if len(ids) else np.empty(0, dtype=np.int64)
                self._landing = ids[order[ids[order] > 0]]
            return self._landing

    # -- building a missing index, once per node

    @contextmanager
    def build_lock(self, wait: float | None) -> Iterator[bool]:
        """``<index>.build.lock`` (an ``flock``): held by whoever builds this missing index, so every
        other process and thread of the node waits for that build instead of starting its own.

        Yields whether the lock was taken (False: ``wait`` seconds passed first; None waits on)."""
        lock_path = self.path.with_name(self.path.name + ".build.lock")
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            deadline = None if wait is None else time.monotonic() + wait
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError:
                    if deadline is not None and time.monotonic() > deadline:
                        yield False
                        return
                    time.sleep(0.05)
            try:
                yield True
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    @property
    def complete(self) -> bool:
        """Built, as far as this process knows (no build of this node was running when last looked)."""
        return self._complete and self.exists()

    def mark_complete(self) -> None:
        self._complete = True

    def reset(self) -> None:
        """Forget the searcher (reopened on next use); not closed: other threads may hold it."""
        with self._lock:
            self._searcher = None
            self._ix = None

    def generation(self) -> int:
        return int(self.searcher().reader().generation() or 0) if self.exists() else -1

    def _snapshot(self) -> tuple[_Postings, Any, Sequence[str]]:
        # Postings and ids of one searcher generation, taken together under the lock.
        self.searcher()
        with self._lock:
            self._ensure_arrays()
            assert self._postings is not None
            return self._postings, self._ids, self._kana

    def match(self, groups: list[list[str]]) -> dict[int, float]:
        """Activity id → score for documents matching every word (any spelling) of the query."""
        return {i: sc for i, sc, _ in self.match_ranked(groups)}

    def match_ranked(self, groups: list[list[str]]) -> list[tuple[int, float, str]]:
        """(activity id, score, kana key), best first, ties in kana order."""
        ids, scores, kana = self.match_arrays(groups)
        return list(zip(ids.tolist(), scores.tolist(), kana, strict=True))

    def match_arrays(self, groups: list[list[str]]) -> tuple[Any, Any, list[str]]:
        """(ids, scores) as numpy arrays best first (ties in kana order), and the kana keys.

        Arrays, not Python tuples: a common word at 200k listings matches 20k+ of them, and
        building one object per match cost more than the matching itself.
        """
        import numpy as np

        if not groups:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32), []
        for attempt in range(2):
            try:
                postings, id_arr, kana = self._snapshot()
                total = match_groups(postings, groups)
                kana_arr = self._kana_array()
                if len(id_arr) != len(total) or len(kana_arr) != len(total):
                    raise OSError("index generation changed during the search")  # another thread refreshed
                hit = np.nonzero((total > 0) & (id_arr > 0))[0]
                # Best first; ties in kana order, then by id (only the hits are sorted).
                order = hit[np.lexsort((id_arr[hit], kana_arr[hit], -total[hit]))]
                return id_arr[order], total[order], _LazyKana(kana, order)
            except OSError:
                # Another process merged segments away under an old searcher: reopen once.
                if attempt:
                    raise
                self.reset()
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32), []

    def stored(self) -> dict[int, str]:
        """Activity id → fingerprint for every live document (for reconcile)."""
        searcher = self.searcher()
        out: dict[int, str] = {}
        for fields in searcher.all_stored_fields():
            out[int(fields["id"])] = str(fields.get("stamp", ""))
        return out

    def stamps(self, activity_ids: Iterable[int]) -> dict[int, str]:
        """Activity id → fingerprint for those of ``activity_ids`` that are indexed."""
        searcher = self.searcher()
        out: dict[int, str] = {}
        for i in activity_ids:
            fields = searcher.document(id=str(i))
            if fields is not None:
                out[int(i)] = str(fields.get("stamp", ""))
        return out

    def doc_count(self) -> int:
        return int(self.searcher().doc_count())

    def size_bytes(self) -> int:
        return sum(f.stat().st_size for f in self.path.iterdir() if f.is_file()) if self.path.is_dir() else 0


_indexes: dict[str, SearchIndex] = {}
_indexes_lock = threading.Lock()


def index_at(path: Path | str) -> SearchIndex:
    """The per-process SearchIndex for a directory (one searcher reused by every request)."""
    key = os.path.abspath(str(path))
    with _indexes_lock:
        if key not in _indexes:
            _indexes[key] = SearchIndex(key)
        return _indexes[key]


#: how long a request waits for another process's build of the node's missing index before it
#: searches whatever is there (gunicorn's timeout is 60 s; the change feed's tailer waits on)
REQUEST_BUILD_WAIT_S = 30.0


def current_index() -> SearchIndex:
    """The app's index (settings.resolved_index_dir).

    Outside tests, a missing index is built from the database on first use, so a fresh
    `make run` (load-demo without reindex) can search at once: see :func:`build_missing`.
    Tests build their own.
    """

    settings = current_settings()
    index = index_at(settings.resolved_index_dir)
    if settings.env != "testing" and not index.complete:
        build_missing(index)
    return index


def build_missing(index: SearchIndex, wait: float | None = REQUEST_BUILD_WAIT_S) -> bool:
    """Build ``index`` from the database if it does not exist; whether this call built it.

    Once per node: the first search request of every gunicorn worker and the change feed's tailer
    all arrive here on a new node, and only the holder of :meth:`SearchIndex.build_lock` builds;
    the others wait for it (an index being built already exists, empty, so existence alone says
    nothing) and then use it. The build is the app's ``odekake_index_builder`` (create_app sets
    the change feed's, which also records where in the change log the index stands, so the tailer
    goes on from there instead of checking every listing again), else a plain rebuild.
    """
    from flask import current_app

    with index.build_lock(wait) as locked:
        if not locked:
            log.warning("search index in %s is being built by another process: searching it as it is", index.path)
            return False
        if index.exists():
            index.mark_complete()
            return False
        log.warning("search index missing in %s: building it from the database", index.path)
        builder = current_app.extensions.get("odekake_index_builder")
        if builder is None:
            from webapp.extensions import db
            from webapp.search.sync import rebuild

            rebuild(db.session(), index)
        else:
            builder(index)
        index.mark_complete()
        return True
