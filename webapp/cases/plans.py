"""支援プラン: made on a date, revised as new versions, reviewed and evaluated at the end (終結時の評価).

Version 1 is the plan "made" (the KPI 「プラン作成件数」 counts those); a revision adds version n+1 with
its own date. Placements made from the plan point at the version they carry out. Every write is
audited on the person, like every other case write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from webapp.accounts.models.user import User
from webapp.cases.messages import _
from webapp.cases.models import Person, Placement
from webapp.cases.placements import add_placement
from webapp.cases.plan_models import EVALUATIONS, SupportPlan
from webapp.cases.services import NotFound, check_day, require_write, valid_id
from webapp.security.audit import record
from webapp.service_error import ServiceError


@dataclass
class PlanInput:
    made_on: date | None = None
    goals: str = ""
    supports: str = ""
    includes_participation: bool = False
    activity_id: int | None = None
    host_name: str = ""
    review_on: date | None = None


def make_plan(session: Session, user: User, person: Person, data: PlanInput) -> SupportPlan:
    """A new plan, or (when the person has one) its next version."""
    require_write(user)
    day = check_day(person, data.made_on, "made_on")
    if not data.goals.strip():
        raise ServiceError("goals_required", _("目標を書いてください。"), "goals")
    last = person.current_plan
    if last is not None and day < last.made_on:
        raise ServiceError(
            "before_last_plan", _("前の版（%(d)s）より前の日付にはできません。", d=last.made_on.isoformat()), "made_on"
        )
    if data.review_on is not None and data.review_on < day:
        raise ServiceError("review_before_plan", _("見直し予定日は作成日より後にしてください。"), "review_on")
    if data.activity_id is not None:
        from webapp.listings.models.activity import Activity

        if not valid_id(data.activity_id) or session.get(Activity, data.activity_id) is None:
            raise ServiceError("unknown_activity", _("その活動は見つかりません。"), "plan_activity_id")  # the plan form's field
    plan = SupportPlan(
        version=(last.version + 1) if last else 1,
        made_on=day,
        goals=data.goals.strip(),
        supports=data.supports.strip(),
        includes_participation=data.includes_participation or bool(data.activity_id or data.host_name.strip()),
        activity_id=data.activity_id,
        host_name=data.host_name.strip(),
        review_on=data.review_on,
        created_by_id=user.id,
    )
    person.plans.append(plan)
    session.flush()
    record(session, "plan.make", "person", person.id, {"plan_id": plan.id, "version": plan.version}, user_id=user.id)
    return plan


def find_plan(person: Person, plan_id: int) -> SupportPlan:
    plan = next((p for p in person.plans if p.id == plan_id), None)
    if plan is None:
        raise NotFound()
    return plan


def review_plan(
    session: Session, user: User, person: Person, plan: SupportPlan, reviewed_on: date | None, note: str,
    next_review_on: date | None = None,
) -> SupportPlan:  # fmt: skip
    """見直し: the day it was reviewed and what was found; optionally the next review date."""
    require_write(user)
    day = check_day(person, reviewed_on, "reviewed_on")
    if day < plan.made_on:
        raise ServiceError("before_plan", _("プラン作成日（%(d)s）より前の日付は入力できません。", d=plan.made_on.isoformat()), "reviewed_on")
    if not note.strip():
        raise ServiceError("note_required", _("見直しの内容を書いてください。"), "review_note")
    if next_review_on is not None and next_review_on <= day:
        raise ServiceError("review_before_plan", _("次の見直し予定日は見直し日より後にしてください。"), "review_on")
    plan.reviewed_on, plan.review_note = day, note.strip()
    if next_review_on is not None:
        plan.review_on = next_review_on
    session.flush()
    record(session, "plan.review", "person", person.id, {"plan_id": plan.id}, user_id=user.id)
    return plan


def evaluate_plan(
    session: Session, user: User, person: Person, plan: SupportPlan, evaluation: str, note: str,
    evaluated_on: date | None = None,
) -> SupportPlan:  # fmt: skip
    """終結時の評価: goals met / partly / not met, with a note."""
    require_write(user)
    if evaluation not in EVALUATIONS or not evaluation:
        raise ServiceError("invalid_choice", _("評価を選んでください。"), "evaluation")
    day = check_day(person, evaluated_on, "evaluated_on")
    if day < plan.made_on:
        raise ServiceError("before_plan", _("プラン作成日（%(d)s）より前の日付は入力できません。", d=plan.made_on.isoformat()), "evaluated_on")
    plan.evaluation, plan.evaluation_note, plan.evaluated_on = evaluation, note.strip(), day
    session.flush()
    record(session, "plan.evaluate", "person", person.id, {"plan_id": plan.id, "evaluation": evaluation}, user_id=user.id)
    return plan


def placement_from_plan(
    session: Session, user: User, person: Person, plan: SupportPlan, occurred_on: date | None = None
) -> Placement:
    """The plan's 参加支援 as a candidate placement linked to the plan (its activity or named host)."""
    if not plan.activity_id and not plan.host_name:
        raise ServiceError("no_host", _("このプランには参加支援の活動・受け入れ先がありません。"), "plan")
    if occurred_on is not None and occurred_on < plan.made_on:
        raise ServiceError("before_plan", _("プラン作成日（%(d)s）より前の日付は入力できません。", d=plan.made_on.isoformat()), "occurred_on")
    return add_placement(
        session, user, person, activity_id=plan.activity_id, host_name=plan.host_name,
        reason=_("支援プラン（第%(v)s版）から", v=plan.version), plan_id=plan.id, occurred_on=occurred_on,
    )  # fmt: skip
