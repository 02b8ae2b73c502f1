"""Host figures for the reports (the KPI page, kpis.json and the exports show them as indicators).

Definitions (Japan dates of the pipeline steps, both ends of the period inclusive):
- agreed (新たに合意した受け入れ先): hosts whose pipeline reached 合意 for the first time ever on a
  date in the period (a host agreed last year, dropped and agreed again is not new);
- cooperating (協力企業・団体, 芦屋市's indicator, target 5): hosts that are not a listing's organization
  (every kind but 地図に載っている団体: 協力企業・団体, 事業所, 農園, お寺・神社, NPO, その他) and were at
  合意 or 受け入れ中 at some time during the period: already so when it began, or reaching it within
  it. A stock, like the people supported: one that stopped (見送り) during the period still counts;
- places_set_up (企画による場の設定): hosts of any kind that reached 受け入れ中 for the first time ever
  in the period — a place that receives people through 参加支援 for the first time;
- by district: the same counts per district the host serves (a host serving two districts counts
  in both, so the rows add up to more than the total; a host with no district is counted under "").

With an office, only the hosts that office works with (HostOffice) are counted. Hosts have no 分野:
the figures are the same whatever 分野 a report is filtered by.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.hosts.models import Host, HostOffice, HostStageEvent

ACTIVE = ("agreed", "receiving")
NOT_COOPERATING_KINDS = ("listing_org",)  # on the map already: counted as places, not as 協力企業・団体


@dataclass(frozen=True)
class HostCounts:
    start: date
    end: date
    agreed: int
    cooperating: int
    places_set_up: int
    agreed_by_district: dict[str, int] = field(default_factory=dict)
    cooperating_by_district: dict[str, int] = field(default_factory=dict)
    places_by_district: dict[str, int] = field(default_factory=dict)

    def by_district(self) -> list[tuple[str, int, int, int]]:
        """(district, agreed, cooperating, places set up) for every district with a figure, "" last."""
        codes = set(self.agreed_by_district) | set(self.cooperating_by_district) | set(self.places_by_district)
        return [
            (c, self.agreed_by_district.get(c, 0), self.cooperating_by_district.get(c, 0), self.places_by_district.get(c, 0))
            for c in sorted(codes, key=lambda c: (c == "", c))
        ]


@dataclass(frozen=True)
class _HostRow:
    kind: str
    districts: tuple[str, ...]
    events: tuple[tuple[date, str], ...]  # (on, stage) in the order they were recorded


def _rows(session: Session, office_id: int | None) -> dict[int, _HostRow]:
    q = select(Host.id, Host.kind, Host.districts)
    ev = select(HostStageEvent.host_id, HostStageEvent.on, HostStageEvent.stage).order_by(
        HostStageEvent.host_id, HostStageEvent.on, HostStageEvent.id
    )
    if office_id is not None:
        mine = select(HostOffice.host_id).where(HostOffice.office_id == office_id)
        q, ev = q.where(Host.id.in_(mine)), ev.where(HostStageEvent.host_id.in_(mine))
    events: dict[int, list[tuple[date, str]]] = defaultdict(list)
    for host_id, on, stage in session.execute(ev):
        events[int(host_id)].append((on, stage))
    return {
        int(i): _HostRow(kind, tuple(districts or ()), tuple(events.get(int(i), ())))
        for i, kind, districts in session.execute(q)
    }


def _first(row: _HostRow, stage: str) -> date | None:
    days = [on for on, s in row.events if s == stage]
    return min(days) if days else None


def _cooperating(row: _HostRow, start: date, end: date) -> bool:
    if row.kind in NOT_COOPERATING_KINDS:
        return False
    before = [s for on, s in row.events if on < start]
    if before and before[-1] in ACTIVE:
        return True
    return any(start <= on <= end and s in ACTIVE for on, s in row.events)


def host_counts(session: Session, start: date, end: date, office_id: int | None = None) -> HostCounts:
    """Counts for [start, end] (Japan dates), for one office's hosts or all."""
    rows = _rows(session, office_id)

    def inside(day: date | None) -> bool:
        return day is not None and start <= day <= end

    agreed = [i for i, r in rows.items() if inside(_first(r, "agreed"))]
    cooperating = [i for i, r in rows.items() if _cooperating(r, start, end)]
    places = [i for i, r in rows.items() if inside(_first(r, "receiving"))]

    def by_district(ids: Iterable[int]) -> dict[str, int]:
        counter: Counter[str] = Counter()
        for i in ids:
            for code in rows[i].districts or ("",):
                counter[code] += 1
        return dict(sorted(counter.items()))

    return HostCounts(
        start=start,
        end=end,
        agreed=len(agreed),
        cooperating=len(cooperating),
        places_set_up=len(places),
        agreed_by_district=by_district(agreed),
        cooperating_by_district=by_district(cooperating),
        places_by_district=by_district(places),
    )
