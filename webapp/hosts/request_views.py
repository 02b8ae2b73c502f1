"""受け入れのご相談 pages: the host's people on their organizer pages (/organizer/requests, phone first),
and the supporters' side of the same request (/staff/hosts/requests/…) with its thread.

Thin views: parse (WTForms), check permission, call hosts.requests, render. A request the user may
not see is a 404, exactly like one that does not exist (also once the consent is withdrawn).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from webapp.accounts.models.user import User
from webapp.extensions import db
from webapp.hosts import requests as rq
from webapp.hosts.forms import AnswerForm, MessageForm
from webapp.hosts.labels import host_labels
from webapp.hosts.models import Host, HostRequest
from webapp.hosts.views import bp
from webapp.security.permissions import Permission, require
from webapp.service_error import ServiceError

host_bp = Blueprint("host_requests", __name__, url_prefix="/organizer/requests")
host_bp.context_processor(host_labels)


@host_bp.app_context_processor
def _waiting_requests() -> dict[str, Any]:
    """``host_requests_waiting()`` for the organizer home (listings cannot import hosts): asked only
    by the page that shows it."""

    def host_requests_waiting() -> int:
        if not current_user.is_authenticated:
            return 0
        return rq.unanswered_count(db.session(), _me())

    return {"host_requests_waiting": host_requests_waiting}


def _me() -> User:
    return current_user._get_current_object()


def _field_error(form: Any, exc: ServiceError, default: str) -> None:
    target = getattr(form, exc.field or default, None) or getattr(form, default)
    target.errors = [exc.message]


# ── the host's people ───────────────────────────────────────────────────────────────────────────


@host_bp.route("/")
@require(Permission.HOST_ANSWER)
def request_list() -> str:
    requests = rq.requests_for_member(db.session(), _me())
    return render_template("hosts/requests.html", requests=requests)


def _member_request(host_request_id: int) -> HostRequest:
    try:
        return rq.load_for_member(db.session(), _me(), host_request_id)
    except rq.RequestNotFound:
        abort(404)


def _host_page(req: HostRequest, status: int = 200, **forms: Any) -> tuple[str, int]:
    answer_form = forms.get("answer_form") or AnswerForm(
        formdata=None, data={"answer": req.answer or None, "reason": req.reason or None, "reason_text": req.reason_text}
    )
    message_form = forms.get("message_form") or MessageForm(formdata=None)
    return render_template(
        "hosts/request.html", req=req, view=rq.shared_view(db.session(), req), answer_form=answer_form,
        message_form=message_form, failed=forms.get("failed", ""),
    ), status  # fmt: skip


@host_bp.route("/<int:host_request_id>")
@require(Permission.HOST_ANSWER)
def request_view(host_request_id: int) -> tuple[str, int]:
    return _host_page(_member_request(host_request_id))


@host_bp.route("/<int:host_request_id>/answer", methods=["POST"])
@require(Permission.HOST_ANSWER)
def request_answer(host_request_id: int) -> Response | tuple[str, int]:
    req = _member_request(host_request_id)
    form = AnswerForm()
    if form.validate_on_submit():
        try:
            rq.answer_request(
                db.session(), _me(), req, form.answer.data or "", form.reason.data or "", form.reason_text.data or "",
                form.message.data or "",
            )  # fmt: skip
        except rq.RequestNotFound:
            abort(404)
        except ServiceError as exc:
            _field_error(form, exc, "answer")
        else:
            flash(_("ご回答を送りました。ありがとうございます。担当者からご連絡します。"), "info")
            return redirect(url_for("host_requests.request_view", host_request_id=req.id))
    return _host_page(req, 400, answer_form=form, failed="answer")


@host_bp.route("/<int:host_request_id>/messages", methods=["POST"])
@require(Permission.HOST_ANSWER)
def request_message(host_request_id: int) -> Response | tuple[str, int]:
    req = _member_request(host_request_id)
    form = MessageForm()
    if form.validate_on_submit():
        try:
            rq.add_message(db.session(), _me(), req, "host", form.body.data or "")
        except ServiceError as exc:
            _field_error(form, exc, "body")
        else:
            flash(_("メッセージを送りました。"), "info")
            return redirect(url_for("host_requests.request_view", host_request_id=req.id) + "#thread")
    return _host_page(req, 400, message_form=form, failed="message")


# ── the supporters' side ────────────────────────────────────────────────────────────────────────


def _staff_request(host_request_id: int) -> HostRequest:
    try:
        return rq.load_for_staff(db.session(), _me(), host_request_id)
    except rq.RequestNotFound:
        abort(404)


def _staff_page(req: HostRequest, status: int = 200, message_form: MessageForm | None = None) -> tuple[str, int]:
    session = db.session()
    is_open = rq.is_open(session, req)
    return render_template(
        "hosts/request_staff.html", req=req, view=rq.shared_view(session, req), host=session.get(Host, req.host_id),
        placement=rq.placement_of(session, req), is_open=is_open,
        can_write=is_open and rq.staff_may_write(session, _me(), req),
        message_form=message_form or MessageForm(formdata=None), failed="message" if message_form else "",
    ), status  # fmt: skip


@bp.route("/requests/<int:host_request_id>")
@require(Permission.CASE_READ)
def staff_request(host_request_id: int) -> tuple[str, int]:
    return _staff_page(_staff_request(host_request_id))


@bp.route("/placements/<int:placement_id>/request")
@require(Permission.CASE_READ)
def placement_request(placement_id: int) -> Response:
    try:
        placement, req = rq.latest_for_placement(db.session(), _me(), placement_id)
    except rq.RequestNotFound:
        abort(404)
    if req is None:
        # A host without organizer accounts (or not of the register): its answer is taken by phone.
        flash(_("この受け入れ先には主催者のアカウントがないため、打診はシステムからは送られていません。電話などで確認し、回答を段階の変更で記録してください。"), "info")
        if placement.host_id is not None:
            return redirect(url_for("hosts.host_view", host_id=placement.host_id))
        return redirect(url_for("cases.case_view", person_id=placement.person_id))
    return redirect(url_for("hosts.staff_request", host_request_id=req.id))


@bp.route("/requests/<int:host_request_id>/messages", methods=["POST"])
@require(Permission.CASE_WRITE)
def staff_message(host_request_id: int) -> Response | tuple[str, int]:
    req = _staff_request(host_request_id)
    form = MessageForm()
    if form.validate_on_submit():
        try:
            rq.add_message(db.session(), _me(), req, "staff", form.body.data or "")
        except ServiceError as exc:
            if exc.code == "not_owner":
                abort(403)
            _field_error(form, exc, "body")
        else:
            flash(_("メッセージを送りました。"), "info")
            return redirect(url_for("hosts.staff_request", host_request_id=req.id) + "#thread")
    return _staff_page(req, 400, form)
