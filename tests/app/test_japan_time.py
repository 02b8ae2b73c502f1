"""Japan time on every surface: with the clock at 20:30 UTC (05:30 the next day in Japan) each
stored moment is shown, exported and counted on Japan's date, never UTC's.

One test per kind of surface: the display helpers every template uses, staff pages (moderation
queue, case page with consent dates and stage times, audit log, account sessions), exports (the
本人開示 JSON, report and open-data CSV file names), the .ics file, and "today" in the public finder.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar
from sqlalchemy.orm import Session

from tests.conftest import Clock
from tests.factories import World, make_activity
from tests.helpers import login
from webapp import display
from webapp.cases import placements as flow
from webapp.cases import services as svc

JAPAN_DAY = "2026-12-05"  # the clock fixture: 2026-12-04 20:30 UTC
UTC_DAY = "2026-12-04"


def test_display_helpers_show_the_japan_date_of_a_stored_moment(app: Flask, clock: Clock) -> None:
    moment = datetime(2026, 12, 4, 20, 30, tzinfo=UTC)
    with app.test_request_context("/"):
        assert display.iso_date(moment) == JAPAN_DAY
        assert display.iso_datetime(moment) == "2026-12-05 05:30"
        assert display.iso_datetime(moment, seconds=True) == "2026-12-05 05:30:00"
        assert display.fmt_full_date(moment) == "2026年12月5日"
        assert display.fmt_datetime(moment).startswith("12月5日")
        assert display.fmt_datetime(moment).endswith("5:30")
        # A plain date is already a Japan date; a naive datetime is a Japan wall-clock time.
        assert display.iso_date(date(2026, 12, 4)) == UTC_DAY
        assert display.iso_datetime(datetime(2026, 12, 4, 20, 30)) == "2026-12-04 20:30"
        assert display.iso_date(None) == ""
        rendered = app.jinja_env.from_string("{{ m|jst_date }} {{ m|jst_datetime }}").render(m=moment)
        assert rendered == "2026-12-05 2026-12-05 05:30"


def test_moderation_queue_shows_an_error_report_on_the_japan_day(
    clock: Clock, client: FlaskClient, session: Session, moderator: Any
) -> None:
    from webapp.listings.models.activity import Activity
    from webapp.listings.models.report import ErrorReport

    activity = Activity(source="manual", source_id="jst-1", name="朝の報告サロン", status="published")
    session.add(activity)
    session.flush()
    session.add(ErrorReport(activity_id=activity.id, message="朝5時半の報告", status="open"))
    session.flush()
    login(client, "mod@example.org")
    page = client.get("/staff/moderation").get_data(as_text=True)
    assert "朝5時半の報告" in page
    assert f"朝の報告サロン</a></strong> — {JAPAN_DAY}" in page
    assert UTC_DAY not in page


def test_case_page_consent_dates_and_stage_times_are_japan_time(
    clock: Clock, world: World, client: FlaskClient, session: Session
) -> None:
    sup, person, placement = world.users["supporter_a"], world.own_case, world.placement
    assert person is not None and placement is not None
    svc.grant_consent(session, sup, person, "share_host", "written", activity_id=placement.activity_id)
    flow.move_stage(session, sup, placement, "proposed", "朝に打診した")
    session.commit()
    login(client, "supporter_a@example.jp")
    page = client.get(f"/staff/cases/{person.id}").get_data(as_text=True)
    assert f"<td>{JAPAN_DAY}</td>" in page  # 取得日
    assert f'<time datetime="{JAPAN_DAY}">{JAPAN_DAY}</time>' in page  # the stage change's day (occurred on, Japan's today)
    assert UTC_DAY not in page
    # Its audit trail, as the admin reads it.
    client.post("/auth/logout")
    login(client, "admin_a@example.jp")
    audit = client.get("/staff/audit").get_data(as_text=True)
    assert "2026-12-05 05:30:00" in audit and UTC_DAY not in audit


def test_case_export_is_in_japan_time_with_its_offset(
    clock: Clock, world: World, app: Flask, session: Session
) -> None:
    sup, person = world.users["supporter_a"], world.own_case
    assert person is not None
    svc.grant_consent(session, sup, person, "share_host", "written", recipient="受け入れ先")
    with app.test_request_context("/"):
        data = svc.export_person(session, sup, person)
    assert data["exported_at"] == "2026-12-05T05:30:00+09:00"
    assert data["consents"][0]["granted_at"] == "2026-12-05T05:30:00+09:00"
    assert data["person"]["created_at"] == "2026-12-05T05:30:00+09:00"


def test_report_and_open_data_files_are_named_for_the_japan_day(
    clock: Clock, world: World, client: FlaskClient
) -> None:
    coverage = client.get("/open-data/coverage.csv")
    assert coverage.status_code == 200
    assert f"odekake-coverage-{JAPAN_DAY}.csv" in coverage.headers["Content-Disposition"]
    login(client, "office_lead_a@example.jp")
    kpis = client.get("/staff/reports/kpis.csv")
    assert kpis.status_code == 200
    assert f"{JAPAN_DAY}.csv" in kpis.headers["Content-Disposition"]


def test_ics_starts_from_the_japan_day(clock: Clock, client: FlaskClient, session: Session) -> None:
    # Every Friday: on Saturday 5 December in Japan the next one is the 11th (UTC's Friday 4th is past).
    activity = make_activity(session, "jst-ics", 34.69, 135.70, schedule_rrule="FREQ=WEEKLY;BYDAY=FR")
    session.commit()
    cal = Calendar.from_ical(client.get(f"/activities/{activity.id}.ics").data)
    event = next(iter(cal.walk("VEVENT")))
    assert event["DTSTART"].dt.date() == date(2026, 12, 11)
    assert event["DTSTAMP"].dt == datetime(2026, 12, 4, 20, 30, tzinfo=UTC)


def test_finder_today_is_japan_today(clock: Clock, client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert f'value="{JAPAN_DAY}"' in page
    assert f'value="{UTC_DAY}"' not in page


def test_report_periods_and_fiscal_year_are_japan_s(clock: Clock, app: Flask) -> None:
    # 31 March 15:30 UTC is already 1 April in Japan: a new 年度 has begun.
    from webapp.reports.views import period_presets

    clock.set(datetime(2027, 3, 31, 15, 30, tzinfo=UTC))
    with app.test_request_context("/"):
        rendered = app.jinja_env.from_string(
            "{% for label, s, e in report_period_presets() %}{{ s }}〜{{ e }};{% endfor %}"
        ).render()
        presets = period_presets(date(2027, 4, 1))
    assert rendered.startswith("2027-04-01〜2027-04-01;2026-04-01〜2027-03-31;")
    assert [(s, e) for _, s, e in presets][:2] == [(date(2027, 4, 1), date(2027, 4, 1)), (date(2026, 4, 1), date(2027, 3, 31))]
