"""`odekake backup DEST` and `odekake restore SRC` (see webapp/backup.py for what is kept)."""

from __future__ import annotations

from pathlib import Path

import click

from webapp.commands.common import fail
from webapp.config import settings


@click.command("backup")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
def backup_command(dest: Path) -> None:
    """Back up the database, uploaded files and settings files into the new directory DEST."""
    from webapp.commands.backup_service import BackupError, backup
    from webapp.extensions import db

    assert db.engine is not None
    try:
        report = backup(settings(), db.engine, dest, log=click.echo)
    except BackupError as exc:
        fail(str(exc), 1)
        return
    for note in report.notes:
        click.echo(f"note: {note}")
    click.echo(
        f"backed up {sum(report.tables.values())} rows, {report.files} files ({report.bytes / 1e6:.1f} MB) into {dest}"
    )


@click.command("restore")
@click.argument("src", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--no-reindex", is_flag=True, help="do not rebuild the search index afterwards")
@click.pass_context
def restore_command(ctx: click.Context, src: Path, no_reindex: bool) -> None:
    """Restore a backup made by `odekake backup` into this empty instance, then rebuild the index."""
    from webapp.commands.backup_service import BackupError, restore
    from webapp.extensions import db

    assert db.engine is not None
    try:
        report = restore(settings(), db.engine, src, log=click.echo)
    except BackupError as exc:
        fail(str(exc), 1)
        return
    for note in report.notes:
        click.echo(f"note: {note}")
    click.echo(f"restored {sum(report.tables.values())} rows and {report.files} files from {src}")
    if not no_reindex:
        from webapp.commands.search import reindex

        ctx.invoke(reindex, check_only=False, quiet=True)
