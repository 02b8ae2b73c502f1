"""An organizer on a phone, end to end in chromium: sign up, verify by mail, submit a listing with a
photo and an address pinned on the map; a moderator approves it; residents find it; the
"still running as shown" link confirms it."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import DESKTOP, PHONE, LiveServer

PHOTO = Path(__file__).parent.parent / "fixtures" / "photos" / "gps_rotated.jpg"
PASSWORD = "correct horse battery"


def _mail_link(page: Any, live_server: LiveServer, to: str, path: str) -> str:
    page.goto(live_server(f"/organizer/dev/outbox?to={to}"))
    body = page.locator(".outbox-body").first.inner_text()
    match = re.search(rf"http://\S+?({re.escape(path)}\S+)", body)
    assert match, body
    return live_server(match.group(1))


def _login(page: Any, live_server: LiveServer, email: str, next_path: str = "") -> None:
    page.goto(live_server("/auth/login" + (f"?next={next_path}" if next_path else "")))
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()


def _make_moderator(live_server: LiveServer, email: str) -> None:
    from webapp.accounts.services import create_user
    from webapp.extensions import db

    with live_server.app.app_context(), db.transaction() as session:
        create_user(session, email, PASSWORD, ["moderator"])


def test_organizer_listing_lifecycle(
    new_context: Callable[..., Any], live_server: LiveServer, artifacts: Path
) -> None:
    tag = uuid.uuid4().hex[:6]
    email = f"salon-{tag}@example.org"
    name = f"ひまわりサロン{tag}"
    phone = new_context(**PHONE).new_page()

    # --- sign up and verify through the mail in the dev outbox
    phone.goto(live_server("/auth/signup"))
    phone.get_by_label("メールアドレス").fill(email)
    phone.get_by_label("お名前（担当者名）").fill("山田花子")
    phone.get_by_label("団体名").fill(f"ひまわりの会{tag}")
    phone.get_by_role("button", name="登録して確認メールを受け取る").click()
    phone.wait_for_url(re.compile(r"/auth/signup/sent"))
    phone.goto(_mail_link(phone, live_server, email, "/auth/verify/"))
    # the password is chosen on the page the verification link opens
    phone.get_by_label("パスワード（10文字以上）").fill(PASSWORD)
    phone.get_by_label("もう一度").fill(PASSWORD)
    phone.get_by_role("button", name="パスワードを設定して登録を完了する").click()
    phone.wait_for_url(re.compile(r"/auth/login"))
    assert "登録が完了しました" in phone.content()
    phone.get_by_label("メールアドレス").fill(email)
    phone.get_by_label("パスワード").fill(PASSWORD)
    phone.get_by_role("button", name="ログイン").click()
    phone.wait_for_url(re.compile(r"/organizer/$"))

    # --- a new listing: schedule builder, address → pin, autosave, photo
    phone.get_by_role("button", name="新しい活動を登録する").click()
    phone.wait_for_url(re.compile(r"/organizer/activities/\d+/edit"))
    activity_id = int(re.search(r"/activities/(\d+)/", phone.url).group(1))  # type: ignore[union-attr]
    phone.get_by_label("活動の名前").fill(name)
    phone.locator("label.chip", has_text="サロン").first.click()
    phone.get_by_label("高齢の方").check()
    phone.get_by_label("毎月 第○曜日").check()
    assert phone.locator(".schedule-part[data-kinds='weekly']").is_hidden()
    phone.locator("input[name=nths][value='2']").check()
    phone.locator("input[name=weekdays][value='WE']").check()
    phone.get_by_label("祝日は休み").check()
    phone.get_by_label("開始時刻").fill("13:30")
    phone.get_by_label("終了時刻").fill("15:00")
    phone.get_by_label("場所の名前（例: ○○自治会館）").fill("元町集会所")
    phone.get_by_label("住所").fill("生駒市元町一丁目3-5")
    phone.get_by_role("button", name="住所から地図に表示").click()
    expect(phone.locator("#lat")).to_have_value("34.692278")
    assert phone.locator("#place-map .leaflet-marker-icon").count() == 1
    # tapping the map moves the pin and the coordinates
    box = phone.locator("#place-map").bounding_box()
    phone.mouse.click(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.3)
    expect(phone.locator("#lat")).not_to_have_value("34.692278")
    moved = (float(phone.locator("#lat").input_value()), float(phone.locator("#lon").input_value()))
    assert abs(moved[0] - 34.692278) < 0.05 and abs(moved[1] - 135.700199) < 0.05
    phone.get_by_label("電話番号").fill("0743-00-1234")
    phone.get_by_label("紹介文").fill("おしゃべりと脳トレの会です。<script>alert(1)</script>")
    sentence = phone.locator("#schedule-sentence")
    expect(phone.locator("#autosave-status")).to_contain_text("自動保存しました")
    expect(sentence).to_contain_text("毎月第2水曜日 13:30〜15:00（祝日はお休み）")
    phone.screenshot(path=str(artifacts / "organizer-phone-form.png"), full_page=True)

    phone.locator("#photo").set_input_files(str(PHOTO))
    phone.get_by_label("写真の説明（目の不自由な方の読み上げ用、例: 体操をしている様子）").fill("脳トレの様子")
    phone.get_by_role("button", name="写真を追加").click()
    phone.wait_for_selector("#photos img[alt='脳トレの様子']")
    # the autosaved draft survived the page reload of the photo form
    assert phone.get_by_label("活動の名前").input_value() == name
    assert float(phone.locator("#lat").input_value()) == moved[0]
    phone.get_by_role("button", name="審査に出す").click()
    phone.wait_for_url(re.compile(r"/organizer/$"))
    assert "審査に送りました" in phone.content()

    # not public before approval
    anonymous = new_context(**DESKTOP).new_page()
    anonymous.goto(live_server(f"/activities/{activity_id}"))
    assert name not in anonymous.content()

    # --- the moderator approves from the queue, reading the diff
    moderator_email = f"mod-{tag}@example.org"
    _make_moderator(live_server, moderator_email)
    desk = new_context(**DESKTOP).new_page()
    _login(desk, live_server, moderator_email, "/staff/moderation")
    desk.wait_for_url(re.compile(r"/staff/moderation"))
    desk.get_by_role("link", name=name).click()
    assert "毎月第2水曜日 13:30〜15:00（祝日はお休み）" in desk.locator(".diff-table").inner_text()
    assert desk.locator("img[alt='脳トレの様子']").count() == 1
    desk.screenshot(path=str(artifacts / "moderation-diff.png"), full_page=True)
    desk.get_by_role("button", name="承認して公開").click()
    desk.wait_for_url(re.compile(r"/staff/moderation$"))

    # --- residents see it: detail page, search, and the map's GeoJSON
    anonymous.goto(live_server(f"/activities/{activity_id}"))
    content = anonymous.content()
    assert name in content and "<script>alert(1)" not in content
    anonymous.goto(live_server("/?q=" + name))
    assert name in anonymous.content()
    geojson = anonymous.request.get(live_server("/api/v1/activities.geojson?q=" + name)).json()
    features = [f for f in geojson["features"] if f["properties"].get("name") == name]
    assert features and abs(features[0]["geometry"]["coordinates"][1] - moved[0]) < 1e-5

    # --- months later: the reconfirmation mail, and its one-button page
    from webapp.extensions import db
    from webapp.listings.freshness import send_reconfirmations
    from webapp.listings.models.activity import Activity
    from webapp.mail import mail_link
    from webapp.orm import utcnow

    app = live_server.app
    settings = app.extensions["odekake_settings"]
    with app.app_context(), db.transaction() as session:
        activity = session.scalar(select(Activity).where(Activity.id == activity_id))
        assert activity is not None and activity.status == "published"
        old = utcnow() - timedelta(days=30 * settings.reconfirm_months + 3)
        activity.last_confirmed_at = old
    with app.test_request_context(), db.transaction() as session:
        link_for = lambda t: mail_link(settings, "organizer.reconfirm", live_server.url, token=t)  # noqa: E731
        assert send_reconfirmations(session, settings, link_for) >= 1
    link = _mail_link(anonymous, live_server, email, "/organizer/reconfirm/")
    anonymous.goto(link)
    assert name in anonymous.content()
    anonymous.get_by_role("button", name="掲載どおり続いています").click()
    anonymous.wait_for_selector("text=確認しました")
    with app.app_context(), db.transaction() as session:
        activity = session.get(Activity, activity_id)
        assert activity is not None and activity.last_confirmed_at is not None and activity.last_confirmed_at > old
