"""Staff area: the 参加支援 matching board (cases, consent, placements, follow-ups, suggestions, audit).

Views are thin: parse, call cases.services and cases.placements, render. A case this user may not see is a 404 exactly
like a case that does not exist. Every case read/write is audited inside the services.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
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
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import (
    BooleanField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from webapp.accounts.models.user import User
from webapp.cases import placements as flow
from webapp.cases import services as svc
from webapp.cases.host_link import hosts
from webapp.cases.labels import (
    AGE_LABELS,
    CONTACT_LABELS,
    FIELD_LABELS,
    MOBILITY_LABELS,
    OUTCOME_LABELS,
    REFERRAL_LABELS,
    ROLE_LABELS,
    STAGE_LABELS,
    board_labels,
    slot_label,
)
from webapp.cases.models import (
    AGE_BANDS,
    CONTACT_PREFERENCES,
    DAY_PARTS,
    FIELDS,
    MOBILITY,
    OUTCOMES,
    REFERRAL_SOURCES,
    SHARE_FIELDS,
    STAGES,
    Person,
)
from webapp.cases.plan_models import ROLES_WANTED
from webapp.extensions import db
from webapp.form_fields import MultiCheckboxField
from webapp.listings.models.activity import Activity
from webapp.security.models import AuditEvent
from webapp.security.permissions import Permission, has_permission, require
from webapp.service_error import ServiceError

bp = Blueprint("cases", __name__, url_prefix="/staff")
bp.context_processor(board_labels)


@bp.route("/")
@require(Permission.STAFF_ACCESS)
def home() -> str:
    return render_template("cases/home.html", **home_context())


# ── forms ───────────────────────────────────────────────────────────────────────────────────────




class ActionForm(FlaskForm):
    """State-changing buttons whose fields are read by the view: the form only carries the CSRF token."""


class PersonForm(FlaskForm):
    name = StringField(_l("氏名（任意・暗号化して保存）"), validators=[Optional(), Length(max=200)])
    contact = StringField(_l("連絡先（任意・暗号化して保存）"), validators=[Optional(), Length(max=300)])
    age_band = SelectField(_l("年代"), choices=[SelectChoice(k, AGE_LABELS[k]) for k in AGE_BANDS], default="unknown")
    # Checked against the known districts in validate_district (not validate_choice, so that an
    # unknown value is kept and shown beside a translated error instead of WTForms' English one).
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
    # 受付 (intake)
    received_on = StringField(_l("受付日"), render_kw={"type": "date"})
    intake_route = SelectField(_l("受付の経路"), choices=[], validate_choice=False)
    referring_org = StringField(_l("紹介元の機関"), validators=[Optional(), Length(max=200)])
    handover_summary = TextAreaField(
        _l("つなぐシートの要約（引き継がれた内容・暗号化して保存）"), validators=[Optional(), Length(max=4000)]
    )
    fields = MultiCheckboxField(_l("分野（複合課題: 当てはまるものすべて）"), choices=[], validate_choice=False)
    outside_existing_services = BooleanField(_l("既存の制度・事業の対象外"))
    # アセスメント
    strengths = TextAreaField(_l("本人の強み・持っている力（暗号化して保存）"), validators=[Optional(), Length(max=4000)])
    roles_wanted = MultiCheckboxField(_l("本人が望む役割"), choices=[], validate_choice=False)
    goals_own_words = TextAreaField(_l("本人の言葉での目標（暗号化して保存）"), validators=[Optional(), Length(max=4000)])
    contact_preference = SelectField(
        _l("連絡方法の希望"), choices=[SelectChoice(k, CONTACT_LABELS[k]) for k in CONTACT_PREFERENCES], default="phone"
    )

    def fill_choices(self, lang: str) -> None:
        from webapp.cases.suggestions import district_choices
        from webapp.listings.taxonomy import taxonomy

        tx = taxonomy()
        self.district.choices = [SelectChoice("", _("（未記入）"))] + [SelectChoice(k, v) for k, v in district_choices(db.session())]
        self.interests.choices = [SelectChoice(t.code, t.label(lang)) for t in tx.interests.values()]
        self.accessibility_needs.choices = [SelectChoice(t.code, t.label(lang)) for t in tx.accessibility.values()]
        self.free_slots.choices = [SelectChoice(f"{d}{p}", slot_label(f"{d}{p}")) for d in range(7) for p in DAY_PARTS]
        routes = svc.intake_routes(db.session(), self.intake_route.data or "")
        self.intake_route.choices = [SelectChoice("", _("（未記入）"))] + [SelectChoice(r.code, r.label) for r in routes]
        self.fields.choices = [SelectChoice(k, FIELD_LABELS[k]) for k in FIELDS]
        self.roles_wanted.choices = [SelectChoice(k, ROLE_LABELS[k]) for k in ROLES_WANTED]

    def validate_received_on(self, field: StringField) -> None:
        raw = (field.data or "").strip()
        if raw:
            try:
                date.fromisoformat(raw)
            except ValueError:
                raise ValidationError(_("日付を選んでください（例: 2026-04-01）。")) from None

    def validate_district(self, field: SelectField) -> None:
        value = field.data or ""
        known = {str(c.value if isinstance(c, SelectChoice) else c[0]) for c in field.choices or []}
        if value and value not in known:
            # Keep what was sent visible (selected) beside the error rather than silently dropping it.
            field.choices = [*field.choices, SelectChoice(value, value)]
            raise ValidationError(_("地区は一覧から選んでください。"))

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
            received_on=date.fromisoformat(self.received_on.data.strip()) if (self.received_on.data or "").strip() else None,
            intake_route=self.intake_route.data or "",
            referring_org=self.referring_org.data or "",
            handover_summary=self.handover_summary.data or "",
            fields=list(self.fields.data or []),
            outside_existing_services=bool(self.outside_existing_services.data),
            strengths=self.strengths.data or "",
            roles_wanted=list(self.roles_wanted.data or []),
            goals_own_words=self.goals_own_words.data or "",
        )

    def service_error(self, exc: ServiceError) -> bool:
        """Show a service's refusal beside its field (True), when the field is on this form."""
        target = getattr(self, exc.field or "", None)
        if target is None or not hasattr(target, "errors"):
            return False
        target.errors = [*target.errors, exc.message]
        return True


class ExportForm(FlaskForm):
    password = PasswordField(_l("パスワード（確認のため再入力）"), validators=[DataRequired(), Length(max=1024)])
    format = SelectField(_l("形式"), choices=[SelectChoice("html", "HTML"), SelectChoice("json", "JSON")], default="html")


# ── helpers ─────────────────────────────────────────────────────────────────────────────────────


def _lang() -> str:
    from webapp.i18n import current_lang

    return current_lang()


def _me() -> User:
    return current_user._get_current_object()


def _person(person_id: int, action: str = "case.read", **detail: Any) -> Person:
    try:
        return svc.load_person(db.session(), _me(), person_id, action, **detail)
    except svc.NotFound:
        abort(404)


def _fail(exc: ServiceError) -> None:
    if isinstance(exc, svc.NotFound):
        abort(404)
    if isinstance(exc, svc.NotOwner):
        abort(403)
    flash(exc.message, "error")


def _checked_form() -> None:
    if not ActionForm().validate_on_submit():
        abort(400)


MAX_ID = 2**31 - 1  # ids are SQLAlchemy Integer: PostgreSQL int4 (SQLite stops at 2**63 - 1)
# Column sizes of the String columns these forms write (models.case); a longer value is an error
# beside the field, never a truncation or a database error.
TEXT_LIMITS = {
    "recipient": 200, "version": 30, "host_name": 200, "nickname": 100, "label": 100, "email": 254, "office": 200,
    "reason": 2000, "note": 2000, "attendees": 2000, "summary": 8000, "body": 20000,
}  # fmt: skip


class FormErrors(dict[str, str]):
    """field name → translated message, for one submitted form of the case page."""


def _text(name: str, errors: FormErrors, limit: int | None = None) -> str:
    value = request.form.get(name, "")
    limit = limit or TEXT_LIMITS[name]
    if len(value) > limit:
        errors[name] = _("%(n)s文字以内で入力してください。", n=limit)
    return value


def _form_id(name: str, errors: FormErrors, model: Any = None) -> int | None:
    """An optional id from the form: digits in the id range and, given a model, an existing row."""
    raw = (request.form.get(name) or "").strip()
    if not raw:
        return None
    value = int(raw) if raw.isascii() and raw.isdigit() else 0
    if not 1 <= value <= MAX_ID or (model is not None and db.session().get(model, value) is None):
        errors[name] = _("一覧から選んでください。")
        return None
    return value


def _form_number(name: str, errors: FormErrors, lo: int = 0, hi: int = 1000) -> int | None:
    raw = (request.form.get(name) or "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.lstrip("-").isdigit()) or not lo <= int(raw) <= hi:
        errors[name] = _("%(lo)s〜%(hi)s の数字で入力してください。", lo=lo, hi=hi)
        return None
    return int(raw)


def _form_date(name: str, errors: FormErrors) -> date:
    try:
        return date.fromisoformat((request.form.get(name) or "").strip())
    except ValueError:
        errors[name] = _("日付を選んでください（例: 2026-04-01）。")
        return date.min


def _act(
    person: Person, done: str, action: Callable[[], object], form_name: str = "", fields: tuple[str, ...] = ()
) -> Response | tuple[str, int]:
    """The case page's POST actions: run the service call and say it is done, at the top of the page.

    A refusal from the service (no consent, a missing reason ...) re-renders the case page with the
    form that was sent open, its error summary focused and everything typed still there; it never
    jumps to an anchor away from the message nor clears a textarea.
    """
    try:
        action()
    except ServiceError as exc:
        if form_name and not isinstance(exc, (svc.NotFound, svc.NotOwner)):
            return _rejected(person, _service_errors(exc, fields), form_name)
        _fail(exc)
    else:
        flash(done, "info")
    return _back(person)


def _form_day(name: str, errors: FormErrors) -> date | None:
    """An optional 'occurred on' date (default today in the service); a bad one is an error beside it."""
    raw = (request.form.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = _("日付を選んでください（例: 2026-04-01）。")
        return None


def _service_errors(exc: ServiceError, fields: tuple[str, ...]) -> FormErrors:
    """The service's refusal as the form's errors: beside its field, or the form's first one."""
    field = exc.field if exc.field in fields or not fields else fields[0]
    return FormErrors({field or "form": exc.message})


def _back(person: Person) -> Response:
    # No #anchor: the message is at the top of the page and must be where the eye lands.
    return redirect(url_for("cases.case_view", person_id=person.id))


# ── lists, board ────────────────────────────────────────────────────────────────────────────────


@bp.route("/cases")
@require(Permission.CASE_READ)
def cases_list() -> str:
    from webapp.cases.suggestions import district_choices

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
        "cases/cases.html", people=people, f=f, districts=districts, district_names=dict(districts),
        overdue=svc.overdue_ids(db.session(), [p.id for p in people]),
        can_office=has_permission(_me(), Permission.OFFICE_CASES),
    )  # fmt: skip


@bp.route("/board")
@require(Permission.CASE_READ)
def board() -> str:
    return _board_page(_board_scope())


def _board_scope() -> str:
    asked = request.values.get("scope")
    return "office" if asked == "office" and has_permission(_me(), Permission.OFFICE_CASES) else "mine"


def _board_page(scope: str, errors: FormErrors | None = None, form_name: str = "") -> str:
    """The board; after a rejected stage change, with that form open, its errors and what was typed."""
    grouped = flow.board_placements(db.session(), _me(), scope)
    return render_template(
        "cases/board.html", grouped=grouped, scope=scope, form=ActionForm(), overdue=flow.proposal_overdue,
        waiting=flow.waiting_days,
        can_office=has_permission(_me(), Permission.OFFICE_CASES),
        form_name=form_name if errors else "", errors=errors or {}, values=request.form if errors else {},
    )  # fmt: skip


# ── person ──────────────────────────────────────────────────────────────────────────────────────


@bp.route("/cases/new", methods=["GET", "POST"])
@require(Permission.CASE_WRITE)
def case_new() -> str | Response:
    form = PersonForm()
    form.fill_choices(_lang())
    if form.validate_on_submit():
        try:
            person = svc.create_person(db.session(), _me(), form.to_input())
        except ServiceError as exc:
            if not form.service_error(exc):
                _fail(exc)
        else:
            flash(_("ケースを登録しました: %(code)s", code=person.case_code), "info")
            return _back(person)
    return render_template("cases/case_form.html", form=form, person=None)


@bp.route("/cases/<int:person_id>")
@require(Permission.CASE_READ)
def case_view(person_id: int) -> str:
    return _case_page(_person(person_id))


def _case_page(person: Person, errors: FormErrors | None = None, form_name: str = "") -> str:
    """The case page; after a rejected form, with its errors beside the fields and what was typed."""
    from webapp.cases.suggestions import district_choices

    me = _me()
    users = {u.id: u for u in db.session().scalars(select(User).where(User.id.in_(_user_ids(person))))}
    return render_template(
        "cases/case.html",
        person=person,
        name=svc.person_name(person),
        contact=svc.person_contact(person),
        users=users,
        timeline=_timeline(person),
        form=ActionForm(),
        can_write=has_permission(me, Permission.CASE_WRITE),
        can_assign=has_permission(me, Permission.CASE_ASSIGN) and svc.is_owner_office(me, person),
        can_export=svc.is_owner_office(me, person),
        can_edit_note=lambda n: svc.can_edit_note(n, me),
        overdue=flow.proposal_overdue,
        waiting=flow.waiting_days,
        host_choices=hosts().choices(db.session()),
        share_fields=SHARE_FIELDS,
        districts=dict(district_choices(db.session())),
        today=flow.tokyo_today(),
        activities=_activity_names(person),
        routes={r.code: r.label for r in svc.intake_routes(db.session(), person.intake_route)},
        household=svc.household(db.session(), me, person),
        plan_hosts=_plan_hosts(person),
        watch_choices=svc.WATCH_CHOICES,
        form_name=form_name if errors else "",
        errors=errors or {},
        values=request.form if errors else {},
    )


def _rejected(person: Person, errors: FormErrors, form_name: str) -> tuple[str, int]:
    return _case_page(person, errors, form_name), 400


def _plan_hosts(person: Person) -> dict[int, str]:
    """Plan id → the 参加支援 activity's name or the named host."""
    ids = {p.activity_id for p in person.plans if p.activity_id}
    names = {a.id: a.name for a in db.session().scalars(select(Activity).where(Activity.id.in_(ids)))} if ids else {}
    return {p.id: names.get(p.activity_id, "") if p.activity_id else p.host_name for p in person.plans}


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
    from webapp.clock import to_jst

    def day(at: Any) -> date:
        return to_jst(at).date()

    for n in person.notes:
        items.append({"at": n.created_at, "day": n.occurred_on or day(n.created_at), "kind": "note", "obj": n})
    for p in person.placements:
        for e in p.events:
            items.append({"at": e.at, "day": e.day, "kind": "stage", "obj": e, "placement": p})
    for f in person.followups:
        if f.done_at:
            items.append({"at": f.done_at, "day": f.done_on or day(f.done_at), "kind": "followup", "obj": f})
    for c in person.consents:
        items.append({"at": c.granted_at, "day": c.granted_on or day(c.granted_at), "kind": "consent", "obj": c})
        if c.withdrawn_at:
            items.append({"at": c.withdrawn_at, "day": day(c.withdrawn_at), "kind": "consent_withdrawn", "obj": c})
    for m in person.meetings:
        items.append({"at": m.held_at, "day": m.held_on, "kind": "meeting", "obj": m})
    for link in person.meeting_links:
        items.append({"at": link.meeting.created_at, "day": link.meeting.held_on, "kind": "meeting2", "obj": link.meeting})
    for plan in person.plans:
        items.append({"at": plan.created_at, "day": plan.made_on, "kind": "plan", "obj": plan})
    # By the day it happened, then by when it was typed.
    items.sort(key=lambda i: (i["day"], i["at"]), reverse=True)
    return items


@bp.route("/cases/<int:person_id>/edit", methods=["GET", "POST"])
@require(Permission.CASE_WRITE)
def case_edit(person_id: int) -> str | Response:
    person = _person(person_id, "case.read", view="edit")
    form = PersonForm(data=vars(svc.person_input(person)) if request.method == "GET" else None)
    form.fill_choices(_lang())
    if form.validate_on_submit():
        try:
            svc.update_person(db.session(), _me(), person, form.to_input())
        except ServiceError as exc:
            if not form.service_error(exc):
                _fail(exc)
        else:
            flash(_("保存しました。"), "info")
            return _back(person)
    return render_template("cases/case_form.html", form=form, person=person)


@bp.route("/cases/<int:person_id>/consents", methods=["POST"])
@require(Permission.CASE_WRITE)
def consent_add(person_id: int) -> Response | tuple[str, int]:
    _checked_form()
    person = _person(person_id, "case.read", view="consent")
    errors = FormErrors()
    recipient, version, note = _text("recipient", errors), _text("version", errors), _text("note", errors)
    activity_id = _form_id("activity_id", errors, Activity)
    granted_on = _form_day("granted_on", errors)
    nickname = _text("nickname", errors)
    share_fields = request.form.getlist("share_fields")
    if errors:
        return _rejected(person, errors, "consent")
    return _act(person, _("同意を記録しました。"), lambda: svc.grant_consent(
        db.session(), _me(), person,
        purpose=request.form.get("purpose", ""), method=request.form.get("method", ""),
        recipient=recipient, activity_id=activity_id, version=version or "1", note=note, granted_on=granted_on,
        share_fields=share_fields, nickname=nickname,
    ), "consent", ("recipient", "activity_id", "version", "note", "purpose", "method", "granted_on", "share_fields",
                   "nickname"))  # fmt: skip


@bp.route("/cases/<int:person_id>/consents/<int:consent_id>/withdraw", methods=["POST"])
@require(Permission.CASE_WRITE)
def consent_withdraw(person_id: int, consent_id: int) -> Response | tuple[str, int]:
    _checked_form()
    person = _person(person_id, "case.read", view="consent")
    return _act(person, _("同意の撤回を記録しました。"), lambda: svc.withdraw_consent(db.session(), _me(), person, consent_id))


@bp.route("/cases/<int:person_id>/notes", methods=["POST"])
@require(Permission.CASE_WRITE)
def note_add(person_id: int) -> Response | tuple[str, int]:
    _checked_form()
    person = _person(person_id, "case.read", view="note")
    errors = FormErrors()
    body = _text("body", errors)
    corrects_id = _form_id("corrects_id", errors)
    if corrects_id is not None and not any(n.id == corrects_id for n in person.notes):
        abort(404)  # as the service says: a correction of a note of another case is "not found"
    occurred_on = _form_day("occurred_on", errors)
    if errors:
        return _rejected(person, errors, "note")
    return _act(person, _("記録を追加しました。"), lambda: svc.add_note(db.session(), _me(), person, body, corrects_id, occurred_on), "note", ("body", "occurred_on"))


@bp.route("/cases/<int:person_id>/notes/<int:note_id>/edit", methods=["GET", "POST"])
@require(Permission.CASE_WRITE)
def note_edit(person_id: int, note_id: int) -> str | Response | tuple[str, int]:
    person = _person(person_id, "case.read", view="note")
    note = next((n for n in person.notes if n.id == note_id), None)
    if note is None:
        abort(404)
    errors = FormErrors()
    if request.method == "POST":
        _checked_form()
        body = _text("body", errors)
        if not errors:
            try:
                svc.edit_note(db.session(), _me(), person, note_id, body)
                flash(_("記録を更新しました。"), "info")
                return _back(person)
            except ServiceError as exc:
                if isinstance(exc, (svc.NotFound, svc.NotOwner)):
                    _fail(exc)
                errors = _service_errors(exc, ("body",))
    page = render_template("cases/note_edit.html", person=person, note=note, form=ActionForm(), errors=errors,
                           body=request.form.get("body") if errors else None,
                           editable=svc.can_edit_note(note, _me()))  # fmt: skip
    return (page, 400) if errors else page


@bp.route("/cases/<int:person_id>/assign", methods=["POST"])
@require(Permission.CASE_ASSIGN)
def assign(person_id: int) -> Response | tuple[str, int]:
    _checked_form()
    person = _person(person_id, "case.read", view="assign")
    errors = FormErrors()
    email = _text("email", errors)
    if errors:
        return _rejected(person, errors, "assign")
    return _act(person, _("担当者を追加しました。"), lambda: svc.assign_worker(db.session(), _me(), person, email), "assign", ("email",))


@bp.route("/cases/<int:person_id>/unassign/<int:user_id>", methods=["POST"])
@require(Permission.CASE_ASSIGN)
def unassign(person_id: int, user_id: int) -> Response | tuple[str, int]:
    _checked_form()
    person = _person(person_id, "case.read", view="assign")
    return _act(person, _("担当者を外しました。"), lambda: svc.unassign_worker(db.session(), _me(), person, user_id))


@bp.route("/cases/<int:person_id>/share", methods=["POST"])
@require(Permission.CASE_ASSIGN)
def share(person_id: int) -> Response | tuple[str, int]:
    _checked_form()
    person = _person(person_id, "case.read", view="share")
    errors = FormErrors()
    office, reason = _text("office", errors), _text("reason", errors)
    if errors:
        return _rejected(person, errors, "share")
    return _act(person, _("ほかの所属と共有しました。"), lambda: svc.share_with_office(db.session(), _me(), person, office, reason), "share", ("office", "reason"))


@bp.route("/cases/<int:person_id>/close", methods=["POST"])
@require(Permission.CASE_WRITE)
def close(person_id: int) -> Response | tuple[str, int]:
    _checked_form()
    person = _person(person_id, "case.read", view="close")
    errors = FormErrors()
    closed_on = _form_day("closed_on", errors)
    raw_watch = request.form.getlist("watch_days")
    watch = tuple(int(d) for d in raw_watch if d.isascii() and d.isdigit() and int(d) in svc.WATCH_CHOICES)
    if len(watch) != len(raw_watch):
        errors["watch_days"] = _("一覧から選んでください。")
    if errors:
        return _rejected(person, errors, "close")
    closing = request.form.get("closed") == "1"
    done = _("ケースを終結しました。") if closing else _("終結を取り消しました。")
    return _act(person, done, lambda: svc.set_closed(db.session(), _me(), person, closing, watch, closed_on), "close", ("closed_on", "watch_days"))


@bp.route("/cases/<int:person_id>/hold", methods=["POST"])
@require(Permission.CASE_ASSIGN)
def legal_hold(person_id: int) -> Response:
    _checked_form()
    person = _person(person_id, "case.read", view="hold")
    try:
        svc.set_legal_hold(db.session(), _me(), person, request.form.get("hold") == "1")
    except ServiceError as exc:
        _fail(exc)
    return _back(person)


@bp.route("/cases/<int:person_id>/shares/<int:share_id>/revoke", methods=["POST"])
@require(Permission.CASE_ASSIGN)
def share_revoke(person_id: int, share_id: int) -> Response | tuple[str, int]:
    _checked_form()
    person = _person(person_id, "case.read", view="share")
    return _act(person, _("共有を取り消しました。"), lambda: svc.revoke_share(db.session(), _me(), person, share_id))


@bp.route("/cases/<int:person_id>/export", methods=["GET", "POST"])
@require(Permission.CASE_READ)
def export(person_id: int) -> str | Response:
    """本人開示: requires the password again, every time."""
    person = _person(person_id, "case.read", view="export")
    if not svc.is_owner_office(_me(), person):
        abort(403)
    form = ExportForm()
    status = 200
    if form.validate_on_submit():
        from webapp.accounts.services import lock_message

        reauth = svc.verify_reauth(db.session(), _me(), form.password.data or "", (request.remote_addr or "")[:64])
        if reauth.lock is not None:
            form.password.errors = [lock_message(reauth.lock)]
            status = 429
        elif reauth.user is None:
            # 200: the failure must be committed to count towards the lock.
            form.password.errors = [_("パスワードが違います。")]
        else:
            data = svc.export_person(db.session(), _me(), person)
            if form.format.data == "json":
                response = jsonify(data)
                response.headers["Content-Disposition"] = f'attachment; filename="{person.case_code}.json"'
                return response
            return render_template("cases/export.html", data=data, person=person)
    return render_template("cases/export_form.html", form=form, person=person), status  # type: ignore[return-value]


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
@require(Permission.CASE_READ)
def suggestions(person_id: int) -> str:
    from webapp.cases.suggestions import suggest

    person = _person(person_id, "case.read", view="suggestions")
    lat, lon = _coord("lat", -90, 90), _coord("lon", -180, 180)
    ranked, origin = suggest(db.session(), person, lat, lon, limit=15)
    placed = {p.activity_id for p in person.placements if p.activity_id and p.stage != "ended"}
    return render_template(
        "cases/suggestions.html", person=person, ranked=ranked, origin=origin, placed=placed,
        form=ActionForm(), can_write=has_permission(_me(), Permission.CASE_WRITE), lang=_lang(),
    )  # fmt: skip


@bp.route("/cases/<int:person_id>/placements", methods=["POST"])
@require(Permission.CASE_WRITE)
def placement_add(person_id: int) -> Response | tuple[str, int]:
    _checked_form()
    person = _person(person_id, "case.read", view="placement")
    errors = FormErrors()
    activity_id = _form_id("activity_id", errors, Activity)
    host_id = _form_id("host_id", errors)
    host_name, reason = _text("host_name", errors), _text("reason", errors)
    occurred_on = _form_day("occurred_on", errors)
    if errors:
        return _rejected(person, errors, "placement")
    return _act(person, _("候補に追加しました。"), lambda: flow.add_placement(
        db.session(), _me(), person, activity_id=activity_id, host_name=host_name, reason=reason, occurred_on=occurred_on,
        host_id=host_id,
    ), "placement", ("host_name", "reason", "activity_id", "occurred_on", "host_id"))


@bp.route("/cases/<int:person_id>/no-suitable", methods=["POST"])
@require(Permission.CASE_WRITE)
def no_suitable(person_id: int) -> Response | tuple[str, int]:
    _checked_form()
    person = _person(person_id, "case.read", view="placement")
    errors = FormErrors()
    note = _text("note", errors)
    occurred_on = _form_day("occurred_on", errors)
    if errors:
        return _rejected(person, errors, "no_suitable")
    return _act(person, _("「適当な活動が見つからない」を記録しました。"), lambda: flow.record_no_suitable(
        db.session(), _me(), person, note, occurred_on), "no_suitable", ("note", "occurred_on"))


@bp.route("/placements/<int:placement_id>/stage", methods=["POST"])
@require(Permission.CASE_WRITE)
def placement_stage(placement_id: int) -> Response | tuple[str, int]:
    _checked_form()
    try:
        placement = flow.load_placement(db.session(), _me(), placement_id)
    except svc.NotFound:
        abort(404)
    errors = FormErrors()
    reason = _text("reason", errors)
    skip_reason = _text("skip_reason", errors, 2000)
    occurred_on = _form_day("occurred_on", errors)
    on_board = request.form.get("next") == "board"
    try:
        if errors:
            field = next(iter(errors))
            raise ServiceError("invalid", errors[field], field)
        flow.move_stage(
            db.session(), _me(), placement, request.form.get("stage", ""), reason, outcome=request.form.get("outcome", ""),
            occurred_on=occurred_on, skip_reason=skip_reason,
        )  # fmt: skip
    except ServiceError as exc:
        if isinstance(exc, (svc.NotFound, svc.NotOwner)):
            _fail(exc)
        # This form sits on the board and the case page alike: the page it was sent from comes back
        # with the form's errors and what was typed.
        form_errors = _service_errors(exc, ("stage", "reason", "outcome", "occurred_on", "skip_reason"))
        if on_board:
            return _board_page(_board_scope(), form_errors, f"stage-{placement.id}"), 400
        return _rejected(placement.person, form_errors, f"stage-{placement.id}")
    flash(_("段階を「%(stage)s」に変更しました。", stage=STAGE_LABELS.get(placement.stage, placement.stage)), "info")
    if on_board:
        return redirect(url_for("cases.board", scope=_board_scope()))
    return _back(placement.person)


# ── follow-ups ──────────────────────────────────────────────────────────────────────────────────


@bp.route("/cases/<int:person_id>/followups", methods=["POST"])
@require(Permission.CASE_WRITE)
def followup_add(person_id: int) -> Response | tuple[str, int]:
    _checked_form()
    person = _person(person_id, "case.read", view="followup")
    errors = FormErrors()
    due_on = _form_date("due_on", errors)
    placement_id = _form_id("placement_id", errors)
    if placement_id is not None and not any(p.id == placement_id for p in person.placements):
        errors["placement_id"] = _("一覧から選んでください。")
    label = _text("label", errors)
    if errors:
        return _rejected(person, errors, "followup")
    return _act(person, _("フォローアップを予定しました。"), lambda: flow.add_followup(
        db.session(), _me(), person, due_on, request.form.get("target", "person"), placement_id, label
    ), "followup", ("due_on", "target", "placement_id", "label"))


@bp.route("/cases/<int:person_id>/baseline", methods=["POST"])
@require(Permission.CASE_WRITE)
def baseline(person_id: int) -> Response | tuple[str, int]:
    _checked_form()
    person = _person(person_id, "case.read", view="followup")
    errors = FormErrors()
    score = _form_number("wellbeing_score", errors, 0, 35)
    note = _text("note", errors, 4000)
    if score is None and "wellbeing_score" not in errors:
        errors["wellbeing_score"] = _("スコアを入力してください。")
    occurred_on = _form_day("occurred_on", errors)
    if errors or score is None:
        return _rejected(person, errors, "baseline")
    given: int = score
    return _act(person, _("ベースラインを記録しました。"), lambda: flow.record_baseline(
        db.session(), _me(), person, request.form.get("wellbeing_scale", ""), given, note, occurred_on), "baseline", ("wellbeing_scale", "wellbeing_score", "note", "occurred_on"))


@bp.route("/followups/<int:followup_id>/done", methods=["POST"])
@require(Permission.CASE_WRITE)
def followup_done(followup_id: int) -> Response | tuple[str, int]:
    _checked_form()
    try:
        fu = flow.load_followup(db.session(), _me(), followup_id)
    except svc.NotFound:
        abort(404)
    errors = FormErrors()
    note = _text("note", errors, 8000)
    score = _form_number("wellbeing_score", errors, 0, 35)
    done_on = _form_day("done_on", errors)
    if not errors:
        try:
            flow.complete_followup(db.session(), _me(), fu, note, request.form.get("wellbeing_scale", ""), score, done_on)
        except ServiceError as exc:
            if isinstance(exc, (svc.NotFound, svc.NotOwner)):
                _fail(exc)
            errors = _service_errors(exc, ("note", "wellbeing_scale", "wellbeing_score", "done_on"))
    if errors:
        return _rejected(fu.person, errors, f"followup-{fu.id}")
    flash(_("フォローアップを完了しました。"), "info")
    if request.form.get("next") == "home":
        return redirect(url_for("cases.home"))
    return _back(fu.person)


# ── host side ───────────────────────────────────────────────────────────────────────────────────


@bp.route("/activities/<int:activity_id>/people")
@require(Permission.CASE_READ)
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
        "cases/host.html", activity=activity, placements=placements, followups=followups, figures=figures,
        form=ActionForm(), today=flow.tokyo_today(),
    )  # fmt: skip


# ── audit (admins) ──────────────────────────────────────────────────────────────────────────────


@bp.route("/audit")
@require(Permission.ADMIN_AUDIT_READ)
def audit() -> str:
    query = select(AuditEvent).order_by(AuditEvent.id.desc())
    object_id = request.args.get("person", "").strip()[:20]
    if object_id.isascii() and object_id.isdigit():
        query = query.where(AuditEvent.object_type == "person", AuditEvent.object_id == object_id)
    action = request.args.get("action", "").strip()[:60]
    if action:
        query = query.where(AuditEvent.action == action)
    before = request.args.get("before", "")
    if before.isascii() and before.isdigit() and int(before) <= MAX_ID:
        query = query.where(AuditEvent.id < int(before))
    events = list(db.session().scalars(query.limit(100)))
    users = {u.id: u.email for u in db.session().scalars(select(User))}
    return render_template("cases/audit.html", events=events, users=users, person=object_id, action=action)


def outcome_choices() -> list[tuple[str, Any]]:
    return [(k, OUTCOME_LABELS[k]) for k in OUTCOMES]


def home_context() -> dict[str, Any]:
    """For the staff home page: follow-ups due this week and overdue, for users who work on cases."""
    me = _me()
    if not has_permission(me, Permission.CASE_READ):
        return {"due_week": [], "due_overdue": [], "proposals_overdue": [], "case_worker": False}
    week, overdue = svc.followups_due(db.session(), me, flow.tokyo_today())
    proposals = flow.overdue_proposals(db.session(), me)
    return {"due_week": week, "due_overdue": overdue, "proposals_overdue": proposals, "case_worker": True}


from webapp.cases import record_views  # noqa: E402, F401  (plans, households, meetings: routes on bp)
