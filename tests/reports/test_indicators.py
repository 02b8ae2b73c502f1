"""The city plans' indicators on the fixed fictional dataset plus plans and meetings (plan_dataset), by hand.

Period 2026-04-01 … 09-30, counted on 10-15, office 1 (all offices where said):

- consultations (相談件数): cases received in the period: P2 04-10, P3 05-01, P4 06-01 → 3 (P1, P8, P9 earlier;
  P6 after); 参加の相談 from the site without a case: C1 05-02, C5 04-01 → 2 (C6 03-31 before, C3 10-01 after;
  C2 became P2, counted once as P2) → 5. Of them from the site: C1, C5, C2 → 3. All: + P7 and C4 → 7, site 4.
  For 分野 ひきこもり: P3 only (a request without a case has no 分野) → 1, site 0.
- plans made (version 1 in the period): P2 04-12, P3 05-25, P4 06-01 (no 参加支援), P9 09-01 (no placement
  from it) → 4; P1's plan is from 03-03 and P2's version 2 is a revision. 参加支援 started by 09-30
  through a placement from the plan: P2 (打診 04-15), P3 (打診 06-05) → 2/4 = 50 %; reached 参加中:
  P2 → 1/4 = 25 %. All offices: + P7's plan (参加中 04-20) → 3/5 = 60 %, 2/5 = 40 %.
- meetings held in the period: one of each of the six kinds → 6 (03-31 and 10-01 are outside). All: + a
  支援会議 of office 2 → 7, of which 支援会議 2.
- people connected (first participation ever in the period): P1 04-01, P2 05-10, P4 07-15 → 3. P9 began
  on 2026-02-15 (last fiscal year) and is not counted again though settled in May; P5 began in 2025.
  All: + P7 04-20 → 4. Of them outside existing services (P2, P4, P9 marked): P2, P4 → 2.
- hosts that took someone in (同行見学 or later in the period): 囲碁の会 (P1 04-01, P4 06-20),
  手芸の会 (P2 05-10), 体操教室 (P9 settled 05-15) → 3. All: + P7's 受け入れ先 → 4.
- meeting outputs "new place" done in the period: 07-15, and 04-01 (decided at the 03-31 meeting) → 2;
  one not done, one is "develop a host". All: + office 2's 05-05 → 3.
- the host register (HOST_REGISTER; office 1 works with A, B, C, D, F, G; office 2 with E):
  new hosts agreed (first 合意 ever in the period): B 05-10, D 04-03 → 2 (A agreed 03-20; C first agreed
  02-01, so its second 合意 on 08-01 is not new). All: + E 09-30 (the last day) → 3.
  協力企業・団体 (not a listing's organization, at 合意/受け入れ中 at some time in the period): A (receiving
  since 04-15, agreed before), B, C (agreed again 08-01), G (receiving when the period began, declined on
  its first day) → 4; D is on the map, F never agreed. All: + E → 5.
  企画による場の設定 (first 受け入れ中 in the period): A 04-15, D 06-01 → 2; E began 10-01, after. All: 2.
  By district (office 1): agreed 生駒 B D → 2, 真弓 B → 1; 協力 生駒 A B → 2, 真弓 B G → 2, none C → 1;
  場の設定 生駒 A D → 2.
- collaboration cases (people discussed at meetings in the period): P1, P2, P3 → 3. All: + P7 → 4.
- 見守り: a check-in due 09-01, not done, is not a 定着支援 follow-up: on time stays 4/7.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import ICHIBU, IKOMA, MAYUMI, D, store_fixed_dataset
from tests.helpers import login
from tests.reports.plan_dataset import plan_rows, store_plan_dataset
from webapp.hosts.counts import HostCounts, host_counts
from webapp.reports.indicators import DEFAULT_TARGETS, indicator_table, indicators, targets
from webapp.reports.kpis import KpiFilter, KpiReport, Rate, compute_kpis, load_rows
from webapp.security.models import AuditEvent

START, END, AS_OF = D(2026, 4, 1), D(2026, 9, 30), D(2026, 10, 15)
KINDS = ("multiagency_meeting", "support_meeting", "team_meeting", "collaboration_meeting", "case_review",
         "participation_subcommittee")  # fmt: skip


def check_office_one(r: KpiReport) -> None:
    assert (r.consultations, r.consultations_site) == (5, 3)
    assert r.plans_made == 4
    assert r.plan_participation == Rate(2, 4) and r.plan_participation.percent == 50.0
    assert r.plan_participating == Rate(1, 4) and r.plan_participating.percent == 25.0
    assert r.meetings_by_kind == dict.fromkeys(KINDS, 1) and r.meetings_held == 6
    assert r.people_connected == 3 and r.outside_services_connected == 2
    assert r.hosts_took_in == 3
    assert r.meeting_new_places == 2
    assert r.collaboration_cases == 3
    assert r.followups_on_time == Rate(4, 7)  # the 見守り check-in is not counted
    assert r.supported == 6 and r.placement_rate == Rate(4, 6) and r.settled_3m == Rate(2, 3)


def check_all_offices(r: KpiReport) -> None:
    assert (r.consultations, r.consultations_site) == (7, 4) and r.plans_made == 5
    assert r.plan_participation == Rate(3, 5) and r.plan_participating == Rate(2, 5)
    assert r.meetings_held == 7 and r.meetings_by_kind["support_meeting"] == 2
    assert (r.people_connected, r.hosts_took_in, r.meeting_new_places, r.collaboration_cases) == (4, 4, 3, 4)


def test_indicators_by_hand_on_rows() -> None:
    check_office_one(compute_kpis(plan_rows(), KpiFilter(START, END, 1), as_of=AS_OF))
    check_all_offices(compute_kpis(plan_rows(), KpiFilter(START, END), as_of=AS_OF))


def test_last_fiscal_year_starter_counted_in_that_year_only() -> None:
    last_year = compute_kpis(plan_rows(), KpiFilter(D(2025, 4, 1), D(2026, 3, 31), 1), as_of=AS_OF)
    # P5 (2025-11-01) and P9 (2026-02-15) began then; P1 began on 04-01, in the new year.
    assert last_year.people_connected == 2
    # P1's plan of 03-03: 打診 03-10 within that year, 参加中 only on 04-01.
    assert last_year.plans_made == 1 and last_year.plan_participation == Rate(1, 1)
    assert last_year.plan_participating == Rate(0, 1)
    assert last_year.meetings_by_kind == {"multiagency_meeting": 1}


def test_field_filter_keeps_meetings_by_office() -> None:
    r = compute_kpis(plan_rows(), KpiFilter(START, END, 1, "hikikomori"), as_of=AS_OF)
    assert r.meetings_held == 6  # a meeting has no 分野
    assert r.collaboration_cases == 1 and r.plans_made == 1 and r.plan_participation == Rate(1, 1)  # P3
    assert (r.consultations, r.consultations_site) == (1, 0)  # P3; the requests without a case have no 分野


def test_indicator_list_codes_targets_and_definitions() -> None:
    r = compute_kpis(plan_rows(), KpiFilter(START, END, 1), as_of=AS_OF)
    rows = {i.code: i for i in indicators(r, targets({"meetings_held": 12}, 50), HostCounts(START, END, 2, 4, 2))}
    for code in ("people_supported", "plans_made", "plan_participation_rate", "plan_participating_rate", "meetings_held",
                 "median_days_to_first_participation", "retention_3m_rate", "followups_on_time_rate",
                 "people_proposed", "consultations", "consultations_site", "partner_hosts", "hosts_agreed",
                 "places_created", "hosts_took_in", "meeting_new_places", "host_followups_done_rate",
                 *(f"meetings_held.{k}" for k in KINDS)):  # fmt: skip
        assert code in rows and rows[code].definition, code
        # The kind is a badge and a column of its own: the text does not repeat it.
        assert not rows[code].definition.startswith(("フロー", "ストック")), code
    assert [rows[c].value for c in ("partner_hosts", "hosts_agreed", "places_created")] == [4, 2, 2]
    assert rows["partner_hosts"].kind == "stock" and rows["places_created"].kind == "flow"
    assert (rows["partner_hosts"].target, rows["places_created"].target, rows["consultations"].target) == (5, 1, 10)
    assert rows["plan_participation_rate"].value == 50.0 and rows["plan_participation_rate"].target == 50
    assert (rows["plan_participation_rate"].numerator, rows["plan_participation_rate"].denominator) == (2, 4)
    assert rows["meetings_held"].target == 12  # configured over the default 30
    assert DEFAULT_TARGETS["meetings_held"] == 30
    assert rows["meetings_held.case_review"].value == 1 and rows["meetings_held.case_review"].target == 6
    assert rows["median_days_to_first_participation"].value == 31.0
    assert rows["retention_3m_rate"].value == 66.7 and rows["followups_on_time_rate"].value == 57.1
    assert rows["people_supported"].kind == "stock" and rows["plans_made"].kind == "flow"
    table = {row[0]: row for row in indicator_table(list(rows.values()), suppressed=True)}
    assert table["plan_participation_rate"][2:5] == ["<5", "<5", "<5"]
    assert table["people_supported"][2:4] == [6, 6]
    assert table["people_supported"][7] == "ストック" and table["plans_made"][7] == "フロー"


def test_indicators_from_the_case_tables(session: Session, backend: str) -> None:
    offices = store_fixed_dataset(session)
    store_plan_dataset(session, offices)
    check_office_one(compute_kpis(load_rows(session, offices[1]), KpiFilter(START, END, offices[1]), as_of=AS_OF))
    check_all_offices(compute_kpis(load_rows(session), KpiFilter(START, END), as_of=AS_OF))
    hikikomori = compute_kpis(load_rows(session, offices[1]), KpiFilter(START, END, offices[1], "hikikomori"), as_of=AS_OF)
    assert (hikikomori.consultations, hikikomori.consultations_site) == (1, 0)


def test_host_figures_from_the_register_by_hand(session: Session, backend: str) -> None:
    """The host register's figures, worked out in the module docstring, on both databases."""
    offices = store_fixed_dataset(session)
    store_plan_dataset(session, offices)
    one = host_counts(session, START, END, offices[1])
    assert (one.agreed, one.cooperating, one.places_set_up) == (2, 4, 2)
    assert one.agreed_by_district == {IKOMA: 2, MAYUMI: 1}
    assert one.cooperating_by_district == {"": 1, IKOMA: 2, MAYUMI: 2}
    assert one.places_by_district == {IKOMA: 2}
    assert one.by_district() == [(IKOMA, 2, 2, 2), (MAYUMI, 1, 2, 0), ("", 0, 1, 0)]
    every = host_counts(session, START, END)
    assert (every.agreed, every.cooperating, every.places_set_up) == (3, 5, 2)
    assert every.agreed_by_district[ICHIBU] == 1
    # October: E starts receiving (a new place); C and B are still agreed, A receiving.
    october = host_counts(session, D(2026, 10, 1), D(2026, 10, 31))
    assert (october.agreed, october.cooperating, october.places_set_up) == (0, 4, 1)
    # The previous fiscal year: A (合意 2026-03-20), C (合意 02-01, 見送り 03-15) and G (合意 2025-08-01):
    # 3 new and 3 cooperating; G's first 受け入れ中 (2025-09-01) the one new place.
    last_year = host_counts(session, D(2025, 4, 1), D(2026, 3, 31))
    assert (last_year.agreed, last_year.cooperating, last_year.places_set_up) == (3, 3, 1)


@pytest.fixture()
def dataset(session: Session, make_user: Any, monkeypatch: pytest.MonkeyPatch) -> dict[int, int]:
    from webapp.listings.demo import load_sample_city

    monkeypatch.setattr("webapp.reports.views._today", lambda: date(2026, 10, 15))
    load_sample_city(session)
    offices = store_fixed_dataset(session)
    store_plan_dataset(session, offices)
    make_user("lead@example.jp", "office_lead", office="テスト事務所1")
    make_user("city@example.jp", "viewer")
    make_user("helper@example.jp", "supporter", office="テスト事務所1")
    session.commit()
    return offices


def test_kpis_json_as_the_issue_states(client: FlaskClient, session: Session, dataset: dict[int, int]) -> None:
    login(client, "lead@example.jp")
    r = client.get("/staff/reports/kpis.json?from=2026-04-01&to=2026-09-30")
    assert r.status_code == 200
    data = r.get_json()
    assert (data["from"], data["to"]) == ("2026-04-01", "2026-09-30")
    rows = {i["code"]: i for i in data["indicators"]}
    assert set(rows["plans_made"]) >= {"code", "label", "value", "numerator", "denominator", "target", "definition"}
    assert rows["plans_made"]["value"] == 4 and rows["plan_participation_rate"]["value"] == 50.0
    assert rows["plan_participating_rate"]["value"] == 25.0 and rows["meetings_held"]["value"] == 6
    assert rows["meetings_held.support_meeting"]["value"] == 1 and rows["people_supported"]["value"] == 6
    audit = session.scalars(select(AuditEvent).where(AuditEvent.action == "reports.kpi.view")).all()
    assert [e.detail.get("format") for e in audit] == ["json"]
    # Another office's id is refused to an office lead; a bad date is a 400 with a message.
    assert client.get(f"/staff/reports/kpis.json?office={dataset[2]}").status_code == 403
    bad = client.get("/staff/reports/kpis.json?from=2026-13-01")
    assert bad.status_code == 400 and "start" in bad.get_json()["errors"]
    login(client, "helper@example.jp")
    assert client.get("/staff/reports/kpis.json").status_code in (403, 404)
    login(client, "city@example.jp")
    every = {i["code"]: i for i in client.get("/staff/reports/kpis.json?from=2026-04-01&to=2026-09-30").get_json()["indicators"]}
    assert every["plans_made"]["value"] == 5 and every["meetings_held"]["value"] == 7
    two = client.get(f"/staff/reports/kpis.json?from=2026-04-01&to=2026-09-30&office={dataset[2]}").get_json()
    assert {i["code"]: i["value"] for i in two["indicators"]}["meetings_held.support_meeting"] == 1


def test_page_and_csv_show_the_same_rows(client: FlaskClient, dataset: dict[int, int]) -> None:
    login(client, "lead@example.jp")
    page = client.get("/staff/reports?start=2026-04-01&end=2026-09-30").get_data(as_text=True)
    assert 'data-code="plan_participation_rate"' in page and "プラン作成件数のうち参加支援につなげた割合" in page
    assert "前年度に参加を始めた人は数えない" in page  # the definition is printed beside the figure
    raw = client.get("/staff/reports/kpis.csv?start=2026-04-01&end=2026-09-30").get_data()
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["コード", "指標", "値", "分子", "分母", "目標", "定義", "フロー・ストック"]
    by_code = {row[0]: row for row in rows[1:]}
    assert by_code["meetings_held"][2] == "6" and by_code["plans_made"][2] == "<5"
    assert by_code["people_supported"][2] == "6"


def test_host_figures_on_the_page_json_and_exports(client: FlaskClient, dataset: dict[int, int]) -> None:
    login(client, "lead@example.jp")
    page = client.get("/staff/reports?start=2026-04-01&end=2026-09-30").get_data(as_text=True)
    row = page.split('data-code="partner_hosts"', 1)[1].split("</tbody>", 1)[0]
    assert '<td class="num">4</td>' in row and "地図に載っている団体以外" in row
    assert 'data-code="places_created"' in page and 'data-code="hosts_agreed"' in page
    # One list of indicators (the older 「指標の一覧」 is gone); the kind is a badge, not repeated in the text.
    assert "指標の一覧" not in page and "フロー:" not in page and "ストック:" not in page
    table = page.split('id="host-districts"', 1)[1].split("</table>", 1)[0]
    assert "<th scope=\"row\">生駒小学校</th><td class=\"num\">2</td><td class=\"num\">2</td><td class=\"num\">2</td>" in table
    assert "<th scope=\"row\">真弓小学校</th><td class=\"num\">1</td><td class=\"num\">2</td><td class=\"num\">0</td>" in table
    assert "（地区の記入なし）" in table
    data = client.get("/staff/reports/kpis.json?from=2026-04-01&to=2026-09-30").get_json()
    values = {i["code"]: i["value"] for i in data["indicators"]}
    assert (values["partner_hosts"], values["hosts_agreed"], values["places_created"]) == (4, 2, 2)
    assert (values["consultations"], values["consultations_site"]) == (5, 3)
    assert {"district": "B129220900011", "hosts_agreed": 2, "partner_hosts": 2, "places_created": 2} in data["hosts_by_district"]
    raw = client.get("/staff/reports/kpis.csv?start=2026-04-01&end=2026-09-30").get_data()
    by_code = {r[0]: r for r in csv.reader(io.StringIO(raw.decode("utf-8-sig")))}
    assert by_code["partner_hosts"][2] == "<5" and by_code["partner_hosts"][5] == "5"  # 4 hosts; target 5
    assert by_code["partner_hosts"][7] == "ストック" and by_code["consultations"][2] == "5"
    login(client, "city@example.jp")  # all offices
    every = {i["code"]: i["value"] for i in client.get("/staff/reports/kpis.json?from=2026-04-01&to=2026-09-30")
             .get_json()["indicators"]}  # fmt: skip
    assert (every["partner_hosts"], every["hosts_agreed"], every["consultations"]) == (5, 3, 7)
