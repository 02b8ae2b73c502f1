"""参加支援 KPIs for a period, office and 分野 (field), and the unmet-needs table (社会資源の不足).

The computation is pure (plain dataclass rows in, a KpiReport out) so every figure can be checked
by hand; :func:`load_rows` reads the rows from the case tables. Definitions, as shown on the page:

- supported (支援した人): people whose record was opened on or before the end of the period and not
  closed before its start. First contact = the day the record was opened (Tokyo date).
- proposed (打診まで進んだ人): supported people with a placement that reached 打診 or a later stage
  on or before the end of the period.
- placement rate (参加支援につなげた割合): supported people who reached 参加中 (participating or
  settled) on or before the end ÷ supported people; compared with the target (門真市: 50 %).
- settled at 3 months (定着率): of people whose first participation was at least 90 days before the
  end (or before today, whichever is earlier), those with a placement still 参加中/定着 90 days after.
- median days from first contact to first participation, over people who participated.
- follow-ups on time (定着支援): person follow-ups due in the period (up to today), done on or before
  the due date; host follow-ups (受け入れ先支援) done: host follow-ups due in the period, done by today.
- wellbeing change: per scale, people with a baseline score and a later score on or before the end
  (paired); mean baseline, mean latest, mean change.
- unmet needs: placements ended with "no suitable activity" or "host has no capacity" in the period,
  as distinct people by the person's district × interest.
- consultations (相談件数): cases received in the period (every intake route), plus 参加の相談 sent from
  the site in the period that have no case yet. A 参加の相談 taken up as a case is counted once, as
  that case (received on the day the request arrived, so it stays in the same period).

Exports that leave the staff side go through :func:`suppress_count` / :func:`suppress_rate`: a count
of 1–4 is shown as "<5", and a rate or mean only when the counts behind it are 0 or at least 5.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from schedule import TZ

PROPOSED_OR_LATER = frozenset({"proposed", "accompanied_visit", "trial", "participating", "settled"})
PARTICIPATING = frozenset({"participating", "settled"})
HOST_TOOK_IN = frozenset({"accompanied_visit", "trial", "participating", "settled"})
UNMET_OUTCOMES = ("no_suitable_activity", "host_no_capacity")
SETTLE_DAYS = 90
SMALL = 5  # counts below this (and above 0) are suppressed in exports
SUPPRESSED = "<5"


# ── rows in ─────────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class PersonRow:
    id: int
    office_id: int
    field: str
    first_contact: date  # 受付日 (received_on; the day the record was opened on older records)
    closed_on: date | None = None
    district: str = ""
    interests: tuple[str, ...] = ()
    outside_services: bool = False  # 既存事業の対象外


@dataclass(frozen=True)
class StageEvent:
    on: date
    to_stage: str


@dataclass(frozen=True)
class PlacementRow:
    id: int
    person_id: int
    events: tuple[StageEvent, ...]  # in the order they happened
    outcome: str = ""
    outcome_on: date | None = None  # the day the outcome was recorded
    plan_id: int | None = None
    host: str = ""  # "a<activity id>" or the host's name: one 協力企業・団体

    def stage_on(self, day: date) -> str | None:
        """The stage at the end of ``day`` (None before the placement existed)."""
        stage = None
        for e in self.events:
            if e.on <= day:
                stage = e.to_stage
        return stage


@dataclass(frozen=True)
class FollowUpRow:
    id: int
    person_id: int
    target: str  # person | host
    due_on: date
    done_on: date | None = None
    wellbeing_scale: str = ""
    wellbeing_score: int | None = None
    is_baseline: bool = False
    is_watch: bool = False  # 見守り after closing: not 定着支援


@dataclass(frozen=True)
class PlanRow:
    id: int
    person_id: int
    version: int
    made_on: date


@dataclass(frozen=True)
class MeetingRow:
    id: int
    office_id: int
    kind: str
    held_on: date
    person_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class OutputRow:
    id: int
    office_id: int
    kind: str
    done_on: date | None


@dataclass(frozen=True)
class ConsultRow:
    """A 参加の相談 sent from the site (consult_request): no name, contact or message."""

    id: int
    office_id: int | None
    on: date  # the Japan date it arrived
    intake_id: int | None = None  # the case opened from it


@dataclass(frozen=True)
class KpiFilter:
    start: date
    end: date
    office_id: int | None = None
    field: str | None = None


@dataclass
class KpiRows:
    persons: list[PersonRow] = field(default_factory=list)
    placements: list[PlacementRow] = field(default_factory=list)
    followups: list[FollowUpRow] = field(default_factory=list)
    plans: list[PlanRow] = field(default_factory=list)
    meetings: list[MeetingRow] = field(default_factory=list)
    outputs: list[OutputRow] = field(default_factory=list)
    consults: list[ConsultRow] = field(default_factory=list)


# ── figures out ─────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    @property
    def percent(self) -> float | None:
        v = self.value
        return None if v is None else round(100 * v, 1)


@dataclass(frozen=True)
class WellbeingChange:
    scale: str
    pairs: int
    mean_baseline: float
    mean_latest: float
    mean_change: float
    improved: int
    unchanged: int
    worse: int


@dataclass(frozen=True)
class UnmetRow:
    district: str
    interest: str
    no_suitable_activity: int
    host_no_capacity: int
    people: int = 0  # distinct people with either outcome (one person may have both)

    @property
    def total(self) -> int:
        return self.no_suitable_activity + self.host_no_capacity


@dataclass(frozen=True)
class KpiReport:
    filter: KpiFilter
    as_of: date
    target: float  # 0..1
    supported: int
    proposed: int
    participating: int
    placement_rate: Rate
    settled_3m: Rate
    median_days_to_participation: float | None
    days_to_participation_n: int
    followups_on_time: Rate
    followups_late: int
    followups_open: int
    host_followups_done: Rate
    wellbeing: list[WellbeingChange]
    unmet: list[UnmetRow]
    # Distinct people per district (interest ignored), for the unmet-needs map layer.
    unmet_by_district: dict[str, UnmetRow] = field(default_factory=dict)
    # 支援プラン (門真): version-1 plans made in the period; of those, 参加支援 started (打診 or later)
    # and reached 参加中, by the end of the period, through a placement made from the plan.
    plans_made: int = 0
    plan_participation: Rate = Rate(0, 0)
    plan_participating: Rate = Rate(0, 0)
    # Meetings held in the period by kind (生駒・門真), office filter only (a meeting has no 分野).
    meetings_by_kind: dict[str, int] = field(default_factory=dict)
    # 芦屋: flows in the period.
    consultations: int = 0  # 相談件数: cases received + site consultations without a case, in the period
    consultations_site: int = 0  # of those, 参加の相談 sent from the site (with or without a case)
    people_connected: int = 0  # first participation ever falls in the period
    outside_services_connected: int = 0  # of those, people outside existing services
    hosts_took_in: int = 0  # distinct hosts that took someone in (同行見学 or later) in the period
    meeting_new_places: int = 0  # meeting outputs "new place" done in the period
    collaboration_cases: int = 0  # distinct people discussed at a meeting held in the period

    @property
    def meetings_held(self) -> int:
        return sum(self.meetings_by_kind.values())

    @property
    def target_met(self) -> bool | None:
        v = self.placement_rate.value
        return None if v is None else v >= self.target


# ── computation ─────────────────────────────────────────────────────────────────────────────────


def _selected(p: PersonRow, f: KpiFilter) -> bool:
    return (f.office_id is None or p.office_id == f.office_id) and (not f.field or p.field == f.field)


def _supported(p: PersonRow, f: KpiFilter) -> bool:
    return p.first_contact <= f.end and (p.closed_on is None or p.closed_on >= f.start)


def _plans(rows: KpiRows, selected: dict[int, PersonRow], f: KpiFilter) -> tuple[int, Rate, Rate]:
    made = [p for p in rows.plans if p.person_id in selected and p.version == 1 and f.start <= p.made_on <= f.end]
    plan_ids_of: dict[int, set[int]] = defaultdict(set)
    for p in rows.plans:
        plan_ids_of[p.person_id].add(p.id)
    started = reached = 0
    for plan in made:
        linked = [pl for pl in rows.placements if pl.person_id == plan.person_id and pl.plan_id in plan_ids_of[plan.person_id]]
        started += bool(_first_reached(linked, PROPOSED_OR_LATER, f.end))
        reached += bool(_first_reached(linked, PARTICIPATING, f.end))
    return len(made), Rate(started, len(made)), Rate(reached, len(made))


def _flows(rows: KpiRows, selected: dict[int, PersonRow], f: KpiFilter) -> dict[str, Any]:
    """The 芦屋 and meeting indicators: events dated in the period."""

    def inside(day: date | None) -> bool:
        return day is not None and f.start <= day <= f.end

    by_person: dict[int, list[PlacementRow]] = defaultdict(list)
    for pl in rows.placements:
        if pl.person_id in selected:
            by_person[pl.person_id].append(pl)
    # First participation over the whole history: someone who started last year is not counted again.
    first_ever = {pid: _first_reached(pls, PARTICIPATING, date.max) for pid, pls in by_person.items()}
    connected = {pid for pid, d in first_ever.items() if inside(d)}
    hosts = {
        pl.host or f"placement-{pl.id}"
        for pls in by_person.values() for pl in pls
        if any(e.to_stage in HOST_TOOK_IN and inside(e.on) for e in pl.events)
    }  # fmt: skip
    meetings = [m for m in rows.meetings if (f.office_id is None or m.office_id == f.office_id) and inside(m.held_on)]
    kinds: dict[str, int] = defaultdict(int)
    for m in meetings:
        kinds[m.kind] += 1
    received = {pid for pid, p in selected.items() if inside(p.first_contact)}
    site = [c for c in rows.consults if inside(c.on) and (f.office_id is None or c.office_id == f.office_id)]
    # A request without a case has no 分野: it is left out when the report is for one 分野.
    waiting = [c for c in site if c.intake_id is None and not f.field]
    return {
        "consultations": len(received) + len(waiting),
        "consultations_site": len(waiting) + sum(1 for c in site if c.intake_id in received),
        "people_connected": len(connected),
        "outside_services_connected": sum(1 for pid in connected if selected[pid].outside_services),
        "hosts_took_in": len(hosts),
        "meeting_new_places": sum(
            1 for o in rows.outputs
            if o.kind == "new_place" and inside(o.done_on) and (f.office_id is None or o.office_id == f.office_id)
        ),
        "collaboration_cases": len({pid for m in meetings for pid in m.person_ids if pid in selected}),
        "meetings_by_kind": dict(kinds),
    }


def _first_reached(placements: Iterable[PlacementRow], stages: frozenset[str], until: date) -> date | None:
    days = [e.on for pl in placements for e in pl.events if e.to_stage in stages and e.on <= until]
    return min(days) if days else None


def _wellbeing(persons: set[int], followups: Sequence[FollowUpRow], end: date) -> list[WellbeingChange]:
    by_key: dict[tuple[int, str], list[tuple[date, int, bool, int]]] = defaultdict(list)
    for fu in followups:
        if fu.person_id not in persons or not fu.wellbeing_scale or fu.wellbeing_score is None:
            continue
        on = fu.done_on or fu.due_on
        if on <= end:
            by_key[(fu.person_id, fu.wellbeing_scale)].append((on, fu.id, fu.is_baseline, fu.wellbeing_score))
    pairs: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for (_, scale), scores in by_key.items():
        scores.sort()
        baselines = [s for s in scores if s[2]]
        if not baselines:
            continue
        base = baselines[0]
        later = [s for s in scores if not s[2] and (s[0], s[1]) > (base[0], base[1])]
        if later:
            pairs[scale].append((base[3], later[-1][3]))
    out = []
    for scale in sorted(pairs):
        ps = pairs[scale]
        changes = [b - a for a, b in ps]
        out.append(
            WellbeingChange(
                scale=scale,
                pairs=len(ps),
                mean_baseline=round(statistics.fmean(a for a, _ in ps), 2),
                mean_latest=round(statistics.fmean(b for _, b in ps), 2),
                mean_change=round(statistics.fmean(changes), 2),
                improved=sum(1 for c in changes if c > 0),
                unchanged=sum(1 for c in changes if c == 0),
                worse=sum(1 for c in changes if c < 0),
            )
        )
    return out


def _unmet(
    persons: dict[int, PersonRow], placements: Sequence[PlacementRow], f: KpiFilter
) -> tuple[list[UnmetRow], dict[str, UnmetRow]]:
    seen: dict[tuple[str, str], dict[str, set[int]]] = defaultdict(lambda: {o: set() for o in UNMET_OUTCOMES})
    per_district: dict[str, dict[str, set[int]]] = defaultdict(lambda: {o: set() for o in UNMET_OUTCOMES})
    for pl in placements:
        person = persons.get(pl.person_id)
        if person is None or pl.outcome not in UNMET_OUTCOMES or pl.outcome_on is None:
            continue
        if not (f.start <= pl.outcome_on <= f.end):
            continue
        per_district[person.district][pl.outcome].add(person.id)
        for interest in person.interests or ("",):
            seen[(person.district, interest)][pl.outcome].add(person.id)
    rows = [
        UnmetRow(district, interest, len(sets["no_suitable_activity"]), len(sets["host_no_capacity"]),
                 len(sets["no_suitable_activity"] | sets["host_no_capacity"]))
        for (district, interest), sets in seen.items()
    ]
    rows.sort(key=lambda r: (-r.total, r.district, r.interest))
    by_district = {
        d: UnmetRow(d, "", len(sets["no_suitable_activity"]), len(sets["host_no_capacity"]),
                    len(sets["no_suitable_activity"] | sets["host_no_capacity"]))
        for d, sets in sorted(per_district.items())
    }
    return rows, by_district


def compute_kpis(rows: KpiRows, f: KpiFilter, *, target: float = 0.5, as_of: date | None = None) -> KpiReport:
    """All KPIs for the filter. ``as_of`` (default: the end of the period) bounds what can be due."""
    if f.end < f.start:
        raise ValueError("the period ends before it starts")
    as_of = as_of or f.end
    horizon = min(f.end, as_of)
    selected = {p.id: p for p in rows.persons if _selected(p, f)}
    supported = {pid: p for pid, p in selected.items() if _supported(p, f)}
    by_person: dict[int, list[PlacementRow]] = defaultdict(list)
    for pl in rows.placements:
        if pl.person_id in supported:
            by_person[pl.person_id].append(pl)

    proposed = {pid for pid, pls in by_person.items() if _first_reached(pls, PROPOSED_OR_LATER, f.end)}
    first_part = {
        pid: d for pid, pls in by_person.items() if (d := _first_reached(pls, PARTICIPATING, f.end)) is not None
    }
    cohort = [pid for pid, d0 in first_part.items() if d0 + timedelta(days=SETTLE_DAYS) <= horizon]
    settled = [
        pid
        for pid in cohort
        if any(
            pl.stage_on(first_part[pid] + timedelta(days=SETTLE_DAYS)) in PARTICIPATING for pl in by_person[pid]
        )
    ]
    days = sorted((d0 - supported[pid].first_contact).days for pid, d0 in first_part.items())

    due_person = [
        fu for fu in rows.followups
        if fu.person_id in supported and fu.target == "person" and not fu.is_watch and f.start <= fu.due_on <= horizon
    ]
    on_time = sum(1 for fu in due_person if fu.done_on is not None and fu.done_on <= fu.due_on)
    late = sum(1 for fu in due_person if fu.done_on is not None and fu.due_on < fu.done_on <= as_of)
    due_host = [
        fu for fu in rows.followups
        if fu.person_id in supported and fu.target == "host" and f.start <= fu.due_on <= horizon
    ]
    host_done = sum(1 for fu in due_host if fu.done_on is not None and fu.done_on <= as_of)
    unmet, unmet_by_district = _unmet(selected, rows.placements, f)
    plans_made, plan_participation, plan_participating = _plans(rows, selected, f)

    return KpiReport(
        filter=f,
        as_of=as_of,
        target=target,
        supported=len(supported),
        proposed=len(proposed),
        participating=len(first_part),
        placement_rate=Rate(len(first_part), len(supported)),
        settled_3m=Rate(len(settled), len(cohort)),
        median_days_to_participation=float(statistics.median(days)) if days else None,
        days_to_participation_n=len(days),
        followups_on_time=Rate(on_time, len(due_person)),
        followups_late=late,
        followups_open=len(due_person) - on_time - late,
        host_followups_done=Rate(host_done, len(due_host)),
        wellbeing=_wellbeing(set(supported), rows.followups, f.end),
        unmet=unmet,
        unmet_by_district=unmet_by_district,
        plans_made=plans_made,
        plan_participation=plan_participation,
        plan_participating=plan_participating,
        **_flows(rows, selected, f),
    )


def by_field(rows: KpiRows, f: KpiFilter, fields: Sequence[str], **kwargs: object) -> dict[str, KpiReport]:
    """The same KPIs for each 分野 (the filter's own field is replaced)."""
    return {
        name: compute_kpis(rows, KpiFilter(f.start, f.end, f.office_id, name), **kwargs)  # type: ignore[arg-type]
        for name in fields
    }


# ── suppression for exports ─────────────────────────────────────────────────────────────────────


def suppress_count(n: int) -> int | str:
    return SUPPRESSED if 0 < n < SMALL else n


def _small(n: int) -> bool:
    return 0 < n < SMALL


def suppress_rate(rate: Rate) -> float | str | None:
    """Percent, or "<5"-style suppression when the numerator or denominator is small."""
    if rate.denominator == 0:
        return None
    if _small(rate.numerator) or _small(rate.denominator):
        return SUPPRESSED
    return rate.percent


def suppress_stat(value: float | None, n: int) -> float | str | None:
    """A median or mean over ``n`` people: shown only when n is 0 or at least 5."""
    if value is None:
        return None
    return SUPPRESSED if _small(n) else value


# ── database rows ───────────────────────────────────────────────────────────────────────────────


def tokyo_date(at: datetime | None) -> date | None:
    if at is None:
        return None
    return (at if at.tzinfo else at.replace(tzinfo=TZ)).astimezone(TZ).date()


def load_rows(session: Session, office_id: int | None = None) -> KpiRows:
    """Rows for the KPI computation from the case tables (one office, or all offices).

    Only pseudonymous fields are read: no name, contact or note text.
    """
    from webapp.cases.models import FollowUp, Person, Placement, PlacementEvent

    people_q = select(
        Person.id, Person.office_id, Person.field, Person.created_at, Person.closed_at, Person.district, Person.interests,
        Person.received_on, Person.outside_existing_services,
    )  # fmt: skip
    if office_id is not None:
        people_q = people_q.where(Person.office_id == office_id)
    persons = []
    for pid, oid, fld, created, closed, district, interests, received, outside in session.execute(people_q):
        persons.append(
            PersonRow(
                id=pid,
                office_id=oid,
                field=fld,
                first_contact=received or tokyo_date(created) or date.min,
                closed_on=tokyo_date(closed),
                district=district or "",
                interests=tuple(interests or ()),
                outside_services=bool(outside),
            )
        )
    meetings, outputs = _meeting_rows(session, office_id)
    consults = _consult_rows(session, office_id)
    if not persons:
        return KpiRows(meetings=meetings, outputs=outputs, consults=consults)
    # A subquery rather than a list of ids: no parameter limit however many people there are.
    ids = people_q.with_only_columns(Person.id)
    events: dict[int, list[StageEvent]] = defaultdict(list)
    ev_q = (
        select(PlacementEvent.placement_id, PlacementEvent.at, PlacementEvent.to_stage, PlacementEvent.occurred_on)
        .join(Placement, Placement.id == PlacementEvent.placement_id)
        .where(Placement.person_id.in_(ids))
        .order_by(PlacementEvent.placement_id, PlacementEvent.id)
    )
    for placement_id, at, to_stage, occurred_on in session.execute(ev_q):
        events[placement_id].append(StageEvent(occurred_on or tokyo_date(at) or date.min, to_stage))
    placements = [
        PlacementRow(
            id=plid,
            person_id=person_id,
            events=tuple(events.get(plid, ())),
            outcome=outcome or "",
            outcome_on=(events[plid][-1].on if events.get(plid) else tokyo_date(changed)) if outcome else None,
            plan_id=plan_id,
            host=f"a{activity_id}" if activity_id else (host_name or ""),
        )
        for plid, person_id, outcome, changed, plan_id, activity_id, host_name in session.execute(
            select(
                Placement.id, Placement.person_id, Placement.outcome, Placement.stage_changed_at, Placement.plan_id,
                Placement.activity_id, Placement.host_name,
            ).where(Placement.person_id.in_(ids))
        )
    ]
    followups = [
        FollowUpRow(
            id=fid,
            person_id=person_id,
            target=target,
            due_on=due_on,
            done_on=done_on or tokyo_date(done_at),
            wellbeing_scale=scale or "",
            wellbeing_score=score,
            is_baseline=bool(baseline),
            is_watch=bool(watch),
        )
        for fid, person_id, target, due_on, done_at, scale, score, baseline, watch, done_on in session.execute(
            select(
                FollowUp.id,
                FollowUp.person_id,
                FollowUp.target,
                FollowUp.due_on,
                FollowUp.done_at,
                FollowUp.wellbeing_scale,
                FollowUp.wellbeing_score,
                FollowUp.is_baseline,
                FollowUp.is_watch,
                FollowUp.done_on,
            ).where(FollowUp.person_id.in_(ids))
        )
    ]
    from webapp.cases.plan_models import SupportPlan

    plans = [
        PlanRow(plan_id, person_id, version, made_on)
        for plan_id, person_id, version, made_on in session.execute(
            select(SupportPlan.id, SupportPlan.person_id, SupportPlan.version, SupportPlan.made_on).where(
                SupportPlan.person_id.in_(ids)
            )
        )
    ]
    return KpiRows(persons, placements, followups, plans, meetings, outputs, consults)


def _consult_rows(session: Session, office_id: int | None) -> list[ConsultRow]:
    """参加の相談 from the site: id, office, the day it arrived and the case opened from it (nothing else)."""
    from webapp.consult.models import ConsultRequest

    q = select(ConsultRequest.id, ConsultRequest.office_id, ConsultRequest.created_at, ConsultRequest.intake_id)
    if office_id is not None:
        q = q.where(ConsultRequest.office_id == office_id)
    return [
        ConsultRow(int(cid), oid, tokyo_date(created) or date.min, intake_id)
        for cid, oid, created, intake_id in session.execute(q)
    ]


def _meeting_rows(session: Session, office_id: int | None) -> tuple[list[MeetingRow], list[OutputRow]]:
    """Meetings and their outputs (ids, kinds and dates only: no case part, no theme text)."""
    from webapp.cases.plan_models import Meeting, MeetingCase, MeetingOutput

    q = select(Meeting.id, Meeting.office_id, Meeting.kind, Meeting.held_on)
    if office_id is not None:
        q = q.where(Meeting.office_id == office_id)
    linked: dict[int, list[int]] = defaultdict(list)
    for meeting_id, person_id in session.execute(
        select(MeetingCase.meeting_id, MeetingCase.person_id).where(MeetingCase.meeting_id.in_(q.with_only_columns(Meeting.id)))
    ):
        linked[meeting_id].append(person_id)
    meetings = [MeetingRow(mid, oid, kind, held, tuple(linked.get(mid, ()))) for mid, oid, kind, held in session.execute(q)]
    outputs = [
        OutputRow(out_id, oid, kind, done)
        for out_id, oid, kind, done in session.execute(
            select(MeetingOutput.id, Meeting.office_id, MeetingOutput.kind, MeetingOutput.done_on)
            .join(Meeting, Meeting.id == MeetingOutput.meeting_id)
            .where(Meeting.id.in_(q.with_only_columns(Meeting.id)))
        )
    ]
    return meetings, outputs
