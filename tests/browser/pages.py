"""What several browser tests do the same way: sign a staff member in, read the flash, run axe."""

from __future__ import annotations

import re
from typing import Any

from tests.browser.conftest import LiveServer

WCAG21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def staff_login(page: Any, live_server: LiveServer, email: str, password: str) -> None:
    """Sign in through the login form and land on the staff home."""
    page.goto(live_server("/auth/login?next=/staff/"))
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_label("パスワード", exact=True).fill(password)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(re.compile(r"/staff/$"))


def flash_text(page: Any) -> str:
    return str(page.locator(".flashes").inner_text())


def axe_violations(page: Any, live_server: LiveServer, tags: list[str] = WCAG21_AA) -> list[dict[str, Any]]:
    """Serious and critical axe-core findings (and any colour contrast finding) on the page (axe is vendored)."""
    page.add_script_tag(url=live_server("/static/vendor/axe-core/axe.min.js"))
    result = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return r.violations.map(v => ({id: v.id, impact: v.impact,
              nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' — ' + (n.failureSummary || '').slice(0, 200))}));
        }""",
        tags,
    )
    return [v for v in result if v["id"] == "color-contrast" or v["impact"] in ("serious", "critical")]
