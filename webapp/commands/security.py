"""Security housekeeping on `odekake`: expired login attempts and rate-limit counters."""

from __future__ import annotations

import click


@click.command("purge-login-attempts")
def purge_login_attempts() -> None:
    """Delete login attempts older than 90 days and rate-limit counters whose window has ended (db://)."""
    from webapp.commands import tasks
    from webapp.commands.worker import run_or_enqueue

    run_or_enqueue(tasks.purge_login_attempts)


@click.command("send-mail")
def send_mail() -> None:
    """Hand every unsent outbox message to delivery again (after SMTP was down longer than the retries)."""
    from webapp.commands import tasks
    from webapp.commands.worker import run_or_enqueue

    run_or_enqueue(tasks.send_mail)
