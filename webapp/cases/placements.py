"""Placements (つなぎ) up the stage ladder, follow-ups (定着支援・受け入れ先支援) and host figures.

Sharing a person with a host starts at 打診 (proposed): moving a placement to proposed or any later
stage with the host needs a live "share_host" consent naming that host. Every move records who,
when and why (PlacementEvent) and an AuditEvent.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from webapp import clock
from webapp.accounts.models.user import User
from webapp.cases.host_link import hosts
from webapp.cases.labels import STAGE_LABELS
from webapp.cases.messages import _, text_of
from webapp.cases.models import (
    OUTCOMES,
    STAGES,
    WELLBEING_RANGES,
    WELLBEING_SCALES,
    FollowUp,
    Person,
    Placement,
    PlacementEvent,
)
from webapp.cases.services import (
    NotFound,
    case_setting,
    check_day,
    live_consent,
    moment_of,
    proposal_overdue_days,
    require_write,
    valid_id,
    visible_condition,
)
from webapp.listings.models.activity import Activity
from webapp.orm import utcnow
from webapp.security.audit import record
from webapp.service_error import ServiceError

# Stages at which the host knows about the person: reaching them needs the host-sharing consent.
SHARED_WITH_HOST = frozenset({"proposed", "accompanied_visit", "trial", "participating", "settled"})
HOST_ACCEPTED = frozenset({"accompanied_visit", "trial", "participating", "settled"})
HOST_REFUSED_OUTCOMES = frozenset({"host_no_capacity", "declined_by_host"})
# The ladder in order: 同行見学 and 体験 are optional steps between 打診 and 参加中. A move forward that
# skips a required step (候補 → 参加中, 打診 → 定着 …) needs its own reason (skip_reason).
LADDER_POSITION = {
    "candidate": 0.0, "proposed": 1.0, "accompanied_visit": 1.4, "trial": 1.7, "participating": 2.0, "settled": 3.0,
}  # fmt: skip


def skips_steps(from_stage: str, to_stage: str) -> bool:
    a, b = LADDER_POSITION.get(from_stage), LADDER_POSITION.get(to_stage)
    return a is not None and b is not None and b - a > 1.0


def tokyo_today(now: datetime | None = None) -> date:
    return clock.to_jst(now or utcnow()).date()



def add_placement(
    session: Session,
    user: User,
    person: Person,
    activity_id: int | None = None,
    host_name: str = "",
    reason: str = "",
    plan_id: int | None = None,
    occurred_on: date | None = None,
    host_id: int | None = None,
) -> Placement:
    """A new candidate (候補): an activity on the map, a host of the register (``host_id``) or a host
    named in free text; from a 支援プラン when ``plan_id`` names one of this person's plans. An activity
    whose organization is a register host links that host (its 打診 then reaches the host's people)."""
    require_write(user)
    day = check_day(person, occurred_on)
    if plan_id is not None and not any(p.id == plan_id for p in person.plans):
        raise NotFound()
    activity = None
    if activity_id is not None:
        activity = session.get(Activity, activity_id) if valid_id(activity_id) else None
        if activity is None or activity.status != "published":
            raise ServiceError("unknown_activity", _("公開中の活動が見つかりません。"), "activity_id")
        if any(p.activity_id == activity_id and p.stage not in ("ended",) for p in person.placements):
            raise ServiceError("duplicate", _("この活動はすでに候補になっています。"), "activity_id")
    directory = hosts()
    if host_id is not None:
        name = directory.name_of(session, host_id) if valid_id(host_id) else None
        if name is None:
            raise ServiceError("unknown_host", _("受け入れ先は一覧から選んでください。"), "host_id")
        if activity is None:
            host_name = name
            if any(p.host_id == host_id and p.stage != "ended" for p in person.placements):
                raise ServiceError("duplicate", _("この受け入れ先はすでに候補になっています。"), "host_id")
    elif activity is not None:
        host_id = directory.host_of_activity(session, activity.id)
    elif not host_name.strip():
        raise ServiceError("host_required", _("活動を選ぶか、受け入れ先の名称を書いてください。"), "host_name")
    placement = Placement(
        activity_id=activity.id if activity else None,
        host_id=host_id,
        host_name="" if activity else host_name.strip(),
        stage="candidate",
        suggested_because=reason.strip(),
        created_by_id=user.id,
        plan_id=plan_id,
        created_at=moment_of(day),
        stage_changed_at=moment_of(day),
    )
    placement.events.append(
        PlacementEvent(from_stage="", to_stage="candidate", by_id=user.id, reason=reason.strip(), occurred_on=day)
    )
    person.placements.append(placement)
    session.flush()
    record(
        session, "placement.add", "person", person.id,
        {"placement_id": placement.id, "activity_id": activity_id, "host_id": host_id}, user_id=user.id,
    )  # fmt: skip
    return placement


def record_no_suitable(
    session: Session, user: User, person: Person, note: str, occurred_on: date | None = None
) -> Placement:
    """「適当な活動が見つからない」: kept as an ended placement with that outcome — evidence of a gap."""
    require_write(user)
    day = check_day(person, occurred_on)
    if not note.strip():
        raise ServiceError("reason_required", _("探したもの・見つからなかったものを書いてください。"), "note")
    placement = Placement(
        stage="ended", outcome="no_suitable_activity", outcome_note=note.strip(), created_by_id=user.id,
        created_at=moment_of(day), stage_changed_at=moment_of(day),
    )  # fmt: skip
    placement.events.append(
        PlacementEvent(from_stage="", to_stage="ended", by_id=user.id, reason=note.strip(), occurred_on=day)
    )
    person.placements.append(placement)
    session.flush()
    record(session, "placement.no_suitable", "person", person.id, {"placement_id": placement.id}, user_id=user.id)
    return placement


def _load_case_child(session: Session, user: User, model: Any, child_id: int, key: str) -> Any:
    """A placement or follow-up if its person is visible to this user (audited as a case read), else NotFound."""
    if not valid_id(child_id):
        raise NotFound()
    child = session.scalar(
        select(model).join(Person, model.person_id == Person.id).where(model.id == child_id, visible_condition(user))
    )
    if child is None:
        raise NotFound()
    record(session, "case.read", "person", child.person_id, {key: child.id}, user_id=user.id)
    return child


def load_placement(session: Session, user: User, placement_id: int) -> Placement:
    return _load_case_child(session, user, Placement, placement_id, "placement_id")


def move_stage(
    session: Session,
    user: User,
    placement: Placement,
    to_stage: str,
    reason: str,
    outcome: str = "",
    now: datetime | None = None,
    occurred_on: date | None = None,
    skip_reason: str = "",
) -> PlacementEvent:
    """Move a placement; ``occurred_on`` is the Japan date it happened (default today; not before the
    last move, nor before intake, nor in the future). ``now`` (tests, demo) stands for the moment."""
    require_write(user)
    person = placement.person
    day = check_day(person, occurred_on or (tokyo_today(now) if now else None))
    if placement.events and day < placement.events[-1].day:
        raise ServiceError(
            "before_last_move",
            _("前の段階の変更（%(d)s）より前の日付は入力できません。", d=placement.events[-1].day.isoformat()),
            "occurred_on",
        )
    now = now or moment_of(day)
    if to_stage not in STAGES:
        raise ServiceError("invalid_stage", _("段階は一覧から選んでください。"), "stage")
    if to_stage == placement.stage:
        raise ServiceError("same_stage", _("すでにその段階です。"), "stage")
    if not reason.strip():
        raise ServiceError("reason_required", _("段階を変える理由を書いてください。"), "reason")
    if outcome not in OUTCOMES:
        raise ServiceError("invalid_outcome", _("結果は一覧から選んでください。"), "outcome")
    if outcome and to_stage not in ("ended", "paused"):
        raise ServiceError("outcome_needs_end", _("結果は中断・終了のときに記録します。"), "outcome")
    if skips_steps(placement.stage, to_stage) and not skip_reason.strip():
        raise ServiceError(
            "skip_reason_required",
            _("段階を飛ばすとき（%(a)s → %(b)s）は、飛ばす理由を書いてください。",
              a=text_of(STAGE_LABELS[placement.stage]), b=text_of(STAGE_LABELS[to_stage])),
            "skip_reason",
        )
    consent = None
    if to_stage in SHARED_WITH_HOST and (placement.activity_id or placement.host_name):
        consent = live_consent(person, "share_host", placement.host_label, placement.activity_id)
        if consent is None:
            raise ServiceError(
                "consent_required",
                _("受け入れ先と情報を共有する本人の同意（この受け入れ先宛て）が記録されていません。"),
                "stage",
            )
    from_stage = placement.stage
    placement.stage = to_stage
    placement.stage_changed_at = now
    if outcome:
        placement.outcome = outcome
        placement.outcome_note = reason.strip()
    if to_stage == "proposed" and placement.proposed_at is None:
        placement.proposed_at = now
    if from_stage == "proposed" and placement.answered_at is None:
        if to_stage in HOST_ACCEPTED:
            placement.answered_at, placement.host_accepted = now, True
        elif outcome in HOST_REFUSED_OUTCOMES:
            placement.answered_at, placement.host_accepted = now, False
    why = reason.strip()
    if skip_reason.strip() and skips_steps(from_stage, to_stage):
        why += _("（段階を飛ばした理由: %(r)s）", r=skip_reason.strip())
    event = PlacementEvent(from_stage=from_stage, to_stage=to_stage, at=now, by_id=user.id, reason=why, occurred_on=day)
    placement.events.append(event)
    if to_stage == "participating" and not any(f.placement_id == placement.id and not f.is_baseline for f in person.followups):
        schedule_followups(person, placement, day)
    session.flush()
    record(
        session,
        "placement.stage",
        "person",
        person.id,
        {"placement_id": placement.id, "from": from_stage, "to": to_stage, "outcome": outcome},
        user_id=user.id,
    )
    if to_stage == "proposed" and placement.host_id is not None and consent is not None:
        # The host of the register gets the request (only what this consent names), its people a mail.
        hosts().proposed(session, user, placement, consent)
    return event


def schedule_followups(person: Person, placement: Placement, start: date) -> list[FollowUp]:
    """Default 定着支援 schedule once participation starts (settings: followup_person_days/host_days)."""
    made = []
    for target, key in (("person", "followup_person_days"), ("host", "followup_host_days")):
        for days in case_setting(key):
            fu = FollowUp(target=target, due_on=start + timedelta(days=int(days)), label=f"+{int(days)}d")  # labels.followup_label
            fu.placement = placement
            person.followups.append(fu)
            made.append(fu)
    return made


_SCALE_NAMES = {"who5": "WHO-5", "swemwbs": "SWEMWBS"}


def check_wellbeing(scale: str, score: int | None) -> None:
    if scale not in WELLBEING_SCALES:
        raise ServiceError("invalid_scale", _("尺度は一覧から選んでください。"), "wellbeing_scale")
    if score is None:
        return
    if not scale:
        raise ServiceError("scale_required", _("スコアの尺度（WHO-5 または SWEMWBS）を選んでください。"), "wellbeing_scale")
    lo, hi = WELLBEING_RANGES[scale]
    if not lo <= score <= hi:
        raise ServiceError("score_range", _("%(scale)s のスコアは %(lo)s〜%(hi)s です。", scale=_SCALE_NAMES.get(scale, scale), lo=lo, hi=hi), "wellbeing_score")


def add_followup(
    session: Session,
    user: User,
    person: Person,
    due_on: date,
    target: str = "person",
    placement_id: int | None = None,
    label: str = "",
) -> FollowUp:
    require_write(user)
    if target not in ("person", "host"):
        raise ServiceError("invalid_target", _("対象は一覧から選んでください。"), "target")
    if placement_id is not None and not any(p.id == placement_id for p in person.placements):
        raise NotFound()
    fu = FollowUp(target=target, due_on=due_on, placement_id=placement_id, label=label.strip())
    person.followups.append(fu)
    session.flush()
    record(session, "followup.add", "person", person.id, {"followup_id": fu.id}, user_id=user.id)
    return fu


def record_baseline(
    session: Session, user: User, person: Person, scale: str, score: int, note: str = "", occurred_on: date | None = None
) -> FollowUp:
    require_write(user)
    day = check_day(person, occurred_on)
    check_wellbeing(scale, score)
    if not scale:
        raise ServiceError("scale_required", _("スコアの尺度（WHO-5 または SWEMWBS）を選んでください。"), "wellbeing_scale")
    now = utcnow()
    fu = FollowUp(
        target="person", due_on=day, done_at=now, done_on=day, done_by_id=user.id, note=note.strip(),
        wellbeing_scale=scale, wellbeing_score=score, is_baseline=True, label="baseline",
    )  # fmt: skip
    person.followups.append(fu)
    session.flush()
    record(session, "followup.baseline", "person", person.id, {"followup_id": fu.id}, user_id=user.id)
    return fu


def load_followup(session: Session, user: User, followup_id: int) -> FollowUp:
    return _load_case_child(session, user, FollowUp, followup_id, "followup_id")


def complete_followup(
    session: Session, user: User, fu: FollowUp, note: str, scale: str = "", score: int | None = None,
    done_on: date | None = None,
) -> FollowUp:  # fmt: skip
    require_write(user)
    if fu.done_at is not None:
        raise ServiceError("already_done", _("すでに完了しています。"), "followup")
    day = check_day(fu.person, done_on, "done_on")
    check_wellbeing(scale, score)
    fu.done_on = day
    fu.done_at = utcnow()
    fu.done_by_id = user.id
    fu.note = note.strip()
    fu.wellbeing_scale, fu.wellbeing_score = scale, score
    session.flush()
    record(session, "followup.done", "person", fu.person_id, {"followup_id": fu.id}, user_id=user.id)
    return fu


def waiting_days(placement: Placement, now: datetime | None = None) -> int | None:
    """Whole days an 打診 has waited for the host's answer; None once answered or no longer at 打診."""
    if placement.stage != "proposed" or placement.proposed_at is None or placement.answered_at is not None:
        return None
    return max(0, ((now or utcnow()) - placement.proposed_at).days)


def proposal_overdue(placement: Placement, now: datetime | None = None) -> bool:
    """Unanswered for longer than proposal_overdue_days: the board's 「回答待ち N日」 flag."""
    waited = waiting_days(placement, now)
    if waited is None or placement.proposed_at is None:
        return False
    return (now or utcnow()) - placement.proposed_at > timedelta(days=proposal_overdue_days())


def board_placements(session: Session, user: User, scope: str = "mine") -> dict[str, list[Placement]]:
    """Placements of the visible (or, for 'mine', assigned) cases grouped by stage for the kanban."""
    from webapp.cases.services import CaseFilter, case_query

    now = utcnow()
    people = case_query(user, CaseFilter(scope=scope), tokyo_today(now), now).with_only_columns(Person.id)
    rows = list(
        session.scalars(
            select(Placement).where(Placement.person_id.in_(people)).order_by(Placement.stage_changed_at.desc()).limit(500)
        )
    )
    ids = sorted({p.person_id for p in rows})
    record(session, "case.list", "person", "", {"ids": ids, "view": "board"}, user_id=user.id)
    grouped: dict[str, list[Placement]] = {s: [] for s in STAGES}
    for p in rows:
        grouped[p.stage].append(p)
    return grouped


@dataclass(frozen=True)
class HostFigures:
    """How a host answers 打診: counts only, no person data (safe for every case reader).

    ONE definition for answers recorded by staff after a phone call (a move out of 打診, see
    move_stage) and answers the host gives through its own account (webapp.hosts): a placement's
    first answer sets answered_at and host_accepted, and these figures read only those two.
    - proposals: placements ever sent to the host at 打診 (proposed_at set);
    - answered: those with an answer; accepted: answered yes (受け入れ可・見学から, or moved on to 見学・体験・参加);
    - response_rate: answered ÷ (answered + unanswered for longer than proposal_overdue_days):
      a 打診 still inside its answer window counts neither way;
    - median_days_to_answer: the median of (answered_at − proposed_at) in days, one decimal;
    - open_overdue: still at 打診, unanswered, older than proposal_overdue_days.
    """

    proposals: int
    answered: int
    accepted: int
    median_days_to_answer: float | None
    open_overdue: int
    unanswered_past_window: int = 0

    @property
    def acceptance_rate(self) -> float | None:
        return self.accepted / self.answered if self.answered else None

    @property
    def response_rate(self) -> float | None:
        due = self.answered + self.unanswered_past_window
        return self.answered / due if due else None


def answer_figures(
    session: Session, *, activity_ids: Sequence[int] = (), host_id: int | None = None, now: datetime | None = None
) -> HostFigures:
    """Figures over the placements at these activities or linked to this register host."""
    now = now or utcnow()
    conditions: list[ColumnElement[bool]] = []
    if activity_ids:
        conditions.append(Placement.activity_id.in_(list(activity_ids)))
    if host_id is not None:
        conditions.append(Placement.host_id == host_id)
    if not conditions:
        return HostFigures(0, 0, 0, None, 0)
    rows = list(
        session.execute(
            select(Placement.proposed_at, Placement.answered_at, Placement.host_accepted, Placement.stage).where(
                or_(*conditions), Placement.proposed_at.is_not(None)
            )
        )
    )
    limit = timedelta(days=proposal_overdue_days())
    waits = sorted((a - p).total_seconds() / 86400 for p, a, _, _ in rows if a is not None and p is not None)
    late = [(p, st) for p, a, _, st in rows if a is None and p is not None and now - p > limit]
    return HostFigures(
        proposals=len(rows),
        answered=len(waits),
        accepted=sum(1 for _, a, ok, _ in rows if a is not None and ok),
        median_days_to_answer=round(statistics.median(waits), 1) if waits else None,
        open_overdue=sum(1 for _, st in late if st == "proposed"),
        unanswered_past_window=len(late),
    )


def host_figures(session: Session, activity_id: int, now: datetime | None = None) -> HostFigures:
    return answer_figures(session, activity_ids=[activity_id], now=now)


def host_placements(session: Session, user: User, activity_id: int) -> tuple[list[Placement], list[FollowUp]]:
    """People placed at this activity now, limited to cases the user may see; and host follow-ups."""
    placements = list(
        session.scalars(
            select(Placement)
            .join(Person, Placement.person_id == Person.id)
            .where(Placement.activity_id == activity_id, visible_condition(user))
            .where(Placement.stage.in_(("proposed", "accompanied_visit", "trial", "participating", "settled", "paused")))
            .order_by(Placement.stage_changed_at.desc())
        )
    )
    followups = list(
        session.scalars(
            select(FollowUp)
            .join(Placement, FollowUp.placement_id == Placement.id)
            .join(Person, FollowUp.person_id == Person.id)
            .where(Placement.activity_id == activity_id, FollowUp.target == "host", visible_condition(user))
            .order_by(FollowUp.due_on)
        )
    )
    ids = sorted({p.person_id for p in placements} | {f.person_id for f in followups})
    if ids:
        record(session, "case.list", "person", "", {"ids": ids, "view": "host", "activity_id": activity_id}, user_id=user.id)
    return placements, followups


def outcome_counts(session: Session) -> dict[str, int]:
    """Outcomes that show missing resources (no suitable activity, no capacity): counts for reports."""
    rows = session.execute(
        select(Placement.outcome, func.count()).where(Placement.outcome != "").group_by(Placement.outcome)
    )
    return {str(o): int(n) for o, n in rows}


def overdue_proposals(session: Session, user: User, now: datetime | None = None) -> list[Placement]:
    """打診 with no answer for longer than proposal_overdue_days, among the cases this user works on:
    the reminder list on the staff home page."""
    from webapp.cases.services import CaseFilter, case_query
    from webapp.security.permissions import Permission, has_permission

    if not has_permission(user, Permission.CASE_READ):
        return []
    now = now or utcnow()
    scope = "office" if has_permission(user, Permission.OFFICE_CASES) else "mine"
    people = case_query(user, CaseFilter(scope=scope), tokyo_today(now), now).with_only_columns(Person.id)
    limit = now - timedelta(days=proposal_overdue_days())
    rows = list(
        session.scalars(
            select(Placement)
            .where(Placement.person_id.in_(people), Placement.stage == "proposed", Placement.proposed_at < limit)
            .where(Placement.answered_at.is_(None))
            .order_by(Placement.proposed_at)
            .limit(200)
        )
    )
    if rows:
        record(session, "case.list", "person", "", {"ids": sorted({p.person_id for p in rows}), "view": "proposals"}, user_id=user.id)
    return rows
