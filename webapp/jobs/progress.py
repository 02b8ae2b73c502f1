"""Progress rows (JobRun) for jobs someone waits for: created in the request, advanced by the job.

Each update is a short transaction of its own (a fresh session from the factory, so a separate
connection in production), visible at once while the job's own work is still uncommitted. SQLite
has one writer: while the job holds the write lock, row counts are not written there (the page
shows the job running, without a count).
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from webapp.config import Settings
from webapp.extensions import db
from webapp.jobs.models import DONE, FAILED, QUEUED, RUNNING, JobRun
from webapp.orm import utcnow

#: a running job on PostgreSQL writes a heartbeat at least this often (each batch of rows)
HEARTBEAT_EVERY = 2.0
#: … and is shown as stopped when its heartbeat is older than this
STALE_AFTER = timedelta(minutes=10)
#: RQ states in which the job will never write its row again
_DEAD_RQ_STATES = {"failed", "stopped", "canceled"}
LOST = "lost"


def rq_job_id(settings: Settings, run_id: int) -> str:
    """The RQ job id of a run: fixed, so the page can ask the queue about it (one Redis may hold
    several sites: the queue name keeps them apart)."""
    return f"{settings.job_queue}-run-{run_id}"


def create_run(session: Session, kind: str, label: str, user_id: int | None, total: int, params: dict[str, Any]) -> JobRun:
    run = JobRun(kind=kind, label=label[:300], user_id=user_id, total=total, params=params, state=QUEUED)
    session.add(run)
    session.flush()
    return run


class Reporter:
    """What a job calls as it goes; every call commits on its own."""

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self.done = 0
        self._last = 0.0

    def _write(self, **values: Any) -> None:
        with db.session_factory() as session, session.begin():
            session.execute(update(JobRun).where(JobRun.id == self.run_id).values(**values))

    def started(self, rq_id: str = "") -> None:
        now = utcnow()
        self._write(state=RUNNING, started_at=now, heartbeat_at=now, rq_job_id=rq_id)

    def advance(self, rows: int) -> None:
        self.done += rows
        if db.dialect == "sqlite" or time.monotonic() - self._last < HEARTBEAT_EVERY:
            return
        self._last = time.monotonic()
        self._write(done=self.done, heartbeat_at=utcnow())

    def failed(self, error: str) -> None:
        self._write(state=FAILED, error=error[:500], finished_at=utcnow())


def finish_in(session: Session, run_id: int, result: dict[str, Any], done: int) -> None:
    """Mark the run done inside the job's own transaction: the work and its "done" commit together,
    so a job killed before that commit is never shown done, nor one killed after it shown failed."""
    session.execute(
        update(JobRun)
        .where(JobRun.id == run_id)
        .values(state=DONE, result=result, done=done, finished_at=utcnow(), heartbeat_at=utcnow())
    )


def shown_state(run: JobRun, settings: Settings, now: Any = None) -> str:
    """The run's state as a page should say it: QUEUED, RUNNING, DONE, FAILED, or LOST (it will never
    finish: the queue says it died, or on PostgreSQL its heartbeat stopped)."""
    if run.finished:
        return run.state
    if settings.redis_url:
        # The page is first shown after the job was handed over (the redirect follows the commit
        # and the hand-over), so a run the queue does not know will never be taken: lost too.
        status = _rq_status(settings, rq_job_id(settings, run.id))
        if status in _DEAD_RQ_STATES or status is None:
            return LOST
    heartbeat = run.heartbeat_at
    if run.state == RUNNING and db.dialect != "sqlite" and heartbeat and (now or utcnow()) - heartbeat > STALE_AFTER:
        return LOST
    return run.state


def _rq_status(settings: Settings, job_id: str) -> str | None:
    from redis.exceptions import RedisError
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    from webapp.jobs import job_queue

    try:
        job = Job.fetch(job_id, connection=job_queue(settings).connection)
        status = job.get_status(refresh=False)
        return str(getattr(status, "value", status))  # a str Enum: str() would give "JobStatus.FAILED"
    except NoSuchJobError:
        return None
    except RedisError:
        return "unknown"  # Redis down: say what the row says
