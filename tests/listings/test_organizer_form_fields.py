"""Issue 19 (organizers): the listing form carries what imported listings carry, and says what it did.

初参加歓迎 / 見学可 / 一人参加OK and ふりがな feed the same filters and reading search as imports; 隔週
takes its start date from the organizer; one blank draft per organizer, not one per tap; a new
listing says 審査中（新規）; full-width brackets come back as typed.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import (
    approve,
    logout,
    new_listing,
    pending_revision_id,
    post_listing,
    sign_up_and_verify,
)
from tests.helpers import login
from webapp.listings import organizer as svc
from webapp.listings.models.activity import Activity
from webapp.search.activity_query import ActivityQuery
from webapp.search.service import search_activities


def _publish(client: FlaskClient, session: Session, email: str, **form: Any) -> Activity:
    sign_up_and_verify(client, email)
    activity_id = new_listing(client)
    r = post_listing(client, activity_id, **form)
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    logout(client)
    login(client, "mod@example.org")
    assert approve(client, pending_revision_id(session, activity_id)).status_code == 302
    session.expire_all()
    activity = session.get(Activity, activity_id)
    assert activity is not None and activity.status == "published"
    return activity


def test_welcome_flags_and_reading_feed_filters(
    client: FlaskClient, session: Session, moderator: Any
) -> None:
    activity = _publish(
        client, session, "flags@example.org",
        name="東新町ふれあいサロン", name_kana="ひがししんまちふれあいさろん",
        welcomes_first_timers="1", solo_ok="1",
    )  # fmt: skip
    assert activity.name_kana == "ひがししんまちふれあいさろん"
    assert (activity.welcomes_first_timers, activity.visit_ok, activity.solo_ok) == (True, None, True)
    ids = {
        h.activity.id
        for h in search_activities(session, ActivityQuery(flags=("first_timers",)), facets="db").hits
    }
    assert activity.id in ids
    ids = {
        h.activity.id
        for h in search_activities(session, ActivityQuery(flags=("visit_ok",)), facets="db").hits
    }
    assert activity.id not in ids
    # the edit form shows them back, ticked
    logout(client)
    login(client, "flags@example.org")
    page = client.get(f"/organizer/activities/{activity.id}/edit").get_data(as_text=True)
    assert 'name="welcomes_first_timers" value="1" checked' in page
    assert 'name="visit_ok" value="1">' in page
    assert 'value="ひがししんまちふれあいさろん"' in page


def test_reading_must_be_kana(client: FlaskClient, session: Session) -> None:
    sign_up_and_verify(client, "kana@example.org")
    activity_id = new_listing(client)
    r = post_listing(client, activity_id, name_kana="東新町")
    assert r.status_code == 200
    assert "ふりがなは ひらがな か カタカナ" in r.get_data(as_text=True)


def test_biweekly_takes_the_organizers_start_date(
    client: FlaskClient, session: Session, moderator: Any
) -> None:
    sign_up_and_verify(client, "biweekly@example.org")
    activity_id = new_listing(client)
    form = {"schedule_kind": "weekly", "weekdays": ["SA"], "interval": "2"}
    r = post_listing(client, activity_id, **form)
    assert r.status_code == 200 and "隔週の場合は、開催する日を1日入力してください" in r.get_data(
        as_text=True
    )
    r = post_listing(client, activity_id, anchor="2026/12/12", **form)
    assert r.status_code == 302
    logout(client)
    login(client, "mod@example.org")
    assert approve(client, pending_revision_id(session, activity_id)).status_code == 302
    session.expire_all()
    activity = session.get(Activity, activity_id)
    assert activity is not None
    assert activity.schedule_rrule == "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA"
    assert activity.schedule_dtstart == date(2026, 12, 12)
    # the form opens with the same start date, so a later edit keeps the same weeks
    assert svc.snapshot(activity)["schedule"]["anchor"] == "2026-12-12"


def test_new_listing_taps_reuse_one_blank_draft(client: FlaskClient, session: Session) -> None:
    sign_up_and_verify(client, "taps@example.org")
    first = new_listing(client)
    assert new_listing(client) == first
    assert new_listing(client) == first
    home = client.get("/organizer/").get_data(as_text=True)
    assert "（名前未入力）" not in home
    count = session.scalar(select(func.count()).select_from(Activity).where(Activity.source == "organizer"))
    assert count == 1
    # once something is typed, the next tap starts a new listing
    post_listing(client, first, action="save", name="")
    assert new_listing(client) != first


def test_new_listing_says_new_under_review(client: FlaskClient, session: Session) -> None:
    sign_up_and_verify(client, "newrev@example.org")
    activity_id = new_listing(client)
    assert post_listing(client, activity_id).status_code == 302
    home = client.get("/organizer/").get_data(as_text=True)
    assert "審査中（新規）" in home
    assert "変更を審査中" not in home


def test_full_width_brackets_come_back_as_typed(
    client: FlaskClient, session: Session, moderator: Any
) -> None:
    activity = _publish(
        client, session, "brackets@example.org",
        name="ひまわりサロン（第2部）", contact_name="佐藤（世話人）", contact_phone="０７４３－００－００００",
    )  # fmt: skip
    assert activity.name == "ひまわりサロン（第2部）"
    assert activity.contact_name == "佐藤（世話人）"
    assert activity.contact_phone == "0743-00-0000"  # full-width digits still normalised
    assert svc.plain_text("Ａ（Ｂ）\ue000", 50) == "A（B）"


def test_geocoder_level_is_said_and_kept(client: FlaskClient, session: Session) -> None:
    sign_up_and_verify(client, "geo@example.org")
    activity_id = new_listing(client)
    post_listing(client, activity_id, action="save", lat="34.69", lon="135.70", geocode_level="oaza")
    page = client.get(f"/organizer/activities/{activity_id}/edit").get_data(as_text=True)
    assert "町の中心しか見つかりませんでした。ピンを会場の正しい位置に動かしてください。</p>" in page
    assert "geocode-status--approximate" in page
    assert 'data-msg-chome="丁目までしか見つかりませんでした' in page
    post_listing(client, activity_id, action="save", lat="34.69", lon="135.70", geocode_level="manual")
    page = client.get(f"/organizer/activities/{activity_id}/edit").get_data(as_text=True)
    assert "geocode-status--approximate" not in page


def test_reading_finds_an_organizers_listing_in_search(
    client: FlaskClient, session: Session, moderator: Any, tmp_path: Any
) -> None:
    from webapp.search import sync
    from webapp.search.index import SearchIndex

    # 一二三 read ひふみ: only the organizer's ふりがな can tell the search so
    activity = _publish(client, session, "reading@example.org", name="一二三の会", name_kana="ひふみのかい")
    index = SearchIndex(tmp_path / "index")
    sync.rebuild(session, index)
    hits = search_activities(session, ActivityQuery(q="ひふみ"), index=index, facets="db").hits
    assert activity.id in {h.activity.id for h in hits}
