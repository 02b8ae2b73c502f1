"""`odekake worker`: an RQ worker for this site's queue (jobs: webapp.jobs), and the helper the
timer commands use to hand their work to it."""

from __future__ import annotations

import os
from collections.abc import Callable

import click

from webapp.commands.common import fail
from webapp.config import settings as current_settings


@click.command("worker")
@click.option("--burst", is_flag=True, help="run the jobs waiting now, then exit")
@click.option("--name", default=None, help="worker name shown by `rq info` [default: host and pid]")
def worker(burst: bool, name: str | None) -> None:
    """Run queued jobs (mail, imports, reconfirmations, purges); needs the redis_url setting."""
    from rq import Worker

    from webapp.extensions import db
    from webapp.jobs import job_queue, redis_connection

    settings = current_settings()
    if not settings.redis_url:
        fail("redis_url is not set: jobs run inline in the web process, there is nothing to work on", 2)
    engine = db.engine
    assert engine is not None
    # Each job runs in a forked child: it must open connections of its own, never reuse the parent's.
    os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
    queue = job_queue(settings)
    rq_worker = Worker([queue], connection=redis_connection(settings), name=name)
    # The scheduler puts retried jobs (mail backoff) back on the queue when their time comes.
    rq_worker.work(burst=burst, with_scheduler=True, logging_level="INFO")


def run_or_enqueue(func: Callable[..., str], *args: object) -> None:
    """A timer command's body: queued for the worker with Redis, else run here (its summary echoed)."""
    from webapp.jobs import func_path, submit

    settings = current_settings()
    if settings.redis_url:
        job_id = submit(settings, func_path(func), args)
        click.echo(f"queued as job {job_id} on {settings.job_queue!r}")
        return
    click.echo(func(*args))
