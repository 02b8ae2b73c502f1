"""Large admin-page imports as a job (webapp.jobs): run by `odekake worker`, progress on a JobRun row
that the page shows (imports/progress.html refreshes itself, no script needed).

The import is one transaction, and the run is marked done inside it: a worker killed halfway leaves
the listings as they were and the row not done, and the page, asking the queue, says it stopped.
"""

from __future__ import annotations

from typing import Any

from webapp.extensions import db
from webapp.imports import uploads
from webapp.imports.report import ImportReport
from webapp.imports.service import after_import_commit, mark_index_pending
from webapp.imports.source_settings import choices_from_meta, save_source_settings
from webapp.jobs.models import QUEUED, JobRun
from webapp.jobs.progress import Reporter, finish_in
from webapp.security.audit import record as audit

#: seconds before the worker stops an import (gunicorn's request timeout is what killed them before)
IMPORT_TIMEOUT = 4 * 3600
#: row messages kept on the run for its page
ISSUES_KEPT = 500


def result_of(report: ImportReport) -> dict[str, Any]:
    """What the run's page shows once done (both languages: the reader chooses)."""
    return {
        "total_rows": report.total_rows,
        "counts": report.to_dict()["counts"],
        "notes": [[ja, en] for ja, en in report.notes],
        "rejections": [i.to_dict() for i in report.rejections()[:ISSUES_KEPT]],
        "warnings": [i.to_dict() for i in report.warnings[:ISSUES_KEPT]],
        "warnings_total": len(report.warnings),
    }


def run_import(run_id: int) -> None:
    """Job: the confirmed import of the upload named by the run's params (token)."""
    from rq import get_current_job

    with db.transaction() as session:
        run = session.get(JobRun, run_id)
        if run is None or run.state != QUEUED:
            return  # already taken (a retried or duplicated job never imports twice)
        token, user_id = str(run.params["token"]), run.user_id
    reporter = Reporter(run_id)
    job = get_current_job()
    reporter.started(job.id if job is not None else "")
    try:
        with db.transaction() as session:
            upload = session.get(uploads.ImportUpload, token)
            if upload is None:
                raise LookupError("the upload is gone (forgotten after a day, or already imported)")
            meta = dict(upload.meta)
            report = uploads.import_upload(session, upload, dry_run=False, progress=reporter.advance)
            counts = report.to_dict()["counts"]
            detail = {"format": meta["format"], "filename": meta["filename"], "job_run": run_id, **counts}
            audit(session, "import", "import", meta["source"], detail=detail, user_id=user_id)
            mark_index_pending(report)
            finish_in(session, run_id, result_of(report), report.total_rows)
            session.delete(upload)  # in the import's transaction: a run killed halfway keeps it
    except BaseException as exc:  # the row tells the waiting page; the queue keeps the traceback
        if hasattr(exc, "message_ja"):
            message = f"{exc.message_ja} / {getattr(exc, 'message_en', '')}"
        else:
            message = f"{type(exc).__name__}: {exc}"
        try:
            reporter.failed(message)
        finally:
            raise exc
    if isinstance(meta.get("choices"), dict):
        # What the person confirmed is the mapping for this source's next file.
        save_source_settings(meta["source"], choices_from_meta(meta))
    try:
        note = after_import_commit(db.session(), report)
    finally:
        db.session.remove()
    if note:
        import logging

        logging.getLogger(__name__).warning(note)
