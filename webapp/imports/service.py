"""Import activity records (importers.READERS output) into the database: upsert by (source, source_id).

The readers are pure (file → records + row issues); this module runs one file into the DB (its
upserts are :mod:`webapp.imports.loader`'s, its report :mod:`webapp.imports.report`'s).
One call is one transaction's worth of work inside a SAVEPOINT: a failure half-way rolls the savepoint back and
leaves the caller's transaction as it was; ``dry_run`` rolls it back on purpose after counting, so
the dry-run report is exactly what the real run would do. The caller commits (CLI: db.transaction;
web: the request boundary) and then calls :func:`after_import_commit` for the search index.

Change detection compares the values the record asks for with what is stored, field by field,
and only assigns changed attributes: re-importing the same file is 0 created / 0 updated and
writes nothing, which keeps updated_at meaningful and lets an export → import round-trip be a no-op.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from importers import READERS, ActivityRecord, ReadResult, UnreadableFile, load_mapping
from importers.list_category import ListCategory, apply_list_category, list_category_from_toml
from webapp.config import Settings
from webapp.imports.loader import BATCH_SIZE, DRAFT_REASONS_KEY, Loader, Row, assign_place_districts, too_long
from webapp.imports.report import ImportReport
from webapp.listings.models.activity import Activity

__all__ = [
    "BATCH_SIZE",
    "DRAFT_REASONS_KEY",
    "ImportReport",
    "UnknownFormat",
    "after_import_commit",
    "default_geocoder",
    "import_file",
    "import_records",
    "mark_index_pending",
    "read_import_file",
    "validate_source",
]

log = logging.getLogger(__name__)

RESERVED_SOURCES = frozenset({"manual"})
_SOURCE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,49}$")

Progress = Callable[[int], None]


class UnknownFormat(UnreadableFile):
    """FORMAT is not one of importers.READERS (CLI exit 2, like an unreadable file)."""

    def __init__(self, fmt: str, known: Iterable[str]) -> None:
        names = ", ".join(sorted(known))
        super().__init__(f"形式「{fmt}」には対応していません（対応形式: {names}）", f"unknown format {fmt!r} (known: {names})")


def validate_source(source: str) -> str:
    """A source name: ASCII letters/digits/_.:- up to 50 characters; "manual" is hand-entered data."""
    source = (source or "").strip()
    if not _SOURCE_RE.match(source):
        raise ValueError(
            "source must be 1–50 ASCII letters, digits or _ . : - (it is stored with every listing)"
        )
    if source in RESERVED_SOURCES:
        raise ValueError(f"source {source!r} is reserved for listings entered by hand")
    return source


def default_source_for(path: Path) -> str:
    """The source name used when none is given: the file name without suffix, made ASCII-safe."""
    stem = re.sub(r"[^A-Za-z0-9_.:-]+", "-", Path(path).stem).strip("-.")[:50]
    if not stem or not stem[0].isalnum():
        stem = "import-" + hashlib.sha1(Path(path).name.encode("utf-8")).hexdigest()[:8]
    return stem

# ── reading ────────────────────────────────────────────────────────────────────────────────


def default_geocoder(settings: Settings) -> Any:
    """The project geocoder (webapp.listings.geocoding): the imported table, else the sample."""
    from webapp.listings.geocoding import get_geocoder

    return get_geocoder(settings)


def read_import_file(
    fmt: str,
    path: Path,
    *,
    mapping_path: Path | None = None,
    geocoder: Any = None,
    mapping: dict[str, str] | None = None,
    category: ListCategory | None = None,
) -> ReadResult:
    """Run the reader for FORMAT. Raises UnreadableFile (incl. UnknownFormat, MappingError).

    ``mapping`` (header → field) and ``category`` (「この一覧の種別」) are a source's saved
    choices; a ``mapping_path`` file's own tables win over them."""
    reader = READERS.get(fmt)
    if reader is None:
        raise UnknownFormat(fmt, READERS)
    path = Path(path)
    if not path.exists():
        raise UnreadableFile(f"ファイルがありません: {path}", f"no such file: {path}")
    if mapping_path:
        mapping = {**(mapping or {}), **load_mapping(mapping_path)}
        category = mapping_file_category(mapping_path) or category
    result = reader.read(path, mapping=mapping or None, geocoder=geocoder)
    return apply_list_category(result, category) if category else result


def mapping_file_category(path: Path) -> ListCategory | None:
    """「この一覧の種別」 given in a --map file ([list] / [categories]), if any."""
    import tomllib

    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None  # load_mapping() says what is wrong with the file
    return list_category_from_toml(data) or None


CATEGORY_VALUES_SHOWN = 50


def category_values(result: ReadResult) -> list[dict[str, Any]]:
    """The file's 種別 wordings, most rows first, with the category each row got."""
    counts: dict[tuple[str, str | None], int] = {}
    for r in result.records:
        key = (r.category_text or "", r.category)
        counts[key] = counts.get(key, 0) + 1
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0][0]))
    return [{"text": t, "category": c, "rows": n} for (t, c), n in ordered[:CATEGORY_VALUES_SHOWN]]


def import_records(
    session: Session,
    result: ReadResult,
    *,
    source: str,
    fmt: str = "",
    path: str = "",
    dry_run: bool = False,
    archive_missing: bool = False,
    progress: Progress | None = None,
    overwrite_edits: bool = False,
) -> ImportReport:
    """Upsert the records of one read file. Flushes inside a savepoint; never commits.

    A listing a moderator or the organizer archived stays archived, and one edited since the
    last import is not overwritten (both reported, counted as kept) unless ``overwrite_edits``.
    """
    source = validate_source(source)
    report = ImportReport(
        format=fmt, source=source, path=path, dry_run=dry_run, total_rows=result.total_rows,
        encoding=result.encoding, unknown_columns=list(result.unknown_columns),
        note_kinds=result.note_kinds, columns=[g.to_dict() for g in result.header_guesses],
        category_values=category_values(result),
    )
    issues = list(result.issues)
    rejected = set(result.rejected_rows)
    rejected_ids = dict(result.rejected_ids)
    records: list[ActivityRecord] = []
    for r in result.records:
        long_issues = too_long(r)
        if long_issues:
            issues.extend(long_issues)
            rejected.add(r.row)
            rejected_ids[r.source_id] = r.row
        else:
            records.append(r)
    issues.sort(key=lambda i: i.row)
    report.issues = issues
    report.rejected_rows = sorted(rejected)
    report.rejected = len(rejected)

    savepoint = session.begin_nested()
    try:
        loader = Loader(session, source, report, overwrite_edits=overwrite_edits)
        report.ids_carried_over = loader.carry_over_former_ids(records)
        if report.ids_carried_over:
            n = report.ids_carried_over
            report.notes.append((
                f"以前の取り込みで別のIDを付けた活動 {n}件 を見つけ、今回のIDに付け替えました（重複を作らず、内容は下の件数のとおり）",
                f"{n} listing(s) imported earlier under another ID were found and given this file's ID "
                "(no duplicates; their content is counted below)",
            ))
        for start in range(0, len(records), BATCH_SIZE):
            batch = loader.prepare(records[start : start + BATCH_SIZE])
            loader.insert_pending()  # new places and organizations get their ids
            for row in batch:
                outcome = _apply_record(loader, row)
                setattr(report, outcome, getattr(report, outcome) + 1)
            loader.insert_new()
            loader.apply_updates()
            session.flush()
            if progress is not None:
                progress(len(batch))
        if archive_missing:
            report.unidentified_rows = sorted(rejected - set(rejected_ids.values()))
            if report.unidentified_rows:
                # Such a row may stand for any stored listing: archiving could hide one that is
                # in the file, only badly written.
                rows_text = ", ".join(str(n) for n in report.unidentified_rows)
                report.notes.append((
                    f"IDを読めない却下行があるため（{rows_text}行目）、ファイルにない活動の非公開化"
                    "（--archive-missing）は行いませんでした",
                    f"rows {rows_text} were rejected and their ID could not be read, so listings missing "
                    "from the file were not archived (--archive-missing)",
                ))
            else:
                # A rejected row is still present in the file: its listing stays as it is.
                loader.seen.update(rejected_ids)
                report.archived = loader.archive_missing()
                session.flush()
        if report.kept_rows:
            report.issues.sort(key=lambda i: i.row)
        moved = {p.id for p in loader.changed_places if p.id is not None}
        districts = assign_place_districts(session, moved | set(loader.new_place_ids))
        report.changed_ids = sorted(loader.changed_ids | {a.id for a in loader.changed})
        # A place whose 校区 changed is re-indexed with its activities (district names are searchable).
        report.changed_place_ids = sorted(moved | districts)
    except BaseException:
        savepoint.rollback()
        raise
    if dry_run:
        savepoint.rollback()
        report.changed_ids, report.changed_place_ids = [], []
    else:
        savepoint.commit()
    return report

def _apply_record(loader: Loader, row: Row) -> str:
    # A seam on purpose: tests make it raise half-way to prove the file is one transaction.
    return loader.apply(row)


def import_file(
    session: Session,
    fmt: str,
    path: Path,
    *,
    source: str,
    mapping_path: Path | None = None,
    dry_run: bool = False,
    archive_missing: bool = False,
    geocoder: Any = None,
    progress: Progress | None = None,
    on_read: Callable[[ReadResult], None] | None = None,
    overwrite_edits: bool = False,
    mapping: dict[str, str] | None = None,
    category: ListCategory | None = None,
) -> ImportReport:
    """Read PATH as FORMAT and upsert it. Raises UnreadableFile (exit 2) before touching the DB.

    This is the one entry an admin upload (or a job running it) calls."""
    result = read_import_file(
        fmt, path, mapping_path=mapping_path, geocoder=geocoder, mapping=mapping, category=category
    )
    if on_read is not None:
        on_read(result)
    return import_records(
        session, result, source=source, fmt=fmt, path=str(path), dry_run=dry_run,
        archive_missing=archive_missing, progress=progress, overwrite_edits=overwrite_edits,
    )


def mark_index_pending(report: ImportReport) -> None:
    """Call before committing an import: marks the search index as behind until
    :func:`after_import_commit` has indexed the rows, so that an import killed in between is
    reconciled by the next one (or by `odekake reindex --check`) instead of by hand."""
    if report.dry_run or not (report.changed_ids or report.changed_place_ids):
        return
    try:
        from webapp.search.index import current_index
        from webapp.search.sync import mark_pending
    except ImportError:
        return
    report.index_mark = mark_pending(current_index())


def after_import_commit(session: Session, report: ImportReport) -> str | None:
    """Bring the search index up to date once the import's transaction has committed.

    Re-indexes the activities created, updated or archived, and every activity at a place whose
    name, address or point changed. A mark left by an earlier import that did not get this far
    (killed, crashed) triggers a check and repair of the whole index. Returns a one-line note
    when the index could not be updated (the DB is the source of truth; the import's own mark
    stays, so the next import or `odekake reindex --check` repairs the index).
    """
    if report.dry_run:
        return None
    # An import that changed nothing still reconciles: after a killed import, the operator's
    # first move is to run the same file again, whose rows are then all "unchanged".
    from webapp.search.index import current_index
    from webapp.search.sync import clear_pending, index_activities, reconcile_pending

    index = current_index()
    note = None
    if report.changed_ids or report.changed_place_ids:
        ids = set(report.changed_ids)
        place_ids = sorted(report.changed_place_ids)
        for start in range(0, len(place_ids), BATCH_SIZE):
            chunk = place_ids[start : start + BATCH_SIZE]
            ids.update(session.scalars(select(Activity.id).where(Activity.place_id.in_(chunk))))
        try:
            index_activities(session, index, ids)
        except Exception as exc:  # committed already: report, do not fail the import
            log.exception("search index update after import failed")
            return f"search index not updated ({type(exc).__name__}: {exc}); run `odekake reindex --check`"
        clear_pending(index, report.index_mark)
    try:
        reconcile_pending(session, index, keep=report.index_mark)
    except Exception as exc:
        log.exception("search index reconcile after an interrupted import failed")
        note = f"search index not reconciled ({type(exc).__name__}: {exc}); run `odekake reindex --check`"
    return note
