"""参加の相談: the public form (/consult/request) and the staff list (/staff/consult).

The public form works without JavaScript, is CSRF-protected, rate-limited and has a honeypot; a
robot that fills the honeypot sees the same confirmation and nothing is stored. Staff see only
their own office's requests (another office's is a 404).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from webapp import clock
from webapp.accounts.models.user import Office, User
from webapp.consult import services as svc
from webapp.consult.forms import ConsultForm
from webapp.consult.labels import METHOD_LABELS, STATUS_LABELS, WISH_LABELS
from webapp.consult.models import ConsultRequest
from webapp.extensions import db, limiter
from webapp.listings.models.activity import Activity
from webapp.security.permissions import Permission, has_permission, public, require
from webapp.service_error import ServiceError

bp = Blueprint("consult", __name__, url_prefix="/consult")
staff_bp = Blueprint("consult_staff", __name__, url_prefix="/staff/consult")

_SENT_KEY = "consult_sent"


def _labels() -> dict[str, Any]:
    return {"wish_labels": WISH_LABELS, "method_labels": METHOD_LABELS, "consult_status_labels": STATUS_LABELS,
            "jst": clock.to_jst}


bp.context_processor(_labels)
staff_bp.context_processor(_labels)


@staff_bp.app_context_processor
def _home_count() -> dict[str, Any]:
    """`consult_new_count()` for the staff home (computed only where a template calls it)."""

    def consult_new_count() -> int:
        if not current_user.is_authenticated or not has_permission(current_user, Permission.CONSULT_READ):
            return 0
        return svc.new_count(db.session(), current_user._get_current_object())

    return {"consult_new_count": consult_new_count}


def _activity(raw: str | None) -> Activity | None:
    raw = (raw or "").strip()
    if not (raw.isascii() and raw.isdigit() and len(raw) < 10):
        return None
    activity = db.session().get(Activity, int(raw))
    return activity if activity is not None and activity.status == "published" else None


@bp.route("/request", methods=["GET", "POST"])
@public
@limiter.limit("5 per hour;20 per day", methods=["POST"])
def consult_form() -> str | Response | tuple[str, int]:
    form = ConsultForm()
    s = db.session()
    form.fill_choices(svc.office_choices(s), svc.district_choices(s))
    if request.method == "GET":
        activity = _activity(request.args.get("activity"))
        form.activity.data = str(activity.id) if activity else ""
        wish = request.args.get("wish", "")
        if wish in WISH_LABELS:
            form.wishes.data = [wish]
    elif form.validate_on_submit():
        if (form.website.data or "").strip():
            session[_SENT_KEY] = {"office": "", "method": form.contact_method.data or "phone"}
            return redirect(url_for("consult.consult_sent"))
        try:
            req = svc.create_request(s, form.to_input(), {c for c, _n in svc.district_choices(s)})
        except ServiceError as exc:
            getattr(form, exc.field or "message", form.message).errors = [exc.message]
        else:
            office = s.get(Office, req.office_id) if req.office_id else None
            session[_SENT_KEY] = {"office": office.name if office else "", "method": req.contact_method}
            return redirect(url_for("consult.consult_sent"))
    activity = _activity(form.activity.data)
    status = 400 if request.method == "POST" else 200
    return render_template(
        "consult/form.html", form=form, activity=activity, consent_version=svc.CONSENT_VERSION
    ), status


@bp.route("/sent")
@public
def consult_sent() -> str | Response:
    sent = session.pop(_SENT_KEY, None)
    if not sent:
        return redirect(url_for("consult.consult_form"))
    return render_template("consult/sent.html", office=sent.get("office", ""), method=sent.get("method", "phone"),
                           days=svc.REPLY_WITHIN_OPEN_DAYS)


class ActionForm(FlaskForm):
    """A button that changes state: only the CSRF token."""


def _me() -> User:
    return current_user._get_current_object()


@staff_bp.route("/")
@require(Permission.CONSULT_READ)
def consult_list() -> str:
    status = request.args.get("status", "")
    rows = svc.list_for_office(db.session(), _me(), status if status in ("new", "received") else "")
    districts = dict(svc.district_choices(db.session()))
    return render_template(
        "consult/list.html", rows=rows, status=status, districts=districts, form=ActionForm(),
        new_count=svc.new_count(db.session(), _me()), case_codes=svc.case_codes(db.session(), rows),
    )  # fmt: skip


@staff_bp.route("/<int:request_id>")
@require(Permission.CONSULT_READ)
def consult_view(request_id: int) -> str:
    try:
        req = svc.get_request(db.session(), _me(), request_id)
    except svc.ConsultNotFound:
        abort(404)
    return _view_page(req)


def _view_page(req: ConsultRequest, error: str = "") -> str:
    activity = db.session().get(Activity, req.activity_id) if req.activity_id else None
    districts = dict(svc.district_choices(db.session()))
    return render_template("consult/view.html", req=req, activity=activity, districts=districts, form=ActionForm(),
                           error=error, case_code=svc.case_code_of(db.session(), req))


@staff_bp.route("/<int:request_id>/receive", methods=["POST"])
@require(Permission.CONSULT_WRITE)
def consult_receive(request_id: int) -> Response:
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        req = svc.get_request(db.session(), _me(), request_id)
        svc.mark_received(db.session(), _me(), req)
    except svc.ConsultNotFound:
        abort(404)
    flash(_("受付済みにしました。"), "info")
    return redirect(url_for("consult_staff.consult_view", request_id=request_id))


@staff_bp.route("/<int:request_id>/intake", methods=["POST"])
@require(Permission.CONSULT_WRITE, Permission.CASE_WRITE)
def consult_intake(request_id: int) -> Response | tuple[str, int]:
    """「受付する」: open a case from the request and go to it (consult.services.take_up)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    s = db.session()
    try:
        req = svc.get_request(s, _me(), request_id)
    except svc.ConsultNotFound:
        abort(404)
    try:
        person = svc.take_up(s, _me(), req)
    except svc.ConsultNotFound:
        abort(404)
    except ServiceError as exc:
        # Already taken up (perhaps a moment ago by a colleague), or the case could not be opened: the
        # page again with the reason; its 409 status rolls back anything this request wrote.
        message = (_("この相談はすでに受付されています。") if isinstance(exc, svc.AlreadyTakenUp)
                   else _("ケースを作成できませんでした: %(reason)s", reason=exc.message))
        s.refresh(req)
        return _view_page(req, error=message), 409
    flash(_("参加の相談を受付し、ケース %(code)s を作成しました。内容を確かめて、受付の記録を補ってください。",
            code=person.case_code), "info")
    return redirect(url_for("cases.case_view", person_id=person.id))


@staff_bp.route("/areas", methods=["GET", "POST"])
@require(Permission.ADMIN_OFFICES)
def consult_areas() -> str | Response | tuple[str, int]:
    """Which office receives the 参加の相談 of each district (city administrators)."""
    s = db.session()
    districts = svc.district_choices(s)
    offices = svc.office_choices(s)
    known = {str(i) for i, _n in offices}
    form = ActionForm()
    errors: dict[str, str] = {}
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        assignment: dict[str, int | None] = {}
        for code, _name in districts:
            raw = request.form.get(f"office-{code}", "")
            if raw and raw not in known:
                errors[code] = _("一覧から選んでください。")
            assignment[code] = int(raw) if raw in known else None
        if not errors:
            svc.assign_districts(s, assignment)
            flash(_("担当地区を保存しました。"), "info")
            return redirect(url_for("consult_staff.consult_areas"))
    current = svc.office_of_districts(s)
    return render_template(
        "consult/areas.html", districts=districts, offices=offices, current=current, form=form, errors=errors
    ), 400 if errors else 200
