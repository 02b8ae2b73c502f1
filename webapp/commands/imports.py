"""`odekake import` and `odekake export` (registered by webapp.commands.register_commands).

Exit codes (the DESIGN.md contract): 0 every row imported, 1 some rows rejected, 2 the file cannot
be read at all or the format is unknown. Errors are one line on stderr; the report goes to stdout.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import click

from importers import READERS, ReadResult, UnreadableFile
from webapp.commands.common import fail
from webapp.config import settings as current_settings
from webapp.imports.service import ImportReport

REJECTED_SHOWN = 200


def _print_report(report: ImportReport) -> None:
    mode = " (dry run: nothing was written / 試行のみ・書き込みなし)" if report.dry_run else ""
    click.echo(f"import {report.format} {report.path} → source {report.source!r}{mode}")
    click.echo(
        f"  rows {report.total_rows}: created {report.created}, updated {report.updated}, "
        f"unchanged {report.unchanged}, archived {report.archived}, rejected {report.rejected}, "
        f"kept {report.kept}"
    )
    click.echo(
        f"  行数 {report.total_rows}: 新規 {report.created}、更新 {report.updated}、変更なし {report.unchanged}、"
        f"非公開化 {report.archived}、却下 {report.rejected}、変更を保持 {report.kept}"
    )
    for ja, en in report.notes:
        click.echo(f"  note: {ja} / {en}")
    rejections = report.rejections()
    if rejections:
        click.echo("rejected rows / 却下した行:")
        for issue in rejections[:REJECTED_SHOWN]:
            click.echo(f"  row {issue.row}\t{issue.column or '-'}\t{issue.message_ja}\t{issue.message_en}")
        if len(rejections) > REJECTED_SHOWN:
            click.echo(f"  … {len(rejections) - REJECTED_SHOWN} more (see --report)")
    warnings = Counter(i.code for i in report.warnings)
    if warnings:
        summary = ", ".join(f"{code} {n}" for code, n in sorted(warnings.items()))
        click.echo(f"warnings / 注意: {summary} (each with row and column in --report)")


class _Bar:
    """rich progress bar on a terminal; silent otherwise (logs and pipes stay clean)."""

    def __init__(self) -> None:
        self.progress: Any = None
        self.task: Any = None

    def start(self, result: ReadResult) -> None:
        if not sys.stderr.isatty():
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.progress = Progress(
            TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
            console=Console(stderr=True), transient=True,
        )
        self.progress.start()
        self.task = self.progress.add_task("import", total=len(result.records))

    def advance(self, n: int) -> None:
        if self.progress is not None:
            self.progress.advance(self.task, n)

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


# SQLite has one writer at a time.  The import takes the write lock at BEGIN (waiting up to
# busy_timeout for the site's writes to let go); if the site still holds it, the whole import is tried
# again after a pause, a few times, then given up with exit 2 (a database problem, nothing written).
LOCK_ATTEMPTS = 5
LOCK_BACKOFF_S = 0.5  # doubled after each failed attempt, up to LOCK_BACKOFF_MAX_S
LOCK_BACKOFF_MAX_S = 8.0


def _write_with_retries(result: ReadResult, bar: _Bar, *, fmt: str, path: Path, source: str, **options: Any) -> ImportReport:
    """One transaction for the file, retried while SQLite answers "database is locked"."""
    import time

    from sqlalchemy.exc import OperationalError

    from webapp.db import is_database_locked, writing
    from webapp.extensions import db
    from webapp.imports.service import import_records, mark_index_pending

    delay = LOCK_BACKOFF_S
    for attempt in range(1, LOCK_ATTEMPTS + 1):
        bar.start(result)
        try:
            with writing(), db.transaction() as session:
                report = import_records(session, result, source=source, fmt=fmt, path=str(path), progress=bar.advance, **options)
                # Before the commit: an import killed between its commit and its index update
                # leaves this mark, and the next import (or `odekake reindex --check`) reconciles.
                mark_index_pending(report)
            return report
        except OperationalError as exc:
            bar.stop()
            if not is_database_locked(exc):
                raise
            if attempt == LOCK_ATTEMPTS:
                fail(
                    f"the database stayed locked by other writers ({LOCK_ATTEMPTS} attempts); nothing was "
                    "imported: try again later",
                    2,
                )
            if sys.stderr.isatty():  # a log or a pipe gets only the outcome
                click.echo(f"database is locked; trying again in {delay:.1f} s ({attempt}/{LOCK_ATTEMPTS})", err=True)
            time.sleep(delay)
            delay = min(delay * 2, LOCK_BACKOFF_MAX_S)
    raise AssertionError("unreachable")  # pragma: no cover


@click.command("import")
@click.argument("fmt", metavar="FORMAT")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="read and compare, write nothing")
@click.option("--source", default=None, help="source name stored with every listing (default: the file name)")
@click.option("--map", "map_path", type=click.Path(path_type=Path), default=None, help="mapping TOML: [columns] city header = our header")
@click.option("--report", "report_path", type=click.Path(path_type=Path), default=None, help="write the report as JSON")
@click.option("--archive-missing", is_flag=True, help="archive listings of this source that the file no longer has")
@click.option(
    "--overwrite-edits", is_flag=True,
    help="let the file overwrite listings a moderator or organizer changed since the last import",
)
def import_command(
    fmt: str, path: Path, dry_run: bool, source: str | None, map_path: Path | None,
    report_path: Path | None, archive_missing: bool, overwrite_edits: bool,
) -> None:
    """Import FORMAT (municipal-csv, xlsx, geojson, kml, hsds) from PATH; upsert by source + ID."""

    from importers.parallel import allow_workers
    from webapp.extensions import db
    from webapp.imports.service import (
        after_import_commit,
        default_geocoder,
        default_source_for,
        read_import_file,
        validate_source,
    )

    if fmt not in READERS:
        fail(f"unknown format {fmt!r} (known: {', '.join(sorted(READERS))})", 2)
    try:
        source_name = validate_source(source if source is not None else default_source_for(path))
    except ValueError as exc:
        fail(str(exc), 2)
    settings = current_settings()
    bar = _Bar()
    if sys.stderr.isatty():
        click.echo(f"reading {path}…", err=True)
    try:
        # The command line may fork workers for reading and analysis (a web request never does).
        with allow_workers():
            # Read before the transaction: a retry after a lock (below) does not read the file again.
            result = read_import_file(fmt, path, mapping_path=map_path, geocoder=default_geocoder(settings))
            report = _write_with_retries(
                result, bar, fmt=fmt, path=path, source=source_name, dry_run=dry_run,
                archive_missing=archive_missing, overwrite_edits=overwrite_edits,
            )
    except UnreadableFile as exc:
        bar.stop()
        fail(f"{exc.message_en} / {exc.message_ja}", 2)
    finally:
        bar.stop()
    if sys.stderr.isatty() and not report.dry_run and report.changed_ids:
        click.echo(f"updating the search index ({len(report.changed_ids)} listings)…", err=True)
    with allow_workers():
        note = after_import_commit(db.session(), report)
    if source is None:
        report.notes.append((
            f"--source を指定しなかったため、出どころ名はファイル名から「{source_name}」にしました。"
            "同じ一覧の次の版は同じ --source で取り込むと更新になります",
            f"no --source given: the source name is {source_name!r}, from the file name; import the next "
            "version of this list with the same --source so that it updates these listings",
        ))
    _print_report(report)
    if note:
        click.echo(f"note: {note}")
    if report_path is not None:
        report_path.write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    sys.exit(report.exit_code)


@click.command("export")
@click.argument("fmt", metavar="FORMAT")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--all", "include_all", is_flag=True, help="drafts and pending listings too (never archived ones)")
@click.option("--source", default=None, help="only listings of this source")
def export_command(fmt: str, path: Path, include_all: bool, source: str | None) -> None:
    """Export published listings as FORMAT (municipal-csv, geojson, hsds) to PATH."""
    from webapp.extensions import db
    from webapp.imports.exports import EXPORT_FORMATS, export_activities

    if fmt not in EXPORT_FORMATS:
        fail(f"unknown export format {fmt!r} (known: {', '.join(sorted(EXPORT_FORMATS))})", 2)
    try:
        with db.transaction() as session:
            count = export_activities(session, fmt, path, include_all=include_all, source=source)
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror or exc}", 2)
    click.echo(f"exported {count} listings as {fmt} to {path}")
