"""The bulk writer produces the same index as Whoosh's own writer, posting by posting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from webapp.search.bulk import add_all
from webapp.search.index import FIELDS, SearchIndex, SourceText, make_document

TOWNS = ["東新町", "元町1丁目", "鹿ノ台東2丁目", "さくら台"]
KINDS = ["ふれあい・いきいきサロン", "いきいき百歳体操 体操", "子ども食堂", "囲碁・将棋クラブ"]


def _docs(n: int, start: int = 1) -> list[dict[str, Any]]:
    out = []
    for i in range(start, start + n):
        town = TOWNS[i % len(TOWNS)]
        out.append(
            make_document(
                SourceText(
                    id=i,
                    name=f"{KINDS[i % len(KINDS)]}{i}",
                    name_kana="さろん" if i % 2 else "",
                    category=KINDS[i % len(KINDS)],
                    organization=f"{town}自治会",
                    place=f"{town}集会所{i // 3}",
                    address=f"奈良県生駒市{town}{i % 9 + 1}-{i % 5 + 1}",
                    town=town,
                    description="初めての方も歓迎です。お茶を飲みながらおしゃべり。" if i % 3 == 0 else "",
                    lat=34.69 + i * 1e-4,
                    lon=135.70 - i * 1e-4,
                    category_code="salon",
                    free=bool(i % 2),
                    weekdays=i % 128,
                )
            )
        )
    return out


def _snapshot(index: SearchIndex) -> dict[str, Any]:
    """Every live document's stored fields and columns, and every term's live posting ids, by activity id."""
    searcher = index.searcher()
    reader = searcher.reader()
    by_docnum = {d: int(f["id"]) for d, f in ((d, reader.stored_fields(d)) for d in reader.all_doc_ids())}
    columns = {name: list(reader.column_reader(name)) for name in ("lat", "lon", "cat", "free", "wdays", "kana")}
    docs = {
        by_docnum[d]: (reader.stored_fields(d)["stamp"], tuple(columns[c][d] for c in sorted(columns)))
        for d in by_docnum
    }
    terms: dict[tuple[str, bytes], list[int]] = {}
    for name in (*FIELDS, "id"):
        for term in reader.lexicon(name):
            ids = sorted(by_docnum[d] for d in reader.postings(name, term).all_ids() if d in by_docnum)
            if ids:
                terms[(name, term)] = ids
    return {"docs": docs, "terms": terms, "count": reader.doc_count()}


def _whoosh_index(path: Path, batches: list[list[dict[str, Any]]]) -> SearchIndex:
    index = SearchIndex(path)
    for batch in batches:
        with index.writer() as w:
            for doc in batch:
                w.update_document(**doc)
    index.reset()
    return index


def test_bulk_index_equals_whoosh_index(tmp_path: Path) -> None:
    docs = _docs(700)  # several full 128-posting blocks for common terms, inline ones for rare
    expected = _snapshot(_whoosh_index(tmp_path / "whoosh", [docs]))
    bulk = SearchIndex(tmp_path / "bulk")
    assert add_all(bulk, [dict(d) for d in docs]) == 700
    bulk.reset()
    got = _snapshot(bulk)
    assert got["count"] == 700
    assert got == expected
    sizes = {len(v) for v in got["terms"].values()}
    assert 1 in sizes and max(sizes) > 256
    assert bulk.stamps([5, 699]) == {5: docs[4]["stamp"], 699: docs[698]["stamp"]}  # found by id term


@pytest.mark.parametrize("n", [127, 128, 129, 256])
def test_block_boundaries(tmp_path: Path, n: int) -> None:
    docs = _docs(n)
    expected = _snapshot(_whoosh_index(tmp_path / "whoosh", [docs]))
    bulk = SearchIndex(tmp_path / "bulk")
    add_all(bulk, [dict(d) for d in docs])
    bulk.reset()
    assert _snapshot(bulk) == expected


def test_bulk_replacement_then_ordinary_writes_and_merge(tmp_path: Path) -> None:
    """Bulk over an existing index (replacing changed ids), then Whoosh's own writes and a full merge."""
    first, second = _docs(300), _docs(250, start=200)  # 200..300 are replaced, 301..449 new
    edit = _docs(1, start=5)[0] | {"w_title": "へんこう 変更"}
    expected_index = _whoosh_index(tmp_path / "whoosh", [first, second, [edit]])
    expected = _snapshot(expected_index)

    bulk = SearchIndex(tmp_path / "bulk")
    add_all(bulk, [dict(d) for d in first])
    add_all(bulk, [dict(d) for d in second], delete_ids=range(200, 301))
    with bulk.writer() as w:  # an organizer's edit afterwards: Whoosh's path, merging small segments
        w.update_document(**edit)
    bulk.reset()
    assert _snapshot(bulk) == expected
    bulk.open().optimize()  # every segment merged through Whoosh's own path
    bulk.reset()
    assert _snapshot(bulk) == expected
    assert set(bulk.match([["へんこう"]])) == {5}


def test_replace_drops_old_documents(tmp_path: Path) -> None:
    index = SearchIndex(tmp_path / "ix")
    add_all(index, [dict(d) for d in _docs(250)])
    add_all(index, [dict(d) for d in _docs(220, start=1000)], replace=True)
    index.reset()
    snap = _snapshot(index)
    assert sorted(snap["docs"]) == list(range(1000, 1220))


def _sources(n: int, start: int = 1) -> list[SourceText]:
    return [
        SourceText(id=i, name=f"ふれあいサロン{i}", name_kana="フレアイサロン", category="ふれあい・いきいきサロン",
                   organization=f"{TOWNS[i % 4]}自治会", place=f"{TOWNS[i % 4]}集会所{i // 3}", town=TOWNS[i % 4],
                   description="初めての方も歓迎です。" if i % 5 == 0 else "", lat=34.7, lon=135.7, weekdays=i % 128)
        for i in range(start, start + n)
    ]


def test_worker_processes_write_one_segment_each_with_the_same_content(tmp_path: Path) -> None:
    from importers.parallel import MIN_ITEMS, allow_workers
    from webapp.search.bulk import write_sources

    first, second = _sources(MIN_ITEMS + 100), _sources(MIN_ITEMS, start=MIN_ITEMS)
    expected = _whoosh_index(tmp_path / "whoosh", [[make_document(s) for s in first], [make_document(s) for s in second]])
    forked = SearchIndex(tmp_path / "forked")
    with allow_workers(2):
        assert write_sources(forked, first) == len(first)
        forked.reset()
        assert len(forked.searcher().reader().leaf_readers()) == 2  # one segment per worker
        replaced = [s.id for s in second if s.id <= len(first)]
        write_sources(forked, second, delete_ids=replaced)
    forked.reset()
    assert _snapshot(forked) == _snapshot(expected)
    with allow_workers(2):
        write_sources(forked, _sources(MIN_ITEMS, start=50_000), replace=True)
    forked.reset()
    assert sorted(_snapshot(forked)["docs"]) == list(range(50_000, 50_000 + MIN_ITEMS))
