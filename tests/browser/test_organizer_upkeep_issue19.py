"""Issue 19 in chromium: the organizer form's new fields (ふりがな, 初参加歓迎…, 隔週's start date), the
geocoder saying which level it found, one blank draft per tap; the staff upkeep pages with axe.
Screenshots (phone 390×844 and desktop 1280×800) in test-artifacts/issue-19/."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import PHONE, LiveServer

PASSWORD = "correct horse battery"
DESK = {"viewport": {"width": 1280, "height": 800}}


def _seed(live_server: LiveServer, tag: str) -> tuple[str, str]:
    from webapp.accounts.services import create_user
    from webapp.extensions import db
    from webapp.listings.models.organization import Organization
    from webapp.listings.organizer import add_member

    organizer, moderator = f"org-{tag}@example.org", f"mod-{tag}@example.org"
    with live_server.app.app_context(), db.transaction() as session:
        user = create_user(session, organizer, PASSWORD, ["organizer"])
        org = Organization(source="manual", source_id=f"org-{tag}", name=f"（架空）北新町サロンの会{tag}")
        session.add(org)
        session.flush()
        add_member(session, user, org)
        create_user(session, moderator, PASSWORD, ["moderator"])
    return organizer, moderator


def _login(page: Any, live_server: LiveServer, email: str, landing: str) -> None:
    page.goto(live_server("/auth/login"))
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_label("パスワード", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(re.compile(landing))


def _serious_axe(page: Any, live_server: LiveServer) -> list[dict[str, Any]]:
    page.add_script_tag(url=live_server("/static/vendor/axe-core/axe.min.js"))
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}});
            return r.violations.map(v => ({id: v.id, impact: v.impact,
              nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
        }"""
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]


def test_organizer_form_new_fields_and_geocoder_level(
    new_context: Callable[..., Any], live_server: LiveServer, artifacts: Path
) -> None:
    tag = uuid.uuid4().hex[:6]
    organizer, _moderator = _seed(live_server, tag)
    out = artifacts / "issue-19"
    out.mkdir(exist_ok=True)
    page = new_context(**PHONE).new_page()
    _login(page, live_server, organizer, r"/organizer/$")
    page.get_by_role("button", name="新しい活動を登録する").click()
    page.wait_for_url(re.compile(r"/organizer/activities/\d+/edit"))
    first = page.url
    # back to the list and tap again: the same blank draft, no 「（名前未入力）」 line
    page.goto(live_server("/organizer/"))
    assert "（名前未入力）" not in page.content()
    page.get_by_role("button", name="新しい活動を登録する").click()
    page.wait_for_url(re.compile(r"/organizer/activities/\d+/edit"))
    assert page.url == first

    page.get_by_label("活動の名前").fill("（架空）北新町いきいき体操")
    page.get_by_label("ふりがな").fill("きたしんまちいきいきたいそう")
    page.get_by_label("初参加歓迎").check()
    page.get_by_label("一人参加OK").check()
    anchor = page.locator("#anchor-field")
    expect(anchor).to_be_hidden()
    page.locator("input[name=interval][value='2']").check()
    expect(anchor).to_be_visible()
    page.get_by_label("隔週の場合: 開催する日を1日（この日から2週ごと）").fill("2026-12-12")
    page.locator("input[name=weekdays][value='SA']").check()
    page.get_by_label("住所", exact=True).fill("生駒市北新町")
    page.get_by_role("button", name="住所から地図に表示").click()
    status = page.locator("#geocode-status")
    expect(status).to_contain_text(
        "町の中心しか見つかりませんでした。ピンを会場の正しい位置に動かしてください。"
    )
    expect(status).to_have_class(re.compile("geocode-status--approximate"))
    assert page.locator("#geocode_level").input_value() == "oaza"
    page.screenshot(path=str(out / "organizer-form-geocode-phone.png"), full_page=True)
    # moving the pin by hand clears the warning and records a manual position
    box = page.locator("#place-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.4)
    expect(status).to_have_text("")
    assert page.locator("#geocode_level").input_value() == "manual"
    expect(page.locator("#autosave-status")).to_contain_text("自動保存しました")

    desk = new_context(**DESK).new_page()
    _login(desk, live_server, organizer, r"/organizer/$")
    desk.goto(first)
    assert desk.get_by_label("ふりがな").input_value() == "きたしんまちいきいきたいそう"
    assert desk.get_by_label("初参加歓迎").is_checked() and not desk.get_by_label("見学可").is_checked()
    assert desk.get_by_label("隔週の場合: 開催する日を1日（この日から2週ごと）").input_value() == "2026-12-12"
    desk.screenshot(path=str(out / "organizer-form-desktop.png"), full_page=True)


def test_staff_upkeep_pages_phone_and_desktop(
    new_context: Callable[..., Any], live_server: LiveServer, artifacts: Path
) -> None:
    tag = uuid.uuid4().hex[:6]
    _organizer, moderator = _seed(live_server, tag)
    out = artifacts / "issue-19"
    out.mkdir(exist_ok=True)
    for size, options in (("phone", PHONE), ("desktop", DESK)):
        page = new_context(**options).new_page()
        _login(page, live_server, moderator, r"/staff/")
        page.goto(live_server("/staff/"))
        expect(page.locator("#h-unconfirmed")).to_be_visible()
        assert _serious_axe(page, live_server) == []
        page.screenshot(path=str(out / f"staff-home-moderator-{size}.png"), full_page=True)
        page.goto(live_server("/staff/listings"))
        assert _serious_axe(page, live_server) == []
        page.screenshot(path=str(out / f"staff-listings-{size}.png"), full_page=True)
        page.locator(".upkeep-table a").first.click()
        page.wait_for_url(re.compile(r"/staff/listings/\d+/edit"))
        assert _serious_axe(page, live_server) == []
        page.get_by_label("メモ（誰に確認したか など、任意）").fill("世話人に電話")
        page.get_by_role("button", name="電話で確認済みにする").click()
        expect(page.locator(".flashes")).to_contain_text("「電話で確認済み」にしました")
        page.screenshot(path=str(out / f"staff-listing-edit-{size}.png"), full_page=True)
