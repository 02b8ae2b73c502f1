"""Jobs: long or failure-prone work (mail, large imports, reconfirmation runs, purges) off the request.

`enqueue(func, *args)` runs ``func(*args)`` once the current request's transaction has committed
(never on rollback; outside a request at once: the caller has committed). With the `redis_url`
setting it goes to an RQ queue that `odekake worker` runs, on any node; without it (the embedded
default) the same function runs inline in this process. A job function takes plain values (ids,
strings), reads what it needs from the database itself, and runs inside an app context (the
worker provides one), so it behaves the same both ways.

Inline failures are logged and swallowed: the request has already committed and answered. A job
that must not be lost (mail) leaves its state in the database, and a timer retries what is left.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from flask import current_app, has_request_context
from werkzeug.utils import import_string

from webapp.config import Settings
from webapp.config import settings as current_settings

log = logging.getLogger(__name__)

JobFunc = Callable[..., Any] | str


class Retry:
    """Retries for a job on the queue: ``intervals`` seconds between attempts (backoff)."""

    def __init__(self, intervals: Sequence[int]) -> None:
        self.intervals = list(intervals)


#: mail: five more tries over about two hours, then the message waits for the mail timer
MAIL_RETRY = Retry([30, 120, 600, 1800, 3600])


def func_path(func: JobFunc) -> str:
    """The dotted path RQ stores; a job function must be importable by it (module level)."""
    if isinstance(func, str):
        return func
    path = f"{func.__module__}.{func.__qualname__}"
    if "<" in path:
        raise ValueError(f"a job function must be defined at module level, not {path}")
    return path


def enqueue(
    func: JobFunc, *args: Any, retry: Retry | None = None, timeout: int | None = None, job_id: str | None = None
) -> None:
    """Run ``func(*args)`` as a job after the current transaction commits."""
    path = func_path(func)
    settings = current_settings()

    def hand_over() -> None:
        try:
            submit(settings, path, args, retry=retry, timeout=timeout, job_id=job_id)
        except Exception as exc:  # Redis unreachable: the work is still owed, and the request has committed
            from redis.exceptions import RedisError

            if not isinstance(exc, RedisError):
                raise
            log.warning("job queue unreachable (%s): running %s inline", exc, path)
            run_inline(path, args)

    if has_request_context():
        from webapp.boundary import after_commit

        after_commit(hand_over)
    else:
        hand_over()


def submit(
    settings: Settings,
    path: str,
    args: Sequence[Any],
    *,
    retry: Retry | None = None,
    timeout: int | None = None,
    job_id: str | None = None,
) -> str | None:
    """Hand a job to the queue now (returns its RQ id), or run it inline without Redis (None)."""
    if settings.redis_url:
        from rq import Retry as RqRetry

        queue = job_queue(settings)
        rq_retry = RqRetry(max=len(retry.intervals), interval=retry.intervals) if retry else None
        job = queue.enqueue_call(
            path, args=tuple(args), retry=rq_retry, timeout=timeout, result_ttl=3600, failure_ttl=7 * 86400, job_id=job_id
        )
        return str(job.id)
    run_inline(path, args)
    return None


def run_inline(path: str, args: Sequence[Any]) -> None:
    try:
        import_string(path)(*args)
    except Exception:
        # The request has committed and answered: log, and let the job's own record show what is left.
        log.exception("job %s failed (inline)", path)


def redis_connection(settings: Settings) -> Any:
    from redis import Redis
    from redis.backoff import ExponentialBackoff
    from redis.retry import Retry as RedisRetry

    # Redis down must cost a request well under a second before the inline fallback, not redis-py's
    # default retries with backoff of several seconds; no socket timeout (the worker blocks on BLPOP).
    return Redis.from_url(
        settings.redis_url, socket_connect_timeout=1, retry=RedisRetry(ExponentialBackoff(cap=0.2, base=0.05), 2)
    )


def job_queue(settings: Settings) -> Any:
    """The RQ queue of this site (redis_url, job_queue); cached on the app for its connection pool."""
    from rq import Queue

    cache = current_app.extensions.setdefault("odekake_job_queue", {})
    key = (settings.redis_url, settings.job_queue)
    if key not in cache:
        cache[key] = Queue(settings.job_queue, connection=redis_connection(settings))
    return cache[key]


__all__ = ["MAIL_RETRY", "Retry", "enqueue", "func_path", "job_queue", "redis_connection", "submit"]
