"""Plans, meetings, meeting outputs, hosts, 見守り, 参加の相談 from the site and a host register (受け入れ先の
台帳) on top of the fixed KPI dataset (tests.factories).

Every figure is worked out by hand in tests/reports/test_indicators.py. Period 2026-04-01 … 09-30.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import FOLLOWUPS, ICHIBU, IKOMA, MAYUMI, PEOPLE, PLACEMENTS, D
from webapp.reports.kpis import (
    ConsultRow,
    FollowUpRow,
    KpiRows,
    MeetingRow,
    OutputRow,
    PersonRow,
    PlacementRow,
    PlanRow,
    StageEvent,
)

OUTSIDE_SERVICES = {2, 4, 9}  # persons marked 既存事業の対象外
# placement id → host name (the others keep the dataset's "受け入れ先")
HOSTS = {1: "囲碁の会", 2: "手芸の会", 4: "カフェ", 5: "囲碁の会", 9: "体操教室"}
# plan: (id, person, version, made_on, placement ids made from it)
PLANS = [
    (1, 1, 1, D(2026, 3, 3), (1,)),  # before the period
    (2, 2, 1, D(2026, 4, 12), (2,)),  # in: 打診 04-15, 参加中 05-10
    (3, 2, 2, D(2026, 6, 5), ()),  # a revision: not a plan "made"
    (4, 3, 1, D(2026, 5, 25), (4,)),  # in: 打診 06-05, then ended (no room)
    (5, 4, 1, D(2026, 6, 1), ()),  # in: a plan without 参加支援 (P4's placement is not from it)
    (6, 7, 1, D(2026, 4, 2), (7,)),  # office 2: 参加中 04-20
    (7, 9, 1, D(2026, 9, 1), ()),  # in: no placement from it (P9's old placements do not count)
]
# meeting: (id, office, kind, held_on, persons)
MEETINGS = [
    (1, 1, "multiagency_meeting", D(2026, 4, 20), (1, 2)),
    (2, 1, "support_meeting", D(2026, 5, 10), (3,)),
    (3, 1, "team_meeting", D(2026, 6, 1), (2,)),
    (4, 1, "collaboration_meeting", D(2026, 7, 1), ()),
    (5, 1, "case_review", D(2026, 8, 1), ()),
    (6, 1, "participation_subcommittee", D(2026, 9, 30), ()),
    (7, 1, "multiagency_meeting", D(2026, 3, 31), (9,)),  # before the period
    (8, 2, "support_meeting", D(2026, 5, 1), (7,)),
    (9, 1, "case_review", D(2026, 10, 1), ()),  # after the period
]
# output: (id, meeting, kind, done_on)
OUTPUTS = [
    (1, 4, "new_place", D(2026, 7, 15)),
    (2, 5, "new_place", None),  # decided, not done yet
    (3, 1, "develop_host", D(2026, 6, 1)),
    (4, 7, "new_place", D(2026, 4, 1)),  # done in the period though decided before it
    (5, 8, "new_place", D(2026, 5, 5)),  # office 2
]
# A 見守り check-in (after closing) due in the period and not done: never a late 定着支援 follow-up.
WATCH = (12, 1, "person", D(2026, 9, 1), None, "", None, False, True)
# 参加の相談 from the site: (id, office, the day it arrived in Japan, the person (case) opened from it). Each
# arrived at 08:30 in Japan, 23:30 UTC the day before: read as UTC dates, 5 and 3 would swap sides.
CONSULTS = [
    (1, 1, D(2026, 5, 2), None),  # in the period, no case yet
    (2, 1, D(2026, 4, 10), 2),  # taken up as P2 (received the same day): counted once, as P2
    (3, 1, D(2026, 10, 1), None),  # after the period
    (4, 2, D(2026, 6, 1), None),  # office 2
    (5, 1, D(2026, 4, 1), None),  # the period's first day
    (6, 1, D(2026, 3, 31), None),  # before the period
]
# The host register: (id, name, kind, office, districts served, [(day, stage) …] — the first is 候補)
HOST_REGISTER = [
    (1, "農園A", "farm", 1, (IKOMA,),
     [(D(2026, 3, 1), "candidate"), (D(2026, 3, 10), "approached"), (D(2026, 3, 20), "agreed"), (D(2026, 4, 15), "receiving")]),
    (2, "企業B", "company", 1, (MAYUMI, IKOMA),
     [(D(2026, 4, 5), "candidate"), (D(2026, 4, 20), "approached"), (D(2026, 5, 10), "agreed")]),
    (3, "寺C", "temple", 1, (),
     [(D(2026, 1, 10), "candidate"), (D(2026, 1, 20), "approached"), (D(2026, 2, 1), "agreed"), (D(2026, 3, 15), "declined"),
      (D(2026, 7, 1), "candidate"), (D(2026, 7, 10), "approached"), (D(2026, 8, 1), "agreed")]),
    (4, "サロン団体D", "listing_org", 1, (IKOMA,),
     [(D(2026, 4, 1), "candidate"), (D(2026, 4, 2), "approached"), (D(2026, 4, 3), "agreed"), (D(2026, 6, 1), "receiving")]),
    (5, "事業所E", "business", 2, (ICHIBU,),
     [(D(2026, 5, 1), "candidate"), (D(2026, 5, 5), "approached"), (D(2026, 9, 30), "agreed"), (D(2026, 10, 1), "receiving")]),
    (6, "企業F", "company", 1, (IKOMA,),
     [(D(2026, 4, 1), "candidate"), (D(2026, 5, 1), "approached"), (D(2026, 5, 20), "declined")]),
    (7, "NPO G", "npo", 1, (MAYUMI,),
     [(D(2025, 6, 1), "candidate"), (D(2025, 7, 1), "approached"), (D(2025, 8, 1), "agreed"), (D(2025, 9, 1), "receiving"),
      (D(2026, 4, 1), "declined")]),
]


def _plan_of(placement_id: int) -> int | None:
    return next((plan_id for plan_id, *_rest, made in PLANS if placement_id in made), None)


def plan_rows() -> KpiRows:
    meeting_office = {m[0]: m[1] for m in MEETINGS}
    return KpiRows(
        persons=[PersonRow(i, o, f, c, cl, d, tuple(it), i in OUTSIDE_SERVICES) for i, o, f, c, cl, d, it in PEOPLE],
        placements=[
            PlacementRow(i, p, tuple(StageEvent(on, st) for on, st in ev), out, ev[-1][0] if out else None,
                         _plan_of(i), HOSTS.get(i, "受け入れ先"))
            for i, p, ev, out in PLACEMENTS
        ],
        followups=[FollowUpRow(*row) for row in FOLLOWUPS] + [FollowUpRow(*WATCH)],
        plans=[PlanRow(i, p, v, made) for i, p, v, made, _pl in PLANS],
        meetings=[MeetingRow(i, o, k, held, persons) for i, o, k, held, persons in MEETINGS],
        outputs=[OutputRow(i, meeting_office[m], k, done) for i, m, k, done in OUTPUTS],
        consults=[ConsultRow(i, o, on, person) for i, o, on, person in CONSULTS],
    )


def store_plan_dataset(session: Session, offices: dict[int, int]) -> None:
    """After store_fixed_dataset: the same additions in the case tables."""
    from webapp.cases.models import FollowUp, Person, Placement
    from webapp.cases.plan_models import Meeting, MeetingCase, MeetingOutput, SupportPlan

    people = {int(p.case_code[2:]): p for p in session.scalars(select(Person).where(Person.case_code.like("T-%")))}
    for i, person in people.items():
        person.outside_existing_services = i in OUTSIDE_SERVICES
    by_person: dict[int, list[Placement]] = {}
    for pl in session.scalars(select(Placement).order_by(Placement.id)):
        by_person.setdefault(pl.person_id, []).append(pl)
    placements: dict[int, Placement] = {}
    for i, p, _ev, _out in PLACEMENTS:
        placements[i] = by_person[people[p].id].pop(0)
        placements[i].host_name = HOSTS.get(i, "受け入れ先")
    for _i, p, version, made, linked in PLANS:
        plan = SupportPlan(person_id=people[p].id, version=version, made_on=made, goals="（架空）目標")
        session.add(plan)
        session.flush()
        for placement_id in linked:
            placements[placement_id].plan_id = plan.id
    meetings: dict[int, Meeting] = {}
    for i, o, kind, held, persons in MEETINGS:
        meeting = Meeting(office_id=offices[o], kind=kind, held_on=held, attendee_orgs=["市（架空）"])
        meeting.cases = [MeetingCase(person_id=people[p].id, without_consent=kind == "support_meeting") for p in persons]
        session.add(meeting)
        meetings[i] = meeting
    session.flush()
    for _i, m, kind, done in OUTPUTS:
        session.add(MeetingOutput(meeting_id=meetings[m].id, kind=kind, text="（架空）", done_on=done))
    _fid, p, target, due, _done, _scale, _score, _base, watch = WATCH
    session.add(FollowUp(person_id=people[p].id, target=target, due_on=due, is_watch=watch, label="watch+30d"))
    session.flush()
    _store_consults(session, offices, people)
    _store_host_register(session, offices)


def _store_consults(session: Session, offices: dict[int, int], people: dict[int, Any]) -> None:
    from webapp.clock import at_jst
    from webapp.consult.models import ConsultRequest

    for _i, o, on, person in CONSULTS:
        moment = at_jst(on, time(8, 30))
        session.add(ConsultRequest(
            office_id=offices[o], name="（架空）", contact="090", consent_version="test", consented_at=moment,
            created_at=moment, status="received" if person else "new", intake_id=people[person].id if person else None,
        ))  # fmt: skip
    session.flush()


def _store_host_register(session: Session, offices: dict[int, int]) -> None:
    from webapp.hosts.models import Host, HostOffice, HostStageEvent
    from webapp.listings.models.organization import Organization

    org = Organization(source="test", source_id="org-d", name="サロン団体D（架空）", kind="other")
    session.add(org)
    session.flush()
    for _i, name, kind, o, districts, events in HOST_REGISTER:
        host = Host(name=name, kind=kind, districts=list(districts), stage=events[-1][1], stage_on=events[-1][0],
                    organization_id=org.id if kind == "listing_org" else None, created_at=at_noon(events[0][0]))
        host.offices = [HostOffice(office_id=offices[o])]
        host.events = [HostStageEvent(stage=stage, on=on) for on, stage in events]
        session.add(host)
    session.flush()


def at_noon(day: date) -> datetime:
    from webapp.clock import at_jst

    return at_jst(day)
