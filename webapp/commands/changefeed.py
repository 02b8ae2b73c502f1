"""`odekake feed-status` and `odekake feed-purge`: the change log this node follows (webapp.changefeed)."""

from __future__ import annotations

from datetime import timedelta

import click

from webapp.config import settings as current_settings


@click.command("feed-status")
def feed_status() -> None:
    """Where this node's index stands in the change log (exit 1 when it is behind)."""
    from webapp.changefeed.tailer import latest_id, read_position
    from webapp.extensions import db

    index_dir = current_settings().resolved_index_dir
    newest = latest_id(db.session())
    pos = read_position(index_dir)
    if pos is None:
        click.echo(f"change log at {newest}; this node has no position yet (its tailer checks the index on start)")
        raise SystemExit(1)
    behind = max(0, newest - pos.last_id)
    click.echo(f"change log at {newest}; this node applied up to {pos.last_id} ({behind} behind, {len(pos.gaps)} open gaps)")
    if behind:
        raise SystemExit(1)


@click.command("feed-purge")
@click.option("--days", type=click.IntRange(min=1), default=7, show_default=True, help="keep this many days of changes")
def feed_purge(days: int) -> None:
    """Delete change-log rows older than --days (a node further behind runs a full index check)."""
    from webapp.changefeed.tailer import purge
    from webapp.extensions import db

    with db.transaction() as session:
        removed = purge(session, timedelta(days=days))
    click.echo(f"removed {removed} change-log rows older than {days} days")
