"""The Whoosh index: schema, documents built from activities, one reused searcher per process.

Only the activity id (and a content fingerprint used to detect stale documents) is stored; all
searchable text is analysed by :mod:`webapp.search.analysis` and handed to Whoosh pre-tokenised.

Writers from several processes (gunicorn workers, the CLI) serialise on Whoosh's file lock
(``fcntl.flock`` on ``WRITELOCK``): :meth:`SearchIndex.writer` waits for it instead of failing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.analysis import SpaceSeparatedTokenizer
from whoosh.fields import ID, STORED, TEXT, Schema
from whoosh.query import And, Or, Query, Term
from whoosh.scoring import BM25F
from whoosh.writing import IndexWriter

from webapp.search.analysis import (
    QueryTerm,
    analyse_term,
    analyse_text,
    char_grams,
    town_of,
    yomi_grams,
)

log = logging.getLogger(__name__)

# Bump when the analysis chain or the document shape changes: every stored fingerprint then
# differs, and `odekake reindex --check` reports all documents as stale.
ANALYSIS_VERSION = "1"
INDEX_NAME = "activities"
WRITE_TIMEOUT_S = 30.0

# Word fields and their boosts: a hit in the name outranks the same hit in a description.
WORD_FIELDS: dict[str, float] = {
    "w_name": 4.0,
    "w_kana": 3.0,
    "w_category": 2.0,
    "w_town": 1.5,
    "w_place": 1.5,
    "w_org": 1.0,
    "w_address": 1.0,
    "w_desc": 0.6,
}
YOMI_FIELDS: dict[str, float] = {"y_title": 2.0, "y_body": 0.6}
GRAM_FIELDS: dict[str, float] = {"g_title": 2.0, "g_body": 0.6}


def _ws_field(boost: float) -> TEXT:
    # Tokens are already folded by analysis.py; positions are not needed (no phrase queries).
    return TEXT(analyzer=SpaceSeparatedTokenizer(), phrase=False, field_boost=boost)


def make_schema() -> Schema:
    fields: dict[str, Any] = {"id": ID(stored=True, unique=True, sortable=True), "stamp": STORED()}
    for name, boost in {**WORD_FIELDS, **YOMI_FIELDS, **GRAM_FIELDS}.items():
        fields[name] = _ws_field(boost)
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


def activity_source(activity: Any) -> SourceText:
    """Collect an Activity's searchable text (its place, organization and taxonomy labels)."""
    from webapp.taxonomy import taxonomy

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
    )


def fingerprint(src: SourceText) -> str:
    payload = json.dumps([ANALYSIS_VERSION, *src.__dict__.values()], ensure_ascii=False)
    return hashlib.sha1(payload.encode("utf-8")).hexdigest()[:16]


def make_document(src: SourceText) -> dict[str, str]:
    """Whoosh fields for one activity: space-joined tokens from the one analysis chain."""
    title = f"{src.name} {src.name_kana}"
    fields = {
        "w_name": src.name,
        "w_kana": src.name_kana,
        "w_category": src.category,
        "w_town": src.town,
        "w_place": src.place,
        "w_org": src.organization,
        "w_address": src.address,
        "w_desc": src.description,
    }
    doc = {"id": str(src.id), "stamp": fingerprint(src)}
    title_runs: list[str] = []
    body_runs: list[str] = []
    for name, text in fields.items():
        words, runs = analyse_text(text)
        doc[name] = " ".join(words)
        (title_runs if name in ("w_name", "w_kana") else body_runs).extend(runs)
    body_parts = (src.category, src.organization, src.place, src.address, src.town, src.description)
    doc["y_title"] = " ".join(dict.fromkeys(yomi_grams(title_runs)))
    doc["y_body"] = " ".join(yomi_grams(body_runs))
    doc["g_title"] = " ".join(char_grams(title))
    doc["g_body"] = " ".join(g for part in body_parts for g in char_grams(part))
    return doc


# --------------------------------------------------------------------------------------------
# query building


def _any_field(fields: Iterable[str], token: str) -> Query:
    return Or([Term(f, token) for f in fields])


def term_query(term: QueryTerm) -> Query | None:
    """All the ways one spelling can match: words, whole kana word, reading trigrams, n-grams."""
    alternatives: list[Query] = []
    if term.words:
        alternatives.append(And([_any_field(WORD_FIELDS, w) for w in term.words]))
    if term.kana and term.text not in term.words:
        # A kana word typed whole matches the reading token of a kanji word (こそだて → 子育て).
        alternatives.append(_any_field(WORD_FIELDS, term.text))
    if term.kana and len(term.text) >= 3:
        grams = sorted({term.text[i : i + 3] for i in range(len(term.text) - 2)})
        alternatives.append(Or([And([Term(f, g) for g in grams]) for f in YOMI_FIELDS]))
    n = len(term.text)
    if 0 < n <= 2:
        alternatives.append(_any_field(GRAM_FIELDS, term.text))
    elif n > 2 and not term.kana:
        # Substring fallback for words Sudachi splits differently in the document (compounds).
        grams = sorted({term.text[i : i + 2] for i in range(n - 1)})
        alternatives.append(Or([And([Term(f, g) for g in grams]) for f in GRAM_FIELDS]))
    if not alternatives:
        return None
    return Or(alternatives) if len(alternatives) > 1 else alternatives[0]


def build_query(groups: list[list[str]]) -> Query | None:
    """AND over the query's words; each word is an OR over its spellings (synonyms)."""
    parts: list[Query] = []
    for spellings in groups:
        alts = [q for q in (term_query(analyse_term(s)) for s in spellings) if q is not None]
        if alts:
            parts.append(Or(alts) if len(alts) > 1 else alts[0])
    if not parts:
        return None
    return And(parts) if len(parts) > 1 else parts[0]


# --------------------------------------------------------------------------------------------
# the index on disk


class SearchIndex:
    """One index directory; a searcher reused across requests, refreshed when the index changes."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._ix: Any = None
        self._searcher: Any = None
        self._ids: list[int] = []

    # -- opening

    def exists(self) -> bool:
        return self.path.is_dir() and whoosh_index.exists_in(str(self.path), indexname=INDEX_NAME)

    def open(self) -> Any:
        if self._ix is None:
            self.path.mkdir(parents=True, exist_ok=True)
            if not whoosh_index.exists_in(str(self.path), indexname=INDEX_NAME):
                self._create()
            self._ix = whoosh_index.open_dir(str(self.path), indexname=INDEX_NAME)
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
            if not whoosh_index.exists_in(str(self.path), indexname=INDEX_NAME):
                storage.create_index(make_schema(), indexname=INDEX_NAME)
        finally:
            lock.release()

    # -- writing

    @contextmanager
    def writer(self, timeout: float = WRITE_TIMEOUT_S, *, replace: bool = False) -> Iterator[IndexWriter]:
        """A writer holding the index's write lock; waits up to ``timeout`` seconds for it.

        ``replace=True`` drops every existing segment at commit: a rebuild becomes visible to
        readers all at once, and a crash before commit leaves the old index intact.
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
                w.commit()

    # -- reading

    def searcher(self) -> Any:
        """The process's searcher, refreshed when another writer has committed."""
        with self._lock:
            ix = self.open()
            if self._searcher is None:
                self._searcher = ix.searcher(weighting=BM25F())
                self._load_ids()
            elif not self._searcher.up_to_date():
                # Not Searcher.refresh(): it reuses segment readers by segment id, and a segment
                # whose documents were only deleted keeps its id, so the deletions were missed.
                # The old searcher is not closed here: another thread may still be reading it;
                # it closes its files when the last reference goes.
                self._searcher = ix.searcher(weighting=BM25F())
                self._load_ids()
            return self._searcher

    def _load_ids(self) -> None:
        # docnum → activity id, read once per searcher generation (stored-field reads per hit are slow).
        reader = self._searcher.reader()
        column = reader.column_reader("id")
        ids = [0] * reader.doc_count_all()
        for docnum in range(len(ids)):
            value = column[docnum]
            ids[docnum] = int(value) if value else 0
        self._ids = ids

    def reset(self) -> None:
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
            self._searcher = None
            self._ix = None

    def generation(self) -> int:
        return int(self.searcher().reader().generation() or 0) if self.exists() else -1

    def match(self, groups: list[list[str]]) -> dict[int, float]:
        """Activity id → score for documents matching every word (any spelling) of the query."""
        query = build_query(groups)
        if query is None:
            return {}
        for attempt in range(2):
            try:
                searcher = self.searcher()
                results = searcher.search(query, limit=None)
                ids = self._ids
                return {ids[docnum]: float(score) for docnum, score in results.items() if ids[docnum]}
            except (OSError, whoosh_index.IndexError):
                # Another process merged segments away under an old searcher: reopen once.
                if attempt:
                    raise
                self.reset()
        return {}

    def stored(self) -> dict[int, str]:
        """Activity id → fingerprint for every live document (for reconcile)."""
        searcher = self.searcher()
        out: dict[int, str] = {}
        for fields in searcher.all_stored_fields():
            out[int(fields["id"])] = str(fields.get("stamp", ""))
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


def current_index() -> SearchIndex:
    """The app's index (settings.resolved_index_dir)."""
    from flask import current_app

    settings = current_app.extensions["odekake_settings"]
    return index_at(settings.resolved_index_dir)
