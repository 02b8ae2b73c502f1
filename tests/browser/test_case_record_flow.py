"""Issue 17 in chromium: intake with assessment → 支援プラン → a 重層的支援会議 confirms the plan → a placement
from the plan → a follow-up dated last week → plan review → the KPI page shows the plan-based rate.

A bad date comes back beside its field with what was typed. Screenshots (phone and desktop) of every
new screen in test-artifacts/issue-17/.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from tests.browser.conftest import DESKTOP, PHONE, LiveServer
from tests.browser.pages import flash_text, staff_login

PASSWORD = "correct horse battery"
EMAIL = "record-lead@example.jp"
OFFICE = "ブラウザ試験 記録センター（架空）"
HOST = "地域の体操教室（架空）"


def _seed(live_server: LiveServer) -> None:
    from sqlalchemy import select

    from webapp.accounts.models.user import User
    from webapp.accounts.services import create_user
    from webapp.extensions import db

    with live_server.app.app_context(), db.transaction() as session:
        if session.scalar(select(User.id).where(User.email == EMAIL)) is None:
            create_user(session, EMAIL, PASSWORD, ["office_lead"], OFFICE)






def _shoot(new_context: Callable[..., Any], live_server: LiveServer, pages: list[tuple[str, str]], out: Path) -> None:
    """Each page on a phone (390×844) and a desktop (1280×800), logged in as the lead."""
    for label, options in (("phone", PHONE), ("desktop", {**DESKTOP, "viewport": {"width": 1280, "height": 800}})):
        page = new_context(**options).new_page()
        staff_login(page, live_server, EMAIL, PASSWORD)
        for url, name in pages:
            page.goto(url)
            page.screenshot(path=str(out / f"{name}-{label}.png"), full_page=True)
        page.context.close()


def test_intake_plan_meeting_placement_followup_review_kpi(
    new_context: Callable[..., Any], live_server: LiveServer, artifacts: Path
) -> None:
    from webapp import clock

    _seed(live_server)
    out = artifacts / "issue-17"
    out.mkdir(exist_ok=True)
    today = clock.today()
    day = lambda n: (today - timedelta(days=n)).isoformat()  # noqa: E731
    page = new_context(**DESKTOP).new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "net::" not in m.text else None)
    staff_login(page, live_server, EMAIL, PASSWORD)

    # 1. intake and assessment; a date in the future is refused beside the field, nothing typed is lost
    page.get_by_role("link", name="新しいケース").click()
    page.get_by_label("受付日").fill((today + timedelta(days=3)).isoformat())
    page.get_by_label("受付の経路").select_option(label="地域包括支援センター")
    page.get_by_label("紹介元の機関").fill("地域包括支援センター北（架空）")
    page.get_by_label("つなぐシートの要約（引き継がれた内容・暗号化して保存）").fill("（架空）退職後に外出が減った")
    page.get_by_label("高齢", exact=True).first.check()
    page.get_by_label("本人の強み・持っている力（暗号化して保存）").fill("（架空）体操の指導ができる")
    page.get_by_label("自分の持っている力を活かしたい").check()
    page.get_by_label("本人の言葉での目標（暗号化して保存）").fill("（架空）人の役に立ちたい")
    page.get_by_role("button", name="保存").click()
    assert "未来の日付は入力できません" in page.locator("#received_on-error").inner_text()
    assert page.get_by_label("紹介元の機関").input_value() == "地域包括支援センター北（架空）"
    assert "入力内容を確認してください" in page.locator(".error-summary").inner_text()
    page.screenshot(path=str(out / "intake-error-desktop.png"), full_page=True)
    page.get_by_label("受付日").fill(day(30))
    page.get_by_role("button", name="保存").click()
    assert "ケースを登録しました" in flash_text(page)
    case_url = page.url

    # 2. 支援プラン with 参加支援 at a named host
    page.locator("#plans summary", has_text="支援プランを作成する").click()
    page.get_by_label("作成日").fill(day(28))
    page.get_by_label("目標（本人の言葉で・暗号化して保存）").fill("（架空）週に1回、体操で人と会う")
    page.get_by_label("予定する支援（暗号化して保存）").fill("（架空）参加支援（同行）、定着支援")
    page.get_by_label("参加支援を含む").check()
    page.get_by_label("または受け入れ先の名称").fill(HOST)
    page.get_by_role("button", name="プランを記録").click()
    assert "支援プランを記録しました" in flash_text(page)

    # 3. consent to share at meetings, then a 重層的支援会議 that confirms the plan
    page.locator("#consents summary", has_text="同意を記録する").click()
    page.get_by_label("目的").select_option("multiagency_meeting")
    page.get_by_label("共有先の名称（受け入れ先・会議）").fill("重層的支援会議")
    page.get_by_label("同意を得た日").fill(day(27))
    page.get_by_role("button", name="同意を記録", exact=True).click()
    assert "同意を記録しました" in flash_text(page)
    code = page.locator("h1").inner_text().split()[-1]
    page.get_by_role("link", name="会議", exact=True).first.click()
    page.get_by_label("種類").select_option("multiagency_meeting")
    page.get_by_label("開催日").fill(day(26))
    page.get_by_label("出席した機関（1行に1つ）").fill("市 福祉政策課（架空）\n地域包括支援センター北（架空）")
    page.get_by_label("テーマ部分（個人が特定されない内容）").fill("（架空）退職後の男性の居場所")
    page.get_by_role("button", name="会議を記録").click()
    assert "会議を記録しました" in flash_text(page)
    meeting_url = page.url
    page.get_by_label("ケース番号").fill(code)
    page.get_by_label("ケース部分（検討内容・暗号化して保存）").fill("（架空）プランを確認した")
    page.get_by_label("この会議で本人の支援プラン（現在の版）を確認した").check()
    page.get_by_role("button", name="ケースを記録").click()
    assert "ケースを会議に記録しました" in flash_text(page)

    # 4. the placement from the plan, consent for the host, then 打診 and 参加中 on their true dates
    page.goto(case_url)
    assert "重層的支援会議" in page.locator("#plans").inner_text()
    page.locator("#plans").get_by_label("候補にした日").fill(day(25))
    page.get_by_role("button", name="プランの参加支援を候補にする").click()
    assert "候補に追加しました" in flash_text(page)
    page.locator("#consents summary", has_text="同意を記録する").click()
    page.get_by_label("目的").select_option("share_host")
    page.get_by_label("共有先の名称（受け入れ先・会議）").fill(HOST)
    page.get_by_label("同意を得た日").fill(day(25))
    page.get_by_role("button", name="同意を記録", exact=True).click()
    for stage, reason, when in (("proposed", "世話人に電話で打診", 21), ("participating", "毎週の参加を開始", 14)):
        placement = page.locator("article.placement").first
        placement.get_by_label("次の段階").select_option(stage)
        placement.get_by_label("理由（必須）").fill(reason)
        if stage == "participating":
            placement.get_by_label("段階を飛ばすときの理由（例: 候補から参加中へ）").fill("同行見学・体験は省略（本人の希望）")
        placement.get_by_label("変更した日").fill(day(when))
        placement.get_by_role("button", name="段階を変更").click()
        assert "段階を" in flash_text(page), flash_text(page)
    assert day(14) in page.locator("article.placement ol.events").inner_text()

    # 5. the first follow-up (7 days after participation began) done last week, on its due date
    item = page.locator("ul.followups > li").first
    assert "参加開始の7日後" in item.inner_text()
    item.locator("summary", has_text="完了を記録").click()
    item.get_by_label("記録").fill("（架空）楽しく通えている")
    item.get_by_label("実施した日").fill(day(7))
    item.get_by_role("button", name="完了にする").click()
    assert "フォローアップを完了しました" in flash_text(page)
    assert f"完了 {day(7)}" in page.locator("ul.followups > li").first.inner_text()

    # 6. plan review
    page.locator("#plans summary", has_text="見直しを記録する").click()
    page.get_by_label("見直しの内容（暗号化して保存）").fill("（架空）週1回通えている。継続。")
    page.get_by_role("button", name="見直しを記録", exact=True).click()
    assert "見直しを記録しました" in flash_text(page)
    page.screenshot(path=str(out / "case-record-desktop.png"), full_page=True)

    # 7. the KPI page: this office's plan made 28 days ago reached 打診 and 参加中 → 100 %
    page.goto(live_server(f"/staff/reports?start={day(60)}&end={today.isoformat()}"))
    row = page.locator("#indicator-plan_participation_rate")
    assert "100.0%" in row.inner_text() and "1 / 1" in row.inner_text()
    assert "1 / 1" in page.locator("#indicator-plan_participating_rate").inner_text()
    assert page.locator("#indicator-meetings_held-multiagency_meeting td.num").first.inner_text() == "1"
    assert errors == []

    _shoot(new_context, live_server, [
        (live_server("/staff/cases/new"), "intake"), (case_url, "case-record"), (live_server("/staff/meetings"), "meetings"),
        (meeting_url, "meeting"), (live_server(f"/staff/reports?start={day(60)}&end={today.isoformat()}"), "kpis"),
    ], out)  # fmt: skip
