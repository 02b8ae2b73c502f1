"""Security housekeeping on `odekake`: expired login attempts."""

from __future__ import annotations

import click

from webapp.cli import cli


@cli.command("purge-login-attempts")
def purge_login_attempts() -> None:
    """Delete login attempts older than 90 days (failed logins also delete them a batch at a time)."""
    from webapp.extensions import db
    from webapp.services import throttle

    with db.transaction() as session:
        count = throttle.purge(session)
    click.echo(f"deleted {count} login attempts older than {throttle.KEEP.days} days")
