"""Staff area: moderation (the moderation blueprint, under /staff).

One queue: new and changed listings (field-by-field diff against the published version), residents'
error reports, and listings whose organizers have not reconfirmed them. Every decision is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class UpkeepSummary:
    """What the staff home shows a moderator or admin: counts, and the first few of each."""

    revisions: list[ActivityRevision]
    reports: list[tuple[Any, Activity | None]]
    unconfirmed: list[Any]
    shown: int = 5


def upkeep_summary() -> UpkeepSummary:
    from webapp.listings.freshness import flagged_activities

    session = db.session()
    return UpkeepSummary(
        revisions=svc.pending_revisions(session),
        reports=_open_reports(session),
        unconfirmed=flagged_activities(session, settings()),
    )


@bp.app_context_processor
def _staff_home_helpers() -> dict[str, Any]:
    # A callable, so that only the page that shows the summary (the staff home) pays for it.
    return {"listing_upkeep_summary": upkeep_summary}


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


# ------------------------------------------------------------------------------------------------
# staff upkeep: edit, archive, 「電話で確認済み」 (webapp.listings.upkeep)

UPKEEP = Permission.LISTING_UPKEEP


def _listing_or_404(activity_id: int) -> Activity:
    activity = db.session().get(Activity, activity_id)
    if activity is None:
        abort(404)
    return activity


def _back_to(activity: Activity) -> Response:
    target = request.form.get("back", "")
    if target == "queue":
        return redirect(url_for("moderation.moderation_queue"))
    if target == "list":
        return redirect(url_for("moderation.listings"))
    return redirect(url_for("moderation.listing_edit", activity_id=activity.id))


@bp.route("/listings")
@require(REVIEW, UPKEEP)
def listings() -> str:
    from webapp.listings.freshness import outdated_ids
    from webapp.listings.upkeep import STATUSES, find_listings

    session = db.session()
    q = request.args.get("q", "")[:100]
    status = request.args.get("status", "published")
    found = find_listings(session, q, status)
    return render_template(
        "listings/staff_listings.html",
        found=found,
        q=q,
        status=status if status in STATUSES else "",
        statuses=STATUSES,
        outdated=outdated_ids(session, settings(), found),
    )


def _render_edit(
    activity: Activity, data: dict[str, Any], errors: dict[str, str], sent: str = "edit", typed: str = ""
) -> str:
    """The staff edit page; ``sent`` names the form whose errors are shown (edit, confirm, archive),
    ``typed`` is what was typed in the confirm note or the archive reason."""
    from webapp.i18n import current_lang
    from webapp.listings.freshness import outdated_ids
    from webapp.listings.models.organization import Organization

    session = db.session()
    places = svc.places_for(session, activity.organization_id) if activity.organization_id else []
    if activity.place is not None and activity.place not in places:
        places.insert(0, activity.place)
    return render_template(
        "listings/staff_listing_edit.html",
        activity=activity,
        data=data,
        errors=errors,
        sent=sent,
        typed=typed,
        places=places,
        sentence=svc.schedule_sentence(data, current_lang()),
        weekday_codes=("MO", "TU", "WE", "TH", "FR", "SA", "SU"),
        nth_choices=svc.NTH_CHOICES,
        welcome_labels=svc.welcome_labels(),
        geocode_messages=svc.geocode_messages(),
        organization=session.get(Organization, activity.organization_id)
        if activity.organization_id
        else None,
        open_revision=svc.open_revision(session, activity),
        outdated=activity.id in outdated_ids(session, settings(), [activity]),
    )


@bp.route("/listings/<int:activity_id>/edit", methods=["GET", "POST"])
@require(REVIEW, UPKEEP)
def listing_edit(activity_id: int) -> str | Response:
    from webapp.listings.upkeep import staff_edit

    activity = _listing_or_404(activity_id)
    data = svc.snapshot(activity)
    if request.method == "GET":
        return _render_edit(activity, data, {})
    if activity.status == "archived":
        abort(404)
    data = svc.data_from_form(request.form.to_dict(flat=False), data)
    svc.fill_location(settings(), data)
    errors = staff_edit(
        db.session(),
        settings(),
        current_user._get_current_object(),
        activity,
        data,
        activity_changed_after_commit,
    )
    if errors:
        return _render_edit(activity, data, errors)
    flash(_("変更を保存して公開しました。"), "success")
    return redirect(url_for("moderation.listing_edit", activity_id=activity.id))


@bp.route("/listings/<int:activity_id>/archive", methods=["POST"])
@require(REVIEW, UPKEEP)
def listing_archive(activity_id: int) -> str | Response:
    from webapp.listings.upkeep import staff_archive

    activity = _listing_or_404(activity_id)
    reason = request.form.get("reason", "")
    try:
        staff_archive(
            db.session(), current_user._get_current_object(), activity, reason, activity_changed_after_commit
        )
    except ServiceError as exc:
        return _render_edit(activity, svc.snapshot(activity), {exc.field or "reason": exc.message}, "archive", reason)
    flash(_("掲載を終了しました。"), "success")
    return redirect(url_for("moderation.listings"))


@bp.route("/listings/<int:activity_id>/confirm", methods=["POST"])
@require(REVIEW, UPKEEP)
def listing_confirm(activity_id: int) -> str | Response:
    from webapp.listings.upkeep import phone_confirm

    activity = _listing_or_404(activity_id)
    note = request.form.get("note", "")
    try:
        phone_confirm(
            db.session(), current_user._get_current_object(), activity, note, activity_changed_after_commit,
        )  # fmt: skip
    except ServiceError as exc:
        if exc.field == "note":  # only the edit page's form has a note: back to it with the note kept
            return _render_edit(activity, svc.snapshot(activity), {"note": exc.message}, "confirm", note)
        flash(exc.message, "error")
    else:
        flash(_("「電話で確認済み」にしました: %(name)s", name=activity.name), "success")
    return _back_to(activity)
