"""Jobs: inline after the commit in the embedded default, on RQ with the real Redis when redis_url is
set; mail delivery as a job with retries and backoff."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from email import message_from_bytes

import pytest
from flask import Flask, Response
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.helpers import csrf_token
from tests.jobs.conftest import burst
from tests.jobs.smtp_sink import SmtpSink
from webapp.jobs import MAIL_RETRY, enqueue, func_path
from webapp.mail.models import OutboxMessage

RAN: list[object] = []


def record_job(value: object) -> None:
    RAN.append(value)


@pytest.fixture()
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as running:
        yield running


def _with_smtp(app: Flask, port: int) -> None:
    current = app.extensions["odekake_settings"]
    app.extensions["odekake_settings"] = replace(current, smtp_host="127.0.0.1", smtp_port=port, smtp_tls="none")


@pytest.fixture()
def restore_settings(app: Flask) -> Iterator[None]:
    original = app.extensions["odekake_settings"]
    yield
    app.extensions["odekake_settings"] = original


def _ask_reset(client: FlaskClient, email: str) -> None:
    token = csrf_token(client, "/auth/password/forgot")
    response = client.post("/auth/password/forgot", data={"csrf_token": token, "email": email})
    assert response.status_code == 200


def test_inline_job_runs_after_the_commit_and_never_after_a_rollback(app: Flask) -> None:
    from webapp.boundary import _commit

    RAN.clear()
    with app.test_request_context("/"):
        enqueue(record_job, "rolled back")
        _commit(Response(status=500))
    with app.test_request_context("/"):
        enqueue(record_job, "committed")
        assert RAN == []  # not before the commit
        _commit(Response(status=200))
    assert RAN == ["committed"]
    with app.app_context():
        enqueue(record_job, "outside a request")  # the caller has committed: at once
    assert RAN == ["committed", "outside a request"]


def test_a_job_function_must_be_importable() -> None:
    assert func_path(record_job).endswith("jobs.test_queue.record_job")
    with pytest.raises(ValueError, match="module level"):
        func_path(lambda: None)


def test_inline_reset_mail_is_delivered_after_the_commit(
    app: Flask, client: FlaskClient, make_user, session: Session, sink: SmtpSink, restore_settings: None  # type: ignore[no-untyped-def]
) -> None:
    make_user("reset-inline@example.org", "supporter")
    session.commit()
    _with_smtp(app, sink.port)
    _ask_reset(client, "reset-inline@example.org")
    assert len(sink.messages) == 1
    mail = message_from_bytes(sink.messages[0])
    assert mail["To"] == "reset-inline@example.org" and "/auth/password/reset/" in mail.get_payload(decode=True).decode()


def test_queued_reset_mail_waits_for_a_worker(
    queued_app: Flask, client: FlaskClient, make_user, session: Session, sink: SmtpSink  # type: ignore[no-untyped-def]
) -> None:
    make_user("reset-queued@example.org", "supporter")
    session.commit()
    _with_smtp(queued_app, sink.port)
    _ask_reset(client, "reset-queued@example.org")
    assert sink.messages == []  # the request only handed the mail over
    with queued_app.app_context():
        from webapp.config import settings
        from webapp.jobs import job_queue

        queue = job_queue(settings())
        assert queue.count == 1 and queue.jobs[0].func_name == "webapp.mail.deliver_message"
    assert burst(queued_app) == 1
    assert len(sink.messages) == 1 and b"reset-queued@example.org" in sink.messages[0]
    message = session.scalars(select(OutboxMessage).where(OutboxMessage.to == "reset-queued@example.org")).one()
    session.refresh(message)
    assert message.sent_at is not None and message.body == ""


def test_failed_mail_is_retried_with_backoff(
    queued_app: Flask, client: FlaskClient, make_user, session: Session, sink: SmtpSink  # type: ignore[no-untyped-def]
) -> None:
    from rq.job import Job

    make_user("retry@example.org", "supporter")
    session.commit()
    _with_smtp(queued_app, 1)  # nothing listens on port 1: connection refused
    _ask_reset(client, "retry@example.org")
    assert burst(queued_app) == 1
    message = session.scalars(select(OutboxMessage).where(OutboxMessage.to == "retry@example.org")).one()
    session.refresh(message)
    assert message.sent_at is None and message.error  # the failure is on record while retries wait
    with queued_app.app_context():
        from webapp.config import settings
        from webapp.jobs import job_queue

        queue = job_queue(settings())
        registry = queue.scheduled_job_registry
        [job_id] = registry.get_job_ids()
        job = Job.fetch(job_id, connection=queue.connection)
        assert job.get_status() == "scheduled" and job.retries_left == len(MAIL_RETRY.intervals) - 1
        delay = (registry.get_scheduled_time(job) - job.ended_at).total_seconds() if job.ended_at else None
        assert delay is None or delay >= MAIL_RETRY.intervals[0] - 1
        # What the worker's scheduler does when the time comes, done now; the server is back up.
        registry.remove(job)
        queue.enqueue_job(job)
    _with_smtp(queued_app, sink.port)
    assert burst(queued_app) == 1
    session.refresh(message)
    assert message.sent_at is not None and len(sink.messages) == 1


def test_with_redis_unreachable_the_mail_is_sent_inline(
    app: Flask, client: FlaskClient, make_user, session: Session, sink: SmtpSink, restore_settings: None, caplog  # type: ignore[no-untyped-def]
) -> None:
    make_user("redis-down@example.org", "supporter")
    session.commit()
    _with_smtp(app, sink.port)
    current = app.extensions["odekake_settings"]
    app.extensions["odekake_settings"] = replace(current, redis_url="redis://127.0.0.1:1/5")  # nothing listens
    try:
        _ask_reset(client, "redis-down@example.org")
    finally:
        for queue in app.extensions.pop("odekake_job_queue", {}).values():
            queue.connection.close()
    assert len(sink.messages) == 1 and b"redis-down@example.org" in sink.messages[0]
    assert "job queue unreachable" in caplog.text
