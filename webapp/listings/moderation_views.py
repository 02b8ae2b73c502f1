"""Staff area: moderation (the moderation blueprint, under /staff).

One queue: new and changed listings (field-by-field diff against the published version), residents'
error reports, and listings whose organizers have not reconfirmed them. Every decision is audited.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from webapp.config import settings
from webapp.extensions import db
from webapp.listings import organizer as svc
from webapp.listings.models.activity import Activity
from webapp.listings.models.organizer import ActivityRevision
from webapp.listings.models.report import ErrorReport
from webapp.security.audit import record
from webapp.security.permissions import Permission, require
from webapp.service_error import ServiceError
from webapp.signals import activity_changed_after_commit

bp = Blueprint("moderation", __name__, url_prefix="/staff")

REVIEW = Permission.MODERATION_REVIEW



def _open_reports(session: Any) -> list[tuple[Any, Activity | None]]:
    reports = session.scalars(
        select(ErrorReport).where(ErrorReport.status == "open").order_by(ErrorReport.created_at)
    ).all()
    return [(r, session.get(Activity, r.activity_id)) for r in reports]


@bp.route("/moderation")
@require(REVIEW)
def moderation_queue() -> str:
    from webapp.listings.freshness import flagged_activities

    session = db.session()
    revisions = svc.pending_revisions(session)
    return render_template(
        "listings/moderation.html",
        revisions=[(r, svc.is_new_listing(r)) for r in revisions],
        reports=_open_reports(session),
        flagged=flagged_activities(session, settings()),
    )


@bp.route("/moderation/revisions/<int:revision_id>", methods=["GET", "POST"])
@require(REVIEW)
def moderation_revision(revision_id: int) -> str | Response | tuple[str, int]:

    session = db.session()
    revision = session.get(ActivityRevision, revision_id)
    if revision is None:
        abort(404)
    moderator = current_user._get_current_object()
    if request.method == "POST":
        decision = request.form.get("decision", "")
        message = request.form.get("message", "")
        try:
            if decision == "approve":
                svc.approve(session, settings(), revision, moderator, on_published=activity_changed_after_commit)
                flash(_("承認して公開しました。"), "success")
            elif decision == "request_changes":
                svc.request_changes(session, settings(), revision, moderator, message)
                flash(_("主催者に修正をお願いしました。"), "success")
            elif decision == "reject":
                svc.reject(session, settings(), revision, moderator, message)
                flash(_("掲載を見送りました。"), "success")
            else:
                abort(400)
        except ServiceError as exc:
            if exc.field != "message":
                flash(exc.message, "error")
                return redirect(url_for("moderation.moderation_revision", revision_id=revision.id))
            # A missing message: the form comes back with its error summary and what was typed.
            return _revision_page(revision, {"message": exc.message}), 400
        return redirect(url_for("moderation.moderation_queue"))
    return _revision_page(revision, {})


def _revision_page(revision: ActivityRevision, errors: dict[str, str]) -> str:
    from webapp.i18n import current_lang
    from webapp.listings.photos import photos_by_id

    session = db.session()
    photos = photos_by_id(session, revision.activity_id, [int(i) for i in revision.data.get("photo_ids") or []])
    return render_template(
        "listings/moderation_revision.html",
        revision=revision,
        changes=svc.diff(revision, current_lang()),
        is_new=svc.is_new_listing(revision),
        photos=photos,
        errors=errors,
        message=request.form.get("message", "") if errors else "",
    )


@bp.route("/moderation/reports/<int:report_id>", methods=["POST"])
@require(REVIEW)
def moderation_report(report_id: int) -> Response:
    session = db.session()
    report = session.get(ErrorReport, report_id)
    if report is None:
        abort(404)
    status = request.form.get("status", "")
    if status not in ("resolved", "dismissed"):
        abort(400)
    report.status = status
    record(session, f"moderation.report_{status}", "error_report", report.id, {"activity_id": report.activity_id})
    session.flush()
    flash(_("報告を処理しました。"), "success")
    return redirect(url_for("moderation.moderation_queue"))


@bp.route("/moderation/organizations/<int:organization_id>/trust", methods=["POST"])
@require(REVIEW)
def moderation_trust(organization_id: int) -> Response:
    """Trusted organizations publish their edits without review (e.g. 社協, 市の担当課)."""
    from webapp.listings.models.organization import Organization

    session = db.session()
    organization = session.get(Organization, organization_id)
    if organization is None:
        abort(404)
    trusted = request.form.get("trusted") == "1"
    organization.trusted = trusted
    record(session, "moderation.trust" if trusted else "moderation.untrust", "organization", organization.id)
    session.flush()
    flash(_("審査なしで公開する団体にしました。") if trusted else _("この団体の変更は審査が必要になりました。"), "success")
    back = request.form.get("revision_id", "")
    if back.isascii() and back.isdigit() and int(back) <= 2**31 - 1:  # "²".isdigit() is True, int() refuses it
        return redirect(url_for("moderation.moderation_revision", revision_id=int(back)))
    return redirect(url_for("moderation.moderation_queue"))
