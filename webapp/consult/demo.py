"""Fictional 参加の相談 (サンプル／架空) and office districts for the demo: `odekake load-demo-staff` loads
them after the staff demo and the demo hosts, from data/sample/staff_demo.json.

- office_districts: which demo office receives the 参加の相談 of each 小学校区 ("*": every district
  not given to another office);
- consultations: sent ``days`` ago through the same rules as the public form (routing included);
  one with ``taken_up_by`` is then turned into a case by that supporter (「受付する」), the other stays
  新しい相談 on the staff home.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp import clock
from webapp.accounts.models.user import Office, User
from webapp.cases.demo import STAFF_DEMO_FILE
from webapp.consult import services as svc
from webapp.listings.models.activity import Activity
from webapp.service_error import ServiceError


def load_consult_demo(session: Session, path: Path = STAFF_DEMO_FILE) -> dict[str, int]:
    """Office districts and the demo consultations; returns how many of each (and cases opened)."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    offices = {o.name: o for o in session.scalars(select(Office).where(Office.name.in_(list(data.get("office_districts", {})))))}
    districts = [code for code, _name in svc.district_choices(session)]
    assignment: dict[str, int | None] = {}
    rest = None
    for name, codes in data.get("office_districts", {}).items():
        if name not in offices:
            raise ServiceError("needs_staff_demo", "load the staff demo first (its offices receive the consultations)")
        if codes == "*":
            rest = offices[name].id
        else:
            assignment.update(dict.fromkeys(codes, offices[name].id))
    for code in districts:
        assignment.setdefault(code, rest)
    svc.assign_districts(session, {c: o for c, o in assignment.items() if c in set(districts)})

    users = {u.email: u for u in session.scalars(select(User).where(User.email.in_([u["email"] for u in data["users"]])))}
    source = data.get("source", "sample")
    now = clock.now()
    taken = 0
    items = data.get("consultations", [])
    for item in items:
        activity = None
        if item.get("activity"):
            activity = session.scalar(select(Activity).where(Activity.source == source, Activity.source_id == item["activity"]))
        req = svc.create_request(session, svc.ConsultInput(
            name=item["name"], contact_method=item["contact_method"], contact=item["contact"],
            district=item.get("district", ""), wishes=item.get("wishes", []), message=item.get("message", ""),
            activity_id=activity.id if activity else None, consent=True,
        ), set(districts))  # fmt: skip
        # Sent ``days`` ago, in the evening (Japan): the consent was given at that moment.
        sent = min(_evening(clock.today() - timedelta(days=int(item["days"]))), now)
        req.created_at = req.consented_at = sent
        session.flush()
        if item.get("taken_up_by"):
            user = users.get(item["taken_up_by"])
            if user is None:
                raise ServiceError("needs_staff_demo", "load the staff demo first")
            svc.take_up(session, user, req)
            taken += 1
    session.flush()
    return {"office_districts": sum(1 for o in assignment.values() if o is not None), "consultations": len(items),
            "cases": taken}


def _evening(day: date) -> datetime:
    return clock.at_jst(day, time(19, 30))
