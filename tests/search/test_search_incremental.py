"""A one-row change updates the in-memory arrays from the new segment only (no re-read of the rest)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from schedule import TZ
from webapp.listings.demo import load_sample_city
from webapp.listings.models.activity import Activity
from webapp.search import service, sync
from webapp.search.activity_query import ActivityQuery
from webapp.search.index import SearchIndex


def test_a_one_row_change_reuses_every_untouched_segment(session: Session, tmp_path: Path) -> None:
    load_sample_city(session)
    session.flush()
    index = SearchIndex(tmp_path / "index")
    sync.rebuild(session, index)
    index.landing_ids()  # the arrays are assembled on first use
    before = dict(index._segments)
    assert before and sum(seg.size for seg in before.values()) == index.doc_count()
    landing_before = index.landing_ids().tolist()

    activity = session.scalars(select(Activity).where(Activity.status == "published").order_by(Activity.id)).first()
    assert activity is not None
    activity.name, activity.name_kana = "ああああ将棋の会", "アアアアショウギノカイ"
    assert sync.index_activities(session, index, [activity.id]) == 1

    index.landing_ids()  # the arrays are assembled on first use
    after = index._segments
    # The old segments are the same objects (not re-read); one new segment holds the change.
    assert all(after[key] is seg for key, seg in before.items() if key in after)
    assert len(set(after) - set(before)) == 1
    assert index.match([["ああああ"]]) and set(index.match([["ああああ"]])) == {activity.id}
    # The old version of the document is deleted in its old segment: counted once, first in kana order.
    landing = index.landing_ids().tolist()
    assert sorted(landing) == sorted(landing_before)
    assert landing[0] == activity.id
    facets = index.facets()
    live = facets.ids[facets.ids > 0]
    assert sorted(live.tolist()) == sorted(landing)
    assert len(facets.lat) == len(facets.ids) == len(facets.cat)


def test_landing_ids_are_every_published_listing_in_kana_order(session: Session, tmp_path: Path) -> None:
    load_sample_city(session)
    session.flush()
    index = SearchIndex(tmp_path / "index")
    sync.rebuild(session, index)
    rows = session.execute(
        select(Activity.id, Activity.name_kana, Activity.name).where(Activity.status == "published")
    ).all()
    expected = [r.id for r in sorted(rows, key=lambda r: (r.name_kana or r.name, r.id))]
    assert index.landing_ids().tolist() == expected


def test_the_landing_page_ranking_comes_from_the_index_on_large_cities(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No query, no filter: the index's cached ranking, the same order as the database's."""
    load_sample_city(session)
    session.flush()
    index = SearchIndex(tmp_path / "index")
    sync.rebuild(session, index)
    query = ActivityQuery(per_page=100)
    from_db = service.search_activities(session, query, index=index, facets="db")
    monkeypatch.setattr(service, "FACETS_MIN_DOCS", 1)
    from_index = service.search_activities(session, query, index=index)
    assert isinstance(service._rank(session, query, datetime.now(TZ), index), service._LandingRanking)
    assert [h.activity.id for h in from_index.hits] == [h.activity.id for h in from_db.hits]
    assert from_index.total == from_db.total > 0


def test_reading_stamps_does_not_assemble_the_arrays(session: Session, tmp_path: Path) -> None:
    """A one-row import (or the tailer) reads one fingerprint, not every id of the index."""
    load_sample_city(session)
    session.flush()
    sync.rebuild(session, SearchIndex(tmp_path / "index"))
    index = SearchIndex(tmp_path / "index")  # a fresh process's view
    some = session.scalars(select(Activity.id).where(Activity.status == "published")).first()
    assert some is not None
    assert set(index.stamps([some])) == {some}
    assert not index._segments and index._ids is None
