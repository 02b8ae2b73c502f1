"""Staff area: open-data import (upload → dry-run report → confirm), the same service as `odekake import`.

The uploaded file is kept in the database between the preview and the confirm (imports/uploads.py:
any node, or a worker elsewhere, reads exactly the bytes that were previewed); only the uploader can
confirm it.
Uploads are capped by MAX_CONTENT_LENGTH (413 page). With Redis configured, a file of more than
`import_inline_rows` rows is imported by a job (imports/background.py) and the confirm answers with
its progress page; smaller files, and every file without Redis, are imported in the request.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from importers import READERS, UnreadableFile
from importers.columns import CANONICAL_HEADER, NOT_USED
from webapp.boundary import after_commit
from webapp.config import settings as current_settings
from webapp.extensions import db
from webapp.i18n import current_lang
from webapp.imports import uploads
from webapp.imports.background import IMPORT_TIMEOUT, run_import
from webapp.imports.service import (
    ImportReport,
    after_import_commit,
    mark_index_pending,
    validate_source,
)
from webapp.imports.source_settings import choices_from_meta, save_source_settings
from webapp.jobs import enqueue
from webapp.jobs.models import DONE, JobRun
from webapp.jobs.progress import create_run, rq_job_id, shown_state
from webapp.listings.taxonomy import taxonomy
from webapp.security.audit import record as audit
from webapp.security.permissions import Permission, require

bp = Blueprint("imports", __name__, url_prefix="/staff")

FORMAT_LABELS: dict[str, Any] = {
    "municipal-csv": _l("CSV（自治体標準オープンデータセット形式）"),
    "xlsx": _l("Excel（.xlsx、最初のシート）"),
    "geojson": _l("GeoJSON"),
    "kml": _l("KML（Googleマイマップ）"),
    "hsds": _l("HSDS（Open Referral、JSON または ZIP）"),
}
# (field, the header our export writes): what a column can be read as on the preview page.
FIELD_CHOICES: list[tuple[str, str]] = [(f, h) for f, h in CANONICAL_HEADER.items() if f != "status"]
ALLOWED_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".json", ".geojson", ".kml", ".kmz", ".zip"}
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
ISSUES_SHOWN = 500


def _source_ok(form: FlaskForm, field: Any) -> None:
    try:
        validate_source(field.data or "")
    except ValueError:
        raise ValidationError(
            _l("半角英数字と _ . : - で50文字以内にしてください（manual は使えません）")
        ) from None


class ImportUploadForm(FlaskForm):
    file = FileField(_l("ファイル"), validators=[FileRequired(_l("ファイルを選んでください"))])
    format = SelectField(
        _l("形式"),
        choices=[SelectChoice(k, v) for k, v in FORMAT_LABELS.items() if k in READERS],
        default="municipal-csv",
    )
    source = StringField(
        _l("データの出どころ（半角英数字。同じ名前なら更新として取り込みます）"),
        validators=[DataRequired(), Length(max=50), _source_ok],
    )
    archive_missing = BooleanField(_l("ファイルにない活動を非公開（アーカイブ）にする"))
    overwrite_edits = BooleanField(
        _l("前回の取り込みの後に担当者・主催者が変更した活動も、ファイルの内容で上書きする")
    )


class ImportConfirmForm(FlaskForm):
    """Only the CSRF token: confirming changes data."""


def _stored(token: str) -> uploads.ImportUpload:
    """The person's own upload waiting for its confirm (404 for anyone else's, or a forgotten one)."""
    if not TOKEN_RE.match(token):
        abort(404)
    upload = db.session().get(uploads.ImportUpload, token)
    if upload is None or upload.user_id != current_user.id:
        abort(404)
    return upload


def _messages(report: ImportReport) -> dict[str, Any]:
    en = current_lang() == "en"

    def rows(issues: list[Any]) -> list[dict[str, Any]]:
        return [
            {"row": i.row, "column": i.column or "", "message": i.message_en if en else i.message_ja, "code": i.code}
            for i in issues[:ISSUES_SHOWN]
        ]

    notes = [en_text if en else ja for ja, en_text in report.notes]
    return {
        "rejections": rows(report.rejections()),
        "warnings": rows(report.warnings),
        "warnings_total": len(report.warnings),
        "notes": notes,
    }


def _preview(report: ImportReport, meta: dict[str, Any], token: str, status: int = 200) -> Any:
    return render_template(
        "imports/preview.html",
        report=report,
        meta=meta,
        token=token,
        confirm_form=ImportConfirmForm(),
        field_choices=FIELD_CHOICES,
        chosen=choices_from_meta(meta),
        **_messages(report),
    ), status


@bp.route("/import", methods=["GET", "POST"])
@require(Permission.ADMIN_IMPORT)
def import_upload() -> Any:
    form = ImportUploadForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("imports/upload.html", form=form), status
    upload = form.file.data
    filename = Path(upload.filename or "upload").name
    suffix = Path(filename).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        suffix = ".dat"
    token = secrets.token_urlsafe(24)
    stored_name = f"upload{suffix}"
    meta = {
        "format": form.format.data,
        "source": form.source.data.strip(),
        "archive_missing": bool(form.archive_missing.data),
        "overwrite_edits": bool(form.overwrite_edits.data),
        "filename": filename,
        "stored_name": stored_name,
    }
    session = db.session()
    stored = uploads.keep(session, token, current_user.id, meta, upload.read())
    try:
        report = uploads.import_upload(session, stored, dry_run=True)
    except UnreadableFile as exc:
        session.delete(stored)
        message = exc.message_en if current_lang() == "en" else exc.message_ja
        return render_template("imports/upload.html", form=form, unreadable=message), 400
    uploads.update_meta(session, stored, total_rows=report.total_rows)  # decides, at confirm, whether a job runs it
    return _preview(report, stored.meta, token)


@bp.route("/import/<token>/choices", methods=["POST"])
@require(Permission.ADMIN_IMPORT)
def import_choices(token: str) -> Any:
    """Confirm or change the header guesses and 「この一覧の種別」, then preview again."""
    form = ImportConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    stored = _stored(token)
    posted = request.form
    columns: dict[str, str] = {}
    known = {code for code, _label in FIELD_CHOICES}
    for key in posted:
        if key.startswith("colname-"):
            n = key.removeprefix("colname-")
            header, target = posted[key], posted.get("col-" + n, "")
            # Saved: a guess confirmed, a saved choice kept, anything changed; a column read by
            # its exact name and left alone needs no mapping.
            settled = posted.get("colhow-" + n) in ("exact", "ignored") and target == posted.get("colwas-" + n)
            if (target in known or target == NOT_USED) and not settled:
                columns[header] = target
    every = posted.get("category_every", "") if posted.get("category_mode") == "every" else ""
    values: dict[str, str] = {}
    if posted.get("category_mode") == "values":
        for key in posted:
            if key.startswith("catname-"):
                target = posted.get("cat-" + key.removeprefix("catname-"), "")
                if target in taxonomy().categories:
                    values[posted[key]] = target
    if every and every not in taxonomy().categories:
        every = ""
    session = db.session()
    uploads.update_meta(session, stored, choices={"columns": columns, "every": every, "values": values})
    try:
        report = uploads.import_upload(session, stored, dry_run=True)
    except UnreadableFile as exc:
        message = exc.message_en if current_lang() == "en" else exc.message_ja
        return render_template("imports/upload.html", form=ImportUploadForm(), unreadable=message), 400
    uploads.update_meta(session, stored, total_rows=report.total_rows)
    return _preview(report, stored.meta, token)


@bp.route("/import/<token>/confirm", methods=["POST"])
@require(Permission.ADMIN_IMPORT)
def import_confirm(token: str) -> Any:
    form = ImportConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    stored = _stored(token)
    meta = stored.meta
    session = db.session()
    if meta.get("job_run"):  # confirmed twice (a double click): the job is already under way
        return redirect(url_for("imports.import_run", run_id=meta["job_run"]), 303)
    settings = current_settings()
    if settings.redis_url and int(meta.get("total_rows") or 0) > settings.import_inline_rows:
        run = create_run(
            db.session(), "import", meta["filename"], current_user.id, int(meta["total_rows"]), {"token": token}
        )
        uploads.update_meta(session, stored, job_run=run.id)
        enqueue(run_import, run.id, timeout=IMPORT_TIMEOUT, job_id=rq_job_id(settings, run.id))
        return redirect(url_for("imports.import_run", run_id=run.id), 303)
    try:
        report = uploads.import_upload(session, stored, dry_run=False)
    except UnreadableFile:
        session.delete(stored)
        abort(400)
    audit(
        session,
        "import",
        "import",
        meta["source"],
        detail={"format": meta["format"], "filename": meta["filename"], **report.to_dict()["counts"]},
    )

    # The request commits after this view: a worker killed between that commit and the index
    # update leaves the mark, and the next import reconciles the index.
    mark_index_pending(report)

    def reindex() -> None:
        note = after_import_commit(db.session(), report)
        if note:
            current_app.logger.warning(note)

    after_commit(reindex)
    if isinstance(meta.get("choices"), dict):
        # What the person confirmed is the mapping for this source's next file.
        save_source_settings(meta["source"], choices_from_meta(meta))
    session.delete(stored)  # with the import's own commit
    return render_template("imports/result.html", report=report, meta=meta, **_messages(report))


# While a run is under way its page reloads itself this often (a meta refresh: no script needed).
REFRESH_SECONDS = 3


def _result_messages(result: dict[str, Any]) -> dict[str, Any]:
    en = current_lang() == "en"

    def rows(issues: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {"row": i["row"], "column": i.get("column") or "", "message": i["message_en" if en else "message_ja"]}
            for i in issues
        ]

    return {
        "rejections": rows(result["rejections"]),
        "warnings": rows(result["warnings"]),
        "warnings_total": result["warnings_total"],
        "notes": [pair[1] if en else pair[0] for pair in result["notes"]],
    }


@bp.route("/import/runs/<int:run_id>")
@require(Permission.ADMIN_IMPORT)
def import_run(run_id: int) -> Any:
    run = db.session.get(JobRun, run_id)
    if run is None or run.kind != "import" or run.user_id != current_user.id:
        abort(404)
    state = shown_state(run, current_settings())
    context: dict[str, Any] = {"run": run, "state": state, "refresh": None if run.finished or state == "lost" else REFRESH_SECONDS}
    if state == DONE and run.result:
        counts = run.result["counts"]
        context["report"] = {"total_rows": run.result["total_rows"], **counts}
        context.update(_result_messages(run.result))
    return render_template("imports/progress.html", **context)
