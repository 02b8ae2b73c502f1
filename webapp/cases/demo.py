"""Fictional staff accounts and cases for the board demo (架空のデータ); `odekake load-demo-staff`.

Needs the sample city (`odekake load-demo`) for the activities it connects people to. Every case
note says 架空; the notice in data/sample/staff_demo.json says the same.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp import clock
from webapp.accounts.models.user import User
from webapp.cases import meetings, plans
from webapp.cases import placements as flow
from webapp.cases import services as svc
from webapp.cases.models import Person
from webapp.config import PROJECT_ROOT
from webapp.listings.models.activity import Activity
from webapp.service_error import ServiceError

STAFF_DEMO_FILE = PROJECT_ROOT / "data" / "sample" / "staff_demo.json"


def load_staff_demo(session: Session, password: str, path: Path = STAFF_DEMO_FILE) -> dict[str, int]:
    from webapp.accounts.services import create_user

    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    emails = [u["email"] for u in data["users"]]
    if session.scalar(select(User.id).where(User.email.in_(emails))):
        raise ServiceError("already_loaded", "the staff demo is already loaded; nothing was changed")
    users: dict[str, User] = {}
    for u in data["users"]:
        users[u["email"]] = create_user(session, u["email"], password, [u["role"]], u["office"], u.get("name", ""))
    activities = {
        a.source_id: a
        for a in session.scalars(select(Activity).where(Activity.source == data.get("source", "sample")))
    }
    today = clock.today()
    placements = 0
    people = []
    for n, item in enumerate(data["people"]):
        worker = users[item["worker"]]
        moves_ago = [m[2] for pl in item.get("placements", []) for m in pl.get("moves", [])]
        # A consistent history: received first, then consent, plan, candidate, moves in order, today last.
        received = today - timedelta(days=(max(moves_ago) if moves_ago else 10 * n) + 21)
        profile = {**item["profile"], "received_on": received, "intake_route": ROUTE_OF.get(item["profile"].get("referral_source", ""), "other")}
        person = svc.create_person(session, worker, svc.PersonInput(**profile))
        people.append(person)
        for c in item.get("consents", []):
            activity = activities.get(c.get("activity", ""))
            svc.grant_consent(
                session, worker, person, c["purpose"], c["method"],
                recipient=activity.name if activity else c.get("recipient", ""),
                activity_id=activity.id if activity else None, granted_on=received + timedelta(days=2),
            )  # fmt: skip
        for pl in item.get("placements", []):
            activity = activities.get(pl["activity"])
            if activity is None:
                raise ServiceError("needs_sample_city", "load the sample city first: odekake load-demo")
            plan = plans.make_plan(session, worker, person, plans.PlanInput(
                made_on=received + timedelta(days=5), goals="（架空）週に1回、家の外に出かける場をもつ",
                supports="（架空）参加支援（活動への同行）、定着支援", includes_participation=True,
                activity_id=activity.id, review_on=received + timedelta(days=95),
            ))  # fmt: skip
            placement = plans.placement_from_plan(session, worker, person, plan, received + timedelta(days=7))
            for stage, reason, days_ago in pl.get("moves", []):
                flow.move_stage(session, worker, placement, stage, reason, occurred_on=today - timedelta(days=days_ago))
            placements += 1
        if item.get("no_suitable"):
            flow.record_no_suitable(session, worker, person, item["no_suitable"], occurred_on=received + timedelta(days=7))
        for body in item.get("notes", []):
            svc.add_note(session, worker, person, body, occurred_on=received)
        if item.get("baseline"):
            flow.record_baseline(session, worker, person, item["baseline"]["scale"], item["baseline"]["score"],
                                 occurred_on=received + timedelta(days=3))  # fmt: skip
    _demo_meetings(session, users, people, today)
    session.flush()
    return {"users": len(users), "people": len(data["people"]), "placements": placements}


ROUTE_OF = {"houkatsu": "houkatsu", "family": "self_family", "self": "self_family", "ikomaru": "ikomaru", "csw": "agency"}


def _demo_meetings(session: Session, users: dict[str, User], people: list[Person], today: date) -> None:
    """A 支援会議 without consent, a 重層的支援会議 that confirms a plan, a 事例検討 with no case (架空)."""
    lead = users["lead.demo@example.jp"]
    first, third = people[0], people[2]
    svc.grant_consent(session, lead, first, "multiagency_meeting", "written", recipient="重層的支援会議",
                      granted_on=first.intake_day + timedelta(days=2))  # fmt: skip
    orgs = ["生駒市 福祉政策課（架空）", "地域包括支援センター（架空）", "社会福祉協議会（架空）"]
    held = first.plans[0].made_on + timedelta(days=1)
    m1 = meetings.create_meeting(session, lead, meetings.MeetingInput(
        kind="multiagency_meeting", regular=True, held_on=held, attendee_orgs=orgs, theme="（架空）退職後の男性の居場所"))  # fmt: skip
    meetings.link_case(session, lead, m1, first, "（架空）プランを確認。囲碁の会への同行を決めた。", confirms_plan=True)
    m2 = meetings.create_meeting(session, lead, meetings.MeetingInput(
        kind="support_meeting", regular=False, held_on=max(third.intake_day, today - timedelta(days=7)),
        attendee_orgs=orgs[:2], theme="（架空）乳児連れで参加できる場"))  # fmt: skip
    meetings.link_case(session, lead, m2, third, "（架空）平日午前の場が地域にない。")
    meetings.add_output(session, lead, m2, "develop_host", "（架空）子育てひろばに料理の回をつくれるか相談する", third.district)
    meetings.create_meeting(session, lead, meetings.MeetingInput(
        kind="case_review", regular=True, held_on=today - timedelta(days=3), attendee_orgs=orgs, theme="（架空）事例検討会"))  # fmt: skip
