"""The search arrays are moved out of the cyclic collector's sight once assembled (webapp.search.heap)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from webapp.listings.demo import load_sample_city
from webapp.search import heap, sync
from webapp.search.index import SearchIndex


@pytest.fixture
def thawed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test starts and ends with nothing frozen (the rest of the suite runs unfrozen)."""
    gc.unfreeze()
    monkeypatch.setattr(heap, "_baseline", 0)
    yield
    gc.unfreeze()


def _tracked(obj: object) -> bool:
    return any(o is obj for o in gc.get_objects())


def test_the_facet_arrays_are_frozen_once_assembled(thawed: None, session: Session, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(heap, "MIN_DOCS", 1)
    load_sample_city(session)
    session.flush()
    index = SearchIndex(tmp_path / "index")
    sync.rebuild(session, index)
    facets = index.facets()
    assert gc.get_freeze_count() > 0
    assert not _tracked(facets)  # in the permanent generation: full collections skip it


def test_a_small_index_leaves_the_collector_alone(thawed: None, session: Session, tmp_path: Path) -> None:
    load_sample_city(session)
    session.flush()
    index = SearchIndex(tmp_path / "index")
    sync.rebuild(session, index)
    assert index.doc_count() < heap.MIN_DOCS
    facets = index.facets()
    assert gc.get_freeze_count() == 0
    assert _tracked(facets)


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_frozen_garbage_is_collected_when_the_frozen_set_grows_past_the_rebalance(thawed: None) -> None:
    kept = [[i] for i in range(1000)]
    heap.settle(heap.MIN_DOCS)
    first = gc.get_freeze_count()
    assert first > 0 and heap._baseline > 0
    garbage = [_Cycle() for _ in range(first + 10)]
    del garbage  # cycles: only a collection frees them, and they are not frozen yet
    heap.settle(heap.MIN_DOCS)  # freezes the unreachable cycles along with the rest
    assert gc.get_freeze_count() > heap.REBALANCE * first
    heap.settle(heap.MIN_DOCS)  # grown past REBALANCE: unfreeze, collect, freeze again
    assert gc.get_freeze_count() < heap.REBALANCE * first
    assert not _tracked(kept)
