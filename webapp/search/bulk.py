"""Writing many documents at once: text postings written term by term, not posting by posting.

Whoosh's own path costs ~8 µs of Python per posting (``add_document`` puts each one in a sorting
pool, and the codec writes each one again at commit).  An import of 100k listings has ~9M
postings, so that path alone took over a minute.  Our text fields are pre-tokenised, positionless
existence postings (see :func:`webapp.search.index.make_document`), so a term's posting list is
simply the ascending docnums of the documents holding it: collected here in one ``array`` per term
and handed to the codec a block (128 postings) at a time.

Everything else of a document (the ``id`` term, stored fields, columns) still goes through
``IndexWriter.add_document``; only the text fields are diverted.  The commit must not merge other
segments into this writer (their postings would go through the pool and collide with the text
written here), so :func:`bulk_writer` commits with ``merge=False``; the next ordinary commit merges
small segments as usual.

This uses the whoosh3 codec's postings writer directly (``_ids``/``_weights``/``_write_block``):
whoosh-reloaded is pinned below 2.8 in pyproject.toml, and tests/unit/search/test_search_bulk.py
compares a bulk-written index with one written by Whoosh itself, posting by posting.
"""

from __future__ import annotations

import functools
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from whoosh.writing import CLEAR

from importers.parallel import MIN_ITEMS, fork_map, workers
from webapp.search.index import FIELDS, INDEX_NAME, WRITE_TIMEOUT_S, SearchIndex, SourceText, make_document

# Below this many documents the ordinary writer is as fast and merges small segments itself.
BULK_MIN_DOCS = 200


class BulkDocuments:
    """Text postings of the documents added through one writer, written at its flush."""

    def __init__(self, writer: Any) -> None:
        self.writer = writer
        self.postings: dict[str, dict[str, array[int]]] = {name: {} for name in FIELDS}
        self.count = 0
        original = writer.fieldwriter.add_postings

        def add_postings(schema: Any, lengths: Any, items: Any) -> None:
            # The pool holds only the id field's postings, which sort before every text field.
            original(schema, lengths, items)
            for name in sorted(self.postings):
                _write_field(writer.fieldwriter, name, schema[name], self.postings[name])

        writer.fieldwriter.add_postings = add_postings

    def add(self, doc: dict[str, Any]) -> None:
        docnum = int(self.writer.docnum)
        rest = dict(doc)
        for name in FIELDS:
            table = self.postings[name]
            # Tokens are unique within a document's field already (make_document dedups them).
            for token in (rest.pop(name, None) or "").split():
                docs = table.get(token)
                if docs is None:
                    table[token] = docs = array("I")
                docs.append(docnum)
        self.writer.add_document(**rest)
        self.count += 1


def _write_field(fieldwriter: Any, name: str, fieldobj: Any, table: dict[str, array[int]]) -> None:
    if not table:
        return
    fieldwriter.start_field(name, fieldobj)
    # Terms in byte order: UTF-8 keeps code point order, so sorting the str keys is the same.
    for token in sorted(table):
        docs = table[token]
        fieldwriter.start_term(token.encode("utf-8"))
        pw = fieldwriter._postwriter
        limit = pw._blocklimit
        for start in range(0, len(docs), limit):
            chunk = docs[start : start + limit]
            # What W3PostingsWriter.add_posting accumulates, one block at a time: ids, weights
            # (existence postings weigh 1.0), no values, no lengths (the fields are not scorable).
            pw._ids = chunk
            pw._weights = array("f", [1.0]) * len(chunk)
            pw._maxweight = 1.0
            if start + limit < len(docs):
                pw._write_block()  # a full block followed by more: as add_posting does
        fieldwriter.finish_term()  # writes (or inlines) the last block
    fieldwriter.finish_field()


@contextmanager
def bulk_writer(index: SearchIndex, *, replace: bool = False) -> Iterator[tuple[Any, BulkDocuments]]:
    """A locked writer and its :class:`BulkDocuments`; committed without merging other segments.

    ``replace=True`` drops every existing segment at commit (a rebuild), atomically.
    """
    with index.writer(replace=replace, merge=False) as w:
        yield w, BulkDocuments(w)


def add_all(index: SearchIndex, docs: Iterable[dict[str, Any]], *, delete_ids: Iterable[int] = (), replace: bool = False) -> int:
    """Write ``docs`` (replacing any indexed documents with the same ids) and delete ``delete_ids``."""
    with bulk_writer(index, replace=replace) as (w, bulk):
        for i in delete_ids:
            w.delete_by_term("id", str(i))
        for doc in docs:
            bulk.add(doc)
        return bulk.count


def write_sources(
    index: SearchIndex,
    sources: Sequence[SourceText],
    *,
    delete_ids: Iterable[int] = (),
    replace: bool = False,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Analyse and write ``sources`` (replacing ``delete_ids``); returns the number written.

    Where the command line allows worker processes (importers.parallel), each worker analyses
    a share of the listings and writes it as a segment of its own, as Whoosh's MpWriter does with
    ``multisegment=True``; this process holds the write lock, applies the deletions and commits
    every segment in one table of contents, so readers see all of it or none.
    """
    count = workers()
    if count <= 1 or len(sources) < MIN_ITEMS:
        return add_all(index, _documents(sources, progress), delete_ids=delete_ids, replace=replace)
    w = index.open().writer(timeout=WRITE_TIMEOUT_S, delay=0.05)
    try:
        for i in delete_ids:
            w.delete_by_term("id", str(i))
        size = -(-len(sources) // count)
        shares = [sources[i : i + size] for i in range(0, len(sources), size)]
        segments = fork_map(functools.partial(_write_segment, str(index.path)), shares, min_items=2)
        final = w._merge_segments(CLEAR if replace else None, None, False)  # no merge: deletions only
        w._close_segment()  # this writer added no documents of its own
        w._commit_toc(final + segments)
        w._finish()
    except BaseException:
        if not w.is_closed:
            w.cancel()
        raise
    return len(sources)


def _documents(sources: Iterable[SourceText], progress: Callable[[int], None] | None) -> Iterator[dict[str, Any]]:
    for n, src in enumerate(sources, start=1):
        yield make_document(src)
        if progress is not None and n % 100 == 0:
            progress(n)


def _write_segment(path: str, share: Sequence[SourceText]) -> Any:
    """In a worker: one new segment (not yet in the index's table of contents) for ``share``."""
    from whoosh import index as whoosh_index
    from whoosh.writing import SegmentWriter

    ix = whoosh_index.open_dir(path, indexname=INDEX_NAME)
    sw = SegmentWriter(ix, _lk=False)  # the parent holds the index's write lock
    bulk = BulkDocuments(sw)
    for src in share:
        bulk.add(make_document(src))
    # Its temporary files share the parent's "activities.tmp" folder, which the parent removes.
    return sw._finalize_segment()
