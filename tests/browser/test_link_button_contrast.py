"""A button styled as a link (「この写真を外す」, 「対応不要」, 「終了する」) is readable wherever it stands:
white only on the blue header, the link colour on the page (it was white on white)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser

CONTRAST = """(el) => {
  const rgb = (c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = (c) => { const v = rgb(c).map((x) => { x /= 255; return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; });
                       return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
  let bg = el, back = "rgba(0, 0, 0, 0)";
  while (bg && (back === "rgba(0, 0, 0, 0)" || back === "transparent")) { back = getComputedStyle(bg).backgroundColor; bg = bg.parentElement; }
  if (back === "rgba(0, 0, 0, 0)" || back === "transparent") back = "rgb(255, 255, 255)";
  const [a, b] = [lum(getComputedStyle(el).color), lum(back)].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}"""


def test_link_buttons_on_the_page_and_in_the_header_are_readable(page: Any, live_server: LiveServer) -> None:
    page.goto(live_server("/about"))
    # One in the page body and one in the header, as the organizer, moderation and account pages have.
    page.evaluate("""() => {
      const body = document.createElement('button'); body.className = 'link-button'; body.id = 'in-page';
      body.textContent = 'この写真を外す'; document.querySelector('main').appendChild(body);
      const head = document.createElement('button'); head.className = 'link-button'; head.id = 'in-header';
      head.textContent = 'ログアウト'; document.querySelector('.site-nav').appendChild(head);
    }""")
    assert page.eval_on_selector("#in-page", CONTRAST) >= 4.5
    assert page.eval_on_selector("#in-header", CONTRAST) >= 4.5
