"""Keeping the index in step with the database (the source of truth).

* :func:`index_activity_after_commit` — call it from any service/view that publishes, edits,
  archives or deletes an activity; the index is updated once the request's transaction has
  committed (never for a rolled-back change).
* :func:`rebuild` — `odekake reindex`: every published activity, swapped in atomically.
* :func:`check` / :func:`repair` — `odekake reindex --check`: missing, stale and extra documents.

Only ``status == "published"`` activities are ever written to the index.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from webapp.models import Activity, Place
from webapp.search.bulk import BULK_MIN_DOCS, add_all, bulk_writer
from webapp.search.index import SearchIndex, activity_source, fingerprint, make_document

log = logging.getLogger(__name__)

BATCH = 500


def _published(session: Session, ids: Iterable[int] | None = None) -> Iterator[Activity]:
    """Published activities with what their documents need, loaded in batches."""
    base = (
        select(Activity)
        .where(Activity.status == "published")
        .options(
            selectinload(Activity.place).selectinload(Place.district),
            selectinload(Activity.organization),
        )
        .order_by(Activity.id)
    )
    if ids is not None:
        id_list = sorted(set(ids))
        for i in range(0, len(id_list), BATCH):
            yield from session.scalars(base.where(Activity.id.in_(id_list[i : i + BATCH])))
        return
    last = 0
    while True:
        batch = session.scalars(base.where(Activity.id > last).limit(BATCH)).all()
        if not batch:
            return
        yield from batch
        last = batch[-1].id


def index_activities(session: Session, index: SearchIndex, activity_ids: Iterable[int]) -> int:
    """Bring the index in line with the DB for these ids: (re)index published, drop the rest.

    Returns the number of documents written or deleted."""
    ids = sorted({int(i) for i in activity_ids})
    if not ids:
        return 0
    docs = [make_document(activity_source(a)) for a in _published(session, ids)]
    live = {int(d["id"]) for d in docs}
    # Unchanged documents are skipped (same fingerprint): re-importing a file or re-saving a
    # listing without changes costs no index write.
    existing = index.stamps(ids) if index.exists() else {}
    changed = [d for d in docs if existing.get(int(d["id"])) != d["stamp"]]
    gone = [i for i in ids if i not in live and i in existing]
    if not changed and not gone:
        return 0
    if len(changed) >= BULK_MIN_DOCS:  # an import: text postings written term by term
        replaced = [int(d["id"]) for d in changed if int(d["id"]) in existing]
        add_all(index, changed, delete_ids=[*replaced, *gone])
        return len(changed) + len(gone)
    with index.writer() as w:
        for doc in changed:
            w.update_document(**doc)
        for i in gone:
            w.delete_by_term("id", str(i))
    return len(changed) + len(gone)


def index_activity_after_commit(activity_id: int, index: SearchIndex | None = None) -> None:
    """Update the index for one activity after this request commits (skipped on rollback).

    Outside a request (CLI, scripts) the update runs at once; the caller has committed.  A
    failure is logged, not raised: the change is in the DB, and `odekake reindex --check`
    repairs the index.
    """
    from flask import has_request_context

    def run() -> None:
        from webapp.extensions import db
        from webapp.search.index import current_index

        try:
            index_activities(db.session(), index or current_index(), [activity_id])
        except Exception:  # the DB is already committed; drift is repaired by reindex --check
            log.exception("search index update failed for activity %s", activity_id)

    if has_request_context():
        from webapp.boundary import after_commit

        after_commit(run)
    else:
        run()


def index_place_after_commit(place_id: int, index: SearchIndex | None = None) -> None:
    """Re-index every activity held at a place (its name, address or district changed)."""
    from flask import has_request_context

    def run() -> None:
        from webapp.extensions import db
        from webapp.search.index import current_index

        session = db.session()
        ids = session.scalars(select(Activity.id).where(Activity.place_id == place_id)).all()
        try:
            index_activities(session, index or current_index(), ids)
        except Exception:
            log.exception("search index update failed for place %s", place_id)

    if has_request_context():
        from webapp.boundary import after_commit

        after_commit(run)
    else:
        run()


def rebuild(
    session: Session, index: SearchIndex, progress: Callable[[int, int], None] | None = None
) -> int:
    """Index every published activity into a fresh index that replaces the old one at commit."""
    from sqlalchemy import func

    total = int(session.scalar(select(func.count()).where(Activity.status == "published")) or 0)
    done = 0
    with bulk_writer(index, replace=True) as (_, bulk):
        for activity in _published(session):
            bulk.add(make_document(activity_source(activity)))
            done += 1
            if progress is not None and (done % 100 == 0 or done == total):
                progress(done, total)
    if progress is not None:
        progress(done, total)
    return done


@dataclass
class Drift:
    """Differences between the DB and the index."""

    missing: list[int] = field(default_factory=list)  # published in the DB, absent from the index
    stale: list[int] = field(default_factory=list)  # indexed from older content
    extra: list[int] = field(default_factory=list)  # in the index, not published in the DB
    checked: int = 0

    @property
    def clean(self) -> bool:
        return not (self.missing or self.stale or self.extra)

    def summary(self) -> str:
        return (
            f"checked {self.checked} published activities: {len(self.missing)} missing, "
            f"{len(self.stale)} stale, {len(self.extra)} extra"
        )


def check(session: Session, index: SearchIndex) -> Drift:
    """Compare the index with the DB (content fingerprints, not timestamps)."""
    indexed = index.stored() if index.exists() else {}
    drift = Drift()
    seen: set[int] = set()
    for activity in _published(session):
        seen.add(activity.id)
        drift.checked += 1
        stamp = indexed.get(activity.id)
        if stamp is None:
            drift.missing.append(activity.id)
        elif stamp != fingerprint(activity_source(activity)):
            drift.stale.append(activity.id)
    drift.extra = sorted(set(indexed) - seen)
    return drift


def repair(session: Session, index: SearchIndex, drift: Drift) -> int:
    """Fix what :func:`check` found; returns the number of documents touched."""
    ids = [*drift.missing, *drift.stale, *drift.extra]
    if not ids:
        return 0
    return index_activities(session, index, ids)
