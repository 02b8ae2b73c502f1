"""Staff area: open-data import (upload → dry-run report → confirm), the same service as `odekake import`.

The uploaded file is kept in instance/imports/<token>/ between the preview and the confirm, so the
confirmed import reads exactly the bytes that were previewed; only the uploader can confirm it.
Uploads are capped by MAX_CONTENT_LENGTH (413 page).
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import time
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from importers import READERS, UnreadableFile
from importers.columns import CANONICAL_HEADER, NOT_USED
from importers.list_category import list_category
from webapp.boundary import after_commit
from webapp.config import settings as current_settings
from webapp.extensions import db
from webapp.i18n import current_lang
from webapp.imports.service import (
    ImportReport,
    after_import_commit,
    default_geocoder,
    import_file,
    mark_index_pending,
    validate_source,
)
from webapp.imports.source_settings import SourceSettings, load_source_settings, save_source_settings
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
KEEP_SECONDS = 24 * 3600
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


def _imports_dir() -> Path:
    settings = current_settings()
    return Path(settings.instance_dir) / "imports"


def _sweep(root: Path) -> None:
    """Forget previews nobody confirmed within a day."""
    if not root.is_dir():
        return
    cutoff = time.time() - KEEP_SECONDS
    for d in root.iterdir():
        try:
            if d.is_dir() and d.stat().st_mtime < cutoff:
                shutil.rmtree(d, ignore_errors=True)
        except OSError:
            continue


def _stored(token: str) -> tuple[Path, dict[str, Any]]:
    if not TOKEN_RE.match(token):
        abort(404)
    folder = _imports_dir() / token
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        abort(404)
    if meta.get("user_id") != current_user.id:
        abort(404)
    return folder, meta


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


def _choices(meta: dict[str, Any]) -> SourceSettings:
    """The person's choices on the preview page, else what was saved for the source."""
    chosen = meta.get("choices")
    if not isinstance(chosen, dict):
        return load_source_settings(meta["source"])
    return SourceSettings(
        columns=dict(chosen.get("columns") or {}),
        category=list_category(chosen.get("every") or None, dict(chosen.get("values") or {})),
    )


def _run(folder: Path, meta: dict[str, Any], *, dry_run: bool) -> ImportReport:
    settings = current_settings()
    chosen = _choices(meta)
    return import_file(
        db.session(),
        meta["format"],
        folder / meta["stored_name"],
        source=meta["source"],
        dry_run=dry_run,
        archive_missing=bool(meta.get("archive_missing")),
        overwrite_edits=bool(meta.get("overwrite_edits")),
        geocoder=default_geocoder(settings),
        mapping=chosen.columns,
        category=chosen.category,
    )


def _preview(report: ImportReport, meta: dict[str, Any], token: str, status: int = 200) -> Any:
    return render_template(
        "imports/preview.html",
        report=report,
        meta=meta,
        token=token,
        confirm_form=ImportConfirmForm(),
        field_choices=FIELD_CHOICES,
        chosen=_choices(meta),
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
    root = _imports_dir()
    _sweep(root)
    token = secrets.token_urlsafe(24)
    folder = root / token
    folder.mkdir(parents=True)
    stored_name = f"upload{suffix}"
    upload.save(str(folder / stored_name))
    meta = {
        "format": form.format.data,
        "source": form.source.data.strip(),
        "archive_missing": bool(form.archive_missing.data),
        "overwrite_edits": bool(form.overwrite_edits.data),
        "filename": filename,
        "stored_name": stored_name,
        "user_id": current_user.id,
        "uploaded_at": time.time(),
    }
    (folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    try:
        report = _run(folder, meta, dry_run=True)
    except UnreadableFile as exc:
        shutil.rmtree(folder, ignore_errors=True)
        message = exc.message_en if current_lang() == "en" else exc.message_ja
        # The readers name the file they were given: the person knows it by the name they uploaded.
        message = message.replace(str(folder / stored_name), filename).replace(stored_name, filename)
        return render_template("imports/upload.html", form=form, unreadable=message), 400
    return _preview(report, meta, token)


@bp.route("/import/<token>/choices", methods=["POST"])
@require(Permission.ADMIN_IMPORT)
def import_choices(token: str) -> Any:
    """Confirm or change the header guesses and 「この一覧の種別」, then preview again."""
    form = ImportConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    folder, meta = _stored(token)
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
    meta["choices"] = {"columns": columns, "every": every, "values": values}
    (folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    try:
        report = _run(folder, meta, dry_run=True)
    except UnreadableFile as exc:
        message = exc.message_en if current_lang() == "en" else exc.message_ja
        return render_template("imports/upload.html", form=ImportUploadForm(), unreadable=message), 400
    return _preview(report, meta, token)


@bp.route("/import/<token>/confirm", methods=["POST"])
@require(Permission.ADMIN_IMPORT)
def import_confirm(token: str) -> Any:
    form = ImportConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    folder, meta = _stored(token)
    try:
        report = _run(folder, meta, dry_run=False)
    except UnreadableFile:
        shutil.rmtree(folder, ignore_errors=True)
        abort(400)
    session = db.session()
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
        save_source_settings(meta["source"], _choices(meta))
    shutil.rmtree(folder, ignore_errors=True)
    return render_template("imports/result.html", report=report, meta=meta, **_messages(report))
