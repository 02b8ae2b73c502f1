"""Staff reports in chromium: the KPI page and the coverage map (districts shaded, legend), axe-core
checks, and screenshots in test-artifacts/ (reports-kpi.png, reports-coverage.png, opendata.png)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tests.browser.conftest import DESKTOP, LiveServer

PASSWORD = "correct horse battery"
AXE = "/static/vendor/axe-core/axe.min.js"
PERIOD = "start=2026-04-01&end=2026-09-30"


def _seed(live_server: LiveServer) -> None:
    from sqlalchemy import select

    from tests.factories import store_fixed_dataset
    from webapp.accounts.models.user import User
    from webapp.accounts.services import create_user
    from webapp.extensions import db

    with live_server.app.app_context(), db.transaction() as session:
        if session.scalar(select(User.id).where(User.email == "report-viewer@example.jp")) is None:
            store_fixed_dataset(session)
            create_user(session, "report-viewer@example.jp", PASSWORD, ["viewer"])


def _login(page: Any, live_server: LiveServer, next_path: str) -> None:
    page.goto(live_server("/auth/login?next=" + quote(next_path, safe="/")))
    page.get_by_label("メールアドレス").fill("report-viewer@example.jp")
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()


def _axe(page: Any, live_server: LiveServer) -> list[dict[str, Any]]:
    page.add_script_tag(url=live_server(AXE))
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values:
              ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}});
            return r.violations.map(v => ({id: v.id, impact: v.impact,
              nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
        }"""
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]


def test_reports_pages_render_map_and_charts(
    new_context: Callable[..., Any], live_server: LiveServer, artifacts: Path
) -> None:
    _seed(live_server)
    page = new_context(**DESKTOP).new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "net::" not in m.text else None)

    _login(page, live_server, f"/staff/reports?{PERIOD}")
    page.wait_for_url("**/staff/reports?*")
    page.get_by_role("heading", name="参加支援のKPI").wait_for()
    assert page.locator(".kpi-grid .kpi").count() == 7
    assert "66.7%" not in page.locator(".kpi-grid").inner_text()  # all offices: 5 of 7
    assert "71.4%" in page.locator(".kpi-grid").inner_text()
    assert page.get_by_role("img", name="支援から定着までの人数").count() == 1  # the SVG chart, named by its <title>
    page.locator("#unmet-map[data-loaded='1']").wait_for()
    assert page.locator("#unmet-map path.leaflet-interactive").count() == 12
    page.screenshot(path=str(artifacts / "reports-kpi.png"), full_page=True)
    kpi_axe = _axe(page, live_server)

    page.goto(live_server("/staff/reports/coverage?category=salon&walk=800"))
    page.locator("#coverage-map[data-loaded='1']").wait_for()
    shaded = page.locator("#coverage-map path.leaflet-interactive")
    assert shaded.count() == 12  # one per sample 小学校区
    fills = {shaded.nth(i).get_attribute("fill") for i in range(shaded.count())}
    assert len(fills) >= 2  # districts differ in coverage, so in colour
    assert page.locator(".map-legend li").count() == 7
    page.screenshot(path=str(artifacts / "reports-coverage.png"), full_page=True)
    coverage_axe = _axe(page, live_server)

    page.goto(live_server("/open-data/coverage"))
    page.get_by_role("heading", name="地区別の活動数（オープンデータ）").wait_for()
    page.screenshot(path=str(artifacts / "opendata.png"), full_page=True)
    opendata_axe = _axe(page, live_server)

    found = {"kpi": kpi_axe, "coverage": coverage_axe, "opendata": opendata_axe}
    (artifacts / "axe-reports.json").write_text(json.dumps(found, ensure_ascii=False, indent=1))
    assert found == {"kpi": [], "coverage": [], "opendata": []}
    assert errors == []
