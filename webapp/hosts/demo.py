"""Fictional hosts (受け入れ先, サンプル／架空) for the demo: `odekake load-demo-staff` loads them after the
staff demo (webapp.cases.demo), from the "hosts" of data/sample/staff_demo.json.

Each host's history is dated consistently: registered ``created`` days ago (its 候補 step that day),
then every step, contact and support note on or after it and never after today, in order. The
steps go through the register's own rules (hosts.services.move_stage), so a history the pipeline
would refuse cannot be loaded.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp import clock
from webapp.accounts.models.user import User
from webapp.cases.demo import STAFF_DEMO_FILE
from webapp.hosts import services as svc
from webapp.listings.models.activity import Activity
from webapp.service_error import ServiceError


def _moment(day: date) -> datetime:
    """Noon (Japan) of a past day; now, if that noon is still to come today."""
    return min(clock.at_jst(day), clock.now())


def load_host_demo(session: Session, path: Path = STAFF_DEMO_FILE) -> int:
    """Load the demo hosts (needs the staff demo's accounts and the sample city); returns how many."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    users = {u.email: u for u in session.scalars(select(User).where(User.email.in_([u["email"] for u in data["users"]])))}
    today = clock.today()
    for item in data.get("hosts", []):
        user = users.get(item["by"])
        if user is None:
            raise ServiceError("needs_staff_demo", "load the staff demo first (its accounts register the hosts)")
        organization_id = None
        if item.get("organization_of"):
            activity = session.scalar(
                select(Activity).where(Activity.source == data.get("source", "sample"), Activity.source_id == item["organization_of"])
            )
            if activity is None:
                raise ServiceError("needs_sample_city", "load the sample city first: odekake load-demo")
            organization_id = activity.organization_id
        host = svc.create_host(session, user, svc.HostInput(
            name=item["name"], kind=item["kind"], organization_id=organization_id, contact=item.get("contact", ""),
            districts=item.get("districts", []), offers=item.get("offers", []), capacity=item.get("capacity"),
            weekdays=item.get("weekdays", []), accommodations=item.get("accommodations", ""),
            origin_district=item.get("origin_district", ""), origin_interest=item.get("origin_interest", ""),
        ))  # fmt: skip
        # Registered in the past: the record's creation and its 候補 step carry that day.
        created = today - timedelta(days=int(item["created"]))
        host.created_at = _moment(created)
        host.stage_on = created
        host.events[0].on = created
        host.events[0].recorded_at = host.created_at
        for stage, days_ago, reason in item.get("moves", []):
            on = today - timedelta(days=int(days_ago))
            svc.move_stage(session, user, host, stage, on, reason)
            host.events[-1].recorded_at = _moment(on)
        for days_ago, channel, note in item.get("contacts", []):
            svc.add_contact(session, user, host, channel, note, today - timedelta(days=int(days_ago)))
        for days_ago, need, note in item.get("support_notes", []):
            svc.add_support_note(session, user, host, need, note, today - timedelta(days=int(days_ago)))
    session.flush()
    return len(data.get("hosts", []))
