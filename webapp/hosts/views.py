"""Staff pages of the host register (/staff/hosts): list, new/edit, a host's page with its pipeline,
contact history and 受け入れ先支援 notes, and proposing an agreed host as a public listing.

Thin views: parse (WTForms), check permission, call hosts.services, render. Office-only parts are
shown only to staff of offices that work with the host; services audit every change and read.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response

from webapp import clock
from webapp.accounts.models.user import Office, User
from webapp.config import settings
from webapp.extensions import db
from webapp.hosts import services as svc
from webapp.hosts.forms import ContactForm, HostForm, StageForm, SupportNoteForm
from webapp.hosts.labels import host_labels
from webapp.hosts.models import HOST_KINDS, MOVES, STAGES, Host
from webapp.hosts.requests import host_figures
from webapp.listings.models.organization import Organization
from webapp.security.permissions import Permission, has_permission, require
from webapp.service_error import ServiceError

bp = Blueprint("hosts", __name__, url_prefix="/staff/hosts")
bp.context_processor(host_labels)


class ActionForm(FlaskForm):
    """A button that changes state: the form carries only the CSRF token."""


def _me() -> User:
    return current_user._get_current_object()


def _districts() -> list[tuple[str, str]]:
    from webapp.cases.suggestions import district_choices

    return district_choices(db.session())


def _organizations() -> list[tuple[int, str]]:
    rows = db.session().execute(select(Organization.id, Organization.name).order_by(Organization.name_kana, Organization.name))
    return [(int(i), str(n)) for i, n in rows]


def _host(host_id: int) -> Host:
    try:
        return svc.get_host(db.session(), host_id)
    except svc.HostNotFound:
        abort(404)


def _writable(host_id: int) -> Host:
    """A host this user's office works with: only those offices change it (others read the register)."""
    host = _host(host_id)
    if not svc.works_with(_me(), host):
        abort(403)
    return host


@bp.route("/")
@require(Permission.HOSTS_READ)
def host_list() -> str:
    stage = request.args.get("stage", "")
    kind = request.args.get("kind", "")
    district = request.args.get("district", "")[:50]
    hosts = svc.list_hosts(db.session(), stage if stage in STAGES else "", kind if kind in HOST_KINDS else "", district)
    districts = _districts()
    counts = {s: 0 for s in STAGES}
    for h in svc.list_hosts(db.session()):
        counts[h.stage] += 1
    return render_template(
        "hosts/list.html", hosts=hosts, stage=stage, kind=kind, district=district, districts=districts,
        district_names=dict(districts), counts=counts, stages=STAGES, kinds=HOST_KINDS,
    )  # fmt: skip


@bp.route("/new", methods=["GET", "POST"])
@require(Permission.HOSTS_WRITE)
def host_new() -> str | Response | tuple[str, int]:
    form = HostForm()
    districts = _districts()
    form.fill_choices(districts, _organizations())
    if request.method == "GET":
        # Started from an unmet-needs row (地区 × 関心) of the reports page.
        origin_district = request.args.get("district", "")[:50]
        form.origin_district.data = origin_district
        form.origin_interest.data = request.args.get("interest", "")[:50]
        if origin_district in dict(districts):
            form.districts.data = [origin_district]
    elif form.validate_on_submit():
        try:
            host = svc.create_host(db.session(), _me(), form.to_input(), {c for c, _n in districts})
        except ServiceError as exc:
            getattr(form, exc.field or "name", form.name).errors = [exc.message]
        else:
            flash(_("受け入れ先を登録しました: %(name)s", name=host.name), "info")
            return redirect(url_for("hosts.host_view", host_id=host.id))
    status = 400 if request.method == "POST" else 200
    return render_template("hosts/form.html", form=form, host=None, origin=_origin(form)), status


def _interest_label(code: str) -> str:
    from webapp.i18n import current_lang
    from webapp.listings.taxonomy import taxonomy

    term = taxonomy().interests.get(code)
    return term.label(current_lang()) if term else code


def _origin(form: HostForm) -> dict[str, str] | None:
    code, interest = form.origin_district.data or "", form.origin_interest.data or ""
    if not code and not interest:
        return None
    return {"district": dict(_districts()).get(code, code), "interest": _interest_label(interest)}


@bp.route("/<int:host_id>/edit", methods=["GET", "POST"])
@require(Permission.HOSTS_WRITE)
def host_edit(host_id: int) -> str | Response | tuple[str, int]:
    host = _writable(host_id)
    districts = _districts()
    form = HostForm(obj=None if request.method == "POST" else host)
    form.fill_choices(districts, _organizations())
    if request.method == "GET":
        form.organization_id.data = str(host.organization_id or "")
    elif form.validate_on_submit():
        try:
            svc.update_host(db.session(), _me(), host, form.to_input(), {c for c, _n in districts})
        except ServiceError as exc:
            getattr(form, exc.field or "name", form.name).errors = [exc.message]
        else:
            flash(_("保存しました。"), "info")
            return redirect(url_for("hosts.host_view", host_id=host.id))
    status = 400 if request.method == "POST" else 200
    return render_template("hosts/form.html", form=form, host=host, origin=None), status


def _page(host: Host, status: int = 200, **forms: Any) -> tuple[str, int]:
    me = _me()
    today = clock.today()
    stage_form = forms.get("stage_form") or StageForm(formdata=None, data={"on": today}, prefix="stage")
    stage_form.limit_to(MOVES[host.stage])
    contact_form = forms.get("contact_form") or ContactForm(formdata=None, data={"on": today}, prefix="contact")
    note_form = forms.get("note_form") or SupportNoteForm(formdata=None, data={"on": today}, prefix="support")
    contacts, notes = svc.office_parts(db.session(), me, host)
    districts = dict(_districts())
    return render_template(
        "hosts/host.html", host=host, stage_form=stage_form, contact_form=contact_form, note_form=note_form,
        contacts=contacts, notes=notes, works_with=svc.works_with(me, host), district_names=districts,
        action_form=ActionForm(), can_write=has_permission(me, Permission.HOSTS_WRITE) and svc.works_with(me, host),
        can_share=has_permission(me, Permission.OFFICE_CASES) and svc.works_with(me, host),
        other_offices=[o for o in db.session().scalars(select(Office).order_by(Office.id)) if o.id not in host.office_ids],
        working_offices=[o.office.name for o in host.offices],
        failed=forms.get("failed", ""), interest_label=_interest_label, today_iso=today.isoformat(),
        figures=host_figures(db.session(), host), overdue_days=settings().proposal_overdue_days,
    ), status  # fmt: skip


@bp.route("/<int:host_id>")
@require(Permission.HOSTS_READ)
def host_view(host_id: int) -> tuple[str, int]:
    return _page(_host(host_id))


@bp.route("/<int:host_id>/stage", methods=["POST"])
@require(Permission.HOSTS_WRITE)
def host_stage(host_id: int) -> Response | tuple[str, int]:
    host = _writable(host_id)
    form = StageForm(prefix="stage")
    form.limit_to(MOVES[host.stage])
    if form.validate_on_submit():
        try:
            svc.move_stage(db.session(), _me(), host, form.stage.data or "", form.on.data, form.reason.data or "")
        except ServiceError as exc:
            target = {"on": form.on, "reason": form.reason}.get(exc.field or "", form.stage)
            target.errors = [exc.message]
        else:
            flash(_("段階を記録しました。"), "info")
            return redirect(url_for("hosts.host_view", host_id=host.id))
    return _page(host, 400, stage_form=form, failed="stage")


@bp.route("/<int:host_id>/contacts", methods=["POST"])
@require(Permission.HOSTS_WRITE)
def host_contact(host_id: int) -> Response | tuple[str, int]:
    host = _writable(host_id)
    form = ContactForm(prefix="contact")
    if form.validate_on_submit():
        svc.add_contact(db.session(), _me(), host, form.channel.data or "", form.note.data or "", form.on.data)
        flash(_("連絡の記録を追加しました。"), "info")
        return redirect(url_for("hosts.host_view", host_id=host.id) + "#contacts")
    return _page(host, 400, contact_form=form, failed="contact")


@bp.route("/<int:host_id>/notes", methods=["POST"])
@require(Permission.HOSTS_WRITE)
def host_note(host_id: int) -> Response | tuple[str, int]:
    host = _writable(host_id)
    form = SupportNoteForm(prefix="support")
    if form.validate_on_submit():
        svc.add_support_note(db.session(), _me(), host, form.need.data or "", form.note.data or "", form.on.data)
        flash(_("受け入れ先支援のメモを追加しました。"), "info")
        return redirect(url_for("hosts.host_view", host_id=host.id) + "#support")
    return _page(host, 400, note_form=form, failed="note")


@bp.route("/<int:host_id>/offices", methods=["POST"])
@require(Permission.HOSTS_WRITE, Permission.OFFICE_CASES)
def host_add_office(host_id: int) -> Response:
    """An office lead of an office working with the host shares it with another office (notes included)."""
    host = _writable(host_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    raw = request.form.get("office_id", "")
    office = db.session().get(Office, int(raw)) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None
    if office is None:
        flash(_("一覧から選んでください。"), "error")
    else:
        svc.add_office(db.session(), _me(), host, office)
        flash(_("連携する所属に %(office)s を加えました。", office=office.name), "info")
    return redirect(url_for("hosts.host_view", host_id=host.id))


@bp.route("/<int:host_id>/listing", methods=["POST"])
@require(Permission.HOSTS_WRITE)
def host_listing(host_id: int) -> Response:
    host = _writable(host_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        svc.propose_listing(db.session(), _me(), host)
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        flash(_("掲載の下書きを作成しました。内容を整えて審査に出すまで公開されません。"), "info")
    return redirect(url_for("hosts.host_view", host_id=host.id))


from webapp.hosts.request_views import host_bp  # noqa: E402  (受け入れのご相談: routes on bp and host_bp)

__all__ = ["bp", "host_bp"]
