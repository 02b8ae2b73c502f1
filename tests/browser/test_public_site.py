"""The resident site in a real browser: search, near me, filters, detail, .ics, print, languages,
furigana, JavaScript off, axe-core, screenshots (test-artifacts/)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar

from tests.browser.conftest import DESKTOP, PHONE, LiveServer

AXE = "/static/vendor/axe-core/axe.min.js"
# 東生駒 in the sample city.
HERE = {"latitude": 34.6905, "longitude": 135.716}


def _first_result(page: Any) -> Any:
    return page.locator("#result-list > li").first


def _open_filters(page: Any) -> None:
    """The filters are folded away below the search bar (issue 20: results first)."""
    page.locator("#filters > summary").click()


def test_search_by_keyword(page: Any, live_server: LiveServer) -> None:
    page.goto(live_server("/"))
    page.get_by_label("キーワード").fill("体操")
    page.get_by_role("button", name="さがす", exact=True).click()
    page.wait_for_url(re.compile(r"q=%E4%BD%93%E6%93%8D"))
    assert page.locator("#result-list > li").count() > 0
    assert "体操" in page.locator("#result-list").inner_text()


def test_near_me_granted(new_context: Callable[..., Any], live_server: LiveServer, artifacts: Path) -> None:
    context = new_context(**PHONE, geolocation=HERE, permissions=["geolocation"])
    page = context.new_page()
    page.goto(live_server("/"))
    _open_filters(page)
    page.locator("#near-me").click()  # the panel's own (the quick one above hides once the panel opens)
    page.wait_for_url(re.compile(r"lat=34\.6905"))
    assert "現在地から近い順" in page.locator("#results-heading").inner_text()
    distances = page.locator("#result-list .distance").all_inner_texts()
    assert distances
    page.screenshot(path=str(artifacts / "phone-near-me.png"), full_page=False)


def test_near_me_denied_falls_back_to_typed_town(new_context: Callable[..., Any], live_server: LiveServer) -> None:
    context = new_context(**PHONE, permissions=[])
    page = context.new_page()
    page.goto(live_server("/"))
    _open_filters(page)
    page.locator("#near-me").click()  # the panel's own (the quick one above hides once the panel opens)
    status = page.locator("#near-status")
    status.wait_for(state="visible")
    page.wait_for_function("() => document.getElementById('near-status').textContent.length > 0")
    assert "住所や町名" in status.inner_text()
    # focus moved to the address box: type a town and search
    assert page.evaluate("document.activeElement.id") == "near"
    page.keyboard.type("東生駒")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"near="))
    assert "東生駒から近い順" in page.locator("#results-heading").inner_text()


def test_filters_category_chip_and_flags(page: Any, live_server: LiveServer) -> None:
    page.goto(live_server("/"))
    _open_filters(page)
    page.locator("label.chip--parenting").click()
    page.get_by_label("無料").check()
    page.get_by_role("button", name="この条件でさがす").click()
    page.wait_for_url(re.compile(r"category=parenting"))
    assert "free=1" in page.url
    badges = page.locator("#result-list .badge").all_inner_texts()
    assert badges and all("子育てひろば" in b for b in badges)
    # the result is linkable: the same URL in a fresh page gives the same list
    first = _first_result(page).get_attribute("data-id")
    other = page.context.new_page()
    other.goto(page.url)
    assert _first_result(other).get_attribute("data-id") == first


def test_tampered_filter_shows_error_beside_field(page: Any, live_server: LiveServer) -> None:
    response = page.goto(live_server("/?day=funday"))
    assert response is not None and response.status == 400
    error = page.locator("#day-error")
    assert error.is_visible()
    assert page.get_by_label("いつ").get_attribute("aria-invalid") == "true"


def test_open_detail_page_and_download_ics(page: Any, live_server: LiveServer, artifacts: Path) -> None:
    page.goto(live_server("/?category=salon"))
    link = page.locator("#result-list > li h3 a").first
    name = link.inner_text()
    link.click()
    page.wait_for_url(re.compile(r"/activities/\d+$"))
    assert page.locator("h1").inner_text() == name
    assert page.locator("a[href^='tel:']").count() >= 1
    assert page.get_by_role("img", name="このページのQRコード").is_visible()
    page.screenshot(path=str(artifacts / "desktop-detail.png"), full_page=True)
    with page.expect_download() as info:
        page.get_by_role("link", name="カレンダーに追加").click()
    download = info.value
    target = artifacts / "activity.ics"
    download.save_as(str(target))
    cal = Calendar.from_ical(target.read_bytes())
    event = next(iter(cal.walk("VEVENT")))
    assert str(event["SUMMARY"]) == name
    assert "RRULE" in event
    assert event["DTSTART"].params["TZID"] == "Asia/Tokyo"


def test_print_view(page: Any, live_server: LiveServer, artifacts: Path) -> None:
    page.goto(live_server("/?category=consultation"))
    page.get_by_role("link", name="印刷用の一覧").click()
    page.wait_for_url(re.compile(r"/print\?category=consultation"))
    items = page.locator(".print-item")
    assert items.count() > 0
    assert page.locator(".print-item img.qr--print").count() == items.count()
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    page.pdf(path=str(artifacts / "print.pdf"), format="A4")


def test_language_switch(page: Any, live_server: LiveServer) -> None:
    page.goto(live_server("/?category=salon"))
    page.get_by_role("link", name="English").click()
    page.wait_for_url(re.compile(r"lang=en"))
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#filters > summary").inner_text().startswith("Filter")
    assert "category=salon" in page.url
    # remembered by cookie
    page.goto(live_server("/about"))
    assert page.locator("h1").inner_text() == "About this site"
    page.get_by_role("link", name="日本語").click()
    page.wait_for_url(re.compile(r"lang=ja"))
    assert page.locator("html").get_attribute("lang") == "ja"


def test_furigana_toggle(page: Any, live_server: LiveServer) -> None:
    page.goto(live_server("/about"))
    assert page.locator("ruby").count() == 0
    page.get_by_role("link", name="ふりがなをつける").click()
    page.wait_for_url(re.compile(r"ruby=1"))
    assert page.locator("main ruby rt").count() > 0
    page.goto(live_server("/consult"))
    assert page.locator("ruby").count() > 0
    page.get_by_role("link", name="ふりがなを消す").click()
    page.wait_for_url(re.compile(r"ruby=0"))
    assert page.locator("ruby").count() == 0


def test_list_works_with_javascript_off(new_context: Callable[..., Any], live_server: LiveServer, artifacts: Path) -> None:
    context = new_context(**PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server("/"))
    # the JS-only controls stay hidden, the form still searches
    assert not page.get_by_role("button", name="現在地の近くで探す").is_visible()
    _open_filters(page)  # <details> opens without JavaScript
    page.get_by_label("住所・町名").fill("東生駒")
    page.get_by_label("キーワード").fill("サロン")
    page.get_by_role("button", name="この条件でさがす").click()
    page.wait_for_url(re.compile(r"near="))
    assert page.locator("#result-list > li").count() > 0
    page.screenshot(path=str(artifacts / "phone-no-js.png"), full_page=False)


def test_map_loads_from_local_files_on_desktop(page: Any, live_server: LiveServer, artifacts: Path) -> None:
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(live_server("/?category=salon"))
    page.wait_for_selector("#map .leaflet-container, #map.leaflet-container")
    page.locator("#map .pin, #map .marker-cluster").first.wait_for()
    page.wait_for_load_state("networkidle")
    # every listed match is on the map (single markers + the counts in cluster bubbles)
    total = int(re.sub(r"\D", "", page.locator("#results-heading").inner_text().split("件")[0]))
    on_map = page.evaluate(
        """() => document.querySelectorAll('#map .leaflet-marker-icon.pin').length +
           [...document.querySelectorAll('#map .marker-cluster')].reduce((n, el) => n + parseInt(el.textContent, 10), 0)"""
    )
    assert on_map == total
    assert all(u.startswith(live_server.url) for u in requested if "leaflet" in u)
    page.screenshot(path=str(artifacts / "desktop-results.png"), full_page=False)


def test_map_behind_toggle_on_phone(phone_page: Any, live_server: LiveServer, artifacts: Path) -> None:
    requested: list[str] = []
    phone_page.on("request", lambda r: requested.append(r.url))
    phone_page.goto(live_server("/"))
    phone_page.screenshot(path=str(artifacts / "phone-results.png"), full_page=False)
    assert not any("leaflet" in u for u in requested)
    toggle = phone_page.locator("#view-map")
    assert toggle.inner_text() == "地図"
    toggle.click()
    assert toggle.get_attribute("aria-current") == "page"
    assert "view=map" in phone_page.url  # the switch keeps the address in step
    phone_page.locator("#map .pin, #map .marker-cluster").first.wait_for()
    phone_page.screenshot(path=str(artifacts / "phone-map.png"), full_page=False)


def _axe(page: Any, live_server: LiveServer) -> list[dict[str, Any]]:
    page.add_script_tag(url=live_server(AXE))
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values:
              ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}});
            return r.violations.map(v => ({id: v.id, impact: v.impact,
              nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
        }"""
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]


def _public_paths(live_server: LiveServer) -> list[str]:
    from sqlalchemy import select

    from webapp.extensions import db
    from webapp.listings.models.activity import Activity

    with live_server.app.app_context():
        session = db.session()
        published = session.scalar(select(Activity.id).where(Activity.status == "published").order_by(Activity.id))
        archived = session.scalar(select(Activity.id).where(Activity.status == "archived").order_by(Activity.id))
        db.session.remove()
    return [
        "/",
        "/?q=サロン&free=1",
        "/?day=funday",
        f"/activities/{published}",
        f"/activities/{published}?ruby=1",
        f"/activities/{archived}",
        "/activities/999999",
        "/print?category=consultation",
        "/consult",
        "/about",
        "/for-organizers",
        "/?lang=en",
    ]


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_axe_no_serious_violations(
    new_context: Callable[..., Any], live_server: LiveServer, artifacts: Path, viewport: str
) -> None:
    context = new_context(**(PHONE if viewport == "phone" else DESKTOP))
    page = context.new_page()
    found: dict[str, list[dict[str, Any]]] = {}
    for path in _public_paths(live_server):
        page.goto(live_server(path))
        if viewport == "desktop" and page.locator("#map").count() and not page.locator(".error-summary").count():
            # scan the map as residents meet it: loaded, not mid-way through drawing markers
            page.locator("#map .leaflet-interactive, #map .marker-cluster").first.wait_for()
            page.wait_for_load_state("networkidle")
        violations = _axe(page, live_server)
        if violations:
            found[path] = violations
    (artifacts / f"axe-{viewport}.json").write_text(json.dumps(found, ensure_ascii=False, indent=1))
    assert found == {}


def test_zoom_200_percent_keeps_content_usable(new_context: Callable[..., Any], live_server: LiveServer) -> None:
    # 1280 px at 200 % is a 640 CSS px viewport: nothing may need horizontal scrolling.
    context = new_context(viewport={"width": 640, "height": 450}, device_scale_factor=2)
    page = context.new_page()
    for path in ("/", "/consult", "/about"):
        page.goto(live_server(path))
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), path


def test_keyboard_reaches_search_and_results(page: Any, live_server: LiveServer) -> None:
    page.goto(live_server("/"))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    focused: list[str] = []
    for _ in range(12):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.id || document.activeElement.name || ''"))
    assert "q" in focused


def test_activity_map_on_demand_on_phone(phone_page: Any, live_server: LiveServer, artifacts: Path) -> None:
    requested: list[str] = []
    phone_page.on("request", lambda r: requested.append(r.url))
    phone_page.goto(live_server("/?category=exercise"))
    phone_page.locator("#result-list > li h3 a").first.click()
    phone_page.wait_for_url(re.compile(r"/activities/\d+$"))
    assert not any("leaflet" in u for u in requested)
    # the address and a directions link are there without the map
    assert phone_page.get_by_role("link", name="道順を調べる（地図アプリ）").is_visible()
    phone_page.locator("#map-toggle").click()
    phone_page.locator("#map .pin").first.wait_for()
    phone_page.screenshot(path=str(artifacts / "phone-detail-map.png"), full_page=False)


def test_report_a_mistake(page: Any, live_server: LiveServer) -> None:
    page.goto(live_server("/?category=learning"))
    page.locator("#result-list > li h3 a").first.click()
    page.wait_for_url(re.compile(r"/activities/\d+$"))
    page.get_by_role("button", name="送信する").click()
    assert page.locator(".field__error").first.is_visible()  # empty message: error beside the field
    page.get_by_label("どこが違っていましたか").fill("開始時間が10時になっていました")
    page.get_by_role("button", name="送信する").click()
    assert page.get_by_text("お知らせありがとうございました").is_visible()


def test_near_me_from_outside_the_folded_panel(new_context: Callable[..., Any], live_server: LiveServer) -> None:
    """On a phone the panel is folded: 「現在地の近くで探す」 sits under the search box too, and
    refused location still opens the panel with the message and the address field in view."""
    context = new_context(**PHONE, geolocation=HERE, permissions=["geolocation"])
    page = context.new_page()
    page.goto(live_server("/"))
    assert not page.locator("#filters").evaluate("el => el.open")
    page.locator("#near-me-quick").click()
    page.wait_for_url(re.compile(r"lat=34\.6905"))
    assert "現在地から近い順" in page.locator("#results-heading").inner_text()
    assert page.locator("#near-me-quick").count() == 0  # a point is in use: 現在地を使わない instead

    denied = new_context(**PHONE, permissions=[]).new_page()
    denied.goto(live_server("/"))
    denied.locator("#near-me-quick").click()
    denied.wait_for_function("() => document.getElementById('near-status').textContent.length > 0")
    assert denied.locator("#filters").evaluate("el => el.open")
    assert denied.evaluate("document.activeElement.id") == "near"
    assert not denied.locator("#near-me-quick").is_visible()  # one such button in view at a time
