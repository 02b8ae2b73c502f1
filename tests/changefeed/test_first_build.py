"""A node without a search index builds it once: the first requests of every worker and the change
feed's tailer all arrive at once, and only one of them builds (an ``flock`` beside the index); the
others wait for that build (an index being built already exists, empty) and use it. The build
records its place in the change log, so the tailer goes on from there without a full check."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import make_activity
from webapp.changefeed import tailer
from webapp.listings.models.activity import Activity
from webapp.search import sync
from webapp.search.index import SearchIndex, build_missing, current_index, index_at


@pytest.fixture()
def node(app: Flask, tmp_path: Path) -> Iterator[Path]:
    """The app as on a real node (not "testing": a missing index is built on first use), with an
    index directory of its own that does not exist yet."""
    settings = app.extensions["odekake_settings"]
    path = tmp_path / "node" / "index"
    app.extensions["odekake_settings"] = replace(settings, env="development", index_dir=path)
    try:
        yield path
    finally:
        app.extensions["odekake_settings"] = settings


def test_concurrent_first_uses_build_once_and_wait_for_it(app: Flask, node: Path) -> None:
    builds: list[float] = []
    returned: dict[str, float] = {}

    def slow_builder(index: SearchIndex) -> None:
        index.open()  # as a real rebuild does first: from here on the (empty) index exists
        time.sleep(0.4)
        with index.writer() as w:
            w.add_document(id="1", stamp="s")
        builds.append(time.monotonic())

    app.extensions["odekake_index_builder"] = slow_builder

    def first_use(name: str) -> None:
        with app.app_context():
            index_at(node)._complete = False  # each worker process starts knowing nothing
            current_index()
            returned[name] = time.monotonic()

    try:
        threads = [threading.Thread(target=first_use, args=(f"worker-{i}",)) for i in range(3)]
        for t in threads:
            t.start()
            time.sleep(0.05)  # the later ones arrive while the first is building
        for t in threads:
            t.join(10)
    finally:
        app.extensions["odekake_index_builder"] = tailer.build_app_index
    assert len(builds) == 1
    assert len(returned) == 3 and all(at >= builds[0] for at in returned.values())  # nobody searched a half index
    assert index_at(node).doc_count() == 1


def test_a_request_waits_a_bounded_time_for_another_processs_build(app: Flask, node: Path) -> None:
    index = SearchIndex(node)
    with index.build_lock(wait=None) as mine, app.app_context():
        assert mine
        started = time.monotonic()
        assert build_missing(SearchIndex(node), wait=0.2) is False  # waited, then searches what is there
        assert 0.2 <= time.monotonic() - started < 2
        assert not SearchIndex(node).complete


def test_the_tailer_on_a_new_node_builds_once_with_its_position(
    app: Flask, node: Path, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(3):
        make_activity(session, f"fb-{i}", 34.69, 135.70, name=f"はじめての会{i}")
    session.commit()  # the tailer and requests read through the scoped session (still rolled back after)
    newest = tailer.latest_id(session)
    calls = {"rebuild": 0, "check": 0}
    real_rebuild, real_check = sync.rebuild, sync.check

    def rebuild(*a: Any, **k: Any) -> int:
        calls["rebuild"] += 1
        return real_rebuild(*a, **k)

    def check(*a: Any, **k: Any) -> sync.Drift:
        calls["check"] += 1
        return real_check(*a, **k)

    monkeypatch.setattr(sync, "rebuild", rebuild)
    monkeypatch.setattr(sync, "check", check)
    index_at(node)._complete = False
    step = tailer.Tailer(app).tick(node)
    assert calls == {"rebuild": 1, "check": 0} and not step.checked
    assert tailer.read_position(node) == tailer.Position(newest)
    published = session.scalar(select(func.count()).where(Activity.status == "published"))
    assert index_at(node).doc_count() == published

    with app.test_request_context("/"):
        current_index()  # a worker's first request afterwards: nothing to build
    tailer.Tailer(app).tick(node)
    assert calls == {"rebuild": 1, "check": 0}
