"""The closed 打診 loop in chromium (issue 18): unmet need → host candidate → agreed → placement 打診 →
the host signs in on a phone, sees only the consented fields, answers 見学から → the supporter sees the
badge on the board and moves the placement to 同行見学; the host page shows the figures.

Screenshots in test-artifacts/issue-18/ (host-request-phone, board-answer-badge, host-figures).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.browser.conftest import DESKTOP, PHONE, LiveServer
from tests.browser.pages import axe_violations, flash_text, staff_login

PASSWORD = "correct horse battery"
LEAD = "loop-lead@example.jp"
HOST_PERSON = "loop-host@example.org"
OFFICE = "ブラウザ試験 つなぎセンター（架空）"
ORG = "サンプル子ども食堂の会（架空）"
CASE_NAME = "山田 花子（架空）"


def _seed(live_server: LiveServer) -> int:
    """An office lead with a case whose search found nothing (an unmet-needs row) and an organizer of
    an organization on the map (not yet a host). Returns the case's id."""
    from sqlalchemy import select

    from tests.factories import make_activity
    from webapp.accounts.models.user import User
    from webapp.accounts.services import create_user
    from webapp.cases import placements as flow
    from webapp.cases import services as cases_svc
    from webapp.cases.models import Person
    from webapp.consult import services as consult_svc
    from webapp.extensions import db
    from webapp.listings.models.organization import Organization
    from webapp.listings.models.organizer import OrganizationMembership

    with live_server.app.app_context(), db.transaction() as session:
        code, _name = consult_svc.district_choices(session)[0]
        user = session.scalar(select(User).where(User.email == LEAD))
        if user is None:
            user = create_user(session, LEAD, PASSWORD, ["office_lead"], OFFICE)
            person = cases_svc.create_person(session, user, cases_svc.PersonInput(
                field="elderly", district=code, interests=["go"], age_band="60s", name=CASE_NAME,
                contact="0743-99-9999", accessibility_needs=["wheelchair"], solo_worry=True,
            ))  # fmt: skip
            flow.record_no_suitable(session, user, person, "近くに囲碁の場がない")
            org = Organization(source="test", source_id="loop-org", name=ORG, kind="npo")
            session.add(org)
            session.flush()
            make_activity(session, "loop-act", 34.6935, 135.6876, name="子ども食堂の手伝い（架空）", organization_id=org.id)
            host_user = create_user(session, HOST_PERSON, PASSWORD, ["organizer"])
            session.add(OrganizationMembership(user_id=host_user.id, organization_id=org.id))
        person_id = session.scalar(select(Person.id).where(Person.created_by_id == user.id).order_by(Person.id))
        assert person_id is not None
        return int(person_id)


def test_unmet_need_to_host_answer_to_accompanied_visit(
    new_context: Callable[..., Any], live_server: LiveServer, artifacts: Path
) -> None:
    person_id = _seed(live_server)
    out = artifacts / "issue-18"
    out.mkdir(parents=True, exist_ok=True)
    staff = new_context(**{**DESKTOP, "viewport": {"width": 1280, "height": 800}}).new_page()
    staff_login(staff, live_server, LEAD, PASSWORD)

    # unmet need → host candidate (the organization on the map) → agreed
    staff.goto(live_server("/staff/reports"))
    staff.get_by_role("link", name="受け入れ先の開拓を始める").first.click()
    staff.wait_for_url(re.compile(r"/staff/hosts/new\?"))
    staff.get_by_label("名前", exact=True).fill(ORG)
    staff.get_by_label("種類").select_option("listing_org")
    staff.get_by_label("地図に載っている団体（該当する場合）").select_option(label=ORG)
    staff.get_by_label("体験", exact=True).check()
    staff.get_by_role("button", name="保存").click()
    staff.wait_for_url(re.compile(r"/staff/hosts/\d+$"))
    host_url = staff.url
    for stage in ("approached", "agreed"):
        staff.locator("#stage-stage").select_option(stage)
        staff.get_by_role("button", name="段階を記録する").click()
        assert "段階を記録しました。" in flash_text(staff)

    # the placement names the register host; the consent names what the host may see
    staff.goto(live_server(f"/staff/cases/{person_id}"))
    adding = staff.locator("#placements details", has_text="登録済みの受け入れ先・地図にない受け入れ先を候補にする")
    adding.locator("summary").click()
    staff.locator("#host-id").select_option(label=ORG)
    staff.locator("#host-reason").fill("子どもと関わる役割を希望")
    adding.locator("button[type=submit]").click()
    assert "候補に追加しました。" in flash_text(staff)
    staff.locator("#consents summary").click()
    staff.locator("#c-purpose").select_option("share_host")
    staff.locator("#c-recipient").fill(ORG)
    for label in ("呼び名", "年代", "希望すること"):
        staff.locator("#c-share").get_by_label(label, exact=True).check()
    staff.locator("#c-nickname").fill("ハナさん")
    staff.locator("#consents").screenshot(path=str(out / "consent-share-fields-desktop.png"))
    staff.get_by_role("button", name="同意を記録", exact=True).click()
    assert "同意を記録しました。" in flash_text(staff)

    # 打診 from the board: the host's people get a mail
    staff.goto(live_server("/staff/board"))
    card = staff.locator(".kanban__card", has_text=ORG)
    card.locator("summary").click()
    card.locator("select[name=stage]").select_option("proposed")
    card.locator("input[name=reason]").fill("先方に受け入れを打診")
    card.get_by_role("button", name="段階を変更").click()
    assert "段階を「打診」に変更しました。" in flash_text(staff)

    # the host's person, on a phone
    phone = new_context(**PHONE).new_page()
    phone.goto(live_server("/auth/login"))
    phone.get_by_label("メールアドレス").fill(HOST_PERSON)
    phone.get_by_label("パスワード", exact=True).fill(PASSWORD)
    phone.get_by_role("button", name="ログイン").click()
    phone.wait_for_load_state()
    # the organizer home says a request waits for an answer, and leads to it
    phone.goto(live_server("/organizer/"))
    assert "受け入れのご相談が1件、ご回答を待っています。" in phone.locator(".notice").inner_text()
    phone.screenshot(path=str(out / "organizer-home-waiting-phone.png"), full_page=True)
    phone.set_viewport_size({"width": 1280, "height": 800})
    phone.screenshot(path=str(out / "organizer-home-waiting-desktop.png"), full_page=True)
    phone.set_viewport_size({"width": 390, "height": 844})
    phone.get_by_role("link", name="受け入れのご相談を見る").click()
    phone.get_by_role("link", name=re.compile("ご相談 #")).first.click()
    phone.wait_for_url(re.compile(r"/organizer/requests/\d+$"))
    shared = phone.locator(".request-shared").inner_text()
    assert "ハナさん" in shared and "60代" in shared and "囲碁" in shared
    body = phone.locator("main").inner_text()
    for hidden in ("山田", "0743", "車いす", "一人での参加", "配慮してほしいこと"):
        assert hidden not in body, hidden
    assert axe_violations(phone, live_server) == []
    phone.screenshot(path=str(out / "host-request-phone.png"), full_page=True)
    phone.get_by_label("見学から").check()
    phone.get_by_role("button", name="回答を送る").click()
    assert "ご回答を送りました" in flash_text(phone)
    phone.screenshot(path=str(out / "host-request-answered-phone.png"), full_page=True)

    # the supporter sees the answer as a badge; the answer moved nothing; the supporter moves the stage
    staff.goto(live_server("/staff/board"))
    card = staff.locator(".kanban__card", has_text=ORG)
    assert card.locator(".badge--answer").inner_text() == "先方: 見学から"
    assert staff.locator("#col-proposed").locator("xpath=..").locator(".kanban__card", has_text=ORG).count() == 1
    staff.screenshot(path=str(out / "board-answer-badge-desktop.png"), full_page=True)
    assert axe_violations(staff, live_server) == []
    card.get_by_role("link", name="受け入れ先とのやりとり").click()
    staff.wait_for_url(re.compile(r"/staff/hosts/requests/\d+$"))
    assert "見学から" in staff.locator("main").inner_text() and "ハナさん" in staff.locator(".request-shared").inner_text()
    staff.screenshot(path=str(out / "staff-request-desktop.png"), full_page=True)
    staff.goto(live_server("/staff/board"))
    card = staff.locator(".kanban__card", has_text=ORG)
    card.locator("summary").click()
    card.locator("select[name=stage]").select_option("accompanied_visit")
    card.locator("input[name=reason]").fill("先方の回答（見学から）を受けて本人と同行見学へ")
    card.get_by_role("button", name="段階を変更").click()
    assert "段階を「同行見学」に変更しました。" in flash_text(staff)
    column = staff.locator("section[data-stage=accompanied_visit]")
    assert column.locator(".kanban__card", has_text=ORG).count() == 1

    # the host page: figures over phone-recorded and host-entered answers alike
    staff.goto(host_url)
    figures = staff.locator("#figures").inner_text()
    assert "100%" in figures and "回答率" in figures
    staff.screenshot(path=str(out / "host-figures-desktop.png"), full_page=True)
    staff.set_viewport_size({"width": 390, "height": 844})
    staff.screenshot(path=str(out / "host-figures-phone.png"), full_page=True)
    staff.set_viewport_size({"width": 1280, "height": 800})
    staff.goto(live_server("/staff/board"))
    staff.set_viewport_size({"width": 390, "height": 844})
    staff.screenshot(path=str(out / "board-answer-badge-phone.png"), full_page=True)
    phone.set_viewport_size({"width": 1280, "height": 800})
    phone.reload()
    phone.screenshot(path=str(out / "host-request-desktop.png"), full_page=True)
