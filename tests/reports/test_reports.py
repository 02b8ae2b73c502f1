"""Staff reports: KPI page (hand-checked figures), office scoping, audit, exports (BOM CSV, XLSX re-read
with openpyxl, small counts suppressed), coverage page, GeoJSON layer and coverage exports."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import store_fixed_dataset
from tests.helpers import login
from webapp.listings.demo import load_sample_city
from webapp.security.models import AuditEvent

PERIOD = {"start": "2026-04-01", "end": "2026-09-30"}


@pytest.fixture()
def dataset(session: Session, make_user, monkeypatch: pytest.MonkeyPatch) -> dict[int, int]:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("webapp.reports.views._today", lambda: date(2026, 10, 15))
    load_sample_city(session)  # the SAMPLE 小学校区 that Person.district codes refer to
    offices = store_fixed_dataset(session)
    make_user("lead@example.jp", "office_lead", office="テスト事務所1")
    make_user("city@example.jp", "viewer")
    make_user("helper@example.jp", "supporter", office="テスト事務所1")
    session.commit()
    return offices


def _csv_rows(raw: bytes) -> list[list[str]]:
    assert raw.startswith(b"\xef\xbb\xbf"), "Excel needs the UTF-8 BOM"
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_reports_need_the_permission(client: FlaskClient, dataset: dict[int, int]) -> None:
    r = client.get("/staff/reports")
    assert r.status_code == 302 and "/auth/login" in r.headers["Location"]
    login(client, "helper@example.jp")
    for url in ("/staff/reports", "/staff/reports/kpis.xlsx", "/staff/reports/coverage", "/staff/reports/coverage.geojson"):
        assert client.get(url).status_code == 403, url


def test_office_lead_sees_own_office_figures(client: FlaskClient, session: Session, dataset: dict[int, int]) -> None:
    login(client, "lead@example.jp")
    # Even when asking for the other office, an office lead gets their own.
    r = client.get("/staff/reports", query_string={**PERIOD, "office": dataset[2]})
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "no-store"
    body = r.get_data(as_text=True)
    assert "テスト事務所1" in body and 'name="office"' not in body
    assert "66.7%" in body and "4 / 6 人" in body  # placement rate, hand-checked in test_kpis
    assert "目標 50% を達成" in body
    assert "2 / 3 人" in body  # settled at 3 months
    assert "31 日" in body  # median days
    assert "4 / 7 件（遅れ 2・未実施 1）" in body
    assert "1 / 2 件" in body  # host follow-ups
    assert "WHO-5 (0–25)" in body and "+2.50" in body
    assert 'role="img"' in body and "<title id=\"kpi-funnel-t\">" in body
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "reports.kpi.view").order_by(AuditEvent.id.desc()))
    assert event is not None and event.detail["office_id"] == dataset[1] and event.detail["start"] == "2026-04-01"


def test_viewer_chooses_office_and_field(client: FlaskClient, dataset: dict[int, int]) -> None:
    login(client, "city@example.jp")
    every = client.get("/staff/reports", query_string=PERIOD).get_data(as_text=True)
    assert 'name="office"' in every and "5 / 7 人" in every
    two = client.get("/staff/reports", query_string={**PERIOD, "office": dataset[2]}).get_data(as_text=True)
    assert "1 / 1 人" in two
    hk = client.get("/staff/reports", query_string={**PERIOD, "office": dataset[1], "field": "hikikomori"})
    body = hk.get_data(as_text=True)
    assert "0.0%" in body and "目標 50% に届いていません" in body
    bad = client.get("/staff/reports", query_string={"start": "2026-13-01", "field": "wizard"}).get_data(as_text=True)
    assert "日付は 2026-04-01 の形で入力してください。" in bad and "選べない分野です。" in bad


def test_kpi_csv_is_excel_ready_and_suppressed(client: FlaskClient, session: Session, dataset: dict[int, int]) -> None:
    login(client, "lead@example.jp")
    r = client.get("/staff/reports/kpis.csv", query_string=PERIOD)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in r.headers["Content-Disposition"]
    rows = _csv_rows(r.get_data())
    assert rows[0] == ["コード", "指標", "値", "分子", "分母", "目標", "定義", "フロー・ストック"]
    values = {row[0]: row[2:] for row in rows[1:]}
    assert values["people_supported"][0] == "6"
    assert values["people_connected"][0] == "<5"  # 3 people (P1, P2, P4)
    assert values["placement_rate"][:3] == ["<5", "<5", "6"]
    assert values["retention_3m_rate"][:3] == ["<5", "<5", "<5"]
    assert values["median_days_to_first_participation"][0] == "<5"
    unmet = _csv_rows(client.get("/staff/reports/unmet.csv", query_string=PERIOD).get_data())
    assert unmet[0] == ["地区", "興味・関心", "適当な活動が見つからない", "受け入れ先に余裕がない"]
    assert ["生駒小学校", "囲碁", "<5", "<5"] in unmet
    assert ["生駒小学校", "茶話会", "0", "<5"] in unmet
    exports = session.scalars(select(AuditEvent).where(AuditEvent.action == "reports.kpi.export")).all()
    assert {e.detail.get("format") for e in exports} == {"csv"}


def test_kpi_xlsx_reopens_with_openpyxl(client: FlaskClient, dataset: dict[int, int]) -> None:
    login(client, "city@example.jp")
    r = client.get("/staff/reports/kpis.xlsx", query_string=PERIOD)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    wb = load_workbook(io.BytesIO(r.get_data()))
    assert wb.sheetnames == ["指標", "KPI", "分野別", "未充足ニーズ", "受け入れ先（地区別）", "注記"]
    hosts = list(wb["受け入れ先（地区別）"].iter_rows(values_only=True))
    assert hosts[0] == ("地区コード", "地区", "新たに合意した受け入れ先", "協力企業・団体（受け入れ先）", "企画による場の設定")
    assert len(hosts) == 1  # no host register in this dataset (tests/reports/test_indicators.py has one)
    indicators = {row[0]: row[2:] for row in wb["指標"].iter_rows(min_row=2, values_only=True)}
    assert indicators["people_supported"][0] == 7 and indicators["placement_rate"][0] == 71.4  # as the CSV
    kpi = {row[0]: row[1:] for row in wb["KPI"].iter_rows(min_row=2, values_only=True)}
    assert kpi["支援した人"][0] == 7  # all offices
    assert kpi["参加中に至った人"][0] == 5
    assert kpi["参加支援につなげた割合（％）"][0] == 71.4  # 5 / 7: both at least 5, so shown
    fields = {row[0]: row[1:] for row in wb["分野別"].iter_rows(min_row=2, values_only=True)}
    # All offices: 高齢 = P1 P2 P4 P9 + P7, all five participating; ひきこもり = P3 P8, none.
    assert fields["高齢"] == (5, 5, 100) and fields["障がい"] == (0, 0, None)
    assert fields["ひきこもり"] == ("<5", 0, "<5")
    notes = [row[0] for row in wb["注記"].iter_rows(values_only=True)]
    assert any("<5" in n for n in notes) and "期間: 2026-04-01 〜 2026-09-30" in notes


def test_unmet_needs_map_layer(client: FlaskClient, dataset: dict[int, int]) -> None:
    login(client, "lead@example.jp")
    page = client.get("/staff/reports", query_string=PERIOD).get_data(as_text=True)
    assert 'id="unmet-map"' in page and "/staff/reports/unmet.geojson?" in page
    layer = client.get("/staff/reports/unmet.geojson", query_string=PERIOD).get_json()
    props = {f["properties"]["name"]: f["properties"] for f in layer["features"]}
    assert len(props) == 12
    # 生駒小学校: P3 (no suitable activity, then no capacity) and P9 (no capacity), each counted once.
    assert props["生駒小学校"]["unmet"] == 2
    assert (props["生駒小学校"]["no_suitable_activity"], props["生駒小学校"]["host_no_capacity"]) == (1, 2)
    assert props["真弓小学校"]["unmet"] == 0 and layer["unmet_without_district"] == 0


def test_reports_page_in_english(client: FlaskClient, dataset: dict[int, int]) -> None:
    login(client, "lead@example.jp")
    body = client.get("/staff/reports", query_string={**PERIOD, "lang": "en"}).get_data(as_text=True)
    assert "Participation support KPIs" in body and "People supported" in body


# ---- coverage ---------------------------------------------------------------------------------


def test_coverage_page_layer_and_exports(client: FlaskClient, session: Session, make_user) -> None:  # type: ignore[no-untyped-def]
    load_sample_city(session)
    make_user("city@example.jp", "viewer")
    session.commit()
    login(client, "city@example.jp")
    page = client.get("/staff/reports/coverage", query_string={"category": "salon", "walk": "500"})
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "生駒小学校" in body and 'id="coverage-map"' in body and "vendor/leaflet/leaflet.js" in body
    assert "reports_map.js" in body and "<script>" not in body  # CSP: no inline script
    assert "500 m" in body
    layer = client.get("/staff/reports/coverage.geojson", query_string={"category": "salon", "walk": "500"}).get_json()
    assert layer["walk_m"] == 500 and layer["category"] == "salon"
    districts = [f for f in layer["features"] if f["properties"]["kind"] == "district"]
    assert len(districts) == 12 and all(0 <= f["properties"]["covered_share"] <= 1 for f in districts)
    assert any(f["properties"]["kind"] == "uncovered" for f in layer["features"])
    # An out-of-range walk falls back to the setting (800 m), an unknown category to the first one.
    fallback = client.get("/staff/reports/coverage.geojson", query_string={"category": "x", "walk": "99999"}).get_json()
    assert fallback["walk_m"] == 800 and fallback["category"] == "salon"
    rows = _csv_rows(client.get("/staff/reports/coverage.csv").get_data())
    assert rows[0][:5] == ["地区コード", "地区名", "種別コード", "種別", "活動数"]
    assert len(rows) == 1 + 12 * 12
    wb = load_workbook(io.BytesIO(client.get("/staff/reports/coverage.xlsx", query_string={"walk": "800"}).get_data()))
    sheet = wb["カバー率"]
    data = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(data) == 144 and all(0 <= row[6] <= 100 for row in data)
    assert sum(row[4] for row in data) == sum(int(r[4]) for r in rows[1:])
    en = client.get("/staff/reports/coverage?lang=en").get_data(as_text=True)
    assert "Social resources by district (coverage)" in en and "Sessions per week" in en
    public_en = client.get("/open-data/coverage?lang=en").get_data(as_text=True)
    assert "Activities by district (open data)" in public_en


def test_odd_parameters_never_500(client: FlaskClient, dataset: dict[int, int]) -> None:
    login(client, "city@example.jp")
    odd = ["²", "５", "\x00", "-1", "9" * 40, "' OR '1'='1", "2026-02-30"]
    for url in ("/staff/reports", "/staff/reports/kpis.csv", "/staff/reports/unmet.geojson",
                "/staff/reports/coverage", "/staff/reports/coverage.geojson"):
        for value in odd:
            for name in ("start", "end", "office", "field", "walk", "category"):
                r = client.get(url, query_string={name: value})
                assert r.status_code in (200, 400), (url, name, value, r.status_code)
