"""Fictional staff accounts and cases for the board demo (架空のデータ); `odekake load-demo-staff`.

Needs the sample city (`odekake load-demo`) for the activities it connects people to. Every case
note says 架空; the notice in data/sample/staff_demo.json says the same.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.accounts.models.user import User
from webapp.cases import placements as flow
from webapp.cases import services as svc
from webapp.config import PROJECT_ROOT
from webapp.listings.models.activity import Activity
from webapp.orm import utcnow
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
    now = utcnow()
    placements = 0
    for item in data["people"]:
        worker = users[item["worker"]]
        person = svc.create_person(session, worker, svc.PersonInput(**item["profile"]))
        for c in item.get("consents", []):
            activity = activities.get(c.get("activity", ""))
            svc.grant_consent(
                session, worker, person, c["purpose"], c["method"],
                recipient=activity.name if activity else c.get("recipient", ""),
                activity_id=activity.id if activity else None,
            )  # fmt: skip
        for pl in item.get("placements", []):
            activity = activities.get(pl["activity"])
            if activity is None:
                raise ServiceError("needs_sample_city", "load the sample city first: odekake load-demo")
            placement = flow.add_placement(session, worker, person, activity.id, reason="（架空）デモ")
            for stage, reason, days_ago in pl.get("moves", []):
                flow.move_stage(session, worker, placement, stage, reason, now=now - timedelta(days=days_ago))
            placements += 1
        if item.get("no_suitable"):
            flow.record_no_suitable(session, worker, person, item["no_suitable"])
        for body in item.get("notes", []):
            svc.add_note(session, worker, person, body)
        if item.get("baseline"):
            flow.record_baseline(session, worker, person, item["baseline"]["scale"], item["baseline"]["score"])
    session.flush()
    return {"users": len(users), "people": len(data["people"]), "placements": placements}

