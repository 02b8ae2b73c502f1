"""Host figures for the reports (the integrator wires them into the KPI page).

Definitions (Japan dates, both ends inclusive):
- agreed: hosts whose pipeline reached 合意 for the first time on a date in the period;
- cooperating_companies: 協力企業・団体 (kind "company") at 合意 or 受け入れ中 on the last day of
  the period (芦屋市's indicator, target 5);
- places_set_up: new places set up (企画による場の設定): hosts that reached 受け入れ中 for the first
  time in the period;
- by district: the same counts per district the host serves (a host serving two districts counts
  in both; a host with no district is counted under "").
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.hosts.models import Host, HostOffice, HostStageEvent

ACTIVE = ("agreed", "receiving")


@dataclass(frozen=True)
class HostCounts:
    start: date
    end: date
    agreed: int
    cooperating_companies: int
    places_set_up: int
    agreed_by_district: dict[str, int] = field(default_factory=dict)
    places_by_district: dict[str, int] = field(default_factory=dict)


def _first_reached(session: Session, stage: str, office_id: int | None) -> dict[int, date]:
    q = select(HostStageEvent.host_id, func.min(HostStageEvent.on)).where(HostStageEvent.stage == stage)
    if office_id is not None:
        q = q.where(HostStageEvent.host_id.in_(select(HostOffice.host_id).where(HostOffice.office_id == office_id)))
    return {int(h): d for h, d in session.execute(q.group_by(HostStageEvent.host_id))}


def _stage_on(session: Session, day: date, host_ids: list[int]) -> dict[int, str]:
    """Each host's stage at the end of ``day`` (its last event on or before it)."""
    stages: dict[int, str] = {}
    rows = session.execute(
        select(HostStageEvent.host_id, HostStageEvent.stage)
        .where(HostStageEvent.on <= day, HostStageEvent.host_id.in_(host_ids))
        .order_by(HostStageEvent.on, HostStageEvent.id)
    )
    for host_id, stage in rows:
        stages[int(host_id)] = stage
    return stages


def host_counts(session: Session, start: date, end: date, office_id: int | None = None) -> HostCounts:
    """Counts for [start, end] (Japan dates), for one office's hosts or all."""
    agreed_first = {h: d for h, d in _first_reached(session, "agreed", office_id).items() if start <= d <= end}
    receiving_first = {h: d for h, d in _first_reached(session, "receiving", office_id).items() if start <= d <= end}
    q = select(Host.id, Host.kind, Host.districts)
    if office_id is not None:
        q = q.where(Host.id.in_(select(HostOffice.host_id).where(HostOffice.office_id == office_id)))
    hosts = {int(i): (kind, list(districts or [])) for i, kind, districts in session.execute(q)}
    companies = [i for i, (kind, _d) in hosts.items() if kind == "company"]
    at_end = _stage_on(session, end, companies)
    cooperating = sum(1 for i in companies if at_end.get(i) in ACTIVE)

    def by_district(ids: dict[int, date]) -> dict[str, int]:
        counter: Counter[str] = Counter()
        for i in ids:
            for code in hosts.get(i, ("", []))[1] or [""]:
                counter[code] += 1
        return dict(sorted(counter.items()))

    return HostCounts(
        start=start,
        end=end,
        agreed=len(agreed_first),
        cooperating_companies=cooperating,
        places_set_up=len(receiving_first),
        agreed_by_district=by_district(agreed_first),
        places_by_district=by_district(receiving_first),
    )
