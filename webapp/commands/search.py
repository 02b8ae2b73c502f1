"""`odekake reindex [--check] [--quiet]`: rebuild the search index, or report and repair drift.

Exit codes of ``--check``: 0 the index was in step, 1 drift was found (and repaired: the index is in
step now), 2 the check could not run (database or settings; see webapp.commands.main).  A script that
only wants the index repaired accepts 0 and 1 (the Makefile's ``db`` target does).
"""

from __future__ import annotations

import sys
from typing import Any

import click

from webapp.config import settings as current_settings


@click.command("reindex")
@click.option(
    "--check", "check_only", is_flag=True,
    help="report and repair drift (missing, stale, extra) instead of rebuilding; exit 1 when drift was found and repaired",
)
@click.option("--quiet", is_flag=True, help="no progress bar; one summary line")
def reindex(check_only: bool, quiet: bool) -> None:
    """Rebuild the search index from the database (the source of truth)."""

    from importers.parallel import allow_workers
    from webapp.extensions import db
    from webapp.search import sync
    from webapp.search.index import index_at

    settings = current_settings()
    index = index_at(settings.resolved_index_dir)
    session = db.session()
    # The command line may fork workers for the analysis (a web request never does).
    # Marks of imports interrupted between commit and index: this run reconciles them all.
    marks = sync.pending_marks(index)
    found_drift = False
    with allow_workers():
        try:
            if check_only:
                found_drift = _check_and_repair(session, index, quiet)
            else:
                _rebuild(session, index, quiet)
            sync.clear_marks(marks)
        finally:
            session.rollback()
    if found_drift:
        sys.exit(1)


def _check_and_repair(session: Any, index: Any, quiet: bool) -> bool:
    """Report and repair drift; whether there was any."""
    from webapp.search import sync

    drift = sync.check(session, index)
    click.echo(drift.summary())
    if drift.clean:
        return False
    for label, ids in (("missing", drift.missing), ("stale", drift.stale), ("extra", drift.extra)):
        if ids and not quiet:
            shown = ", ".join(str(i) for i in ids[:20]) + (" …" if len(ids) > 20 else "")
            click.echo(f"  {label}: {shown}")
    fixed = sync.repair(session, index, drift)
    click.echo(f"repaired {fixed} documents")
    return True


def _rebuild(session: Any, index: Any, quiet: bool) -> None:
    # The rebuild reads every row committed by now: the node's change feed goes on from there.
    from webapp.changefeed.tailer import build_index

    if quiet or not sys.stderr.isatty():
        count = build_index(session, index)
    else:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            transient=True,
        ) as progress:
            task = progress.add_task("indexing", total=None)

            def report(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            count = build_index(session, index, progress=report)
    click.echo(f"indexed {count} published activities into {index.path}")
