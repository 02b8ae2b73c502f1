"""Staff area: 支援プラン, household links and meetings (registered on the cases blueprint).

Thin views as in cases.views: parse, check the permission, call cases.plans / cases.meetings, render.
Refusals come back beside the field with what was typed (the case page's error pattern).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from webapp import clock
from webapp.cases import meetings as mtg
from webapp.cases import plans
from webapp.cases import services as svc
from webapp.cases.models import Person
from webapp.cases.plan_models import MEETING_KINDS_ALL, OUTPUT_KINDS, Meeting, SupportPlan
from webapp.cases.views import (
    ActionForm,
    FormErrors,
    _act,
    _checked_form,
    _fail,
    _form_day,
    _form_id,
    _me,
    _person,
    _rejected,
    _text,
    bp,
)
from webapp.extensions import db
from webapp.listings.models.activity import Activity
from webapp.security.permissions import Permission, has_permission, require
from webapp.service_error import ServiceError

# ── 支援プラン ──────────────────────────────────────────────────────────────────────────────────


@bp.route("/cases/<int:person_id>/plans", methods=["POST"])
@require(Permission.CASE_WRITE)
def plan_add(person_id: int) -> Response | tuple[str, int]:
    _checked_form()
    person = _person(person_id, "case.read", view="plan")
    errors = FormErrors()
    data = plans.PlanInput(
        made_on=_form_day("made_on", errors),
        goals=_text("goals", errors, 4000),
        supports=_text("supports", errors, 4000),
        includes_participation=request.form.get("includes_participation") == "1",
        activity_id=_form_id("plan_activity_id", errors, Activity),
        host_name=_text("host_name", errors),
        review_on=_form_day("review_on", errors),
    )
    if errors:
        return _rejected(person, errors, "plan")
    return _act(person, _("支援プランを記録しました。"), lambda: plans.make_plan(db.session(), _me(), person, data), "plan")


@bp.route("/cases/<int:person_id>/plans/<int:plan_id>/review", methods=["POST"])
@require(Permission.CASE_WRITE)
def plan_review(person_id: int, plan_id: int) -> Response | tuple[str, int]:
    _checked_form()
    person = _person(person_id, "case.read", view="plan")
    plan = _plan(person, plan_id)
    errors = FormErrors()
    reviewed_on, next_on = _form_day("reviewed_on", errors), _form_day("review_on", errors)
    note = _text("review_note", errors, 4000)
    if errors:
        return _rejected(person, errors, f"review-{plan.id}")
    return _act(person, _("見直しを記録しました。"), lambda: plans.review_plan(
        db.session(), _me(), person, plan, reviewed_on, note, next_on), f"review-{plan.id}")


@bp.route("/cases/<int:person_id>/plans/<int:plan_id>/evaluate", methods=["POST"])
@require(Permission.CASE_WRITE)
def plan_evaluate(person_id: int, plan_id: int) -> Response | tuple[str, int]:
    _checked_form()
    person = _person(person_id, "case.read", view="plan")
    plan = _plan(person, plan_id)
    errors = FormErrors()
    evaluated_on = _form_day("evaluated_on", errors)
    note = _text("evaluation_note", errors, 4000)
    if errors:
        return _rejected(person, errors, f"evaluate-{plan.id}")
    return _act(person, _("終結時の評価を記録しました。"), lambda: plans.evaluate_plan(
        db.session(), _me(), person, plan, request.form.get("evaluation", ""), note, evaluated_on), f"evaluate-{plan.id}")


@bp.route("/cases/<int:person_id>/plans/<int:plan_id>/placement", methods=["POST"])
@require(Permission.CASE_WRITE)
def plan_placement(person_id: int, plan_id: int) -> Response | tuple[str, int]:
    _checked_form()
    person = _person(person_id, "case.read", view="plan")
    plan = _plan(person, plan_id)
    errors = FormErrors()
    occurred_on = _form_day("occurred_on", errors)
    if errors:
        return _rejected(person, errors, f"from-plan-{plan.id}")
    return _act(person, _("プランの参加支援を候補に追加しました。"), lambda: plans.placement_from_plan(
        db.session(), _me(), person, plan, occurred_on), f"from-plan-{plan.id}", ("occurred_on",))


def _plan(person: Person, plan_id: int) -> SupportPlan:
    try:
        return plans.find_plan(person, plan_id)
    except svc.NotFound:
        abort(404)


@bp.route("/cases/<int:person_id>/household", methods=["POST"])
@require(Permission.CASE_WRITE)
def household_link(person_id: int) -> Response | tuple[str, int]:
    _checked_form()
    person = _person(person_id, "case.read", view="household")
    errors = FormErrors()
    code = _text("household", errors, 20)
    if errors:
        return _rejected(person, errors, "household")
    return _act(person, _("同じ世帯として記録しました。"), lambda: svc.link_household(
        db.session(), _me(), person, code), "household")


# ── meetings ───────────────────────────────────────────────────────────────────────────────────


MEETING_FIELDS = ("kind", "held_on", "attendee_orgs", "theme")  # the fields with an id on the page


def _meetings_page(errors: FormErrors | None = None) -> str:
    try:
        meetings = mtg.list_meetings(db.session(), _me())
    except svc.NotFound:
        abort(404)
    return render_template(
        "cases/meetings.html", meetings=meetings, kinds=MEETING_KINDS_ALL, form=ActionForm(),
        today=clock.today(), errors=errors or {}, values=request.form if errors else {},
        form_name="meeting" if errors else "", can_write=has_permission(_me(), Permission.CASE_WRITE),
    )  # fmt: skip


@bp.route("/meetings")
@require(Permission.CASE_READ)
def meetings() -> str:
    return _meetings_page()


@bp.route("/meetings", methods=["POST"])
@require(Permission.CASE_WRITE)
def meeting_new() -> Response | tuple[str, int]:
    _checked_form()
    errors = FormErrors()
    held_on = _form_day("held_on", errors)
    orgs_text = _text("attendee_orgs", errors, 4000)
    theme = _text("theme", errors, 8000)
    data = mtg.MeetingInput(
        kind=request.form.get("kind", ""), regular=request.form.get("regular", "1") == "1", held_on=held_on,
        attendee_orgs=[line for line in orgs_text.replace("、", "\n").splitlines()], theme=theme,
    )  # fmt: skip
    if not errors:
        try:
            meeting = mtg.create_meeting(db.session(), _me(), data)
        except ServiceError as exc:
            if not exc.field:
                _fail(exc)
            # An error about no field of this form (the user's office) is shown at its first field.
            errors[exc.field if exc.field in MEETING_FIELDS else "kind"] = exc.message
        else:
            flash(_("会議を記録しました。"), "info")
            return redirect(url_for("cases.meeting_view", meeting_id=meeting.id))
    return _meetings_page(errors), 400


def _meeting(meeting_id: int) -> Meeting:
    try:
        return mtg.load_meeting(db.session(), _me(), meeting_id)
    except svc.NotFound:
        abort(404)


def _meeting_page(meeting: Meeting, errors: FormErrors | None = None, form_name: str = "") -> str:
    from webapp.cases.suggestions import district_choices

    return render_template(
        "cases/meeting.html", meeting=meeting, links=mtg.visible_cases(db.session(), _me(), meeting),
        hidden=len(meeting.cases), output_kinds=OUTPUT_KINDS, form=ActionForm(),
        can_write=has_permission(_me(), Permission.CASE_WRITE), districts=dict(district_choices(db.session())),
        errors=errors or {}, values=request.form if errors else {}, form_name=form_name if errors else "",
    )  # fmt: skip


@bp.route("/meetings/<int:meeting_id>")
@require(Permission.CASE_READ)
def meeting_view(meeting_id: int) -> str:
    return _meeting_page(_meeting(meeting_id))


@bp.route("/meetings/<int:meeting_id>/cases", methods=["POST"])
@require(Permission.CASE_WRITE)
def meeting_case(meeting_id: int) -> Response | tuple[str, int]:
    _checked_form()
    meeting = _meeting(meeting_id)
    errors = FormErrors()
    code, case_part = _text("case_code", errors, 20), _text("case_part", errors, 8000)
    if not errors:
        try:
            person = mtg.find_visible_person(db.session(), _me(), code)
            mtg.link_case(db.session(), _me(), meeting, person, case_part, request.form.get("confirms_plan") == "1")
        except ServiceError as exc:
            errors[exc.field or "case_code"] = exc.message
        else:
            flash(_("ケースを会議に記録しました。"), "info")
            return redirect(url_for("cases.meeting_view", meeting_id=meeting.id) + "#cases")
    return _meeting_page(meeting, errors, "case"), 400


@bp.route("/meetings/<int:meeting_id>/outputs", methods=["POST"])
@require(Permission.CASE_WRITE)
def meeting_output(meeting_id: int) -> Response | tuple[str, int]:
    _checked_form()
    meeting = _meeting(meeting_id)
    errors = FormErrors()
    text, district = _text("output_text", errors, 2000), _text("district", errors, 50)
    done_on = _form_day("done_on", errors)
    if not errors:
        try:
            mtg.add_output(db.session(), _me(), meeting, request.form.get("output_kind", ""), text, district, done_on)
        except ServiceError as exc:
            errors[exc.field or "output_text"] = exc.message
        else:
            flash(_("成果を記録しました。"), "info")
            return redirect(url_for("cases.meeting_view", meeting_id=meeting.id) + "#outputs")
    return _meeting_page(meeting, errors, "output"), 400
