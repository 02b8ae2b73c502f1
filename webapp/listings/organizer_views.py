"""Organizer pages: listing submission and upkeep.

Views are thin: parse, check membership (an activity of another organization is a 404, exactly like a
missing one), call webapp.listings.organizer*, render. Every edit lands in a draft ActivityRevision.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from webapp.config import settings
from webapp.extensions import db, limiter
from webapp.listings import organizer as svc
from webapp.listings.models.activity import Activity
from webapp.listings.models.organization import Organization
from webapp.listings.models.organizer import ActivityRevision, Photo
from webapp.security.permissions import Permission, has_permission, public, require
from webapp.service_error import ServiceError
from webapp.signals import activity_changed_after_commit

bp = Blueprint("organizer", __name__, url_prefix="/organizer")

WRITE = Permission.LISTING_WRITE



def _user() -> Any:
    return current_user._get_current_object()


def _activity_or_404(activity_id: int) -> Activity:
    try:
        return svc.activity_for(db.session(), _user(), activity_id)
    except ServiceError:
        abort(404)


def photo_error_message(code: str) -> str:
    messages = {
        "too_large": _("写真のファイルが大きすぎます。"),
        "unsupported_type": _("JPEG・PNG・WebP の写真を選んでください。"),
        "too_many_pixels": _("写真の画素数が多すぎます。"),
        "alt_required": _("写真の説明（どんな写真か）を書いてください。"),
        "polyglot": _("この写真は受け付けられません。別の写真を選んでください。"),
    }
    return messages.get(code, _("写真を読み込めませんでした。別の写真を選んでください。"))


# ------------------------------------------------------------------------------------------------
# home


@bp.route("/")
@require(WRITE)
def home() -> str:
    session = db.session()
    user = _user()
    return render_template(
        "listings/organizer_home.html",
        organizations=svc.organizations_of(session, user),
        listings=svc.listings_of(session, user),
    )


@bp.route("/activities/new", methods=["POST"])
@limiter.limit("30 per hour")
@require(WRITE)
def new_activity() -> Response:
    session = db.session()
    raw = request.form.get("organization_id", "")
    if not raw.isdigit():
        abort(404)
    try:
        organization = svc.organization_for(session, _user(), int(raw))
    except ServiceError:
        abort(404)
    activity, _revision = svc.start_listing(session, _user(), organization)
    return redirect(url_for("organizer.edit", activity_id=activity.id))


# ------------------------------------------------------------------------------------------------
# edit


def _form_context(activity: Activity, data: dict[str, Any], revision: ActivityRevision | None, errors: dict[str, str]) -> dict[str, Any]:
    from webapp.i18n import current_lang
    from webapp.listings.photos import photos_by_id

    session = db.session()
    assert activity.organization_id is not None
    return {
        "activity": activity,
        "data": data,
        "revision": revision,
        "errors": errors,
        "places": svc.places_for(session, activity.organization_id),
        "photos": photos_by_id(session, activity.id, [int(i) for i in data.get("photo_ids") or []]),
        "sentence": svc.schedule_sentence(data, current_lang()),
        "weekday_codes": ("MO", "TU", "WE", "TH", "FR", "SA", "SU"),
        "nth_choices": svc.NTH_CHOICES,
        "welcome_labels": svc.welcome_labels(),
        "geocode_messages": svc.geocode_messages(),
        "organization": session.get(Organization, activity.organization_id),
    }


@bp.route("/activities/<int:activity_id>/edit", methods=["GET", "POST"])
@limiter.limit("120 per hour", methods=["POST"])
@require(WRITE)
def edit(activity_id: int) -> str | Response:
    session = db.session()
    user = _user()
    activity = _activity_or_404(activity_id)
    if activity.status == "archived":
        abort(404)
    if request.method == "GET":
        revision = svc.open_revision(session, activity)
        data = revision.data if revision else svc.snapshot(activity)
        return render_template("listings/organizer_edit.html", **_form_context(activity, data, revision, {}))

    revision = svc.editable_revision(session, user, activity)
    data = svc.data_from_form(request.form.to_dict(flat=False), revision.data)
    svc.fill_location(settings(), data)
    svc.save_draft(session, user, revision, data)
    if request.form.get("action") != "submit":
        flash(_("下書きを保存しました。"), "success")
        return redirect(url_for("organizer.edit", activity_id=activity.id))
    errors = svc.validate(session, revision.organization_id, data)
    if errors:
        # The error summary at the top of the form says it (no flash far above it).
        # 200, not 4xx: the draft just saved must be committed even though it cannot be sent yet.
        return render_template("listings/organizer_edit.html", **_form_context(activity, data, revision, errors))
    result = svc.submit(session, settings(), user, revision, on_published=activity_changed_after_commit)
    if result.published:
        flash(_("公開しました。"), "success")
    else:
        flash(_("審査に送りました。担当者が確認してから公開されます。"), "success")
    return redirect(url_for("organizer.home"))


@bp.route("/activities/<int:activity_id>/autosave", methods=["POST"])
@limiter.limit("240 per hour")
@require(WRITE)
def autosave(activity_id: int) -> Response:
    from webapp.i18n import current_lang

    session = db.session()
    user = _user()
    activity = _activity_or_404(activity_id)
    if activity.status == "archived":
        abort(404)
    revision = svc.editable_revision(session, user, activity)
    data = svc.data_from_form(request.form.to_dict(flat=False), revision.data)
    svc.save_draft(session, user, revision, data)
    return jsonify({"ok": True, "sentence": svc.schedule_sentence(data, current_lang())})


@bp.route("/activities/<int:activity_id>/archive", methods=["POST"])
@require(WRITE)
def archive(activity_id: int) -> Response:
    activity = _activity_or_404(activity_id)
    svc.archive(db.session(), _user(), activity, on_changed=activity_changed_after_commit)
    flash(_("掲載を終了しました。"), "success")
    return redirect(url_for("organizer.home"))


# ------------------------------------------------------------------------------------------------
# photos


@bp.route("/activities/<int:activity_id>/photos", methods=["POST"])
@limiter.limit("30 per hour")
@require(WRITE)
def upload_photo(activity_id: int) -> Response:
    from webapp.listings.photos import PhotoRejected, add_photo

    session = db.session()
    user = _user()
    activity = _activity_or_404(activity_id)
    upload = request.files.get("photo")
    back = redirect(url_for("organizer.edit", activity_id=activity.id) + "#photos")
    if upload is None or not upload.filename:
        flash(_("写真を選んでください。"), "error")
        return back
    data = upload.stream.read(settings().max_photo_bytes + 1)
    try:
        photo = add_photo(session, settings(), activity, user.id, data, request.form.get("alt_text", ""))
    except PhotoRejected as exc:
        flash(photo_error_message(exc.code), "error")
        return back
    revision = svc.editable_revision(session, user, activity)
    revision.data = {**revision.data, "photo_ids": [*(revision.data.get("photo_ids") or []), photo.id]}
    session.flush()
    flash(_("写真を追加しました。"), "success")
    return back


@bp.route("/activities/<int:activity_id>/photos/<int:photo_id>/remove", methods=["POST"])
@require(WRITE)
def remove_photo(activity_id: int, photo_id: int) -> Response:
    session = db.session()
    user = _user()
    activity = _activity_or_404(activity_id)
    revision = svc.editable_revision(session, user, activity)
    revision.data = {**revision.data, "photo_ids": [i for i in revision.data.get("photo_ids") or [] if i != photo_id]}
    session.flush()
    flash(_("写真を外しました。"), "success")
    return redirect(url_for("organizer.edit", activity_id=activity.id) + "#photos")


@bp.route("/photos/<token>/<size>.webp")
@public
def photo(token: str, size: str) -> Response:
    """Published photos for everyone; unreviewed ones only for their organization and moderators."""
    from sqlalchemy import select

    from webapp.listings.photos import SIZES, photo_path

    if size not in SIZES or not token.isalnum() or len(token) != 32:
        abort(404)
    session = db.session()
    item = session.scalar(select(Photo).where(Photo.token == token))
    if item is None or item.status == "removed":
        abort(404)
    if item.status != "published":
        user = current_user
        allowed = has_permission(user, Permission.MODERATION_REVIEW) or (
            has_permission(user, WRITE) and item.organization_id in svc.organization_ids_of(session, _user())
        )
        if not allowed:
            abort(404)
    path = photo_path(settings(), token, size)
    if not path.exists():
        abort(404)
    # Renditions are small (≤ ~200 KB); reading them whole keeps no file handle open past the response.
    response = Response(path.read_bytes(), mimetype="image/webp")
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = f'inline; filename="{token}-{size}.webp"'
    if item.status != "published":
        response.headers["Cache-Control"] = "private, no-store"
    return response


# ------------------------------------------------------------------------------------------------
# geocoding (used by the map script; without JS the server geocodes on save)


@bp.route("/geocode")
@limiter.limit("60 per minute")
@require(WRITE)
def geocode() -> Response:
    from webapp.listings.geocoding import geocode as run

    result = run(settings(), request.args.get("address", ""))
    if result is None:
        return jsonify({"found": False})
    return jsonify(
        {"found": True, "lat": result.lat, "lon": result.lon, "level": result.level, "matched": result.matched_text}
    )


# ------------------------------------------------------------------------------------------------
# reconfirmation ("still running as shown"): the link opens a page with one button, because mail
# scanners open links; a state change on GET would be confirmed by a robot.


@bp.route("/reconfirm/<token>", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
@public
def reconfirm(token: str) -> ResponseReturnValue:
    from webapp.listings.freshness import activity_for_token, confirm

    session = db.session()
    activity = activity_for_token(session, settings(), token)
    if activity is None:
        return render_template("listings/organizer_reconfirm.html", activity=None, done=False), 404
    if request.method == "POST":
        user_id = current_user.id if current_user.is_authenticated else None
        confirm(session, activity, user_id)
        activity_changed_after_commit(activity.id)
        return render_template("listings/organizer_reconfirm.html", activity=activity, done=True)
    return render_template("listings/organizer_reconfirm.html", activity=activity, done=False)


# ------------------------------------------------------------------------------------------------
# invitations (admin) and the development mailbox


@bp.route("/invite", methods=["GET", "POST"])
@require(Permission.ADMIN_USERS)
def invite() -> str | Response | tuple[str, int]:
    from sqlalchemy import select

    from webapp.listings.organizer_signup import invite as send_invite
    from webapp.mail import mail_link

    session = db.session()
    organizations = session.scalars(select(Organization).order_by(Organization.name)).all()
    errors: dict[str, str] = {}
    if request.method == "POST":
        raw = request.form.get("organization_id", "")
        organization = session.get(Organization, int(raw)) if raw.isdigit() else None
        if organization is None:
            errors["organization_id"] = _("団体を選んでください。")
        else:
            try:
                send_invite(
                    session,
                    settings(),
                    _user(),
                    request.form.get("email", ""),
                    organization,
                    lambda t: mail_link(settings(), "signup.accept_invitation", token=t),
                )
            except ServiceError as exc:
                errors[exc.field or "email"] = exc.message
            else:
                flash(_("招待メールを送りました。"), "success")
                return redirect(url_for("organizer.invite"))
    page = render_template(
        "listings/organizer_invite.html", organizations=organizations, errors=errors, values=request.form if errors else {}
    )
    return (page, 400) if errors else page


@bp.route("/dev/outbox")
@public
def dev_outbox() -> str:
    """Development and tests only: the mail that would have been sent. 404 in production."""
    from webapp.mail import outbox

    if settings().env not in ("development", "testing"):
        abort(404)
    return render_template("listings/organizer_outbox.html", messages=outbox(db.session(), request.args.get("to") or None))
