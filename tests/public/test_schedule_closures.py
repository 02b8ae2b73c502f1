"""The days a listing closes on (祝日, 第3火曜日, 年末年始) on the activity page in ja and en, in its
.ics and in the API's next occurrences, on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask.testing import FlaskClient
from icalendar import Calendar
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.listings.models.activity import Activity


def _closing_listing(session: Session) -> int:
    a = session.scalars(
        select(Activity).where(Activity.status == "published", Activity.schedule_rrule.is_not(None)).order_by(Activity.id)
    ).first()
    assert a is not None
    # What 「月〜金 9:00〜17:00」 with 「第3火曜日休館、祝日休館、年末年始休館」 imports as.
    a.schedule_rrule = (
        "FREQ=MONTHLY;BYDAY=1MO,2MO,3MO,4MO,5MO,1TU,2TU,4TU,5TU,1WE,2WE,3WE,4WE,5WE,1TH,2TH,3TH,4TH,5TH,"
        "1FR,2FR,3FR,4FR,5FR"
    )
    a.start_time, a.end_time = datetime(2026, 1, 1, 9).time(), datetime(2026, 1, 1, 17).time()
    a.schedule_dtstart, a.schedule_exdates, a.schedule_rdates = None, [], []
    a.skip_holidays = True
    a.schedule_yearly_exclusions = ["12-29/01-03"]
    a.schedule_text = "月～金 09:00〜17:00 第3火曜日休館、祝日休館、年末年始休館"
    activity_id = a.id
    session.commit()
    return activity_id


def test_activity_page_says_the_closures_in_ja_and_en(client: FlaskClient, indexed_city: Session, clock: Any) -> None:
    activity_id = _closing_listing(indexed_city)
    ja = client.get(f"/activities/{activity_id}?lang=ja").get_data(as_text=True)
    assert "月〜金曜日 9:00〜17:00（祝日・第3火曜日・年末年始（12月29日〜1月3日）はお休み）" in ja
    en = client.get(f"/activities/{activity_id}?lang=en").get_data(as_text=True)
    assert (
        "Weekdays, 9:00–17:00 (closed on public holidays, on the 3rd Tuesday and over New Year, "
        "29 December to 3 January)"
    ) in en


def test_next_dates_ics_and_api_skip_the_new_year(client: FlaskClient, indexed_city: Session, clock: Any) -> None:
    activity_id = _closing_listing(indexed_city)
    clock.set(datetime(2027, 12, 27, 1, 0, tzinfo=UTC))  # Monday 27 December 2027, 10:00 in Japan
    item = client.get(f"/api/v1/activities/{activity_id}").get_json()
    firsts = [datetime.fromisoformat(d).date() for d in item["next_occurrences"]]
    # 27 Dec (running now), 28 Dec, then nothing until Tuesday 4 January 2028 (1/3 is a Monday)
    assert firsts == [date(2027, 12, 27), date(2027, 12, 28), date(2028, 1, 4)]
    page = client.get(f"/activities/{activity_id}?lang=ja").get_data(as_text=True)
    assert "1月4日" in page and "12月29日(水)" not in page
    cal = Calendar.from_ical(client.get(f"/activities/{activity_id}.ics").data)
    event = next(iter(cal.walk("VEVENT")))
    exdates = {d.dt.date() for lst in _as_list(event["EXDATE"]) for d in lst.dts}
    assert {date(2027, 12, 29), date(2027, 12, 30), date(2027, 12, 31), date(2028, 1, 3)} <= exdates
    assert {date(2028, 12, 29), date(2029, 1, 3)} <= exdates  # the next turn of the year too
    assert date(2028, 1, 4) not in exdates
    assert "年末年始（12月29日〜1月3日）はお休み" in str(event["DESCRIPTION"])


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
