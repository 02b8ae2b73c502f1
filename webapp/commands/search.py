"""`odekake reindex [--check] [--quiet]`: rebuild the search index, or report and repair drift."""

from __future__ import annotations

import sys

import click


@click.command("reindex")
@click.option("--check", "check_only", is_flag=True, help="report and repair drift (missing, stale, extra) instead of rebuilding")
@click.option("--quiet", is_flag=True, help="no progress bar; one summary line")
def reindex(check_only: bool, quiet: bool) -> None:
    """Rebuild the search index from the database (the source of truth)."""
    from flask import current_app

    from importers.parallel import allow_workers
    from webapp.extensions import db
    from webapp.search import sync
    from webapp.search.index import index_at

    settings = current_app.extensions["odekake_settings"]
    index = index_at(settings.resolved_index_dir)
    session = db.session()
    # The command line may fork workers for the analysis (a web request never does).
    with allow_workers():
        try:
            if check_only:
                drift = sync.check(session, index)
                click.echo(drift.summary())
                if not drift.clean:
                    for label, ids in (("missing", drift.missing), ("stale", drift.stale), ("extra", drift.extra)):
                        if ids and not quiet:
                            shown = ", ".join(str(i) for i in ids[:20]) + (" …" if len(ids) > 20 else "")
                            click.echo(f"  {label}: {shown}")
                    fixed = sync.repair(session, index, drift)
                    click.echo(f"repaired {fixed} documents")
                return
            if quiet or not sys.stderr.isatty():
                count = sync.rebuild(session, index)
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

                    count = sync.rebuild(session, index, progress=report)
            click.echo(f"indexed {count} published activities into {index.path}")
        finally:
            session.rollback()
