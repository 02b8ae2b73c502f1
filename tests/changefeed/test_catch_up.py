"""catch_up: a node applies the log to its own index (edits, moves, place renames, deletions, gaps)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from tests.factories import make_activity
from webapp.changefeed.models import ChangeLog
from webapp.changefeed.tailer import Position, catch_up, latest_id, read_position, write_position
from webapp.listings.demo import load_sample_city
from webapp.search import sync
from webapp.search.index import SearchIndex


def _names(index: SearchIndex, word: str) -> set[int]:
    return {i for i, _ in index.match([[word]]).items()}


def test_a_node_without_position_checks_then_follows(session: Session, tmp_path: Path) -> None:
    load_sample_city(session)
    index = SearchIndex(tmp_path / "index")  # an empty index: the first catch_up repairs it all
    pos, step = catch_up(session, index, None)
    assert step.checked and pos.last_id == latest_id(session)
    assert sync.check(session, index).clean

    activity = make_activity(session, "cu-1", 34.69, 135.70, name="ふくろう将棋サロン")
    pos, step = catch_up(session, index, pos)
    assert not step.checked and step.rows >= 2 and step.documents == 1
    assert activity.id in _names(index, "ふくろう")

    # A place rename re-indexes the listings held there.
    assert activity.place is not None
    activity.place.name = "みみずく会館"
    pos, step = catch_up(session, index, pos)
    assert step.documents == 1 and activity.id in _names(index, "みみずく")

    activity.status = "archived"
    pos, step = catch_up(session, index, pos)
    assert activity.id not in _names(index, "ふくろう")
    assert sync.check(session, index).clean

    pos, step = catch_up(session, index, pos)
    assert (step.rows, step.documents) == (0, 0)


def test_a_gap_is_read_again_until_it_fills(session: Session, tmp_path: Path) -> None:
    """A lower id committed after a higher one (two writers on PostgreSQL) is not skipped."""
    index = SearchIndex(tmp_path / "index")
    early = make_activity(session, "gap-1", 34.69, 135.70, name="あとから来た囲碁会")
    late = make_activity(session, "gap-2", 34.69, 135.70, name="さきに来た麻雀会")
    base = latest_id(session)
    pos = Position(base)
    # The later transaction's row (id base+2) is visible; base+1 is still "in flight".
    session.execute(insert(ChangeLog), [{"id": base + 2, "kind": "activity", "row_id": late.id}])
    pos, _ = catch_up(session, index, pos)
    assert pos.last_id == base + 2
    assert late.id in _names(index, "麻雀") and early.id not in _names(index, "囲碁")
    if session.get_bind().dialect.name == "postgresql":
        # Our own open transaction is older than the horizon: the gap stays open until it ends.
        assert base + 1 in pos.gaps
    session.execute(insert(ChangeLog), [{"id": base + 1, "kind": "activity", "row_id": early.id}])
    pos, step = catch_up(session, index, pos)
    assert early.id in _names(index, "囲碁") and step.rows == 1
    assert not pos.gaps


def test_position_survives_a_restart(tmp_path: Path) -> None:
    index_path = tmp_path / "index"
    assert read_position(index_path) is None
    write_position(index_path, Position(42, {40: 7}))
    assert read_position(index_path) == Position(42, {40: 7})
    (tmp_path / "index.feed.json").write_text("not json", encoding="utf-8")
    assert read_position(index_path) is None


def test_only_published_listings_reach_the_index(session: Session, tmp_path: Path) -> None:
    index = SearchIndex(tmp_path / "index")
    pos, _ = catch_up(session, index, None)
    draft = make_activity(session, "cu-draft", 34.69, 135.70, name="したがきの会", status="draft")
    pos, step = catch_up(session, index, pos)
    assert step.rows and draft.id not in _names(index, "したがき")
    assert session.scalar(select(ChangeLog.row_id).where(ChangeLog.id == pos.last_id)) is not None


def test_a_node_behind_a_purge_checks_the_whole_index(session: Session, tmp_path: Path) -> None:
    from sqlalchemy import delete

    index = SearchIndex(tmp_path / "index")
    for k in range(3):
        make_activity(session, f"purge-{k}", 34.69, 135.70, name="のこった会")
    newest = latest_id(session)
    assert newest > 2
    session.execute(delete(ChangeLog).where(ChangeLog.id < newest))
    pos, step = catch_up(session, index, Position(1))
    assert step.checked and pos.last_id == newest
    assert sync.check(session, index).clean
    pos, step = catch_up(session, index, pos)
    assert not step.checked
