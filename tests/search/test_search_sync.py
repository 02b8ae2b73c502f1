"""Index ⇄ DB: after-commit updates, reconcile after a crash, rebuild, concurrent writers, CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path

import pytest
from flask import Flask, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from schedule import TZ
from webapp.boundary import _commit
from webapp.listings.demo import load_sample_city
from webapp.listings.models.activity import Activity
from webapp.search import sync
from webapp.search.activity_query import ActivityQuery
from webapp.search.index import SearchIndex
from webapp.search.service import search_activities
from webapp.signals import activity_changed_after_commit

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=TZ)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def city(session: Session, tmp_path: Path) -> SearchIndex:
    load_sample_city(session)
    session.flush()
    index = SearchIndex(tmp_path / "index")
    sync.rebuild(session, index)
    return index


def found(session: Session, index: SearchIndex, q: str) -> set[int]:
    result = search_activities(session, ActivityQuery(q=q, per_page=100), NOW, index=index)
    return {h.activity.id for h in result.hits}


def _by_name(session: Session, name: str) -> Activity:
    return session.scalars(select(Activity).where(Activity.name == name)).one()


def test_rebuild_indexes_every_published_activity_and_check_is_clean(session: Session, city: SearchIndex) -> None:
    published = set(session.scalars(select(Activity.id).where(Activity.status == "published")))
    assert set(city.stored()) == published
    drift = sync.check(session, city)
    assert drift.clean and drift.checked == len(published)


def test_reconcile_after_a_crash_between_commit_and_index_update(session: Session, city: SearchIndex) -> None:
    # The DB changes "commit", then the process dies before the after-commit index update runs.
    new = Activity(source="test", source_id="new-1", name="ふくろう将棋サロン", name_kana="フクロウショウギサロン")
    new.status = "published"
    session.add(new)
    edited = _by_name(session, "囲碁クラブ 烏鷺の会")
    edited.name = "囲碁と麻雀クラブ 烏鷺の会"
    archived = _by_name(session, "えがおの会")
    archived.status = "archived"
    session.flush()
    assert new.id not in found(session, city, "ふくろう")

    drift = sync.check(session, city)
    assert drift.missing == [new.id]
    assert drift.stale == [edited.id]
    assert drift.extra == [archived.id]
    assert "1 missing, 1 stale, 1 extra" in drift.summary()

    assert sync.repair(session, city, drift) == 3
    assert sync.repair(session, city, sync.check(session, city)) == 0
    # Re-indexing unchanged listings writes nothing.
    assert sync.index_activities(session, city, [edited.id, new.id]) == 0
    assert sync.check(session, city).clean
    assert new.id in found(session, city, "ふくろう")
    assert edited.id in found(session, city, "麻雀")
    assert archived.id not in set(city.stored())


def test_activity_changed_is_indexed_only_after_commit(
    app: Flask, session: Session, city: SearchIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("webapp.search.index.current_index", lambda: city)
    a = _by_name(session, "えがおの会")
    with app.test_request_context("/organizer/x", method="POST"):
        a.name = "えがおのカラオケ会"
        activity_changed_after_commit(a.id)
        assert a.id not in found(session, city, "からおけ会")  # not yet: nothing committed
        _commit(Response("ok", status=200))
    assert a.id in found(session, city, "えがおのカラオケ会")

    with app.test_request_context("/organizer/x", method="POST"):
        a.name = "えがおのピンポン会"
        activity_changed_after_commit(a.id)
        _commit(Response("bad", status=400))  # rolled back: the hook must not run
    assert a.id not in city.match([["ぴんぽん"]])


def test_archiving_removes_and_publishing_adds(session: Session, city: SearchIndex) -> None:
    a = _by_name(session, "えがおの会")
    a.status = "archived"
    session.flush()
    sync.index_activities(session, city, [a.id])
    assert a.id not in city.stored()
    a.status = "published"
    session.flush()
    sync.index_activities(session, city, [a.id])
    assert a.id in found(session, city, "えがおの会")


def test_index_failure_is_logged_not_raised(
    session: Session, city: SearchIndex, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("x")
    a = _by_name(session, "えがおの会")
    sync.index_activity_now(a.id, index=SearchIndex(blocked / "index"))
    assert "search index update failed" in caplog.text


_WRITER = textwrap.dedent(
    """
    import sys
    from webapp.search.index import SearchIndex, SourceText, make_document
    index = SearchIndex(sys.argv[1])
    worker, count = int(sys.argv[2]), int(sys.argv[3])
    for i in range(count):
        doc_id = worker * 1000 + i
        with index.writer() as w:   # one commit per document, like one request per edit
            w.update_document(**make_document(SourceText(id=doc_id, name=f"サロン {worker} {i}")))
        if i % 3 == 0:  # and some re-edits of the same document
            with index.writer() as w:
                w.update_document(**make_document(SourceText(id=doc_id, name=f"さろん {worker} {i} 改")))
    """
)


def test_concurrent_writers_in_several_processes(tmp_path: Path) -> None:
    path = tmp_path / "index"
    SearchIndex(path).open()
    workers, per_worker = 4, 12
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(path), str(w), str(per_worker)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(1, workers + 1)
    ]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    index = SearchIndex(path)
    stored = index.stored()
    expected = {w * 1000 + i for w in range(1, workers + 1) for i in range(per_worker)}
    assert set(stored) == expected
    assert index.doc_count() == len(expected)  # no duplicates from concurrent update_document
    assert set(index.match([["さろん"]])) == expected


def test_reader_survives_writes_from_another_process(tmp_path: Path) -> None:
    path = tmp_path / "index"
    reader = SearchIndex(path)
    from webapp.search.index import SourceText, make_document

    with reader.writer() as w:
        w.add_document(**make_document(SourceText(id=1, name="サロン")))
    assert set(reader.match([["さろん"]])) == {1}
    done = subprocess.run(
        [sys.executable, "-c", _WRITER, str(path), "5", "6"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    # The long-lived searcher notices the new generation (segments merged under it included).
    assert len(reader.match([["さろん"]])) == 7


def _odekake(instance: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ODEKAKE_")}
    environ["ODEKAKE_INSTANCE_DIR"] = str(instance)
    return subprocess.run(
        [str(Path(sys.executable).parent / "odekake"), *args], capture_output=True, text=True, env=environ, timeout=300
    )


def test_reindex_cli_rebuilds_checks_and_repairs(tmp_path: Path) -> None:
    # A real process on its own embedded database: the CLI commits, so it cannot share a test transaction.
    instance = tmp_path / "inst"
    for args in (("init-db",), ("load-demo",)):
        done = _odekake(instance, *args)
        assert done.returncode == 0, done.stderr
    done = _odekake(instance, "reindex", "--quiet")
    assert done.returncode == 0, done.stderr
    assert "indexed" in done.stdout
    done = _odekake(instance, "reindex", "--check")
    assert done.returncode == 0, done.stderr
    assert "0 missing, 0 stale, 0 extra" in done.stdout

    index = SearchIndex(instance / "index")
    victim = sorted(index.stored())[0]
    with index.writer() as w:
        w.delete_by_term("id", str(victim))
    done = _odekake(instance, "reindex", "--check")
    assert done.returncode == 1, done.stderr  # drift found (and repaired)
    assert "1 missing" in done.stdout and f"missing: {victim}" in done.stdout and "repaired 1" in done.stdout
    assert "0 missing, 0 stale, 0 extra" in _odekake(instance, "reindex", "--check").stdout


def test_import_sized_batches_with_worker_processes_index_like_one_process(session: Session, tmp_path: Path) -> None:
    """An import's indexing forks analysis workers (CLI): same documents, and the DB session survives."""
    from sqlalchemy import insert

    from importers.parallel import MIN_ITEMS, allow_workers

    now = datetime(2026, 11, 1, tzinfo=TZ)
    rows = [
        {"source": "bulk", "source_id": f"b{i}", "name": f"ふれあいサロン{i}", "name_kana": "フレアイサロン",
         "category": "salon", "status": "published", "schedule_rrule": "FREQ=WEEKLY;BYDAY=TU",
         "created_at": now, "updated_at": now}
        for i in range(MIN_ITEMS + 300)
    ]
    session.execute(insert(Activity), rows)
    ids = list(session.scalars(select(Activity.id).where(Activity.source == "bulk").order_by(Activity.id)))
    serial, forked = SearchIndex(tmp_path / "serial"), SearchIndex(tmp_path / "forked")
    sync.index_activities(session, serial, ids)
    with allow_workers(2):
        sync.index_activities(session, forked, ids)
        assert sync.rebuild(session, SearchIndex(tmp_path / "rebuilt")) == len(ids)
    assert forked.stored() == serial.stored() and len(serial.stored()) == len(ids)
    assert sync.check(session, forked).clean
    assert forked.match([["ふれあいさろん2041"]]) == serial.match([["ふれあいさろん2041"]]) != {}
    # The connection the workers inherited is still the parent's to use.
    assert session.scalar(select(Activity.name).where(Activity.id == ids[-1])) == f"ふれあいサロン{len(ids) - 1}"
