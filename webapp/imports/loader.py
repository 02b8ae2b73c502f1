"""The database half of an import: record → column values, change detection, batched upserts.

:class:`Loader` upserts one batch of records at a time by (source, source_id): stored rows are
read once per batch, new places and organizations are inserted with Core statements (ids drawn
from the sequence on PostgreSQL), and only changed attributes are assigned. The transaction
around it (one SAVEPOINT per file) is :func:`webapp.imports.service.import_records`'.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.orm import Session

from importers import ActivityRecord, RowIssue, former_ids
from jatext.normalize import clean, fold
from webapp import clock
from webapp.imports.report import ImportReport
from webapp.listings.activity_fields import DRAFT_REASONS_KEY, activity_values
from webapp.listings.models.activity import Activity
from webapp.listings.models.organization import Organization
from webapp.listings.models.place import Place
from webapp.listings.spatial import set_location

__all__ = ["BATCH_SIZE", "DRAFT_REASONS_KEY", "Loader", "Row", "activity_values", "assign_place_districts", "too_long"]

BATCH_SIZE = 1000


# ── record → column values ─────────────────────────────────────────────────────────────────

# Column length limits (from the models); longer values reject the row instead of failing the file.
_LIMITS: tuple[tuple[str, str, int], ...] = (
    ("source_id", "ID", 200),
    ("name", "名称", 200),
    ("name_kana", "名称_カナ", 200),
    ("category_text", "種別", 100),
    ("organization_name", "主催者", 200),
    ("organization_kana", "主催者_カナ", 200),
    ("place_name", "場所名称", 200),
    ("address", "所在地_連結表記", 300),
    ("postcode", "郵便番号", 10),
    ("schedule_text", "開催日時", 500),
    ("cost_text", "料金", 200),
    ("contact_phone", "電話番号", 40),
    ("extension", "内線番号", 20),
    ("contact_email", "メールアドレス", 200),
    ("url", "URL", 500),
)


def too_long(record: ActivityRecord) -> list[RowIssue]:
    out = []
    for attr, column, limit in _LIMITS:
        value = getattr(record, attr)
        if value is not None and len(value) > limit:
            out.append(
                RowIssue(
                    row=record.row,
                    column=column,
                    code="too_long",
                    message_ja=f"{record.row}行目「{column}」: 長すぎます（{len(value)}文字、上限{limit}文字）",
                    message_en=f"Row {record.row}, column {column}: too long ({len(value)} characters, at most {limit})",
                    severity="error",
                )
            )
    if record.schedule is not None and record.schedule.rrule and len(record.schedule.rrule) > 300:
        out.append(
            RowIssue(
                row=record.row, column="RRULE", code="too_long",
                message_ja=f"{record.row}行目「RRULE」: 長すぎます（上限300文字）",
                message_en=f"Row {record.row}, column RRULE: too long (at most 300 characters)",
                severity="error",
            )
        )
    return out


def _same(a: Any, b: Any) -> bool:
    """Equal as stored values: floats to 1e-9°, text after jatext.clean (width, dashes, spaces)."""
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= 1e-9
    if a is None or b is None:
        return a is b
    if a == b:
        return True
    if isinstance(a, str) and isinstance(b, str):
        # Hand-entered or older rows may hold 「（」 where the reader gives "(": not a change.
        return clean(a, multiline=True) == clean(b, multiline=True)
    return False


def _assign(obj: Any, values: dict[str, Any]) -> bool:
    """Set only the attributes whose value differs; True when anything changed."""
    changed = False
    for name, value in values.items():
        if not _same(getattr(obj, name), value):
            setattr(obj, name, value)
            changed = True
    return changed


def _likeness(record: ActivityRecord, category_text: str | None, lat: float | None, lon: float | None) -> int:
    """How well a row matches a stored listing in what tells rows of one name + address apart."""
    same_category = _fold(record.category_text or "") == _fold(category_text or "")
    same_point = (record.lat is None and lat is None) or (
        record.lat is not None and lat is not None and lon is not None and record.lon is not None
        and round(record.lat, 6) == round(lat, 6) and round(record.lon, 6) == round(lon, 6)
    )
    return 2 * same_category + same_point


def place_name_of(record: ActivityRecord) -> str:
    return record.place_name or record.name


# fold() is for matching a stored place/organization against a row's; it is the costly part
# (~0.1 ms), and the same hall and organizer names repeat across rows.
_fold = lru_cache(maxsize=100_000)(fold)
_KEY_SPACE_RE = re.compile(r"\s+")


def _key_text(text: str) -> str:
    # Record text is already jatext.clean()-ed by the reader; spaces are the variation left that
    # would split one hall into two places. (A folded key costs ~0.1 ms a row at 100k rows.)
    return _KEY_SPACE_RE.sub("", text)


def place_key(record: ActivityRecord) -> str | None:
    """Stable key of the record's place: its name + address (or the point if there is no address)."""
    if not (record.address or record.place_name or record.lat is not None):
        return None
    where = record.address or ("" if record.lat is None else f"{record.lat:.6f},{record.lon:.6f}")
    digest = hashlib.sha1(f"{_key_text(place_name_of(record))}|{_key_text(where)}".encode()).hexdigest()[:16]
    return f"p-{digest}"


def organization_key(name: str) -> str:
    return "o-" + hashlib.sha1(_key_text(name).encode("utf-8")).hexdigest()[:16]


def _place_values(record: ActivityRecord) -> dict[str, Any]:
    return {
        "name": place_name_of(record),
        "address": record.address or "",
        "postcode": record.postcode or "",
        "geocode_level": (record.geocode_level or "") if record.lat is not None else "",
    }


def _place_matches(place: Place, record: ActivityRecord) -> bool:
    return _fold(place.name) == _fold(place_name_of(record)) and _fold(place.address or "") == _fold(
        record.address or ""
    )


# ── what a re-import may overwrite ─────────────────────────────────────────────────────────

# Not content: the status has its own rule, and the import_* columns are the bookkeeping itself.
_NOT_CONTENT = frozenset({"status", "import_status", "import_hash"})

# Activity attribute → the column a city would recognise, for "kept" reports.
_FIELD_LABELS: dict[str, str] = {
    "name": "名称", "name_kana": "名称_カナ", "description": "説明", "category": "種別", "category_text": "種別",
    "audiences": "対象", "tags": "タグ", "schedule_rrule": "開催日時", "schedule_dtstart": "開催日時",
    "start_time": "開始時間", "end_time": "終了時間", "schedule_exdates": "除外日", "schedule_rdates": "追加日",
    "skip_holidays": "祝日除外", "schedule_yearly_exclusions": "毎年の除外期間", "schedule_text": "開催日時", "schedule_needs_review": "開催日時要確認",
    "cost_yen": "料金_円", "cost_text": "料金", "booking_required": "予約", "contact_phone": "電話番号",
    "contact_extension": "内線番号", "contact_name": "連絡先名称", "name_en": "名称_英語",
    "description_en": "説明_英語", "contact_email": "メールアドレス", "url": "URL",
    "welcomes_first_timers": "初参加歓迎", "visit_ok": "見学可", "solo_ok": "一人参加可", "capacity": "定員",
    "accessibility": "バリアフリー情報", "notes": "備考", "extra": "その他の列", "place_id": "場所",
    "organization_id": "主催者",
}


# Columns an import came to set after listings were imported (issue 21): empty, they are left out
# of the hash, so that a listing imported before does not look edited here.
_ADDED_LATER = frozenset({"name_en", "description_en", "contact_name", "schedule_yearly_exclusions"})


def content_hash(values: dict[str, Any]) -> str:
    """Hash of the content an import sets (activity column → value).  Only the text columns of
    extra count: the app keeps its own data there (organizer photo_ids)."""
    # str() of the plain values (str, int, bool, date, time, lists) in a fixed key order: stable, and
    # about half the cost of JSON (it runs once per created row).  extra is sorted because
    # PostgreSQL's jsonb does not keep key order.
    parts = []
    for key in sorted(values):
        if key in _NOT_CONTENT:
            continue
        value = values[key]
        if key in _ADDED_LATER and not value:
            continue  # a listing imported before the column existed keeps its hash
        if key == "extra":
            value = sorted((k, v) for k, v in (value or {}).items() if isinstance(v, str) or k == DRAFT_REASONS_KEY)
        parts.append(f"{key}={value}")
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()


# ── the loader ─────────────────────────────────────────────────────────────────────────────

_PLACE_INSERT_COLUMNS = (
    "source", "source_id", "name", "address", "postcode", "lat", "lon", "point", "geocode_level", "accessibility",
)
_ORG_INSERT_COLUMNS = ("source", "source_id", "name", "name_kana")


@dataclass
class _Stored:
    """A stored activity as plain column values (no ORM object: most re-imported rows are
    unchanged, and building 100k instrumented objects just to compare them is the slow part)."""

    values: Any  # RowMapping of the activity table
    place: Place | None
    organization: Organization | None


@dataclass
class Row:
    """One record on its way in: the stored activity (if any) and its resolved place/organization."""

    record: ActivityRecord
    current: _Stored | None
    place_key: str | None
    org_key: str | None
    place: Place | _NewPlace | None = None
    org: Organization | _NewOrganization | None = None
    related_changed: bool = False


@dataclass(slots=True)
class _NewPlace:
    """A place this import creates: plain attributes until insert_pending writes it.

    An ORM object per new place cost ~0.1 ms in attribute events (~4 s for a 100k-row file);
    these only carry the INSERT's values (_PLACE_INSERT_COLUMNS) and lend their id afterwards.
    """

    source: str
    source_id: str
    accessibility: list[str]
    name: str = ""
    address: str = ""
    postcode: str = ""
    geocode_level: str = ""
    lat: float | None = None
    lon: float | None = None
    point: Any = None
    id: int | None = None


@dataclass(slots=True)
class _NewOrganization:
    """An organisation this import creates (see _NewPlace)."""

    source: str
    source_id: str
    name: str
    name_kana: str = ""
    id: int | None = None


class Loader:
    def __init__(self, session: Session, source: str, report: ImportReport, *, overwrite_edits: bool = False) -> None:
        self.session = session
        self.source = source
        self.report = report
        self.overwrite_edits = overwrite_edits
        self.now = clock.now()
        # One query each: what this source already has (source_id → id).
        self.activity_ids: dict[str, int] = dict(
            session.execute(select(Activity.source_id, Activity.id).where(Activity.source == source)).all()
        )
        self.place_ids: dict[str, int] = dict(
            session.execute(select(Place.source_id, Place.id).where(Place.source == source)).all()
        )
        self.org_ids: dict[str, int] = dict(
            session.execute(
                select(Organization.source_id, Organization.id).where(Organization.source == source)
            ).all()
        )
        self.places: dict[str, Place | _NewPlace] = {}  # key → place touched or created in this import
        self.orgs: dict[str, Organization | _NewOrganization] = {}
        self.touched_places: set[int] = set()  # id() of places whose fields this import already set
        self.touched_orgs: set[int] = set()
        self.seen: set[str] = set()
        self.changed_ids: set[int] = set()
        self.changed: list[Activity] = []
        self.changed_places: list[Place | _NewPlace] = []  # a new place is never "changed"
        self.new_rows: list[dict[str, Any]] = []
        self.updates: dict[int, dict[str, Any]] = {}
        self.pending_places: list[_NewPlace] = []
        self.pending_orgs: list[_NewOrganization] = []
        self.new_place_ids: list[int] = []

    def carry_over_former_ids(self, records: list[ActivityRecord]) -> int:
        """Listings imported under an earlier ID scheme take the ID the file gives them now.

        A file without an ID column gets IDs made from its rows (importers.build): when that
        scheme changed, a re-import would create each such listing again and leave the old one
        behind.  A row not found under its ID is looked up under its former IDs; a stored
        listing found so — and not named by any row's own ID — gets the row's ID (one UPDATE),
        and the row then compares with it as usual ("unchanged" when nothing else changed).
        When several rows name one stored listing (one facility listed under two 種別, of
        which only the first was imported before), it goes to the row like it in 種別 and
        position, else to the first.  Returns how many listings were carried over.
        """
        if not self.activity_ids:
            return 0
        own = {r.source_id for r in records}
        claims: dict[str, list[ActivityRecord]] = {}
        for r in records:
            if r.source_id in self.activity_ids:
                continue
            for former in former_ids(r):
                if former in self.activity_ids and former not in own:
                    claims.setdefault(former, []).append(r)
                    break
        if not claims:
            return 0
        a, p = Activity.__table__, Place.__table__
        ids = [self.activity_ids[f] for f in claims]
        stored = {
            row.id: row
            for start in range(0, len(ids), BATCH_SIZE)
            for row in self.session.execute(
                select(a.c.id, a.c.category_text, p.c.lat, p.c.lon)
                .select_from(a.outerjoin(p, p.c.id == a.c.place_id))
                .where(a.c.id.in_(ids[start : start + BATCH_SIZE]))
            )
        }
        renames: list[dict[str, Any]] = []
        for former, rows in claims.items():
            activity_id = self.activity_ids[former]
            was = stored[activity_id]
            chosen = max(rows, key=lambda r: _likeness(r, was.category_text, was.lat, was.lon))  # first of the best
            renames.append({"row_id": activity_id, "new_source_id": chosen.source_id})
            del self.activity_ids[former]
            self.activity_ids[chosen.source_id] = activity_id
        self.session.execute(
            update(a).where(a.c.id == bindparam("row_id")).values(source_id=bindparam("new_source_id")),
            renames,
        )
        return len(renames)

    def insert_pending(self) -> None:
        """INSERT the batch's new places and organizations in one statement each; ids set back.

        The ORM would insert them one row at a time (INSERT … RETURNING per object on SQLite);
        these objects stay transient and only lend their id to the activities' foreign keys.
        """
        now = self.now
        for model, pending, columns in (
            (Place, self.pending_places, _PLACE_INSERT_COLUMNS),
            (Organization, self.pending_orgs, _ORG_INSERT_COLUMNS),
        ):
            if not pending:
                continue
            rows = [{**{c: getattr(obj, c) for c in columns}, "created_at": now, "updated_at": now} for obj in pending]
            row_ids = self.insert_rows(model.__table__, rows)
            new: Sequence[_NewPlace | _NewOrganization] = pending  # zip() would type either kind as object
            for obj, row_id in zip(new, row_ids, strict=True):
                obj.id = row_id
            if model is Place:
                self.new_place_ids.extend(row_ids)
            pending.clear()

    def prepare(self, records: list[ActivityRecord]) -> list[Row]:
        """Load what this batch needs (three queries) and resolve places and organizations."""
        ids = [self.activity_ids[r.source_id] for r in records if r.source_id in self.activity_ids]
        existing: dict[str, _Stored] = {}
        if ids:
            table = Activity.__table__
            stored = self.session.execute(select(table).where(table.c.id.in_(ids))).mappings().all()
            place_by_id = self._load_by_id(Place, {r["place_id"] for r in stored if r["place_id"]})
            org_by_id = self._load_by_id(Organization, {r["organization_id"] for r in stored if r["organization_id"]})
            existing = {
                r["source_id"]: _Stored(r, place_by_id.get(r["place_id"]), org_by_id.get(r["organization_id"]))
                for r in stored
            }
        batch = [
            Row(
                record=r,
                current=existing.get(r.source_id),
                place_key=place_key(r),
                org_key=organization_key(r.organization_name) if r.organization_name else None,
            )
            for r in records
        ]
        wanted = {b.place_key for b in batch if b.place_key and b.place_key not in self.places and b.place_key in self.place_ids}
        if wanted:
            for p in self.session.scalars(select(Place).where(Place.id.in_([self.place_ids[k] for k in wanted]))):
                self.places[p.source_id] = p
        wanted = {b.org_key for b in batch if b.org_key and b.org_key not in self.orgs and b.org_key in self.org_ids}
        if wanted:
            for o in self.session.scalars(
                select(Organization).where(Organization.id.in_([self.org_ids[k] for k in wanted]))
            ):
                self.orgs[o.source_id] = o
        for b in batch:
            b.place, place_changed = self.place_for(b)
            b.org, org_changed = self.organization_for(b)
            b.related_changed = place_changed or org_changed
        return batch

    def _load_by_id(self, model: Any, ids: set[int]) -> dict[int, Any]:
        if not ids:
            return {}
        objs = self.session.scalars(select(model).where(model.id.in_(sorted(ids)))).all()
        for obj in objs:
            # Also findable by key, so a later row naming the same place gets this very object.
            if obj.source == self.source:
                (self.places if model is Place else self.orgs).setdefault(obj.source_id, obj)
        return {obj.id: obj for obj in objs}

    def place_for(self, row: Row) -> tuple[Place | _NewPlace | None, bool]:
        """(place, whether the fields of a stored place changed)."""
        record, current, key = row.record, row.current, row.place_key
        if key is None:
            return None, False
        place: Place | _NewPlace | None = None
        if current is not None and current.place is not None and _place_matches(current.place, record):
            place = current.place  # keep the stored place (e.g. one loaded with its own key)
        if place is None:
            place = self.places.get(key)
        created = place is None
        if place is None:
            # Transient on purpose: new places are written by one INSERT per batch (insert_pending).
            place = _NewPlace(source=self.source, source_id=key, accessibility=list(record.accessibility))
            self.places[key] = place
            self.pending_places.append(place)
        if id(place) in self.touched_places:
            return place, False  # the first row naming a place decides its fields for this import
        self.touched_places.add(id(place))
        if created:  # nothing stored to compare with
            for name, value in _place_values(record).items():
                setattr(place, name, value)
            changed = True
        else:
            changed = _assign(place, _place_values(record))
        if place.point is None and record.lat is None:
            moved = False
        else:
            moved = not (_same(place.lat, record.lat) and _same(place.lon, record.lon))
        if moved or (created and record.lat is not None):
            set_location(place, record.lat, record.lon)
            changed = True
        if changed and not created:
            self.changed_places.append(place)
        return place, changed and not created

    def organization_for(self, row: Row) -> tuple[Organization | _NewOrganization | None, bool]:
        record, current, key = row.record, row.current, row.org_key
        name = record.organization_name
        if not name or key is None:
            return None, False
        org: Organization | _NewOrganization | None = None
        if current is not None and current.organization is not None and _fold(current.organization.name) == _fold(name):
            org = current.organization
        if org is None:
            org = self.orgs.get(key)
        created = org is None
        if org is None:
            org = _NewOrganization(source=self.source, source_id=key, name=name, name_kana=record.organization_kana or "")
            self.orgs[key] = org
            self.pending_orgs.append(org)
        if created or id(org) in self.touched_orgs:
            self.touched_orgs.add(id(org))
            return org, False
        self.touched_orgs.add(id(org))
        values: dict[str, Any] = {"name": name}
        if record.organization_kana:
            values["name_kana"] = record.organization_kana
        return org, _assign(org, values)

    def apply(self, row: Row) -> str:
        """Create (queued for a bulk INSERT) or update one activity: "created", "updated", "unchanged".

        Places and organizations are flushed first, so links are plain foreign-key ids: no
        relationship bookkeeping per row, which is most of the cost at 100k rows.
        """
        record, current = row.record, row.current
        self.seen.add(record.source_id)
        values = activity_values(record)
        values["place_id"] = row.place.id if row.place is not None else None
        values["organization_id"] = row.org.id if row.org is not None else None
        if current is None:
            values.update(source=self.source, source_id=record.source_id, last_confirmed_at=self.now,
                          created_at=self.now, updated_at=self.now,
                          published_at=self.now if values["status"] == "published" else None,
                          import_status=values["status"], import_hash=content_hash(values))
            self.new_rows.append(values)
            return "created"
        stored = current.values
        # The status is the import's only while it is the one the import last set; otherwise a
        # moderator or the organizer set it (or it predates imports) and it stays.
        # A file saying the service ended (HSDS inactive) is always heeded: taking a listing down
        # needs no review.
        status_is_ours = (
            stored["import_status"] is not None and stored["import_status"] == stored["status"]
        ) or values["status"] == "archived"
        if not status_is_ours and not self.overwrite_edits:
            if stored["status"] == "archived":
                return self.keep(record, "kept_archived", [])
            values["status"] = stored["status"]
            # draft_reasons go with the status: whatever explained the stored one stays.
            reasons = (stored["extra"] or {}).get(DRAFT_REASONS_KEY)
            if reasons is None:
                values["extra"].pop(DRAFT_REASONS_KEY, None)
            else:
                values["extra"][DRAFT_REASONS_KEY] = reasons
        # extra also holds what the app keeps itself (organizer photo_ids: lists, numbers); an
        # import owns only the text columns it read, and draft_reasons.
        kept = {k: v for k, v in (stored["extra"] or {}).items() if not isinstance(v, str) and k != DRAFT_REASONS_KEY}
        if kept:
            values["extra"] = {**kept, **values["extra"]}
        changed = [k for k, v in values.items() if not _same(stored[k], v)]
        if not (row.related_changed or changed):
            return "unchanged"
        content_changed = [k for k in changed if k not in _NOT_CONTENT]
        if (
            content_changed
            and not self.overwrite_edits
            and stored["import_hash"] is not None
            and content_hash({k: stored[k] for k in values}) != stored["import_hash"]
        ):
            # Edited here since the last import, and the file says something else: not silently.
            return self.keep(record, "kept_local_edits", content_changed)
        values["import_status"] = values["status"] if status_is_ours or self.overwrite_edits else stored["import_status"]
        values["import_hash"] = content_hash(values)
        self.updates[stored["id"]] = values
        return "updated"

    def keep(self, record: ActivityRecord, reason: str, fields: list[str]) -> str:
        """Leave a listing as a moderator or organizer left it; one warning in the report."""
        labels = list(dict.fromkeys(_FIELD_LABELS.get(f, f) for f in fields))
        shown = "、".join(labels)
        if reason == "kept_archived":
            ja = (f"{record.row}行目: 前回の取り込みの後に担当者または主催者が非公開（アーカイブ）にした活動です。"
                  f"非公開のままにしました（ID {record.source_id}）")
            en = (f"Row {record.row}: kept archived: a moderator or the organizer archived this listing "
                  f"after the last import (ID {record.source_id})")
        else:
            ja = (f"{record.row}行目: 前回の取り込みの後に主催者または担当者が編集した活動です。上書きしませんでした"
                  f"（ID {record.source_id}、ファイルと異なる項目: {shown}）")
            en = (f"Row {record.row}: not overwritten: the organizer or a moderator edited this listing after the "
                  f"last import (ID {record.source_id}; differing from the file: {shown})")
        self.report.issues.append(RowIssue(row=record.row, column=None, code=reason, message_ja=ja, message_en=en,
                                           severity="warning"))
        self.report.kept_rows.append({"row": record.row, "source_id": record.source_id, "reason": reason,
                                      "fields": labels})
        return "kept"

    def apply_updates(self) -> None:
        """Write the batch's changed activities: one query loads them, only changed attributes are set."""
        if not self.updates:
            return
        for activity in self.session.scalars(select(Activity).where(Activity.id.in_(list(self.updates)))):
            values = self.updates[activity.id]
            was_published = activity.status == "published"
            _assign(activity, values)
            activity.last_confirmed_at = self.now
            if activity.status == "published" and not was_published:
                activity.published_at = self.now
            self.changed.append(activity)
        self.updates = {}

    def insert_new(self) -> None:
        if not self.new_rows:
            return
        self.changed_ids.update(self.insert_rows(Activity.__table__, self.new_rows))
        self.new_rows = []

    def insert_rows(self, table: Any, rows: list[dict[str, Any]]) -> list[int]:
        """INSERT rows of this source (one executemany, Core: no ORM bookkeeping); their ids in order.

        PostgreSQL: ids are drawn from the table's sequence first and inserted explicitly.  Reading
        them back by (source, source_id) was quadratic there: the planner's statistics do not see
        the rows this transaction added, so it filtered every row of the source per batch (100k
        rows: 290 s).  SQLite plans the unique index, so it reads them back in one query.
        """
        if self.session.get_bind().dialect.name == "postgresql":
            ids = list(
                self.session.scalars(
                    text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
                    {"table": table.name, "n": len(rows)},
                )
            )
            self.session.execute(table.insert(), [{**row, "id": i} for row, i in zip(rows, ids, strict=True)])
            return ids
        self.session.execute(table.insert(), rows)
        c = table.c
        found: dict[str, int] = dict(
            self.session.execute(
                select(c.source_id, c.id).where(c.source == self.source, c.source_id.in_([r["source_id"] for r in rows]))
            ).all()
        )
        return [found[r["source_id"]] for r in rows]

    def archive_missing(self) -> int:
        missing = [i for sid, i in self.activity_ids.items() if sid not in self.seen]
        count = 0
        for start in range(0, len(missing), BATCH_SIZE):
            chunk = missing[start : start + BATCH_SIZE]
            for a in self.session.scalars(
                select(Activity).where(Activity.id.in_(chunk), Activity.status != "archived")
            ):
                a.status = "archived"
                a.import_status = "archived"
                self.changed.append(a)
                count += 1
        return count


def assign_place_districts(session: Session, place_ids: set[int]) -> set[int]:
    """小学校区 of new and moved places (point-in-polygon through the spatial index)."""
    if not place_ids:
        return set()
    from webapp.listings.districts import assign_districts

    ids = sorted(place_ids)
    changed: set[int] = set()
    for start in range(0, len(ids), 5 * BATCH_SIZE):  # SQLite caps bound parameters at 32766
        changed.update(assign_districts(session, ids[start : start + 5 * BATCH_SIZE]).changed_place_ids)
    return changed
