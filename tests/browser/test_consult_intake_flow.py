"""参加の相談 → 受付, and the KPI page with the host figures, in chromium.

1. A resident sends a 参加の相談 from a phone; a supporter of the office covering the district sees it
   under 新しい相談 on the staff home, opens it, 「受付する」 and lands on the new case (route
   本人からの相談（サイト）); the home's count goes down and the request links the case.
2. The KPI page (desktop and phone): one list of indicators with the host figures, the kind as a
   badge only, the host figures by district.
Screenshots in test-artifacts/issue-18/.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.browser.conftest import DESKTOP, PHONE, LiveServer
from tests.browser.pages import axe_violations, flash_text, staff_login

PASSWORD = "correct horse battery"
SUPPORTER = "intake-supporter@example.jp"
LEAD = "intake-lead@example.jp"
OFFICE = "ブラウザ試験 受付センター（架空）"
DESKTOP_800 = {**DESKTOP, "viewport": {"width": 1280, "height": 800}}


def _seed(live_server: LiveServer) -> tuple[str, str]:
    """A supporter and a lead of an office covering the second sample district, and two hosts of that
    office (one receiving, one agreed). Returns (district code, district name)."""
    from sqlalchemy import select

    from webapp.accounts.models.user import User
    from webapp.accounts.services import create_user
    from webapp.consult import services as consult_svc
    from webapp.extensions import db
    from webapp.hosts import services as hosts_svc

    with live_server.app.app_context(), db.transaction() as session:
        code, name = consult_svc.district_choices(session)[1]
        if session.scalar(select(User).where(User.email == SUPPORTER)) is None:
            supporter = create_user(session, SUPPORTER, PASSWORD, ["supporter"], OFFICE)
            create_user(session, LEAD, PASSWORD, ["office_lead"], OFFICE)
            assert supporter.office is not None
            consult_svc.set_office_districts(session, supporter.office, [code])
            for host_name, kind, stages in (("サンプル農園（架空）", "farm", ("approached", "agreed", "receiving")),
                                            ("サンプル商店（架空）", "company", ("approached", "agreed"))):
                host = hosts_svc.create_host(session, supporter, hosts_svc.HostInput(
                    name=host_name, kind=kind, districts=[code]))  # fmt: skip
                for stage in stages:
                    hosts_svc.move_stage(session, supporter, host, stage)
        return code, name


def test_consult_arrives_on_the_staff_home_and_becomes_a_case(
    new_context: Callable[..., Any], live_server: LiveServer, artifacts: Path
) -> None:
    code, _name = _seed(live_server)
    out = artifacts / "issue-18"
    out.mkdir(parents=True, exist_ok=True)

    phone = new_context(**PHONE).new_page()
    phone.goto(live_server("/consult/request?wish=anxious"))
    phone.get_by_label("お名前（ニックネームでもかまいません）").fill("もみじ（架空）")
    phone.get_by_label("電話番号またはメールアドレス").fill("090-1111-2222")
    phone.locator("#district").select_option(code)
    phone.get_by_label("伝えたいこと（任意）").fill("近くのサロンに行ってみたいです")
    phone.get_by_label(re.compile("同意します")).check()
    phone.get_by_role("button", name="相談を送る").click()
    phone.wait_for_url(re.compile(r"/consult/sent$"))
    assert OFFICE in phone.locator(".lead").inner_text()

    page = new_context(**DESKTOP_800).new_page()
    staff_login(page, live_server, SUPPORTER, PASSWORD)
    panel = page.locator("#h-consult-new + p")
    before = int(re.search(r"サイトから届いた参加の相談: (\d+)", panel.inner_text()).group(1))  # type: ignore[union-attr]
    assert before >= 1
    page.screenshot(path=str(out / "intake-staff-home-before-desktop.png"), full_page=True)
    page.get_by_role("link", name=re.compile("サイトから届いた参加の相談")).click()
    page.get_by_role("link", name=re.compile("開く")).first.click()
    assert "もみじ（架空）" in page.locator("dl").inner_text()
    assert page.get_by_role("button", name="受付する（ケースを作成）").is_visible()
    page.screenshot(path=str(out / "consult-request-desktop.png"), full_page=True)
    assert axe_violations(page, live_server) == []
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(out / "consult-request-phone.png"), full_page=True)
    page.set_viewport_size(DESKTOP_800["viewport"])

    page.get_by_role("button", name="受付する（ケースを作成）").click()
    page.wait_for_url(re.compile(r"/staff/cases/\d+$"))
    case_url = page.url
    assert "参加の相談を受付し、ケース C-" in flash_text(page)
    body = page.locator("main").inner_text()
    assert "本人からの相談（サイト）" in body
    page.screenshot(path=str(out / "intake-case-desktop.png"), full_page=True)
    page.reload()  # base.html's flash list (<ul role="status">) is an axe finding of its own
    assert axe_violations(page, live_server) == []

    page.goto(live_server("/staff/"))
    after = int(re.search(r"サイトから届いた参加の相談: (\d+)", panel.inner_text()).group(1))  # type: ignore[union-attr]
    assert after == before - 1
    page.screenshot(path=str(out / "intake-staff-home-after-desktop.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(out / "intake-staff-home-after-phone.png"), full_page=True)
    page.goto(live_server("/staff/consult/?status=received"))
    page.screenshot(path=str(out / "consult-list-phone.png"), full_page=True)
    page.set_viewport_size(DESKTOP_800["viewport"])
    page.screenshot(path=str(out / "consult-list-desktop.png"), full_page=True)
    assert axe_violations(page, live_server) == []
    page.get_by_role("link", name=re.compile(r"^C-")).first.click()
    assert page.url == case_url


def test_kpi_page_one_indicator_list_with_host_figures(
    new_context: Callable[..., Any], live_server: LiveServer, artifacts: Path
) -> None:
    _code, name = _seed(live_server)
    out = artifacts / "issue-18"
    out.mkdir(parents=True, exist_ok=True)
    page = new_context(**DESKTOP_800).new_page()
    staff_login(page, live_server, LEAD, PASSWORD)
    page.goto(live_server("/staff/reports"))
    assert page.get_by_role("heading", name="指標の一覧").count() == 0
    row = page.locator('tbody[data-code="partner_hosts"]')
    assert row.locator("td").first.inner_text() == "2"
    definition = row.locator(".indicator__definition td").inner_text()
    assert "地図に載っている団体以外" in definition and not definition.startswith(("フロー", "ストック"))
    assert row.locator(".badge").inner_text() == "ストック"
    assert page.locator('tbody[data-code="places_created"] td').first.inner_text() == "1"
    districts = page.locator("#host-districts + p + div table").inner_text()
    assert name in districts
    page.screenshot(path=str(out / "kpi-page-desktop.png"), full_page=True)
    assert axe_violations(page, live_server) == []
    phone = new_context(**PHONE).new_page()
    staff_login(phone, live_server, LEAD, PASSWORD)
    phone.goto(live_server("/staff/reports"))
    phone.screenshot(path=str(out / "kpi-page-phone.png"), full_page=True)
    assert axe_violations(phone, live_server) == []
