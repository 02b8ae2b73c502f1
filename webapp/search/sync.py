"""Keeping the index in step with the database (the source of truth).

* :func:`subscribe` — the index follows webapp.signals: a feature that publishes, edits,
  archives or deletes an activity calls ``activity_changed_after_commit(id)``, and the document is
  updated once the request's transaction has committed (never for a rolled-back change).
* :func:`rebuild` — `odekake reindex`: every published activity, swapped in atomically.
* :func:`check` / :func:`repair` — `odekake reindex --check`: missing, stale and extra documents.
* :func:`mark_pending` / :func:`clear_pending` / :func:`reconcile_pending` — an import marks the
  index "pending" before its rows are committed and clears its mark once they are indexed; a mark
  left by an import that was killed or crashed in between is reconciled (check + repair) by the
  next import or `odekake reindex`.

Only ``status == "published"`` activities are ever written to the index.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.listings.models.activity import Activity
from webapp.listings.models.organization import Organization
from webapp.listings.models.place import District, Place
from webapp.search.bulk import BULK_MIN_DOCS, write_sources
from webapp.search.index import SearchIndex, activity_source, fingerprint, make_document

log = logging.getLogger(__name__)

BATCH = 2000


@dataclass(frozen=True, slots=True)
class _Named:
    name: str
    name_kana: str


@dataclass(frozen=True, slots=True)
class _PlaceText:
    name: str
    name_kana: str
    address: str
    lat: float | None
    lon: float | None
    district: _Named | None


@dataclass(frozen=True, slots=True)
class ActivityText:
    """What :func:`activity_source` reads of an activity, loaded as plain rows (no ORM objects).

    Building 100k ORM objects with their places and organisations cost ~20 s in an import; one
    joined SELECT of these columns costs a few.  Every indexing path (edits, imports, rebuild,
    ``reindex --check``) loads through here, so their fingerprints agree.
    """

    id: int
    name: str
    name_kana: str
    description: str
    category: str | None
    category_text: str
    audiences: list[str]
    tags: list[str]
    cost_yen: int | None
    schedule_rrule: str | None
    start_time: Any
    end_time: Any
    schedule_dtstart: Any
    schedule_exdates: list[str]
    schedule_rdates: list[str]
    skip_holidays: bool
    schedule_yearly_exclusions: list[str]
    place: _PlaceText | None
    organization: _Named | None


def _published_query() -> Any:
    a, p, d, o = Activity.__table__, Place.__table__, District.__table__, Organization.__table__
    return (
        select(
            a.c.id, a.c.name, a.c.name_kana, a.c.description, a.c.category, a.c.category_text, a.c.audiences,
            a.c.tags, a.c.cost_yen, a.c.schedule_rrule, a.c.start_time, a.c.end_time, a.c.schedule_dtstart,
            a.c.schedule_exdates, a.c.schedule_rdates, a.c.skip_holidays, a.c.schedule_yearly_exclusions,
            a.c.place_id, p.c.name.label("p_name"), p.c.name_kana.label("p_kana"), p.c.address, p.c.lat, p.c.lon,
            p.c.district_id, d.c.name.label("d_name"), d.c.name_kana.label("d_kana"),
            a.c.organization_id, o.c.name.label("o_name"), o.c.name_kana.label("o_kana"),
        )
        .select_from(
            a.outerjoin(p, p.c.id == a.c.place_id).outerjoin(d, d.c.id == p.c.district_id)
            .outerjoin(o, o.c.id == a.c.organization_id)
        )
        .where(a.c.status == "published")
        .order_by(a.c.id)
    )


def _text(row: Any) -> ActivityText:
    place = None
    if row.place_id is not None:
        district = _Named(row.d_name or "", row.d_kana or "") if row.district_id is not None else None
        place = _PlaceText(row.p_name or "", row.p_kana or "", row.address or "", row.lat, row.lon, district)
    org = _Named(row.o_name or "", row.o_kana or "") if row.organization_id is not None else None
    return ActivityText(
        id=row.id, name=row.name or "", name_kana=row.name_kana or "", description=row.description or "",
        category=row.category, category_text=row.category_text or "", audiences=list(row.audiences or ()),
        tags=list(row.tags or ()), cost_yen=row.cost_yen, schedule_rrule=row.schedule_rrule,
        start_time=row.start_time, end_time=row.end_time, schedule_dtstart=row.schedule_dtstart,
        schedule_exdates=list(row.schedule_exdates or ()), schedule_rdates=list(row.schedule_rdates or ()),
        skip_holidays=bool(row.skip_holidays),
        schedule_yearly_exclusions=list(row.schedule_yearly_exclusions or ()),
        place=place, organization=org,
    )


def _published(session: Session, ids: Iterable[int] | None = None) -> Iterator[ActivityText]:
    """Published activities with what their documents need, loaded in batches of plain rows."""
    session.flush()  # a Core SELECT does not autoflush as the ORM query did
    base = _published_query()
    a = Activity.__table__
    if ids is not None:
        id_list = sorted(set(ids))
        for i in range(0, len(id_list), BATCH):
            for row in session.execute(base.where(a.c.id.in_(id_list[i : i + BATCH]))):
                yield _text(row)
        return
    last = 0
    while True:
        rows = session.execute(base.where(a.c.id > last).limit(BATCH)).all()
        if not rows:
            return
        for row in rows:
            yield _text(row)
        last = rows[-1].id


def index_activities(session: Session, index: SearchIndex, activity_ids: Iterable[int]) -> int:
    """Bring the index in line with the DB for these ids: (re)index published, drop the rest.

    Returns the number of documents written or deleted."""
    ids = sorted({int(i) for i in activity_ids})
    if not ids:
        return 0
    sources = [activity_source(a) for a in _published(session, ids)]
    live = {src.id for src in sources}
    # Unchanged documents are skipped (same fingerprint): re-importing a file or re-saving a
    # listing without changes costs no analysis and no index write.
    existing = _stamps(index, ids)
    # (A document not in the index yet needs no comparison: make_document stamps it.)
    todo = [src for src in sources if src.id not in existing or existing[src.id] != fingerprint(src)]
    gone = [i for i in ids if i not in live and i in existing]
    if not todo and not gone:
        return 0
    if len(todo) >= BULK_MIN_DOCS:  # an import: analysed (in worker processes on the CLI) and bulk-written
        replaced = [src.id for src in todo if src.id in existing]
        return write_sources(index, todo, delete_ids=[*replaced, *gone]) + len(gone)
    changed = [make_document(src) for src in todo]
    with index.writer() as w:
        for doc in changed:
            w.update_document(**doc)
        for i in gone:
            w.delete_by_term("id", str(i))
    return len(changed) + len(gone)


def index_activity_now(activity_id: int, index: SearchIndex | None = None) -> None:
    """Bring one activity's document in step with the committed DB.

    A failure is logged, not raised: the change is in the DB, and `odekake reindex --check`
    repairs the index.
    """
    from webapp.extensions import db
    from webapp.search.index import current_index

    try:
        index_activities(db.session(), index or current_index(), [activity_id])
    except Exception:  # the DB is already committed; drift is repaired by reindex --check
        log.exception("search index update failed for activity %s", activity_id)


def index_place_now(place_id: int, index: SearchIndex | None = None) -> None:
    """Re-index every activity held at a place (its name, address or district changed)."""
    from webapp.extensions import db
    from webapp.search.index import current_index

    session = db.session()
    ids = session.scalars(select(Activity.id).where(Activity.place_id == place_id)).all()
    try:
        index_activities(session, index or current_index(), ids)
    except Exception:
        log.exception("search index update failed for place %s", place_id)


def _on_activity_changed(_sender: object, *, activity_id: int, **_: object) -> None:
    index_activity_now(activity_id)


def _on_place_changed(_sender: object, *, place_id: int, **_: object) -> None:
    index_place_now(place_id)


def subscribe() -> None:
    """Keep the index in step with every committed change to a listing or a place (create_app)."""
    from webapp.signals import activity_changed, place_changed

    activity_changed.connect(_on_activity_changed)
    place_changed.connect(_on_place_changed)


def rebuild(
    session: Session, index: SearchIndex, progress: Callable[[int, int], None] | None = None
) -> int:
    """Index every published activity into a fresh index that replaces the old one at commit."""
    from sqlalchemy import func

    total = int(session.scalar(select(func.count()).where(Activity.status == "published")) or 0)
    sources = [activity_source(activity) for activity in _published(session)]
    if progress is not None:
        progress(0, total)
    done = write_sources(index, sources, replace=True, progress=None if progress is None else lambda n: progress(n, total))
    if progress is not None:
        progress(done, total)
    return done


def _stamps(index: SearchIndex, ids: list[int]) -> dict[int, str]:
    """Fingerprints of the indexed documents among ``ids`` (all of them read at once for an import)."""
    if not index.exists():
        return {}
    if len(ids) < BULK_MIN_DOCS:
        return index.stamps(ids)
    wanted = set(ids)
    return {i: stamp for i, stamp in index.stored().items() if i in wanted}


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


# ── imports interrupted between their commit and their index update ──────────────────────────


def _pending_dir(index: SearchIndex) -> Path:
    # Beside the index directory, not in it: Whoosh owns the files inside.  One file per import,
    # so one import clearing its own mark cannot hide another's.
    return index.path.with_name(index.path.name + ".pending")


def pending_marks(index: SearchIndex) -> list[Path]:
    """Marks of imports whose committed rows may not be in the index yet."""
    folder = _pending_dir(index)
    try:
        return sorted(p for p in folder.iterdir() if p.is_file())
    except FileNotFoundError:
        return []


def mark_pending(index: SearchIndex) -> str:
    """Before an import commits: mark the index as possibly behind; returns the mark to clear."""
    folder = _pending_dir(index)
    folder.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(8)
    path = folder / token
    with open(path, "w", encoding="ascii") as f:
        f.write(f"pid {os.getpid()}\n")
        f.flush()
        os.fsync(f.fileno())  # the mark must be on disk before the rows are
    return token


def clear_pending(index: SearchIndex, token: str | None) -> None:
    """After the import's rows are indexed (or its transaction rolled back)."""
    if token:
        (_pending_dir(index) / token).unlink(missing_ok=True)


def clear_marks(marks: Iterable[Path]) -> None:
    for mark in marks:
        mark.unlink(missing_ok=True)


def reconcile_pending(session: Session, index: SearchIndex, *, keep: str | None = None) -> Drift | None:
    """If an earlier import left its mark (killed between commit and index), check and repair.

    ``keep``: the mark of the import in progress (it clears it itself).  Returns the drift found,
    or None when nothing was pending.
    """
    marks = [m for m in pending_marks(index) if m.name != keep]
    if not marks:
        return None
    drift = check(session, index)
    repair(session, index, drift)
    clear_marks(marks)
    if not drift.clean:
        log.warning("search index reconciled after an interrupted import: %s", drift.summary())
    return drift
