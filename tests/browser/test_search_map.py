"""Issue 20 in a real browser: results first on a phone, the list/map switch, the map's search
centre and fallback base layer (tiles are blocked in these contexts, as when the tile server is
down), list ↔ map linking, readable popups with the next date, furigana on the UI labels.
Screenshots go to test-artifacts/issue-20/."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import DESKTOP, PHONE, LiveServer

SALON_NEAR_STATION = "/?q=サロン&near=生駒駅&radius=2000"


@pytest.fixture()
def shots(artifacts: Path) -> Path:
    out = artifacts / "issue-20"
    out.mkdir(parents=True, exist_ok=True)
    return out


def _ja(new_context: Callable[..., Any], **options: Any) -> Any:
    return new_context(locale="ja-JP", extra_http_headers={"Accept-Language": "ja"}, **options).new_page()


@pytest.mark.parametrize("path", ["/", "/?q=体操", "/?category=salon&free=1"])
def test_first_result_is_on_the_first_phone_screen(new_context: Callable[..., Any], live_server: LiveServer, path: str) -> None:
    page = _ja(new_context, **PHONE)
    page.goto(live_server(path))
    top = page.evaluate("document.querySelector('#result-list > li').getBoundingClientRect().top")
    assert top < PHONE["viewport"]["height"] * 0.8, top  # was 1,869 px (two screens of form)
    # the search bar and the conditions each fit on one line
    bar = page.locator(".search-bar").bounding_box()
    assert bar is not None and bar["height"] < 70


def test_map_view_marks_the_centre_and_draws_the_fallback_base_layer(
    new_context: Callable[..., Any], live_server: LiveServer, shots: Path
) -> None:
    page = _ja(new_context, **PHONE)
    page.goto(live_server(SALON_NEAR_STATION + "&view=map"))
    assert page.locator("#result-list").is_hidden()
    page.locator("#map .pin, #map .marker-cluster").first.wait_for()
    centre = page.locator("#map .centre")
    centre.wait_for()
    assert page.locator("#map .centre-label").inner_text() == "生駒駅"
    # Tiles are blocked here: the outline, 小学校区 and labels come from the district data.
    page.locator("#map.map--fallback").wait_for(timeout=15_000)
    page.locator("#map .map-label").first.wait_for()
    assert "生駒小学校" in page.locator("#map .map-label").all_inner_texts()
    # Town names join the district names once zoomed in.
    while page.evaluate("document.querySelectorAll('#map .map-label').length") < 30:
        page.locator(".leaflet-control-zoom-in").click()
        page.wait_for_timeout(400)
    assert "東生駒" in page.locator("#map .map-label").all_inner_texts()
    page.locator(".leaflet-control-zoom-out").click()
    page.locator(".leaflet-control-zoom-out").click()
    page.wait_for_timeout(400)
    assert page.locator("#map path").count() >= 10  # outline + district boundaries + the radius
    total = int(re.sub(r"\D", "", page.locator("#results-heading").inner_text().split("件")[0]))
    on_map = page.evaluate(
        """() => document.querySelectorAll('#map .leaflet-marker-icon.pin').length +
           [...document.querySelectorAll('#map .marker-cluster')].reduce((n, el) => n + parseInt(el.textContent, 10), 0)"""
    )
    assert on_map == total
    page.locator("#results").scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "phone-map-centre-fallback.png"))


def test_pin_popup_fetches_the_next_date_and_links_to_its_card(
    new_context: Callable[..., Any], live_server: LiveServer, shots: Path
) -> None:
    page = _ja(new_context, **DESKTOP)
    page.goto(live_server("/?q=囲碁"))
    pin = page.locator("#map .leaflet-marker-icon.pin").first
    pin.wait_for()
    pin.click()
    when = page.locator(".leaflet-popup .map-popup__when")
    when.wait_for()
    assert re.search(r"\d+月\d+日", when.inner_text()) and "次回" in when.inner_text()
    size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.leaflet-popup .map-popup__when')).fontSize)")
    assert size >= 16
    page.screenshot(path=str(shots / "desktop-popup.png"))
    page.locator(".leaflet-popup .map-popup__to-card").click()
    linked = page.locator("#result-list .activity-card--linked")
    linked.wait_for()
    assert linked.count() == 1
    # card → pin: 「地図で見る」 opens that listing's popup
    card = page.locator("#result-list > li").nth(1)
    name = card.get_attribute("data-name")
    card.locator(".activity-card__to-map").click()
    assert name
    page.locator(".leaflet-popup .map-popup__name", has_text=name).wait_for()
    page.wait_for_timeout(600)  # the previous popup fades out
    assert page.locator(".leaflet-popup").count() == 1


def test_phone_list_map_switch_keeps_the_query(new_context: Callable[..., Any], live_server: LiveServer) -> None:
    page = _ja(new_context, **PHONE)
    page.goto(live_server("/?q=体操&free=1"))
    page.locator("#view-map").click()
    page.locator("#map .pin, #map .marker-cluster").first.wait_for()
    assert "view=map" in page.url and "free=1" in page.url
    page.locator("#view-list").click()
    assert page.locator("#result-list").is_visible()
    assert "view=map" not in page.url and "free=1" in page.url


def test_furigana_mode_covers_the_ui_labels(new_context: Callable[..., Any], live_server: LiveServer, shots: Path) -> None:
    page = _ja(new_context, **PHONE)
    page.goto(live_server("/?q=体操&free=1&ruby=1"))
    card = page.locator("#result-list > li").first
    assert card.locator("dt ruby rt").count() >= 2  # 次回・日時・場所 read じかい・にちじ・ばしょ
    assert page.locator(".current-conditions__label ruby rt").count() >= 1
    assert page.locator("#result-list .flag ruby rt").count() >= 1
    page.screenshot(path=str(shots / "phone-furigana.png"))


def test_english_lists_and_free(new_context: Callable[..., Any], live_server: LiveServer) -> None:
    page = new_context(**DESKTOP).new_page()
    # A free listing for several audiences whose own cost text says 「相談無料」.
    page.goto(live_server("/?q=いこまる相談窓口&lang=en"))
    page.locator("#result-list > li h3 a").first.click()
    page.wait_for_url(re.compile(r"/activities/\d+"))
    facts = page.locator(".facts").inner_text()
    assert ", " in facts and "、" not in facts
    assert "Free" in facts and "無料" not in facts


def test_print_list_dates_do_not_wrap_on_a_phone(new_context: Callable[..., Any], live_server: LiveServer, shots: Path) -> None:
    page = _ja(new_context, **PHONE)
    page.goto(live_server("/print?category=exercise"))
    dd = page.locator(".facts--print dd").first
    box = dd.bounding_box()
    assert box is not None and box["width"] > 250  # not a column a few characters wide
    page.screenshot(path=str(shots / "phone-print.png"))
