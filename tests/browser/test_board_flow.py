"""The matching board in chromium: a supporter creates a person, gets suggestions with reasons, makes
one a candidate, records consent, moves the placement up the ladder and completes a follow-up.
Screenshots in test-artifacts/ (board-suggestions.png, board-case.png, board-kanban.png)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.browser.conftest import DESKTOP, LiveServer
from tests.browser.pages import axe_violations, flash_text, staff_login

PASSWORD = "correct horse battery"
EMAIL = "board-supporter@example.jp"


def _seed(live_server: LiveServer) -> None:
    from sqlalchemy import select

    from webapp.accounts.models.user import User
    from webapp.accounts.services import create_user
    from webapp.extensions import db

    with live_server.app.app_context(), db.transaction() as session:
        if session.scalar(select(User.id).where(User.email == EMAIL)) is None:
            create_user(session, EMAIL, PASSWORD, ["supporter"], "ブラウザ試験 参加支援センター")








def test_supporter_matches_a_person_through_the_ladder(
    new_context: Callable[..., Any], live_server: LiveServer, artifacts: Path
) -> None:
    _seed(live_server)
    page = new_context(**DESKTOP).new_page()
    errors: list[str] = []
    # A refused form comes back with status 400 (the case page's convention): not a script error.
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "net::" not in m.text
            and "status of 400" not in m.text else None)  # fmt: skip
    staff_login(page, live_server, EMAIL, PASSWORD)

    # 1. a new person: pseudonymous, interests and free time only
    page.get_by_role("link", name="新しいケース").click()
    page.get_by_label("年代").select_option("60s")
    page.get_by_label("地区（小学校区）").select_option(label="生駒小学校")
    page.get_by_label("分野", exact=True).select_option("elderly")
    page.get_by_label("囲碁", exact=True).check()
    page.get_by_label("水午前", exact=True).check()
    page.get_by_label("木午後", exact=True).check()
    page.get_by_label("移動できる距離（m）").fill("4000")
    page.get_by_label("一人での参加に不安がある").check()
    page.get_by_role("button", name="保存").click()
    assert "ケースを登録しました" in flash_text(page)
    case_url = page.url

    # 2. suggestions, each with its reasons
    page.get_by_role("link", name="おすすめの活動").click()
    suggestions = page.locator("li.suggestion")
    assert suggestions.count() > 0
    first = suggestions.first
    why = first.locator(".why").inner_text()
    assert "囲碁に関心" in why, why
    page.screenshot(path=str(artifacts / "board-suggestions.png"), full_page=True)
    activity_name = first.locator("h2 a").inner_text()
    first.get_by_role("button", name=re.compile("候補にする")).click()
    assert "候補に追加しました" in flash_text(page)
    placement = page.locator("article.placement").first
    assert activity_name in placement.inner_text() and "候補" in placement.inner_text()

    # 3. without consent, 打診 is refused; with consent for this host it goes through
    placement.get_by_label("次の段階").select_option("proposed")
    placement.get_by_label("理由（必須）").fill("世話人に電話で打診")
    placement.get_by_role("button", name="段階を変更").click()
    assert "同意" in page.locator(".error-summary").inner_text()  # and beside the stage field
    assert "同意" in page.locator("article.placement .field__error").first.inner_text()
    assert "同意" in page.locator(".error-summary").inner_text()
    assert page.locator("article.placement").first.get_by_label("理由（必須）").input_value() == "世話人に電話で打診"
    page.locator("#consents summary", has_text="同意を記録する").click()
    page.get_by_label("目的").select_option("share_host")
    page.get_by_label("受け入れ先（候補の活動）").select_option(label=activity_name)
    page.get_by_role("button", name="同意を記録", exact=True).click()
    assert "同意を記録しました" in flash_text(page)

    for stage, reason in (
        ("proposed", "世話人に電話で打診"),
        ("accompanied_visit", "支援員が同行して見学"),
        ("trial", "本人が体験を希望"),
        ("participating", "毎週の参加を開始"),
    ):
        placement = page.locator("article.placement").first
        placement.get_by_label("次の段階").select_option(stage)
        placement.get_by_label("理由（必須）").fill(reason)
        placement.get_by_role("button", name="段階を変更").click()
        assert "段階を" in flash_text(page), flash_text(page)
    placement = page.locator("article.placement").first
    assert "参加中" in placement.locator("h3").inner_text()
    assert placement.locator("ol.events li").count() == 5
    assert "毎週の参加を開始" in placement.inner_text()

    # 4. participation scheduled follow-ups (1 week, 1 month, 3 months); complete the first one
    followups = page.locator("ul.followups > li")
    assert followups.count() == 5
    item = followups.first
    item.locator("summary", has_text="完了を記録").click()
    item.get_by_label("記録").fill("本人から電話。楽しく通えている。")
    item.get_by_label("ウェルビーイング尺度").select_option("who5")
    item.get_by_label("スコア").fill("15")
    item.get_by_role("button", name="完了にする").click()
    assert "フォローアップを完了しました" in flash_text(page)
    assert "完了" in page.locator("ul.followups > li").first.inner_text()
    assert "WHO-5" in page.locator("#timeline").inner_text()
    page.screenshot(path=str(artifacts / "board-case.png"), full_page=True)

    # 5. the kanban shows the card in 参加中
    page.get_by_role("link", name="つなぎボード").click()
    column = page.locator(".kanban__column[data-stage=participating]")
    assert column.locator(".kanban__card").count() == 1
    page.screenshot(path=str(artifacts / "board-kanban.png"), full_page=True)
    # optional drag: dropping the card on 定着 opens its form with that stage chosen, asking why
    card = column.locator(".kanban__card").first
    card.drag_to(page.locator(".kanban__column[data-stage=settled]"))
    assert card.locator("select[name=stage]").input_value() == "settled"
    assert card.locator("input[name=reason]").evaluate("el => el === document.activeElement")
    card.locator("input[name=reason]").fill("3か月続いている")
    card.get_by_role("button", name="段階を変更").click()
    assert page.locator(".kanban__column[data-stage=settled] .kanban__card").count() == 1
    for url in (case_url, case_url + "/suggestions", live_server("/staff/board"), live_server("/staff/"),
                live_server("/staff/cases"), case_url + "/edit"):  # fmt: skip
        page.goto(url)
        assert axe_violations(page, live_server) == [], url
    assert errors == []
