"""Each node follows the change log into its own search index.

One tailer per node (per index directory): the process holding ``<index>.feed.lock`` (an
``flock``) reads ``change_log`` rows past the node's last applied id, turns them into activity ids
(a place, organization or district change re-indexes the listings that show it) and brings those
documents in step (:func:`webapp.search.sync.index_activities`: unchanged documents are skipped by
fingerprint). The position is kept beside the index in ``<index>.feed.json``. The other workers of
the node see the new index generation on their next search.

Ids of change_log come from a sequence; on PostgreSQL a transaction that took a lower id may commit
after one that took a higher id. A tailer that has read past such a hole remembers it as a *gap*
and reads it again until every transaction that may have held it has ended (the snapshot's xmin
has passed the xmax seen when the gap was found): nothing committed late is skipped, and
rolled-back ids are forgotten. On SQLite writers are serialised, so a gap is a rollback.

A node that has no position yet, or whose position is older than the log (purged rows), runs a
check and repair of the whole index (what ``odekake reindex --check`` does) and goes on from there.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from webapp.changefeed.models import CHANNEL, ChangeLog

log = logging.getLogger(__name__)

BATCH = 5000
MAX_GAPS = 10_000  # beyond this many holes at once, a full check is cheaper than tracking them


@dataclass
class Position:
    """Where a node's index stands in the log."""

    last_id: int = 0
    # gap id → PostgreSQL xid horizon (pg_snapshot_xmax when found; 0 on SQLite)
    gaps: dict[int, int] = field(default_factory=dict)

    def dump(self) -> str:
        return json.dumps({"last_id": self.last_id, "gaps": {str(k): v for k, v in self.gaps.items()}})

    @classmethod
    def load(cls, raw: str) -> Position:
        data = json.loads(raw)
        return cls(int(data["last_id"]), {int(k): int(v) for k, v in (data.get("gaps") or {}).items()})


def position_path(index_path: Path) -> Path:
    return index_path.with_name(index_path.name + ".feed.json")


def read_position(index_path: Path) -> Position | None:
    try:
        return Position.load(position_path(index_path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (ValueError, KeyError):
        log.warning("unreadable change-feed position %s: starting over with a check", position_path(index_path))
        return None


def write_position(index_path: Path, pos: Position) -> None:
    path = position_path(index_path)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_text(pos.dump(), encoding="utf-8")
    os.replace(tmp, path)


def latest_id(session: Session) -> int:
    return int(session.scalar(select(func.max(ChangeLog.id))) or 0)


def _xid_horizon(session: Session) -> int:
    """PostgreSQL: the first xid not yet assigned (every running transaction is below it)."""
    if session.get_bind().dialect.name != "postgresql":
        return 0
    return int(session.scalar(text("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint")) or 0)


def _xid_oldest_running(session: Session) -> int:
    return int(session.scalar(text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")) or 0)


def affected_activities(session: Session, changes: Iterable[tuple[str, int]]) -> set[int]:
    """Activity ids whose documents a set of (table, row id) changes may alter."""
    from webapp.listings.models.activity import Activity
    from webapp.listings.models.place import Place

    by_kind: dict[str, set[int]] = {}
    for kind, row_id in changes:
        by_kind.setdefault(kind, set()).add(int(row_id))
    ids = set(by_kind.get("activity", ()))

    def chunks(values: set[int]) -> Iterable[list[int]]:
        ordered = sorted(values)
        for i in range(0, len(ordered), 1000):
            yield ordered[i : i + 1000]

    for chunk in chunks(by_kind.get("place", set())):
        ids.update(session.scalars(select(Activity.id).where(Activity.place_id.in_(chunk))))
    for chunk in chunks(by_kind.get("organization", set())):
        ids.update(session.scalars(select(Activity.id).where(Activity.organization_id.in_(chunk))))
    for chunk in chunks(by_kind.get("district", set())):
        places = select(Place.id).where(Place.district_id.in_(chunk))
        ids.update(session.scalars(select(Activity.id).where(Activity.place_id.in_(places))))
    return ids


@dataclass
class Step:
    """What one :func:`catch_up` call did."""

    rows: int = 0
    documents: int = 0
    checked: bool = False
    skipped: int = 0  # rows read but not applied: no document column changed


def catch_up(session: Session, index: Any, pos: Position | None) -> tuple[Position, Step]:
    """Apply every committed change past ``pos`` to ``index``; the new position and what was done."""
    from webapp.search import sync

    step = Step()
    if pos is None or _purged_past(session, pos):
        # No position (a new node, a lost file) or the log was purged beyond it: full check.
        start = Position(latest_id(session))  # the check below reads at least up to here
        sync.repair(session, index, sync.check(session, index))
        step.checked = True
        pos = start
    changes: list[tuple[str, int]] = []
    if pos.gaps:
        # The horizon test first, then the read: a transaction that ended before the test has
        # its rows visible to the read that follows (READ COMMITTED: a fresh snapshot per statement).
        oldest = _xid_oldest_running(session) if session.get_bind().dialect.name == "postgresql" else None
        found = session.execute(
            select(ChangeLog.id, ChangeLog.kind, ChangeLog.row_id, ChangeLog.doc_changed)
            .where(ChangeLog.id.in_(sorted(pos.gaps)))
        ).all()
        for row in found:
            pos.gaps.pop(int(row.id), None)
            if row.doc_changed:
                changes.append((row.kind, row.row_id))
            else:
                step.skipped += 1
        step.rows += len(found)
        # A gap is closed once no transaction that may have taken its id is still running.
        pos.gaps = {g: h for g, h in pos.gaps.items() if oldest is not None and oldest < h}
    horizon: int | None = None
    while True:
        rows = session.execute(
            select(ChangeLog.id, ChangeLog.kind, ChangeLog.row_id, ChangeLog.doc_changed)
            .where(ChangeLog.id > pos.last_id)
            .order_by(ChangeLog.id)
            .limit(BATCH)
        ).all()
        for row in rows:
            if row.id > pos.last_id + 1:
                if horizon is None:
                    horizon = _xid_horizon(session)
                for g in range(pos.last_id + 1, int(row.id)):
                    pos.gaps[g] = horizon
            pos.last_id = int(row.id)
            # An UPDATE that changed no column of a document (doc_changed false) needs no reading.
            if row.doc_changed:
                changes.append((row.kind, row.row_id))
            else:
                step.skipped += 1
        step.rows += len(rows)
        if len(rows) < BATCH:
            break
    if len(pos.gaps) > MAX_GAPS:
        log.warning("change feed: %d open gaps; checking the whole index instead", len(pos.gaps))
        pos.gaps.clear()
        sync.repair(session, index, sync.check(session, index))
        step.checked = True
    if changes:
        ids = affected_activities(session, changes)
        step.documents = sync.index_activities(session, index, ids)
    return pos, step


def build_index(session: Session, index: Any, progress: Any = None) -> int:
    """Rebuild ``index`` from the database and record the feed position it reflects.

    `odekake reindex`, and a node's first build (create_app makes this the app's
    ``odekake_index_builder``, used by webapp.search.index.build_missing): the rebuild reads every
    row committed before it, so the node's tailer goes on from the newest log id read first,
    with no full check. Returns the number of documents indexed.
    """
    from webapp.search import sync

    start = latest_id(session)
    count = sync.rebuild(session, index, progress=progress)
    write_position(index.path, Position(start))
    return count


def build_app_index(index: Any) -> None:
    """The app's ``odekake_index_builder``: :func:`build_index` in the app's session."""
    from webapp.extensions import db

    build_index(db.session(), index)


def _purged_past(session: Session, pos: Position) -> bool:
    """Whether rows this node has not applied were purged (its position is older than the log)."""
    if pos.last_id <= 0:
        return False
    oldest = session.scalar(select(func.min(ChangeLog.id)))
    # (min() is one step down the primary key; no row at or below the position means it was purged.)
    return oldest is not None and int(oldest) > pos.last_id + 1


def purge(session: Session, older_than: timedelta) -> int:
    """Delete log rows older than ``older_than`` (nodes further behind run a full check)."""
    from webapp import clock

    cutoff = clock.now() - older_than
    newest = latest_id(session)
    result = session.execute(delete(ChangeLog).where(ChangeLog.changed_at < cutoff, ChangeLog.id < newest))
    return int(getattr(result, "rowcount", 0) or 0)


# ── the node's tailer thread ─────────────────────────────────────────────────────────────────


class NodeLock:
    """``<index>.feed.lock``: the one process of a node that applies the feed."""

    def __init__(self, index_path: Path) -> None:
        self.path = index_path.with_name(index_path.name + ".feed.lock")
        self._fd: int | None = None

    def acquire(self) -> bool:
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class Tailer:
    """Follows the log for one app and index directory until :meth:`stop`."""

    def __init__(self, app: Any, poll_s: float = 1.0) -> None:
        self.app = app
        self.poll_s = poll_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.applied = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="odekake-changefeed", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run(self) -> None:
        from webapp.config import settings as current_settings

        with self.app.app_context():
            index_path = current_settings().resolved_index_dir
        lock = NodeLock(index_path)
        listener = _Listener(self.app)
        try:
            while not self._stop.is_set():
                if not lock.acquire():
                    self._stop.wait(self.poll_s)  # another process of this node applies the feed
                    continue
                try:
                    self.tick(index_path)
                except Exception:  # keep following: a DB restart or a full disk must not end the thread
                    log.exception("change feed: applying changes failed; retrying")
                    listener.close()
                    self._stop.wait(self.poll_s)
                    continue
                listener.wait(self.poll_s, self._stop)
        finally:
            listener.close()
            lock.release()

    def tick(self, index_path: Path) -> Step:
        from webapp.config import settings as current_settings
        from webapp.extensions import db
        from webapp.search.index import build_missing, current_index, index_at

        with self.app.app_context():
            try:
                if current_settings().env != "testing":
                    # A new node: the index is built once, by whichever of the tailer and the first
                    # requests comes first (with its feed position); the others wait for it. The
                    # tailer waits on: a full check during the build would build it a second time.
                    node_index = index_at(index_path)
                    if not node_index.complete:
                        build_missing(node_index, wait=None)
                index = current_index()
                pos, step = catch_up(db.session(), index, read_position(index_path))
                write_position(index_path, pos)
                self.applied += step.rows
                if step.rows or step.checked:
                    log.info("change feed: %d changes, %d documents written", step.rows, step.documents)
                return step
            finally:
                db.session.remove()  # ends the read transaction: the next poll sees newer commits


class _Listener:
    """PostgreSQL LISTEN on its own connection; a plain wait (polling) elsewhere or on failure."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._conn: Any = None
        self._broken_until = 0.0

    def _connect(self) -> Any:
        if self._conn is not None or time.monotonic() < self._broken_until:
            return self._conn
        from webapp.extensions import db

        with self.app.app_context():
            engine = db.engine
        if engine is None or engine.dialect.name != "postgresql":
            self._broken_until = float("inf")
            return None
        try:
            import psycopg

            url = engine.url.set(drivername="postgresql")
            conn = psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)
            conn.execute(f"LISTEN {CHANNEL}")
            self._conn = conn
        except Exception:
            log.warning("change feed: LISTEN failed; polling instead", exc_info=True)
            self._broken_until = time.monotonic() + 30
        return self._conn

    def wait(self, timeout: float, stop: threading.Event) -> None:
        conn = self._connect()
        if conn is None:
            stop.wait(timeout)
            return
        try:
            # Wake at the first notification (then drain the others), or poll after ``timeout``.
            for _ in conn.notifies(timeout=timeout, stop_after=1):
                pass
        except Exception:
            log.warning("change feed: LISTEN connection lost; polling", exc_info=True)
            self.close()
            stop.wait(timeout)

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):  # already gone
                self._conn.close()
            self._conn = None


_started: dict[int, Tailer] = {}
_started_lock = threading.Lock()


def ensure_started(app: Any) -> None:
    """Start this process's tailer once (lazily: after gunicorn has forked its workers)."""
    key = os.getpid()
    if key in _started:
        return
    with _started_lock:
        if key in _started:
            return
        from webapp.config import settings as current_settings

        tailer = Tailer(app, poll_s=current_settings().changefeed_poll_ms / 1000)
        tailer.start()
        _started[key] = tailer
