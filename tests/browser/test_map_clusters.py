"""Issue 22 in a real browser: server-side clusters on the search map (tiles blocked: the fallback
base layer), their counts adding up to the list's total, the 「この範囲に N 件」 line, a tap or
Enter on a cluster zooming into it, readable count labels. Screenshots: test-artifacts/issue-22/."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.conftest import DESKTOP, PHONE, LiveServer

ON_MAP = """() => document.querySelectorAll('#map .leaflet-marker-icon.pin').length +
   [...document.querySelectorAll('#map .marker-cluster')].reduce((n, el) => n + parseInt(el.textContent, 10), 0)"""


@pytest.fixture()
def shots(artifacts: Path) -> Path:
    out = artifacts / "issue-22"
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.fixture()
def few_pins(monkeypatch: pytest.MonkeyPatch) -> None:
    # The sample city has 150 listings: with a pin limit of 10 its map clusters as a large city's does.
    from webapp.public import api

    monkeypatch.setattr(api, "PIN_LIMIT", 10)


def _luminance(rgb: str) -> float:
    channels = [int(x) / 255 for x in re.findall(r"\d+", rgb)[:3]]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _is_markers(view: str) -> Callable[[Any], bool]:
    return lambda r: "/api/v1/markers.geojson" in r.url and f"{view}=" in r.url


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_clusters_add_up_and_a_tap_zooms_into_one(
    new_context: Callable[..., Any], live_server: LiveServer, shots: Path, few_pins: None, viewport: str
) -> None:
    page = new_context(**(PHONE if viewport == "phone" else DESKTOP)).new_page()
    with page.expect_response(_is_markers("fit")) as first:
        page.goto(live_server("/?view=map" if viewport == "phone" else "/"))
    start = first.value.json()
    assert start["clustered"] is True
    page.locator("#map .map-cluster").first.wait_for()
    page.locator("#map.map--fallback").wait_for()  # tiles are blocked: the city's own base layer
    total = int(re.sub(r"\D", "", page.locator("#results-heading").inner_text().split("件")[0]))
    assert page.evaluate(ON_MAP) == start["mapped"] == total
    status = page.locator("#map-status")
    assert f"この範囲に {total} 件" in status.inner_text() and "押すと拡大します" in status.inner_text()
    # the count is text, readable on its bubble (WCAG AA: 4.5:1), and the bubble is named
    label = page.locator("#map .map-cluster div").first
    fg, bg = label.evaluate("e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]")
    hi, lo = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    assert (hi + 0.05) / (lo + 0.05) >= 4.5
    assert re.fullmatch(r"\d+ 件。押すと拡大します", page.locator("#map .map-cluster").first.get_attribute("aria-label") or "")
    status.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / f"{viewport}-clusters.png"))

    # tap the largest cluster: the map zooms into it and asks for that view at the new zoom
    counts = page.locator("#map .map-cluster").all_inner_texts()
    biggest = max(range(len(counts)), key=lambda k: int(counts[k]))
    with page.expect_response(_is_markers("bbox")) as nxt:
        page.locator("#map .map-cluster").nth(biggest).click()
    after = nxt.value.json()
    zoom = int(parse_qs(urlsplit(nxt.value.url).query)["zoom"][0])
    assert zoom > start["zoom"]
    assert 0 < after["mapped"] < total
    page.wait_for_function(
        "n => document.getElementById('map-status').textContent.includes('この範囲に ' + n + ' 件')", arg=after["mapped"]
    )
    page.wait_for_timeout(300)
    status.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / f"{viewport}-cluster-zoomed.png"))


def test_keyboard_enter_on_a_cluster_zooms_in(new_context: Callable[..., Any], live_server: LiveServer, few_pins: None) -> None:
    page = new_context(**DESKTOP).new_page()
    with page.expect_response(_is_markers("fit")):
        page.goto(live_server("/?category=salon&category=exercise&category=consultation"))
    cluster = page.locator("#map .map-cluster").first
    cluster.wait_for()
    assert cluster.get_attribute("tabindex") == "0" and cluster.get_attribute("role") == "button"
    cluster.focus()
    with page.expect_response(_is_markers("bbox")) as nxt:
        page.keyboard.press("Enter")
    assert nxt.value.ok and "category=salon" in nxt.value.url
    # the list beside the map is still there and works without the map
    assert page.locator("#result-list > li").count() > 0


def test_show_on_map_opens_a_pin_that_was_inside_a_cluster(
    new_context: Callable[..., Any], live_server: LiveServer, shots: Path, few_pins: None
) -> None:
    page = new_context(**DESKTOP).new_page()
    with page.expect_response(_is_markers("fit")) as first:
        page.goto(live_server("/"))
    assert first.value.json()["clustered"] is True
    page.locator("#map .map-cluster").first.wait_for()
    card = page.locator("#result-list > li").nth(2)
    name = card.get_attribute("data-name")
    assert name
    with page.expect_response(_is_markers("bbox")) as nxt:
        card.locator(".activity-card__to-map").click()
    assert "zoom=17" in nxt.value.url
    page.locator(".leaflet-popup .map-popup__name", has_text=name).wait_for()
    page.screenshot(path=str(shots / "desktop-card-to-pin.png"))
