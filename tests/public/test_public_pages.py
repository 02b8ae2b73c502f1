"""Resident pages: search form and filters, activity page, .ics, report form, print, consult, furigana."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.helpers import csrf_token
from webapp.listings.models.activity import Activity
from webapp.listings.models.report import ErrorReport


def _published(session: Session, **where: object) -> Activity:
    stmt = select(Activity).where(Activity.status == "published")
    for key, value in where.items():
        stmt = stmt.where(getattr(Activity, key) == value)
    activity = session.scalars(stmt.order_by(Activity.id)).first()
    assert activity is not None
    return activity


def _ids(body: str) -> list[int]:
    return [int(x) for x in re.findall(r'class="activity-card[^"]*" data-id="(\d+)"', body)]


def test_index_lists_published_without_javascript(client: FlaskClient, indexed_city: Session) -> None:
    r = client.get("/")
    body = r.get_data(as_text=True)
    assert r.status_code == 200
    assert '<form class="search-form" method="get"' in body
    total = indexed_city.scalar(select(func.count()).select_from(Activity).where(Activity.status == "published"))
    assert f"{total}件みつかりました" in body
    assert len(_ids(body)) == 20
    assert 'rel="next"' in body
    # every result links to its page, shows when it happens next and where
    assert body.count("次回</dt>") >= 15
    # CSP: no inline scripts or style attributes
    assert " style=" not in body
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body)


def test_category_and_free_filters(client: FlaskClient, indexed_city: Session) -> None:
    body = client.get("/?category=exercise&free=1").get_data(as_text=True)
    ids = _ids(body)
    assert ids
    for activity in indexed_city.scalars(select(Activity).where(Activity.id.in_(ids))):
        assert activity.category == "exercise" and activity.cost_yen == 0
    # the chip stays checked so the search can be refined
    assert re.search(r'value="exercise" checked', body)


def test_keyword_search(client: FlaskClient, indexed_city: Session) -> None:
    body = client.get("/?q=体操").get_data(as_text=True)
    ids = _ids(body)
    assert ids
    names = indexed_city.scalars(select(Activity.name).where(Activity.id.in_(ids))).all()
    assert any("体操" in n for n in names)


def test_newcomer_flags_filter(client: FlaskClient, indexed_city: Session) -> None:
    ids = _ids(client.get("/?first_timers=1&solo_ok=1").get_data(as_text=True))
    assert ids
    for a in indexed_city.scalars(select(Activity).where(Activity.id.in_(ids))):
        assert a.welcomes_first_timers is True and a.solo_ok is True


def test_near_typed_town_sorts_by_distance(client: FlaskClient, indexed_city: Session) -> None:
    body = client.get("/?near=東生駒&radius=5000").get_data(as_text=True)
    assert "東生駒から近い順" in body
    # The origin is the town, not the resident's position: 「東生駒から」, never 「ここから」.
    assert "ここから" not in body
    distances = re.findall(r'class="distance">東生駒から 約([\d.]+)(k?m)', body)
    assert distances
    metres = [float(n) * (1000 if unit == "km" else 1) for n, unit in distances]
    assert metres == sorted(metres)


def test_near_town_typed_in_hiragana(client: FlaskClient, indexed_city: Session) -> None:
    body = client.get("/?near=しかのだい&radius=2000").get_data(as_text=True)
    assert "しかのだいから近い順" in body
    assert _ids(body)


def test_near_coordinates_from_browser(client: FlaskClient, indexed_city: Session) -> None:
    body = client.get("/?lat=34.6905&lon=135.716&radius=2000").get_data(as_text=True)
    assert "現在地から近い順" in body
    assert 'name="lat" value="34.690500"' in body
    assert re.search(r'class="distance">ここから 約[\d.]+k?m', body)  # the origin is the resident


@pytest.mark.parametrize(
    ("query", "field", "text"),
    [
        ("category=nonsense", "category", "選べない項目"),
        ("day=funday", "day", "曜日または日付"),
        ("day=2026-02-31", "day", "曜日または日付"),
        ("lat=abc&lon=135.7", "near", "現在地の値"),
        ("radius=-1", "radius", "距離を一覧から"),
        ("page=0", "page", "ページ番号"),
        ("free=maybe", "free", "値が正しくありません"),
        ("q=" + "あ" * 300, "q", "200文字以内"),
        ("near=どこでもない町", "near", "見つかりませんでした"),
        ("audience=<script>", "audience", "選べない項目"),
    ],
)
def test_tampered_filters_show_error_beside_field(
    client: FlaskClient, indexed_city: Session, query: str, field: str, text: str
) -> None:
    r = client.get(f"/?{query}")
    assert r.status_code == 400
    body = r.get_data(as_text=True)
    assert f'id="{field}-error"' in body
    assert text in body
    assert "<script>" not in body.split("<main", 1)[1]


def test_tampered_filter_in_english(client: FlaskClient, indexed_city: Session) -> None:
    body = client.get("/?day=funday&lang=en").get_data(as_text=True)
    assert "Choose a day or date from the list." in body


def test_activity_page(client: FlaskClient, indexed_city: Session) -> None:
    a = _published(indexed_city, category="salon")
    activity_id, name = a.id, a.name
    body = client.get(f"/activities/{activity_id}").get_data(as_text=True)
    assert name in body
    assert "毎週" in body or "毎月" in body
    assert 'href="tel:' in body
    assert 'src="data:image/svg+xml' in body  # QR code
    assert "カレンダーに追加" in body
    assert "情報の誤りを知らせる" in body
    assert "最終確認日" in body
    assert "google.com/maps/dir/?api=1&amp;destination=" in body
    en = client.get(f"/activities/{activity_id}?lang=en").get_data(as_text=True)
    assert "Add to calendar" in en and "Every" in en


def _set_confirmed(activity_id: int, days_ago: int) -> None:
    # Requests close the shared scoped session, so each change uses a fresh one.
    from webapp.extensions import db

    session = db.session()
    activity = session.get(Activity, activity_id)
    assert activity is not None
    activity.last_confirmed_at = datetime.now(UTC) - timedelta(days=days_ago)
    session.commit()


def test_stale_notice_after_six_months(client: FlaskClient, indexed_city: Session) -> None:
    activity_id = _published(indexed_city).id
    _set_confirmed(activity_id, 200)
    assert "情報が古いかもしれません" in client.get(f"/activities/{activity_id}").get_data(as_text=True)
    _set_confirmed(activity_id, 10)
    assert "情報が古いかもしれません" not in client.get(f"/activities/{activity_id}").get_data(as_text=True)


def test_stale_notice_says_the_configured_period(
    app: Flask, client: FlaskClient, indexed_city: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    activity_id = _published(indexed_city).id
    _set_confirmed(activity_id, 200)
    page = client.get(f"/activities/{activity_id}?lang=ja").get_data(as_text=True)
    assert "最後に確認してから半年以上たっています" in page
    assert "半年に一度" in client.get("/for-organizers").get_data(as_text=True)

    settings = app.extensions["odekake_settings"]
    monkeypatch.setitem(
        app.extensions, "odekake_settings", dataclasses.replace(settings, stale_after_days=90, reconfirm_months=12)
    )
    _set_confirmed(activity_id, 100)
    assert "最後に確認してから3か月以上たっています" in client.get(f"/activities/{activity_id}").get_data(as_text=True)
    en = client.get(f"/activities/{activity_id}?lang=en").get_data(as_text=True)
    assert "not been confirmed for more than 3 months" in en
    assert "Once every 1 year," in client.get("/for-organizers?lang=en").get_data(as_text=True)
    assert "1年に一度" in client.get("/for-organizers?lang=ja").get_data(as_text=True)


@pytest.mark.parametrize(("lang", "text"), [("ja", "ページが見つかりません"), ("en", "Page not found")])
def test_unknown_and_draft_activity_404(client: FlaskClient, indexed_city: Session, lang: str, text: str) -> None:
    r = client.get(f"/activities/999999?lang={lang}")
    assert r.status_code == 404 and text in r.get_data(as_text=True)
    draft = indexed_city.scalars(select(Activity).where(Activity.status == "draft")).first()
    assert draft is not None
    assert client.get(f"/activities/{draft.id}").status_code == 404
    assert client.get(f"/activities/{draft.id}.ics").status_code == 404


def test_archived_activity_410_with_similar_nearby(client: FlaskClient, indexed_city: Session) -> None:
    archived = indexed_city.scalars(select(Activity).where(Activity.status == "archived")).first()
    assert archived is not None
    archived_id, category = archived.id, archived.category
    r = client.get(f"/activities/{archived_id}")
    assert r.status_code == 410
    body = r.get_data(as_text=True)
    assert "掲載を終了しました" in body
    links = re.findall(r'href="/activities/(\d+)"', body)
    assert links
    for other in indexed_city.scalars(select(Activity).where(Activity.id.in_([int(x) for x in links]))):
        assert other.status == "published" and other.category == category


def test_ics_has_real_recurrence(client: FlaskClient, indexed_city: Session) -> None:
    a = indexed_city.scalars(
        select(Activity).where(Activity.status == "published", Activity.schedule_rrule.is_not(None),
                               Activity.start_time.is_not(None))
    ).first()
    assert a is not None
    activity_id, name, freq = a.id, a.name, (a.schedule_rrule or "").split(";")[0].split("=")[1]
    r = client.get(f"/activities/{activity_id}.ics")
    assert r.status_code == 200 and r.mimetype == "text/calendar"
    assert "attachment" in r.headers["Content-Disposition"]
    cal = Calendar.from_ical(r.data)
    events = [c for c in cal.walk("VEVENT")]
    assert len(events) == 1
    event = events[0]
    assert str(event["SUMMARY"]) == name
    assert event["RRULE"]["FREQ"] == [freq]
    assert event.decoded("DTSTART").tzinfo is not None
    assert event["DTSTART"].params["TZID"] == "Asia/Tokyo"
    assert [c for c in cal.walk("VTIMEZONE")]


def test_ics_lists_exdates(client: FlaskClient, indexed_city: Session) -> None:
    a = indexed_city.scalars(
        select(Activity).where(Activity.status == "published", Activity.schedule_rrule == "FREQ=WEEKLY;BYDAY=MO")
    ).first()
    assert a is not None
    a.schedule_exdates = ["2027-01-04"]
    a.schedule_dtstart = datetime(2026, 12, 1).date()
    activity_id = a.id
    indexed_city.commit()
    cal = Calendar.from_ical(client.get(f"/activities/{activity_id}.ics").data)
    event = next(iter(cal.walk("VEVENT")))
    exdates = [d.dt.date() for d in event["EXDATE"].dts]
    assert datetime(2027, 1, 4).date() in exdates


def test_report_form_needs_csrf_and_stores_report(client: FlaskClient, indexed_city: Session) -> None:
    activity_id = _published(indexed_city).id
    url = f"/activities/{activity_id}/report"
    assert client.post(url, data={"message": "時間が違います"}).status_code == 400
    token = csrf_token(client, f"/activities/{activity_id}")
    r = client.post(url, data={"message": "", "csrf_token": token})
    assert r.status_code == 400 and "内容を入力してください" in r.get_data(as_text=True)
    r = client.post(url, data={"message": "開始は10時からです", "contact": "", "csrf_token": token})
    assert r.status_code == 302
    report = indexed_city.scalars(select(ErrorReport).where(ErrorReport.activity_id == activity_id)).one()
    assert report.message == "開始は10時からです" and report.status == "open" and report.contact == ""
    assert "ありがとうございました" in client.get(r.headers["Location"]).get_data(as_text=True)


def test_report_form_is_rate_limited(client: FlaskClient, indexed_city: Session) -> None:
    activity_id = _published(indexed_city).id
    token = csrf_token(client, f"/activities/{activity_id}")
    codes = [
        client.post(f"/activities/{activity_id}/report", data={"message": f"誤り {i}", "csrf_token": token}).status_code
        for i in range(7)
    ]
    assert codes[:5] == [302] * 5
    assert codes[-1] == 429


def test_print_list(client: FlaskClient, indexed_city: Session) -> None:
    r = client.get("/print?category=consultation")
    body = r.get_data(as_text=True)
    assert r.status_code == 200
    desks = indexed_city.scalars(
        select(Activity).where(Activity.status == "published", Activity.category == "consultation")
    ).all()
    assert body.count('class="qr qr--print"') == len(desks)
    for d in desks:
        if d.contact_phone:
            assert d.contact_phone in body
    assert "検索画面に戻る" in body


def test_consult_page_lists_desks_with_phone(client: FlaskClient, indexed_city: Session) -> None:
    body = client.get("/consult").get_data(as_text=True)
    desk = _published(indexed_city, category="consultation")
    assert desk.name in body
    assert 'href="tel:' in body
    assert "困ったときは" in body


@pytest.mark.parametrize("path", ["/about", "/for-organizers", "/consult", "/", "/print"])
def test_pages_in_english(client: FlaskClient, indexed_city: Session, path: str) -> None:
    r = client.get(f"{path}?lang=en")
    assert r.status_code == 200
    body = r.get_data(as_text=True)
    assert '<html lang="en">' in body
    assert "Sample data" in body


def test_furigana_toggle_by_link_and_cookie(client: FlaskClient, indexed_city: Session) -> None:
    activity_id = _published(indexed_city, category="salon").id
    plain = client.get(f"/activities/{activity_id}").get_data(as_text=True)
    assert "<ruby>" not in plain
    with_ruby = client.get(f"/activities/{activity_id}?ruby=1")
    assert "<ruby>" in with_ruby.get_data(as_text=True) and "<rt>" in with_ruby.get_data(as_text=True)
    assert "ruby=1" in with_ruby.headers.get("Set-Cookie", "")
    # remembered without the parameter
    assert "<ruby>" in client.get("/about").get_data(as_text=True)
    client.get("/about?ruby=0")
    assert "<ruby>" not in client.get("/about").get_data(as_text=True)


def test_district_filter(client: FlaskClient, indexed_city: Session) -> None:
    from webapp.listings.models.place import District, Place

    row = indexed_city.execute(
        select(District.code, District.name)
        .join(Place, Place.district_id == District.id)
        .join(Activity, Activity.place_id == Place.id)
        .where(Activity.status == "published")
        .limit(1)
    ).first()
    if row is None:
        pytest.skip("the sample city was loaded without districts")
    code, name = row
    body = client.get(f"/?district={code}").get_data(as_text=True)
    ids = _ids(body)
    assert ids
    for a in indexed_city.scalars(select(Activity).where(Activity.id.in_(ids))):
        assert a.place is not None and a.place.district is not None and a.place.district.code == code
    assert f'<span class="condition">{name}</span>' in body


def test_results_come_first_and_filters_fold_away(client: FlaskClient, indexed_city: Session) -> None:
    # Issue 20: a one-line search bar, the conditions on one line, the filters folded (landing too).
    for body in (client.get("/").get_data(as_text=True), client.get("/?category=salon&free=1").get_data(as_text=True)):
        assert '<details class="search-details filters-panel" id="filters">' in body
        assert body.index('id="q"') < body.index('id="filters"') < body.index('id="result-list"')
    after = client.get("/?category=salon&free=1").get_data(as_text=True)
    assert re.findall(r'<span class="condition">([^<]+)</span>', after) == ["サロン・通いの場", "無料"]
    # A filter with an error opens the panel, so the message beside the field is seen.
    bad = client.get("/?radius=7").get_data(as_text=True)
    assert '<details class="search-details filters-panel" id="filters" open>' in bad


def test_list_map_switch_keeps_the_query_without_javascript(client: FlaskClient, indexed_city: Session) -> None:
    body = client.get("/?q=体操&free=1").get_data(as_text=True)
    to_map = re.search(r'id="view-map" href="([^"]+)"', body)
    assert to_map
    url = to_map.group(1).replace("&amp;", "&")
    assert "view=map" in url and "free=1" in url and "q=" in url
    mapped = client.get(url.split("#")[0]).get_data(as_text=True)
    assert 'class="results results--map"' in mapped and "map-panel map-panel--open" in mapped
    assert '<input type="hidden" name="view" value="map">' in mapped  # a new search stays on the map
    assert _ids(mapped) == _ids(body)


def test_empty_state_suggests_only_what_can_change(client: FlaskClient, indexed_city: Session) -> None:
    plain = client.get("/?q=ぜったいにないことば").get_data(as_text=True)
    assert "0件" not in plain and "条件に合う活動はありませんでした" in plain
    assert "キーワードを外す" in plain and "距離" not in plain.split('id="empty-state"')[1].split("</div>")[0]
    near = client.get("/?q=ぜったいにないことば&near=東生駒&radius=500").get_data(as_text=True)
    tips = near.split('id="empty-state"')[1].split("</div>")[0]
    assert "距離を広げる" in tips and "1km以内でさがす" in tips


def test_newcomer_flags_and_near_go_through_the_one_search_path(client: FlaskClient, indexed_city: Session) -> None:
    """The page has no search of its own: the form maps onto ActivityQuery (flags included)."""
    body = client.get("/?q=体操&free=1&first_timers=1").get_data(as_text=True)
    ids = _ids(body)
    assert ids
    for a in indexed_city.scalars(select(Activity).where(Activity.id.in_(ids))):
        assert a.cost_yen == 0 and a.welcomes_first_timers is True
    near = client.get("/?near=東生駒&radius=1000").get_data(as_text=True)
    assert "東生駒から近い順" in near and _ids(near)


def _send_notice(activity_id: int, days_ago: int) -> None:
    """A "still running as shown?" mail sent ``days_ago`` and not answered."""
    from webapp.extensions import db
    from webapp.listings.models.organizer import ReconfirmationNotice

    session = db.session()
    session.add(ReconfirmationNotice(activity_id=activity_id, sent_at=datetime.now(UTC) - timedelta(days=days_ago)))
    session.commit()


def _card(body: str, activity_id: int) -> str:
    # A card holds nested <li> flags: it runs to the next card or the end of the list.
    found = re.search(rf'<li class="activity-card[^"]*" data-id="{activity_id}".*?(?=<li class="activity-card|</ol>)', body, re.S)
    assert found, f"no card for {activity_id}"
    return found.group(0)


def test_unanswered_reconfirmation_shows_outdated_notice_on_page_and_card(
    client: FlaskClient, indexed_city: Session
) -> None:
    a = _published(indexed_city, category="salon")
    activity_id, search = a.id, f"/?q={a.name}&lang=ja"
    _set_confirmed(activity_id, 10)  # recently confirmed: not stale by age
    _send_notice(activity_id, 10)  # asked again, still within the grace period
    assert "情報が古いかもしれません" not in client.get(f"/activities/{activity_id}").get_data(as_text=True)
    assert "stale-note" not in _card(client.get(search).get_data(as_text=True), activity_id)

    _send_notice(activity_id, 40)  # unanswered past the grace period: the freshness check flags it
    page = client.get(f"/activities/{activity_id}").get_data(as_text=True)
    assert "情報が古いかもしれません" in page and "まだ返事がありません" in page
    assert "半年以上" not in page  # the age message is for listings that are old, not this one
    en = client.get(f"/activities/{activity_id}?lang=en").get_data(as_text=True)
    assert "may be out of date" in en and "not replied yet" in en
    assert "情報が古いかもしれません" in _card(client.get(search).get_data(as_text=True), activity_id)

    from webapp.extensions import db
    from webapp.listings.freshness import confirm

    session = db.session()
    activity = session.get(Activity, activity_id)
    assert activity is not None
    confirm(session, activity)
    session.commit()
    assert "情報が古いかもしれません" not in client.get(f"/activities/{activity_id}").get_data(as_text=True)
    assert "stale-note" not in _card(client.get(search).get_data(as_text=True), activity_id)
