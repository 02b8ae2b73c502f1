"""参加支援 KPIs on a fixed fictional dataset, every figure worked out by hand (see the comments).

Period 2026-04-01 … 2026-09-30, counted on 2026-10-15. Office 1 unless said otherwise. Districts are
the SAMPLE 小学校区 codes (Person.district holds District.code): 生駒, 真弓, 壱分.

P1 elderly, contact 03-01, 生駒, [go, tea_chat]:   proposed 03-10, participating 04-01 (31 days), still in
P2 elderly, contact 04-10, 真弓, [handicraft]: proposed 04-15, participating 05-10 (30 days), ended 06-01
P3 hikikomori, contact 05-01, 生駒, [go]:     no suitable activity 05-20; proposed 06-05, host no capacity 06-10
P4 elderly, contact 06-01, 真弓, []:          proposed 06-03, participating 07-15 (44 days; 90 days later is after 09-30)
P5 elderly, contact 2025-10-01, closed 03-15: not supported in the period
P6 elderly, contact 10-05:                    after the period: not supported
P7 office 2, elderly, contact 04-01:          participating 04-20 (19 days), still in on 07-19
P8 hikikomori, contact 02-01, no district, [walking]: no suitable activity 03-30 (before the period)
P9 elderly, contact 01-15, 生駒, [tea_chat]:     participating 02-15 (31 days), settled 05-15; host no capacity 04-05

Office 1: supported P1 P2 P3 P4 P8 P9 = 6; proposed P1 P2 P3 P4 P9 = 5; participating P1 P2 P4 P9 = 4
→ 4/6 = 66.7 % ≥ 50 %. 3-month cohort (first participation + 90 ≤ 09-30): P1 (06-30), P2 (08-08),
P9 (05-16); still in then: P1, P9 → 2/3. Days to participation 30, 31, 31, 44 → median 31.
Person follow-ups due 04-01…09-30: FU1 on time, FU2 late, FU3 on time, FU4 open, FU9 on time, FU10 on
time, FU11 late (done 10-02) → 4/7 on time, 2 late, 1 open. Host: FU5 done, FU6 not → 1/2.
WHO-5 pairs: P1 10 → 16 (+6), P9 12 → 11 (−1): n 2, means 11.0 → 13.5, change +2.5. SWEMWBS: P2 has a
baseline only → no pair. Unmet in the period: (生駒, go) no suitable P3, no capacity P3; (生駒, tea_chat)
no capacity P9. P8's 03-30 record is before the period.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from tests.factories import FOLLOWUPS, IKOMA, PEOPLE, PLACEMENTS, D, store_fixed_dataset
from webapp.reports.kpis import (
    SUPPRESSED,
    FollowUpRow,
    KpiFilter,
    KpiRows,
    PersonRow,
    PlacementRow,
    Rate,
    StageEvent,
    UnmetRow,
    by_field,
    compute_kpis,
    load_rows,
    suppress_count,
    suppress_rate,
    suppress_stat,
    tokyo_date,
)

PERIOD = KpiFilter(D(2026, 4, 1), D(2026, 9, 30), office_id=1)
AS_OF = D(2026, 10, 15)



def fixed_rows() -> KpiRows:
    return KpiRows(
        persons=[PersonRow(i, o, f, c, cl, d, tuple(it)) for i, o, f, c, cl, d, it in PEOPLE],
        placements=[
            PlacementRow(i, p, tuple(StageEvent(on, st) for on, st in ev), out, ev[-1][0] if out else None)
            for i, p, ev, out in PLACEMENTS
        ],
        followups=[FollowUpRow(*row) for row in FOLLOWUPS],
    )


def check_office_one(r) -> None:  # type: ignore[no-untyped-def]
    assert r.supported == 6
    assert r.proposed == 5
    assert r.participating == 4
    assert r.placement_rate == Rate(4, 6) and r.placement_rate.percent == 66.7
    assert r.target_met is True
    assert r.settled_3m == Rate(2, 3)
    assert r.median_days_to_participation == 31.0 and r.days_to_participation_n == 4
    assert r.followups_on_time == Rate(4, 7) and r.followups_late == 2 and r.followups_open == 1
    assert r.host_followups_done == Rate(1, 2)
    assert len(r.wellbeing) == 1
    w = r.wellbeing[0]
    assert (w.scale, w.pairs, w.mean_baseline, w.mean_latest, w.mean_change) == ("who5", 2, 11.0, 13.5, 2.5)
    assert (w.improved, w.unchanged, w.worse) == (1, 0, 1)
    assert r.unmet == [UnmetRow(IKOMA, "go", 1, 1, 1), UnmetRow(IKOMA, "tea_chat", 0, 1, 1)]
    # Per district, people are counted once whatever their interests: P3 (both outcomes) and P9.
    assert r.unmet_by_district == {IKOMA: UnmetRow(IKOMA, "", 1, 2, 2)}


def test_every_kpi_for_office_one() -> None:
    check_office_one(compute_kpis(fixed_rows(), PERIOD, target=0.5, as_of=AS_OF))


def test_field_filter_and_other_office_and_all_offices() -> None:
    rows = fixed_rows()
    hk = compute_kpis(rows, KpiFilter(PERIOD.start, PERIOD.end, 1, "hikikomori"), as_of=AS_OF)
    assert (hk.supported, hk.proposed, hk.participating) == (2, 1, 0)  # P3, P8; P3 was proposed
    assert hk.placement_rate.percent == 0.0 and hk.target_met is False
    assert hk.settled_3m == Rate(0, 0) and hk.median_days_to_participation is None
    assert hk.unmet == [UnmetRow(IKOMA, "go", 1, 1, 1)]
    two = compute_kpis(rows, KpiFilter(PERIOD.start, PERIOD.end, 2), as_of=AS_OF)
    assert (two.supported, two.participating, two.settled_3m) == (1, 1, Rate(1, 1))
    assert two.median_days_to_participation == 19.0
    every = compute_kpis(rows, KpiFilter(PERIOD.start, PERIOD.end), as_of=AS_OF)
    assert every.placement_rate == Rate(5, 7)
    assert every.median_days_to_participation == 31.0  # 19, 30, 31, 31, 44
    fields = by_field(rows, PERIOD, ["elderly", "hikikomori"], as_of=AS_OF)
    assert fields["elderly"].placement_rate == Rate(4, 4) and fields["hikikomori"].placement_rate == Rate(0, 2)


def test_target_and_as_of() -> None:
    r = compute_kpis(fixed_rows(), PERIOD, target=0.7, as_of=AS_OF)
    assert r.target_met is False  # 66.7 % < 70 %
    # Counted on 09-15: FU11 (due 09-30) is not due yet, and P2's 90 days (08-08) have passed.
    early = compute_kpis(fixed_rows(), PERIOD, as_of=D(2026, 9, 15))
    assert early.followups_on_time == Rate(4, 6) and early.followups_late == 1
    assert early.settled_3m == Rate(2, 3)
    with pytest.raises(ValueError):
        compute_kpis(fixed_rows(), KpiFilter(D(2026, 5, 1), D(2026, 4, 1)))


def test_stage_on_a_day() -> None:
    pl = fixed_rows().placements[1]
    assert pl.stage_on(D(2026, 4, 11)) is None
    assert pl.stage_on(D(2026, 5, 10)) == "participating"
    assert pl.stage_on(D(2026, 8, 8)) == "ended"


def test_suppression_rules() -> None:
    assert [suppress_count(n) for n in (0, 1, 4, 5, 12)] == [0, SUPPRESSED, SUPPRESSED, 5, 12]
    assert suppress_rate(Rate(4, 6)) == SUPPRESSED  # 4 people could be recognised
    assert suppress_rate(Rate(5, 4)) == SUPPRESSED
    assert suppress_rate(Rate(5, 7)) == 71.4
    assert suppress_rate(Rate(0, 9)) == 0.0
    assert suppress_rate(Rate(0, 0)) is None
    assert suppress_stat(31.0, 4) == SUPPRESSED and suppress_stat(31.0, 5) == 31.0 and suppress_stat(None, 0) is None


def test_tokyo_date_crosses_midnight() -> None:
    # 2026-03-31 15:30 UTC is 04-01 00:30 in Tokyo: the record belongs to April.
    assert tokyo_date(datetime(2026, 3, 31, 15, 30, tzinfo=UTC)) == D(2026, 4, 1)


# ---- the same dataset stored in the case tables, read back on both databases -------------------






def test_kpis_from_the_case_tables(session: Session, backend: str) -> None:
    offices = store_fixed_dataset(session)
    f = KpiFilter(PERIOD.start, PERIOD.end, offices[1])
    check_office_one(compute_kpis(load_rows(session, offices[1]), f, as_of=AS_OF))
    every = compute_kpis(load_rows(session), KpiFilter(PERIOD.start, PERIOD.end), as_of=AS_OF)
    assert every.placement_rate == Rate(5, 7)
