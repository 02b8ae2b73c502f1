"""Issue 19 (staff, visual): a case page on a 390 px phone keeps the phone number on one line; the
desktop board (1280 px) shows its stage columns in one row, not 5 + 3. Screenshots in
test-artifacts/issue-19/."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.browser.conftest import LiveServer
from tests.browser.pages import staff_login

PASSWORD = "correct horse battery"
EMAIL = "layout-supporter@example.jp"
PHONE_NUMBER = "0743-00-1234"


def _seed(live_server: LiveServer) -> int:
    from sqlalchemy import select

    from webapp.accounts.models.user import User
    from webapp.accounts.services import create_user
    from webapp.cases import services as svc
    from webapp.extensions import db

    with live_server.app.app_context(), db.transaction() as session:
        user = session.scalar(select(User).where(User.email == EMAIL))
        if user is None:
            user = create_user(session, EMAIL, PASSWORD, ["supporter"], "レイアウト試験 参加支援センター")
        person = svc.create_person(
            session, user, svc.PersonInput(field="elderly", name="（架空）山田 花子", contact=PHONE_NUMBER)
        )
        return person.id




def test_case_phone_number_on_one_line_on_a_phone(
    new_context: Callable[..., Any], live_server: LiveServer, artifacts: Path
) -> None:
    from tests.browser.conftest import PHONE

    person_id = _seed(live_server)
    page = new_context(**PHONE).new_page()
    staff_login(page, live_server, EMAIL, PASSWORD)
    page.goto(live_server(f"/staff/cases/{person_id}"))
    value = page.locator("dd", has_text=PHONE_NUMBER)
    line = float(value.evaluate("el => parseFloat(getComputedStyle(el).lineHeight) || 24"))
    box = value.bounding_box()
    assert box is not None and box["height"] < line * 1.5, (box, line)
    # the page itself is not wider than the phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    (artifacts / "issue-19").mkdir(exist_ok=True)
    page.screenshot(path=str(artifacts / "issue-19" / "case-phone.png"), full_page=True)


def test_desktop_board_columns_in_one_row(
    new_context: Callable[..., Any], live_server: LiveServer, artifacts: Path
) -> None:
    _seed(live_server)
    page = new_context(viewport={"width": 1280, "height": 800}).new_page()
    staff_login(page, live_server, EMAIL, PASSWORD)
    page.goto(live_server("/staff/board"))
    tops = page.locator(".kanban__column").evaluate_all("els => els.map(e => e.getBoundingClientRect().top)")
    assert len(tops) >= 8 and len(set(round(t) for t in tops)) == 1, tops
    (artifacts / "issue-19").mkdir(exist_ok=True)
    page.screenshot(path=str(artifacts / "issue-19" / "board-desktop.png"), full_page=True)
