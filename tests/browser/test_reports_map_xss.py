"""F15: district names reached Leaflet's bindTooltip as HTML on the staff coverage map.

A district named ``<img src=x onerror=window.__xss=1>`` (names come from imported boundary files)
must show as that literal text in the tooltip and never run. The context bypasses the CSP on
purpose: the CSP would stop the inline handler, and this test is about the script not building HTML
from data in the first place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import select

from tests.browser.conftest import DESKTOP, LiveServer

PASSWORD = "correct horse battery"
EMAIL = "f15-viewer@example.jp"
HOSTILE = "<img src=x onerror=window.__xss=1>"


@pytest.fixture()
def hostile_district(live_server: LiveServer) -> Iterator[str]:
    from webapp.accounts.models.user import User
    from webapp.accounts.services import create_user
    from webapp.extensions import db
    from webapp.listings.districts import ASSIGN_KIND
    from webapp.listings.models.place import District

    with live_server.app.app_context(), db.transaction() as session:
        if session.scalar(select(User.id).where(User.email == EMAIL)) is None:
            create_user(session, EMAIL, PASSWORD, ["viewer"])
        district = session.scalars(
            select(District).where(District.kind == ASSIGN_KIND, District.geom.is_not(None)).order_by(District.code)
        ).first()
        assert district is not None
        district_id, old_name = district.id, district.name
        district.name = HOSTILE
    try:
        yield HOSTILE
    finally:
        # The live server is shared by the other browser tests.
        with live_server.app.app_context(), db.transaction() as session:
            restored = session.get(District, district_id)
            assert restored is not None
            restored.name = old_name


def test_district_name_is_text_in_the_map_tooltip(
    new_context: Callable[..., Any], live_server: LiveServer, hostile_district: str
) -> None:
    page = new_context(**DESKTOP, bypass_csp=True).new_page()
    page.goto(live_server("/auth/login?next=" + quote("/staff/reports/coverage?category=salon&walk=800", safe="/")))
    page.get_by_label("メールアドレス").fill(EMAIL)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url("**/staff/reports/coverage?*")
    page.locator("#coverage-map[data-loaded='1']").wait_for()

    shaded = page.locator("#coverage-map path.leaflet-interactive")
    assert shaded.count() > 1
    seen: list[str] = []
    for i in range(shaded.count()):
        path = shaded.nth(i)
        box = path.bounding_box()
        assert box is not None
        path.hover(position={"x": box["width"] / 2, "y": box["height"] / 2}, force=True)
        tooltip = page.locator(".leaflet-tooltip")
        if tooltip.count():
            seen.append(tooltip.first.inner_text())
            assert tooltip.locator("img").count() == 0
        if hostile_district in seen:
            break
    assert hostile_district in seen, seen
    # Give an injected image time to fail to load and fire its handler.
    page.wait_for_timeout(300)
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator("#coverage-map img[src='x']").count() == 0
