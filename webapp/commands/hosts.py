"""Host-side commands on the `odekake` group: remind-hosts."""

from __future__ import annotations

import click


@click.command("remind-hosts")
@click.option("--base-url", default=None, help="site address used in the links [default: the base_url setting]")
def remind_hosts(base_url: str | None) -> None:
    """Remind hosts once of 受け入れのご相談 unanswered after proposal_overdue_days (a job)."""
    from webapp.commands import tasks
    from webapp.commands.worker import run_or_enqueue

    run_or_enqueue(tasks.remind_hosts, base_url)
