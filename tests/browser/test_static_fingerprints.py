"""Fingerprinted static URLs (?v=<hash>, issue 22) in a real browser: every stylesheet and script a
page names, including the map's lazily loaded Leaflet files, loads with its fingerprint, and what
Leaflet's CSS finds by relative path (its images) still loads without one. Screenshots (phone and
desktop) go to test-artifacts/issue-22/."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.conftest import PHONE, LiveServer

DESKTOP_800 = {"viewport": {"width": 1280, "height": 800}}


@pytest.mark.parametrize(("device", "options"), [("phone", PHONE), ("desktop", DESKTOP_800)])
def test_pages_load_their_fingerprinted_assets(
    new_context: Callable[..., Any], live_server: LiveServer, artifacts: Path, device: str, options: dict[str, Any]
) -> None:
    out = artifacts / "issue-22"
    out.mkdir(parents=True, exist_ok=True)
    page = new_context(locale="ja-JP", extra_http_headers={"Accept-Language": "ja"}, **options).new_page()
    answers: list[tuple[str, int]] = []
    page.on("response", lambda r: answers.append((r.url, r.status)) if "/static/" in r.url else None)

    page.goto(live_server("/?q=サロン" + ("&view=map" if device == "phone" else "")))
    page.locator("#map .leaflet-marker-icon.pin, #map .marker-cluster").first.wait_for()
    # site.css applied: the stylesheet's own custom property is there.
    assert page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--accent').trim()") != ""
    page.screenshot(path=str(out / f"{device}-search-map.png"))
    card = page.locator("a[href^='/activities/']").first.get_attribute("href")
    assert card
    page.goto(live_server(card))
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(out / f"{device}-activity.png"), full_page=True)

    assert answers and all(status in (200, 304) for _url, status in answers), answers
    named = [url for url, _ in answers if url.endswith((".css", ".js")) or ".css?" in url or ".js?" in url]
    assert any("leaflet.js" in url for url in named) and any("site.css" in url for url in named)
    for url in named:
        version = parse_qs(urlsplit(url).query).get("v", [""])[0]
        assert len(version) == 12, url
