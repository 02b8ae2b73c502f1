"""Staff area: the 参加支援 matching board (cases, consent, placements, follow-ups, suggestions, audit).

Views are thin: parse, call services.cases*, render. A case this user may not see is a 404 exactly
like a case that does not exist. Every case read/write is audited inside the services.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import (
    BooleanField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from webapp.extensions import db
from webapp.models import Activity, AuditEvent, User
from webapp.models.case import (
    AGE_BANDS,
    CONTACT_PREFERENCES,
    DAY_PARTS,
    FIELDS,
    MOBILITY,
    OUTCOMES,
    REFERRAL_SOURCES,
    STAGES,
    Person,
)
from webapp.security.permissions import has_permission, require
from webapp.services import cases as svc
from webapp.services import cases_placements as flow
from webapp.services.errors import ServiceError
from webapp.staff.blueprint import bp

# ── labels (ja is the source; English in translations/en/parts/staff.po) ──────────────────────────

FIELD_LABELS = {
    "elderly": _l("高齢"),
    "disability": _l("障がい"),
    "children": _l("子ども"),
    "poverty": _l("生活困窮"),
    "hikikomori": _l("ひきこもり"),
    "other": _l("その他"),
}
AGE_LABELS = {
    "under_15": _l("15歳未満"),
    "15_19": _l("15〜19歳"),
    "20s": _l("20代"),
    "30s": _l("30代"),
    "40s": _l("40代"),
    "50s": _l("50代"),
    "60s": _l("60代"),
    "70s": _l("70代"),
    "80_plus": _l("80歳以上"),
    "unknown": _l("不明"),
}
STAGE_LABELS = {
    "candidate": _l("候補"),
    "proposed": _l("打診"),
    "accompanied_visit": _l("同行見学"),
    "trial": _l("体験"),
    "participating": _l("参加中"),
    "settled": _l("定着"),
    "paused": _l("中断"),
    "ended": _l("終了"),
}
OUTCOME_LABELS = {
    "": _l("（なし）"),
    "no_suitable_activity": _l("適当な活動が見つからない"),
    "host_no_capacity": _l("受け入れ先に余裕がない"),
    "declined_by_person": _l("本人が辞退"),
    "declined_by_host": _l("受け入れ先が辞退"),
    "other": _l("その他"),
}
REFERRAL_LABELS = {
    "ikomaru": _l("いこまる相談窓口"),
    "houkatsu": _l("地域包括支援センター"),
    "csw": _l("CSW（コミュニティソーシャルワーカー）"),
    "school": _l("学校"),
    "self": _l("本人"),
    "family": _l("家族"),
    "medical": _l("医療機関"),
    "other": _l("その他"),
}
CONTACT_LABELS = {
    "phone": _l("電話"),
    "mail": _l("郵便・メール"),
    "visit": _l("訪問"),
    "via_referrer": _l("紹介元を通じて"),
    "do_not_contact": _l("本人へ直接連絡しない"),
}
MOBILITY_LABELS = {
    "": _l("（未記入）"),
    "walk": _l("徒歩"),
    "bicycle": _l("自転車"),
    "bus_train": _l("バス・電車"),
    "car": _l("車"),
    "needs_pickup": _l("送迎が必要"),
}
PURPOSE_LABELS = {
    "record_keeping": _l("記録の保管"),
    "share_host": _l("受け入れ先との情報共有"),
    "multiagency_meeting": _l("重層的支援会議での共有"),
}
METHOD_LABELS = {"written": _l("書面"), "oral": _l("口頭")}
MEETING_LABELS = {
    "multiagency_meeting": _l("重層的支援会議（本人同意あり）"),
    "support_meeting": _l("支援会議（社会福祉法第106条の6）"),
}
TARGET_LABELS = {"person": _l("本人（定着支援）"), "host": _l("受け入れ先（受け入れ先支援）")}
SCALE_LABELS = {"": _l("（なし）"), "who5": "WHO-5 (0–25)", "swemwbs": "SWEMWBS (7–35)"}
WEEKDAY_LABELS = (_l("月"), _l("火"), _l("水"), _l("木"), _l("金"), _l("土"), _l("日"))
PART_LABELS = {"am": _l("午前"), "pm": _l("午後"), "ev": _l("夕方以降")}


@bp.context_processor
def _board_labels() -> dict[str, Any]:
    return {
        "FIELD_LABELS": FIELD_LABELS,
        "AGE_LABELS": AGE_LABELS,
        "STAGE_LABELS": STAGE_LABELS,
        "OUTCOME_LABELS": OUTCOME_LABELS,
        "REFERRAL_LABELS": REFERRAL_LABELS,
        "CONTACT_LABELS": CONTACT_LABELS,
        "MOBILITY_LABELS": MOBILITY_LABELS,
        "PURPOSE_LABELS": PURPOSE_LABELS,
        "METHOD_LABELS": METHOD_LABELS,
        "MEETING_LABELS": MEETING_LABELS,
        "TARGET_LABELS": TARGET_LABELS,
        "SCALE_LABELS": SCALE_LABELS,
        "STAGES": STAGES,
        "slot_label": slot_label,
    }


def slot_label(slot: str) -> str:
    return f"{WEEKDAY_LABELS[int(slot[0])]}{PART_LABELS[slot[1:]]}"


# ── session limits: idle and absolute timeouts on every staff page ─────────────────────────────


@bp.before_request
def _staff_session_limits() -> Response | None:
    if not current_user.is_authenticated:
        return None
    settings = current_app.extensions["odekake_settings"]
    now = time.time()
    started = session.get("staff_started_at")
    seen = session.get("staff_seen_at")
    idle = settings.staff_idle_minutes * 60
    absolute = settings.staff_absolute_hours * 3600
    if started is not None and (now - float(started) > absolute or (seen is not None and now - float(seen) > idle)):
        logout_user()
        session.clear()
        flash(_("一定時間操作がなかったため、ログアウトしました。もう一度ログインしてください。"), "info")
        return redirect(url_for("auth.login", next=request.path))
    if started is None:
        session["staff_started_at"] = now
    session["staff_seen_at"] = now
    return None


# ── forms ───────────────────────────────────────────────────────────────────────────────────────


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ActionForm(FlaskForm):
    """State-changing buttons whose fields are read by the view: the form only carries the CSRF token."""


class PersonForm(FlaskForm):
    name = StringField(_l("氏名（任意・暗号化して保存）"), validators=[Optional(), Length(max=200)])
    contact = StringField(_l("連絡先（任意・暗号化して保存）"), validators=[Optional(), Length(max=300)])
    age_band = SelectField(_l("年代"), choices=[SelectChoice(k, AGE_LABELS[k]) for k in AGE_BANDS], default="unknown")
    district = SelectField(_l("地区（小学校区）"), choices=[], validate_choice=False)
    field = SelectField(_l("分野"), choices=[SelectChoice(k, FIELD_LABELS[k]) for k in FIELDS], default="other")
    field_other = StringField(_l("分野（その他の内容）"), validators=[Optional(), Length(max=100)])
    interests = MultiCheckboxField(_l("興味・関心"), choices=[], validate_choice=False)
    interests_text = StringField(_l("興味・関心（自由記述）"), validators=[Optional(), Length(max=500)])
    what_matters = TextAreaField(_l("本人が大切にしていること"), validators=[Optional(), Length(max=4000)])
    free_slots = MultiCheckboxField(_l("空いている時間"), choices=[], validate_choice=False)
    mobility = SelectField(_l("移動手段"), choices=[SelectChoice(k, MOBILITY_LABELS[k]) for k in MOBILITY], default="")
    max_travel_m = IntegerField(_l("移動できる距離（m）"), validators=[Optional(), NumberRange(min=0, max=100_000)])
    max_cost_yen = IntegerField(_l("1回あたりの費用の上限（円）"), validators=[Optional(), NumberRange(min=0, max=100_000)])
    accessibility_needs = MultiCheckboxField(_l("必要な配慮・設備"), choices=[], validate_choice=False)
    solo_worry = BooleanField(_l("一人での参加に不安がある"))
    needs_accompany = BooleanField(_l("同行が必要"))
    referral_source = SelectField(_l("つなぎ元"), choices=[SelectChoice(k, REFERRAL_LABELS[k]) for k in REFERRAL_SOURCES])
    contact_preference = SelectField(
        _l("連絡方法の希望"), choices=[SelectChoice(k, CONTACT_LABELS[k]) for k in CONTACT_PREFERENCES], default="phone"
    )

    def fill_choices(self, lang: str) -> None:
        from webapp.services.suggestions import district_choices
        from webapp.taxonomy import taxonomy

        tx = taxonomy()
        self.district.choices = [SelectChoice("", _("（未記入）"))] + [SelectChoice(k, v) for k, v in district_choices(db.session())]
        self.interests.choices = [SelectChoice(t.code, t.label(lang)) for t in tx.interests.values()]
        self.accessibility_needs.choices = [SelectChoice(t.code, t.label(lang)) for t in tx.accessibility.values()]
        self.free_slots.choices = [SelectChoice(f"{d}{p}", slot_label(f"{d}{p}")) for d in range(7) for p in DAY_PARTS]

    def to_input(self) -> svc.PersonInput:
        return svc.PersonInput(
            name=self.name.data or "",
            contact=self.contact.data or "",
            age_band=self.age_band.data or "unknown",
            district=self.district.data or "",
            field=self.field.data or "other",
            field_other=self.field_other.data or "",
            interests=list(self.interests.data or []),
            interests_text=self.interests_text.data or "",
            what_matters=self.what_matters.data or "",
            free_slots=list(self.free_slots.data or []),
            mobility=self.mobility.data or "",
            max_travel_m=self.max_travel_m.data,
            max_cost_yen=self.max_cost_yen.data,
            accessibility_needs=list(self.accessibility_needs.data or []),
            solo_worry=bool(self.solo_worry.data),
            needs_accompany=bool(self.needs_accompany.data),
            referral_source=self.referral_source.data or "other",
            contact_preference=self.contact_preference.data or "phone",
        )


class ExportForm(FlaskForm):
    password = PasswordField(_l("パスワード（確認のため再入力）"), validators=[DataRequired(), Length(max=1024)])
    format = SelectField(_l("形式"), choices=[SelectChoice("html", "HTML"), SelectChoice("json", "JSON")], default="html")


# ── helpers ─────────────────────────────────────────────────────────────────────────────────────


def _lang() -> str:
    from webapp.i18n import current_lang

    return current_lang()


def _me() -> User:
    return current_user._get_current_object()  # type: ignore[attr-defined, no-any-return]


def _person(person_id: int, action: str = "case.read", **detail: Any) -> Person:
    try:
        return svc.load_person(db.session(), _me(), person_id, action, **detail)
    except svc.NotFound:
        abort(404)


def _fail(exc: ServiceError) -> None:
    if isinstance(exc, svc.NotFound):
        abort(404)
    flash(exc.message, "error")


def _checked_form() -> None:
    if not ActionForm().validate_on_submit():
        abort(400)


def _int(name: str) -> int | None:
    raw = (request.form.get(name) or "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        abort(400)


def _date(name: str) -> date:
    try:
        return date.fromisoformat((request.form.get(name) or "").strip())
    except ValueError:
        abort(400)


def _back(person: Person, anchor: str = "") -> Response:
    return redirect(url_for("staff.case_view", person_id=person.id) + (f"#{anchor}" if anchor else ""))


# ── lists, board ────────────────────────────────────────────────────────────────────────────────


@bp.route("/cases")
@require("staff:case:read")
def cases_list() -> str:
    from webapp.services.suggestions import district_choices

    f = svc.CaseFilter(
        scope=request.args.get("scope", "mine") if request.args.get("scope") in ("mine", "office") else "mine",
        q=request.args.get("q", "")[:100],
        stage=request.args.get("stage", "") if request.args.get("stage") in STAGES else "",
        field=request.args.get("field", "") if request.args.get("field") in FIELDS else "",
        district=request.args.get("district", "")[:50],
        overdue=request.args.get("overdue") == "1",
    )
    people = svc.list_cases(db.session(), _me(), f)
    districts = district_choices(db.session())
    return render_template(
        "staff/cases.html", people=people, f=f, districts=districts, district_names=dict(districts),
        overdue=svc.overdue_ids(db.session(), [p.id for p in people]),
        can_office=has_permission(_me(), "staff:office:cases"),
    )  # fmt: skip


@bp.route("/board")
@require("staff:case:read")
def board() -> str:
    scope = "office" if request.args.get("scope") == "office" and has_permission(_me(), "staff:office:cases") else "mine"
    grouped = flow.board_placements(db.session(), _me(), scope)
    return render_template(
        "staff/board.html", grouped=grouped, scope=scope, form=ActionForm(), overdue=flow.proposal_overdue,
        can_office=has_permission(_me(), "staff:office:cases"),
    )  # fmt: skip


# ── person ──────────────────────────────────────────────────────────────────────────────────────


@bp.route("/cases/new", methods=["GET", "POST"])
@require("staff:case:write")
def case_new() -> str | Response:
    form = PersonForm()
    form.fill_choices(_lang())
    if form.validate_on_submit():
        try:
            person = svc.create_person(db.session(), _me(), form.to_input())
        except ServiceError as exc:
            _fail(exc)
        else:
            flash(_("ケースを登録しました: %(code)s", code=person.case_code), "info")
            return _back(person)
    return render_template("staff/case_form.html", form=form, person=None)


@bp.route("/cases/<int:person_id>")
@require("staff:case:read")
def case_view(person_id: int) -> str:
    from webapp.services.suggestions import district_choices

    person = _person(person_id)
    me = _me()
    users = {u.id: u for u in db.session().scalars(select(User).where(User.id.in_(_user_ids(person))))}
    return render_template(
        "staff/case.html",
        person=person,
        name=svc.person_name(person),
        contact=svc.person_contact(person),
        users=users,
        timeline=_timeline(person),
        form=ActionForm(),
        can_write=has_permission(me, "staff:case:write"),
        can_assign=has_permission(me, "staff:case:assign"),
        can_edit_note=lambda n: svc.can_edit_note(n, me),
        overdue=flow.proposal_overdue,
        districts=dict(district_choices(db.session())),
        today=flow.tokyo_today(),
        activities=_activity_names(person),
    )


def _user_ids(person: Person) -> set[int]:
    ids = {w.user_id for w in person.workers}
    ids |= {n.author_id for n in person.notes if n.author_id}
    ids |= {e.by_id for p in person.placements for e in p.events if e.by_id}
    ids |= {c.recorded_by_id for c in person.consents if c.recorded_by_id}
    ids |= {f.done_by_id for f in person.followups if f.done_by_id}
    ids |= {m.recorded_by_id for m in person.meetings if m.recorded_by_id}
    return ids


def _activity_names(person: Person) -> dict[int, str]:
    ids = {c.activity_id for c in person.consents if c.activity_id}
    if not ids:
        return {}
    return {a.id: a.name for a in db.session().scalars(select(Activity).where(Activity.id.in_(ids)))}


def _timeline(person: Person) -> list[dict[str, Any]]:
    """Notes, stage changes, follow-ups, consents and meetings, newest first."""
    items: list[dict[str, Any]] = []
    for n in person.notes:
        items.append({"at": n.created_at, "kind": "note", "obj": n})
    for p in person.placements:
        for e in p.events:
            items.append({"at": e.at, "kind": "stage", "obj": e, "placement": p})
    for f in person.followups:
        if f.done_at:
            items.append({"at": f.done_at, "kind": "followup", "obj": f})
    for c in person.consents:
        items.append({"at": c.granted_at, "kind": "consent", "obj": c})
        if c.withdrawn_at:
            items.append({"at": c.withdrawn_at, "kind": "consent_withdrawn", "obj": c})
    for m in person.meetings:
        items.append({"at": m.held_at, "kind": "meeting", "obj": m})
    items.sort(key=lambda i: i["at"], reverse=True)
    return items


@bp.route("/cases/<int:person_id>/edit", methods=["GET", "POST"])
@require("staff:case:write")
def case_edit(person_id: int) -> str | Response:
    person = _person(person_id, "case.read", view="edit")
    form = PersonForm(data=vars(svc.person_input(person)) if request.method == "GET" else None)
    form.fill_choices(_lang())
    if form.validate_on_submit():
        try:
            svc.update_person(db.session(), _me(), person, form.to_input())
        except ServiceError as exc:
            _fail(exc)
        else:
            flash(_("保存しました。"), "info")
            return _back(person)
    return render_template("staff/case_form.html", form=form, person=person)


@bp.route("/cases/<int:person_id>/consents", methods=["POST"])
@require("staff:case:write")
def consent_add(person_id: int) -> Response:
    _checked_form()
    person = _person(person_id, "case.read", view="consent")
    try:
        svc.grant_consent(
            db.session(), _me(), person,
            purpose=request.form.get("purpose", ""), method=request.form.get("method", ""),
            recipient=request.form.get("recipient", "")[:200], activity_id=_int("activity_id"),
            version=request.form.get("version", "1")[:30], note=request.form.get("note", "")[:2000],
        )  # fmt: skip
        flash(_("同意を記録しました。"), "info")
    except ServiceError as exc:
        _fail(exc)
    return _back(person, "consents")


@bp.route("/cases/<int:person_id>/consents/<int:consent_id>/withdraw", methods=["POST"])
@require("staff:case:write")
def consent_withdraw(person_id: int, consent_id: int) -> Response:
    _checked_form()
    person = _person(person_id, "case.read", view="consent")
    try:
        svc.withdraw_consent(db.session(), _me(), person, consent_id)
        flash(_("同意の撤回を記録しました。"), "info")
    except ServiceError as exc:
        _fail(exc)
    return _back(person, "consents")


@bp.route("/cases/<int:person_id>/meetings", methods=["POST"])
@require("staff:case:write")
def meeting_add(person_id: int) -> Response:
    _checked_form()
    person = _person(person_id, "case.read", view="meeting")
    try:
        svc.record_meeting(
            db.session(), _me(), person, request.form.get("kind", ""), _date("held_on"),
            request.form.get("attendees", "")[:2000], request.form.get("summary", "")[:8000],
        )  # fmt: skip
        flash(_("会議を記録しました。"), "info")
    except ServiceError as exc:
        _fail(exc)
    return _back(person, "consents")


@bp.route("/cases/<int:person_id>/notes", methods=["POST"])
@require("staff:case:write")
def note_add(person_id: int) -> Response:
    _checked_form()
    person = _person(person_id, "case.read", view="note")
    try:
        svc.add_note(db.session(), _me(), person, request.form.get("body", "")[:20000], _int("corrects_id"))
        flash(_("記録を追加しました。"), "info")
    except ServiceError as exc:
        _fail(exc)
    return _back(person, "timeline")


@bp.route("/cases/<int:person_id>/notes/<int:note_id>/edit", methods=["GET", "POST"])
@require("staff:case:write")
def note_edit(person_id: int, note_id: int) -> str | Response:
    person = _person(person_id, "case.read", view="note")
    note = next((n for n in person.notes if n.id == note_id), None)
    if note is None:
        abort(404)
    if request.method == "POST":
        _checked_form()
        try:
            svc.edit_note(db.session(), _me(), person, note_id, request.form.get("body", "")[:20000])
            flash(_("記録を更新しました。"), "info")
            return _back(person, "timeline")
        except ServiceError as exc:
            _fail(exc)
    return render_template("staff/note_edit.html", person=person, note=note, form=ActionForm(),
                           editable=svc.can_edit_note(note, _me()))  # fmt: skip


@bp.route("/cases/<int:person_id>/assign", methods=["POST"])
@require("staff:case:assign")
def assign(person_id: int) -> Response:
    _checked_form()
    person = _person(person_id, "case.read", view="assign")
    try:
        svc.assign_worker(db.session(), _me(), person, request.form.get("email", "")[:254])
        flash(_("担当者を追加しました。"), "info")
    except ServiceError as exc:
        _fail(exc)
    return _back(person, "workers")


@bp.route("/cases/<int:person_id>/unassign/<int:user_id>", methods=["POST"])
@require("staff:case:assign")
def unassign(person_id: int, user_id: int) -> Response:
    _checked_form()
    person = _person(person_id, "case.read", view="assign")
    try:
        svc.unassign_worker(db.session(), _me(), person, user_id)
        flash(_("担当者を外しました。"), "info")
    except ServiceError as exc:
        _fail(exc)
    return _back(person, "workers")


@bp.route("/cases/<int:person_id>/share", methods=["POST"])
@require("staff:case:assign")
def share(person_id: int) -> Response:
    _checked_form()
    person = _person(person_id, "case.read", view="share")
    try:
        svc.share_with_office(
            db.session(), _me(), person, request.form.get("office", "")[:200], request.form.get("reason", "")[:2000]
        )
        flash(_("ほかの所属と共有しました。"), "info")
    except ServiceError as exc:
        _fail(exc)
    return _back(person, "workers")


@bp.route("/cases/<int:person_id>/close", methods=["POST"])
@require("staff:case:write")
def close(person_id: int) -> Response:
    _checked_form()
    person = _person(person_id, "case.read", view="close")
    svc.set_closed(db.session(), _me(), person, request.form.get("closed") == "1")
    return _back(person)


@bp.route("/cases/<int:person_id>/hold", methods=["POST"])
@require("staff:case:assign")
def legal_hold(person_id: int) -> Response:
    _checked_form()
    person = _person(person_id, "case.read", view="hold")
    svc.set_legal_hold(db.session(), _me(), person, request.form.get("hold") == "1")
    return _back(person)


@bp.route("/cases/<int:person_id>/export", methods=["GET", "POST"])
@require("staff:case:read")
def export(person_id: int) -> str | Response:
    """本人開示: requires the password again, every time."""
    person = _person(person_id, "case.read", view="export")
    form = ExportForm()
    status = 200
    if form.validate_on_submit():
        from webapp.services.accounts import lock_message

        reauth = svc.verify_reauth(db.session(), _me(), form.password.data or "", (request.remote_addr or "")[:64])
        if reauth.lock is not None:
            flash(lock_message(reauth.lock), "error")
            status = 429
        elif reauth.user is None:
            # 200: the failure must be committed to count towards the lock.
            flash(_("パスワードが違います。"), "error")
        else:
            data = svc.export_person(db.session(), _me(), person)
            if form.format.data == "json":
                response = jsonify(data)
                response.headers["Content-Disposition"] = f'attachment; filename="{person.case_code}.json"'
                return response
            return render_template("staff/export.html", data=data, person=person)
    return render_template("staff/export_form.html", form=form, person=person), status  # type: ignore[return-value]


# ── suggestions and placements ─────────────────────────────────────────────────────────────────


def _coord(name: str, lo: float, hi: float) -> float | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        abort(400)
    if not lo <= value <= hi:
        abort(400)
    return value


@bp.route("/cases/<int:person_id>/suggestions")
@require("staff:case:read")
def suggestions(person_id: int) -> str:
    from webapp.services.suggestions import suggest

    person = _person(person_id, "case.read", view="suggestions")
    lat, lon = _coord("lat", -90, 90), _coord("lon", -180, 180)
    ranked, origin = suggest(db.session(), person, lat, lon, limit=15)
    placed = {p.activity_id for p in person.placements if p.activity_id and p.stage != "ended"}
    return render_template(
        "staff/suggestions.html", person=person, ranked=ranked, origin=origin, placed=placed,
        form=ActionForm(), can_write=has_permission(_me(), "staff:case:write"), lang=_lang(),
    )  # fmt: skip


@bp.route("/cases/<int:person_id>/placements", methods=["POST"])
@require("staff:case:write")
def placement_add(person_id: int) -> Response:
    _checked_form()
    person = _person(person_id, "case.read", view="placement")
    try:
        flow.add_placement(
            db.session(), _me(), person, activity_id=_int("activity_id"),
            host_name=request.form.get("host_name", "")[:200], reason=request.form.get("reason", "")[:2000],
        )  # fmt: skip
        flash(_("候補に追加しました。"), "info")
    except ServiceError as exc:
        _fail(exc)
    return _back(person, "placements")


@bp.route("/cases/<int:person_id>/no-suitable", methods=["POST"])
@require("staff:case:write")
def no_suitable(person_id: int) -> Response:
    _checked_form()
    person = _person(person_id, "case.read", view="placement")
    try:
        flow.record_no_suitable(db.session(), _me(), person, request.form.get("note", "")[:2000])
        flash(_("「適当な活動が見つからない」を記録しました。"), "info")
    except ServiceError as exc:
        _fail(exc)
    return _back(person, "placements")


@bp.route("/placements/<int:placement_id>/stage", methods=["POST"])
@require("staff:case:write")
def placement_stage(placement_id: int) -> Response:
    _checked_form()
    try:
        placement = flow.load_placement(db.session(), _me(), placement_id)
    except svc.NotFound:
        abort(404)
    try:
        flow.move_stage(
            db.session(), _me(), placement, request.form.get("stage", ""), request.form.get("reason", "")[:2000],
            outcome=request.form.get("outcome", ""),
        )  # fmt: skip
        flash(_("段階を「%(stage)s」に変更しました。", stage=STAGE_LABELS.get(placement.stage, placement.stage)), "info")
    except ServiceError as exc:
        _fail(exc)
    if request.form.get("next") == "board":
        return redirect(url_for("staff.board", scope=request.form.get("scope", "mine")) + f"#placement-{placement.id}")
    return _back(placement.person, f"placement-{placement.id}")


# ── follow-ups ──────────────────────────────────────────────────────────────────────────────────


@bp.route("/cases/<int:person_id>/followups", methods=["POST"])
@require("staff:case:write")
def followup_add(person_id: int) -> Response:
    _checked_form()
    person = _person(person_id, "case.read", view="followup")
    try:
        flow.add_followup(
            db.session(), _me(), person, _date("due_on"), request.form.get("target", "person"),
            _int("placement_id"), request.form.get("label", "")[:100],
        )  # fmt: skip
        flash(_("フォローアップを予定しました。"), "info")
    except ServiceError as exc:
        _fail(exc)
    return _back(person, "followups")


@bp.route("/cases/<int:person_id>/baseline", methods=["POST"])
@require("staff:case:write")
def baseline(person_id: int) -> Response:
    _checked_form()
    person = _person(person_id, "case.read", view="followup")
    score = _int("wellbeing_score")
    try:
        if score is None:
            raise ServiceError("score_required", _("スコアを入力してください。"), "wellbeing_score")
        flow.record_baseline(db.session(), _me(), person, request.form.get("wellbeing_scale", ""), score,
                             request.form.get("note", "")[:4000])  # fmt: skip
        flash(_("ベースラインを記録しました。"), "info")
    except ServiceError as exc:
        _fail(exc)
    return _back(person, "followups")


@bp.route("/followups/<int:followup_id>/done", methods=["POST"])
@require("staff:case:write")
def followup_done(followup_id: int) -> Response:
    _checked_form()
    try:
        fu = flow.load_followup(db.session(), _me(), followup_id)
    except svc.NotFound:
        abort(404)
    try:
        flow.complete_followup(
            db.session(), _me(), fu, request.form.get("note", "")[:8000],
            request.form.get("wellbeing_scale", ""), _int("wellbeing_score"),
        )  # fmt: skip
        flash(_("フォローアップを完了しました。"), "info")
    except ServiceError as exc:
        _fail(exc)
    if request.form.get("next") == "home":
        return redirect(url_for("staff.home"))
    return _back(fu.person, "followups")


# ── host side ───────────────────────────────────────────────────────────────────────────────────


@bp.route("/activities/<int:activity_id>/people")
@require("staff:case:read")
def host(activity_id: int) -> str:
    activity = db.session().get(Activity, activity_id)
    if activity is None:
        abort(404)
    placements, followups = flow.host_placements(db.session(), _me(), activity_id)
    # An unpublished listing (an organizer's draft, or one archived before approval) is that
    # organization's business: only a host where this user's own cases were placed is shown.
    if activity.status != "published" and not placements and not followups:
        abort(404)
    figures = flow.host_figures(db.session(), activity_id)
    return render_template(
        "staff/host.html", activity=activity, placements=placements, followups=followups, figures=figures,
        form=ActionForm(), today=flow.tokyo_today(),
    )  # fmt: skip


# ── audit (admins) ──────────────────────────────────────────────────────────────────────────────


@bp.route("/audit")
@require("admin:audit:read")
def audit() -> str:
    query = select(AuditEvent).order_by(AuditEvent.id.desc())
    object_id = request.args.get("person", "").strip()
    if object_id.isdigit():
        query = query.where(AuditEvent.object_type == "person", AuditEvent.object_id == object_id)
    action = request.args.get("action", "").strip()[:60]
    if action:
        query = query.where(AuditEvent.action == action)
    before = request.args.get("before", "")
    if before.isdigit():
        query = query.where(AuditEvent.id < int(before))
    events = list(db.session().scalars(query.limit(100)))
    users = {u.id: u.email for u in db.session().scalars(select(User))}
    return render_template("staff/audit.html", events=events, users=users, person=object_id, action=action)


def outcome_choices() -> list[tuple[str, Any]]:
    return [(k, OUTCOME_LABELS[k]) for k in OUTCOMES]


def home_context() -> dict[str, Any]:
    """For the staff home page: follow-ups due this week and overdue, for users who work on cases."""
    me = _me()
    if not has_permission(me, "staff:case:read"):
        return {"due_week": [], "due_overdue": [], "proposals_overdue": [], "case_worker": False}
    week, overdue = svc.followups_due(db.session(), me, flow.tokyo_today())
    proposals = flow.overdue_proposals(db.session(), me)
    return {"due_week": week, "due_overdue": overdue, "proposals_overdue": proposals, "case_worker": True}
