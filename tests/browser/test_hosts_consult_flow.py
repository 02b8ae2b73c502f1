"""Hosts and 参加の相談 in chromium.

1. An office lead starts 開拓 from an unmet-needs row of the reports page, registers the host, moves
   it 候補 → 打診中 → 合意, writes a 受け入れ先支援 note and proposes a (draft) listing.
2. A resident on a phone asks for company from an activity page (first with a missing field: the
   error summary and the typed text stay), sees who will contact them and when; the staff home of
   the office shows the 新しい相談 and the list marks it 受付済み.
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
LEAD = "hosts-lead@example.jp"
OFFICE = "ブラウザ試験 開拓センター（架空）"


def _seed(live_server: LiveServer) -> tuple[str, str]:
    """An office lead with a case whose search found nothing (an unmet-needs row); the office covers
    the first sample district. Returns (district code, district name)."""
    from sqlalchemy import select

    from webapp.accounts.models.user import User
    from webapp.accounts.services import create_user
    from webapp.cases import placements as flow
    from webapp.cases import services as cases_svc
    from webapp.consult import services as consult_svc
    from webapp.extensions import db

    with live_server.app.app_context(), db.transaction() as session:
        code, name = consult_svc.district_choices(session)[0]
        user = session.scalar(select(User).where(User.email == LEAD))
        if user is None:
            user = create_user(session, LEAD, PASSWORD, ["office_lead"], OFFICE)
            person = cases_svc.create_person(
                session, user, cases_svc.PersonInput(field="elderly", district=code, interests=["go"])
            )
            flow.record_no_suitable(session, user, person, "近くに囲碁の場がない")
            assert user.office is not None
            consult_svc.set_office_districts(session, user.office, [code])
        return code, name








def test_unmet_need_to_agreed_host(new_context: Callable[..., Any], live_server: LiveServer, artifacts: Path) -> None:
    _code, district_name = _seed(live_server)
    out = artifacts / "issue-18"
    out.mkdir(parents=True, exist_ok=True)
    page = new_context(**{**DESKTOP, "viewport": {"width": 1280, "height": 800}}).new_page()
    staff_login(page, live_server, LEAD, PASSWORD)

    page.goto(live_server("/staff/reports"))
    page.get_by_role("link", name="受け入れ先の開拓を始める").first.click()
    page.wait_for_url(re.compile(r"/staff/hosts/new\?"))
    assert f"社会資源の不足（{district_name} × " in page.locator(".notice").inner_text()
    assert page.get_by_label(district_name, exact=True).is_checked()

    # Missing name: summary at the top, error beside the field, typed text kept.
    page.get_by_label("配慮できること").fill("車いすで入れます")
    page.get_by_role("button", name="保存").click()
    assert page.locator(".error-summary").is_visible()
    assert page.get_by_label("名前", exact=True).get_attribute("aria-invalid") == "true"
    assert page.get_by_label("配慮できること").input_value() == "車いすで入れます"

    page.get_by_label("名前", exact=True).fill("サンプル囲碁クラブ（架空）")
    page.get_by_label("種類").select_option("company")
    page.get_by_label("役割").check()
    page.get_by_label("ボランティア").check()
    page.get_by_label("受け入れ人数（同時に）").fill("3")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(r"/staff/hosts/\d+$"))
    assert "受け入れ先を登録しました" in flash_text(page)

    for stage in ("approached", "agreed"):
        page.locator("#stage-stage").select_option(stage)
        page.get_by_role("button", name="段階を記録する").click()
        assert "段階を記録しました。" in flash_text(page)
    assert "合意" in page.locator("h1").inner_text()

    page.locator("#support-need").select_option("training")
    page.locator("#support-note").fill("囲碁の会の世話人向けに、認知症サポーター講座を希望")
    page.get_by_role("button", name="メモを追加する").click()
    assert "認知症サポーター講座" in page.locator("#support").inner_text()

    page.get_by_role("button", name=re.compile("公開の地図への掲載を提案する")).click()
    assert "公開されません" in flash_text(page)
    page.screenshot(path=str(out / "host-page-desktop.png"), full_page=True)
    assert axe_violations(page, live_server) == []

    page.goto(live_server("/staff/hosts/"))
    assert "サンプル囲碁クラブ（架空）" in page.locator("table").inner_text()
    page.screenshot(path=str(out / "host-register-desktop.png"), full_page=True)
    assert axe_violations(page, live_server) == []
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(out / "host-register-phone.png"), full_page=True)


def test_consult_from_activity_page_on_a_phone(
    new_context: Callable[..., Any], live_server: LiveServer, artifacts: Path
) -> None:
    from sqlalchemy import select

    from webapp.extensions import db
    from webapp.listings.models.activity import Activity

    code, _district_name = _seed(live_server)
    with live_server.app.app_context():
        activity_id = db.session().scalar(select(Activity.id).where(Activity.status == "published").order_by(Activity.id))
        db.session.remove()
    out = artifacts / "issue-18"
    out.mkdir(parents=True, exist_ok=True)

    # Without JavaScript: the form is plain HTML.
    phone = new_context(**PHONE, java_script_enabled=False).new_page()
    phone.goto(live_server(f"/activities/{activity_id}"))
    phone.get_by_role("link", name="一緒に行ってほしい").click()
    phone.wait_for_url(re.compile(r"/consult/request\?"))
    assert phone.get_by_label("一緒に行ってほしい").is_checked()
    phone.get_by_label("伝えたいこと（任意）").fill("初めてなので、最初だけ一緒に行ってほしいです")
    phone.get_by_role("button", name="相談を送る").click()
    summary = phone.locator(".error-summary")
    assert summary.is_visible()
    assert "お名前かニックネームを入力してください。" in summary.inner_text()
    assert phone.get_by_label("伝えたいこと（任意）").input_value() == "初めてなので、最初だけ一緒に行ってほしいです"
    phone.screenshot(path=str(out / "consult-form-errors-phone.png"), full_page=True)

    phone.get_by_label("お名前（ニックネームでもかまいません）").fill("さくら")
    phone.get_by_label("電話番号またはメールアドレス").fill("090-0000-0000")
    phone.locator("#district").select_option(code)
    phone.get_by_label(re.compile("同意します")).check()
    phone.screenshot(path=str(out / "consult-form-phone.png"), full_page=True)
    js_phone = new_context(**PHONE).new_page()
    js_phone.goto(live_server(f"/consult/request?activity={activity_id}"))
    assert axe_violations(js_phone, live_server) == []
    phone.get_by_role("button", name="相談を送る").click()
    phone.wait_for_url(re.compile(r"/consult/sent$"))
    assert f"{OFFICE}の参加支援の担当者から、3開庁日以内に電話でご連絡します。" in phone.locator(".lead").inner_text()
    phone.screenshot(path=str(out / "consult-sent-phone.png"), full_page=True)

    page = new_context(**{**DESKTOP, "viewport": {"width": 1280, "height": 800}}).new_page()
    staff_login(page, live_server, LEAD, PASSWORD)
    assert re.search(r"サイトから届いた参加の相談: [1-9]", page.locator("#h-consult-new + p").inner_text())
    page.screenshot(path=str(out / "staff-home-desktop.png"), full_page=True)
    page.get_by_role("link", name=re.compile("サイトから届いた参加の相談")).click()
    page.screenshot(path=str(out / "staff-consult-list-desktop.png"), full_page=True)
    assert axe_violations(page, live_server) == []
    page.get_by_role("link", name=re.compile("開く")).first.click()
    assert "さくら" in page.locator("dl").inner_text()
    page.get_by_role("button", name="受付済みにする").click()
    assert "受付済みにしました。" in flash_text(page)
