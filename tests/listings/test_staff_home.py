"""Issue 19 (staff): the admin's and moderator's staff home lists pending reviews, error reports and
unconfirmed listings with counts and links; every staff page shows the same staff navigation."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.factories import logout, new_listing, post_listing, sign_up_and_verify
from tests.helpers import login
from webapp.listings.models.activity import Activity
from webapp.listings.models.report import ErrorReport

STAFF_NAV = ("職員ホーム", "掲載の確認", "掲載情報の更新")


def _nav(page: str) -> list[str]:
    header = page.split("<main", 1)[0]
    # the menu's links (the furigana and language switches point at the current page: left out)
    return [u for u in re.findall(r'<a href="(/staff[^"]*)"', header) if "?" not in u]


def test_admin_home_shows_upkeep_work(client: FlaskClient, session: Session, make_user: Any) -> None:
    sign_up_and_verify(client, "home@example.org")
    activity_id = new_listing(client)
    assert post_listing(client, activity_id, name="審査待ちサロン").status_code == 302
    logout(client)
    stale = Activity(
        source="opendata", source_id="home-1", name="返事のない体操", category="exercise", status="published",
        published_at=datetime(2024, 4, 1, tzinfo=UTC), last_confirmed_at=datetime(2024, 4, 1, tzinfo=UTC),
    )  # fmt: skip
    session.add(stale)
    session.flush()
    session.add(ErrorReport(activity_id=stale.id, message="曜日が違います", status="open"))
    session.flush()
    make_user("admin@example.org", "admin")
    login(client, "admin@example.org")
    page = client.get("/staff/").get_data(as_text=True)
    assert re.search(r"審査待ちの掲載</a> \(1\)", page) and "審査待ちサロン" in page
    assert re.search(r"住民からの誤りの報告</a> \(1\)", page) and "曜日が違います" in page
    assert re.search(r"確認の返事がない掲載</a> \(1\)", page)
    assert f'href="/staff/listings/{stale.id}/edit"' in page
    # the queue's error report leads to the listing's upkeep form
    queue = client.get("/staff/moderation").get_data(as_text=True)
    assert re.search(rf'href="/staff/listings/{stale.id}/edit">掲載内容を直す', queue)


def test_staff_navigation_is_the_same_on_every_staff_page(client: FlaskClient, make_user: Any) -> None:
    make_user("admin@example.org", "admin")
    login(client, "admin@example.org")
    navs = {}
    for url in ("/staff/", "/staff/moderation", "/staff/listings", "/staff/reports", "/staff/import"):
        r = client.get(url)
        assert r.status_code == 200, url
        header = r.get_data(as_text=True).split("<main", 1)[0]
        assert all(label in header for label in STAFF_NAV), url
        navs[url] = _nav(r.get_data(as_text=True))
    first = navs["/staff/"]
    assert "/staff/moderation" in first and "/staff/listings" in first and "/staff/reports" in first
    for url, nav in navs.items():
        assert nav == first, (url, nav, first)


def test_supporter_home_has_no_upkeep_section(client: FlaskClient, make_user: Any) -> None:
    make_user("sup@example.org", "supporter", office="東包括")
    login(client, "sup@example.org")
    page = client.get("/staff/").get_data(as_text=True)
    assert "審査待ちの掲載" not in page and "/staff/listings" not in page
