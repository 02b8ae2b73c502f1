"""A large admin-page import runs as a job: the confirm answers with a progress page at once (it
reloads itself, no script), the worker imports, the page then shows the result; a job that fails or
dies halfway leaves nothing imported and the page says so."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.helpers import csrf_token, login
from tests.jobs.conftest import burst
from webapp.jobs.models import JobRun
from webapp.listings.models.activity import Activity
from webapp.security.models import AuditEvent

CSV = Path(__file__).resolve().parents[1] / "fixtures" / "import" / "kayoi_utf8bom_crlf.csv"
_CONFIRM = re.compile(r'action="(/staff/import/[A-Za-z0-9_-]+/confirm)"')
_RUN = re.compile(r"/staff/import/runs/(\d+)$")


pytestmark = pytest.mark.usefixtures("own_index")  # a throw-away index (tests/conftest.py)


@pytest.fixture()
def big_import_app(queued_app: Flask) -> Iterator[Flask]:
    """Every file counts as large: more than one row."""
    current = queued_app.extensions["odekake_settings"]
    queued_app.extensions["odekake_settings"] = replace(current, import_inline_rows=1)
    yield queued_app


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Activity).where(Activity.source == "kayoi")) or 0


def _confirm(client: FlaskClient, make_user) -> str:  # type: ignore[no-untyped-def]
    make_user("admin-job@example.jp", "admin")
    login(client, "admin-job@example.jp")
    form = {"csrf_token": csrf_token(client, "/staff/import"), "format": "municipal-csv", "source": "kayoi",
            "file": (io.BytesIO(CSV.read_bytes()), "kayoi.csv")}  # fmt: skip
    preview = client.post("/staff/import", data=form, content_type="multipart/form-data")
    action = _CONFIRM.search(preview.get_data(as_text=True))
    assert action, preview.get_data(as_text=True)[:500]
    done = client.post(action.group(1), data={"csrf_token": csrf_token(client, "/staff/import")})
    assert done.status_code == 303, done.get_data(as_text=True)[:500]
    assert _RUN.search(done.headers["Location"])
    # A double click on 登録する finds the same run, never a second import.
    again = client.post(action.group(1), data={"csrf_token": csrf_token(client, "/staff/import")})
    assert again.status_code in (303, 404)
    return str(done.headers["Location"])


def test_large_import_runs_as_a_job_with_a_progress_page(
    big_import_app: Flask, client: FlaskClient, make_user, session: Session, own_index  # type: ignore[no-untyped-def]
) -> None:
    run_url = _confirm(client, make_user)
    waiting = client.get(run_url)
    text = waiting.get_data(as_text=True)
    assert waiting.status_code == 200 and "取り込みの順番を待っています" in text
    assert 'data-refresh="3"' in text and "最新の状況を見る" in text  # reloads itself (static/js/progress.js); the link without script
    assert _count(session) == 0
    assert burst(big_import_app) == 1
    done = client.get(run_url).get_data(as_text=True)
    assert "取り込みました" in done and 'data-refresh=' not in done
    assert "11行目" not in done or "名称がありません" in done  # rejected rows are listed with their reason
    assert _count(session) == 4
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "import")).one()
    assert event.detail["job_run"] and event.user_id is not None
    assert own_index.doc_count() == 3  # the worker indexed after its commit
    english = client.get(run_url, headers={"Accept-Language": "en"}, query_string={"lang": "en"})
    assert english.status_code == 200


def test_another_admin_cannot_see_the_run(
    big_import_app: Flask, client: FlaskClient, make_user  # type: ignore[no-untyped-def]
) -> None:
    run_url = _confirm(client, make_user)
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/staff/import")})
    make_user("other-admin@example.jp", "admin")
    login(client, "other-admin@example.jp")
    assert client.get(run_url).status_code == 404


def test_a_failing_import_job_imports_nothing_and_says_so(
    big_import_app: Flask, client: FlaskClient, make_user, session: Session, monkeypatch: pytest.MonkeyPatch  # type: ignore[no-untyped-def]
) -> None:
    run_url = _confirm(client, make_user)
    calls = []

    def apply_then_break(loader, row):  # type: ignore[no-untyped-def]
        calls.append(row)
        if len(calls) == 2:
            raise RuntimeError("disk full (test)")
        return loader.apply(row)

    monkeypatch.setattr("webapp.imports.service._apply_record", apply_then_break)
    burst(big_import_app)
    page = client.get(run_url).get_data(as_text=True)
    assert "取り込みに失敗しました" in page and "disk full (test)" in page and 'data-refresh=' not in page
    assert _count(session) == 0


def test_a_job_that_died_halfway_is_not_shown_running(
    big_import_app: Flask, client: FlaskClient, make_user, session: Session  # type: ignore[no-untyped-def]
) -> None:
    """What RQ records when the worker's child is killed (timeout, OOM): the job failed, and the
    job never wrote its row again."""
    from rq.job import Job

    from webapp.jobs.progress import Reporter, rq_job_id

    run_url = _confirm(client, make_user)
    run_id = int(_RUN.search(run_url).group(1))  # type: ignore[union-attr]
    with big_import_app.app_context():
        from webapp.config import settings
        from webapp.jobs import job_queue

        Reporter(run_id).started("x")
        running = client.get(run_url).get_data(as_text=True)
        assert "取り込み中です" in running and 'data-refresh=' in running
        queue = job_queue(settings())
        job = Job.fetch(rq_job_id(settings(), run_id), connection=queue.connection)
        job.set_status("failed")
    page = client.get(run_url).get_data(as_text=True)
    assert "途中で止まりました" in page and 'data-refresh=' not in page
    run = session.get(JobRun, run_id)
    assert run is not None
    session.refresh(run)
    assert run.state == "running"  # the row is as the dead job left it: the page asked the queue
    assert _count(session) == 0


def test_a_run_the_queue_never_heard_of_is_not_shown_waiting(
    big_import_app: Flask, client: FlaskClient, make_user  # type: ignore[no-untyped-def]
) -> None:
    """Redis lost the job (flushed, restarted without persistence): the page must not wait forever."""
    run_url = _confirm(client, make_user)
    with big_import_app.app_context():
        from webapp.config import settings
        from webapp.jobs import job_queue

        job_queue(settings()).connection.flushdb()  # database 5 is these tests' own
    page = client.get(run_url).get_data(as_text=True)
    assert "途中で止まりました" in page and 'data-refresh=' not in page
