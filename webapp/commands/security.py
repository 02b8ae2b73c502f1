"""Security housekeeping on `odekake`: expired login attempts."""

from __future__ import annotations

import click


@click.command("purge-login-attempts")
def purge_login_attempts() -> None:
    """Delete login attempts older than 90 days (failed logins also delete them a batch at a time)."""
    from webapp.accounts import throttle
    from webapp.extensions import db

    with db.transaction() as session:
        count = throttle.purge(session)
    click.echo(f"deleted {count} login attempts older than {throttle.KEEP.days} days")
