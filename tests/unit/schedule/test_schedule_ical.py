from __future__ import annotations

from datetime import UTC, date, datetime, time

import icalendar
import pytest

from schedule import Schedule, calendar, vevent
from schedule.ical import fold_line

STAMP = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)  # Friday 12:00 in Tokyo


def _parse_one(schedule: Schedule, **kw: object) -> icalendar.Event:
    text = calendar([vevent("a1@odekake.example", "いきいき百歳体操", schedule, dtstamp=STAMP, **kw)])  # type: ignore[arg-type]
    cal = icalendar.Calendar.from_ical(text)
    events = list(cal.walk("VEVENT"))
    assert len(events) == 1
    return events[0]


def _exdates(event: icalendar.Event) -> list[date]:
    raw = event.get("EXDATE")
    if raw is None:
        return []
    lists = raw if isinstance(raw, list) else [raw]
    out = []
    for lst in lists:
        for d in lst.dts:
            out.append(d.dt.date() if isinstance(d.dt, datetime) else d.dt)
    return out


def test_weekly_event_parses_back() -> None:
    s = Schedule("FREQ=WEEKLY;BYDAY=TU", time(10), time(11, 30))
    ev = _parse_one(
        s,
        location="生駒市東生駒1丁目 集会所",
        description="持ち物: タオル\n飲み物, 上靴; 500円",
        url="https://example.org/a/1",
        lat=34.6918,
        lon=135.7005,
    )
    start = ev["DTSTART"].dt
    assert start == datetime(2026, 12, 1, 10, 0, tzinfo=start.tzinfo)
    assert start.utcoffset().total_seconds() == 9 * 3600
    assert str(start.tzinfo) in ("Asia/Tokyo", "JST") or "Tokyo" in repr(start.tzinfo)
    assert ev["DTEND"].dt.time() == time(11, 30)
    assert ev["RRULE"]["FREQ"] == ["WEEKLY"] and ev["RRULE"]["BYDAY"] == ["TU"]
    assert str(ev["SUMMARY"]) == "いきいき百歳体操"
    assert str(ev["DESCRIPTION"]) == "持ち物: タオル\n飲み物, 上靴; 500円"
    assert str(ev["LOCATION"]) == "生駒市東生駒1丁目 集会所"
    assert ev["GEO"].latitude == pytest.approx(34.6918)
    assert str(ev["URL"]) == "https://example.org/a/1"
    assert ev["UID"] == "a1@odekake.example"


def test_holidays_become_exdates() -> None:
    s = Schedule("FREQ=WEEKLY;BYDAY=MO", time(10), time(11, 30), skip_holidays=True, dtstart=date(2026, 11, 1))
    ev = _parse_one(s)
    assert ev["DTSTART"].dt.date() == date(2026, 11, 2)
    ex = _exdates(ev)
    assert date(2026, 11, 23) in ex  # 勤労感謝の日
    assert date(2027, 1, 11) in ex  # 成人の日
    assert all(d.weekday() == 0 for d in ex)


def test_user_exdates_and_rdates() -> None:
    s = Schedule(
        "FREQ=WEEKLY;BYDAY=TU",
        time(10),
        None,
        dtstart=date(2026, 12, 1),
        exdates=(date(2026, 12, 29),),
        rdates=(date(2026, 12, 26),),
    )
    ev = _parse_one(s)
    assert _exdates(ev) == [date(2026, 12, 29)]
    rdate = ev["RDATE"]
    rdates = [d.dt.date() for lst in (rdate if isinstance(rdate, list) else [rdate]) for d in lst.dts]
    assert rdates == [date(2026, 12, 26)]
    assert "DTEND" not in ev


def test_all_day_event() -> None:
    s = Schedule("FREQ=MONTHLY;BYDAY=1SA", None, None)
    ev = _parse_one(s)
    assert ev["DTSTART"].dt == date(2026, 12, 5)
    assert ev["DTEND"].dt == date(2026, 12, 6)


def test_biweekly_dtstart_is_on_phase() -> None:
    s = Schedule("FREQ=WEEKLY;INTERVAL=2;BYDAY=WE", time(10), time(12), dtstart=date(2026, 11, 11))
    ev = _parse_one(s)
    assert ev["DTSTART"].dt.date() == date(2026, 11, 11)


def test_no_occurrence_raises() -> None:
    s = Schedule(None, time(10), None, rdates=(date(2020, 1, 1),))
    with pytest.raises(ValueError, match="no occurrence"):
        vevent("x", "x", s, dtstamp=STAMP)


def test_crlf_and_line_folding() -> None:
    s = Schedule("FREQ=WEEKLY;BYDAY=MO", time(10), time(11), skip_holidays=True)
    text = calendar(
        [vevent("u", "とても長い名前の活動" * 10, s, description="説明" * 80, dtstamp=STAMP)], name="おでかけマップ"
    )
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")
    for line in text.split("\r\n"):
        assert len(line.encode("utf-8")) <= 75
    assert "BEGIN:VTIMEZONE" in text and "TZID:Asia/Tokyo" in text
    cal = icalendar.Calendar.from_ical(text)
    ev = next(iter(cal.walk("VEVENT")))
    assert str(ev["SUMMARY"]) == "とても長い名前の活動" * 10


def test_fold_line_never_splits_a_character() -> None:
    line = "DESCRIPTION:" + "あ" * 100
    folded = fold_line(line)
    parts = folded.split("\r\n")
    assert all(len(p.encode("utf-8")) <= 75 for p in parts)
    assert parts[0] + "".join(p[1:] for p in parts[1:]) == line
    assert fold_line("SHORT:x") == "SHORT:x"


def test_multiple_events_in_one_calendar() -> None:
    a = vevent("a", "A", Schedule("FREQ=WEEKLY;BYDAY=TU", time(10), None), dtstamp=STAMP)
    b = vevent("b", "B", Schedule("FREQ=MONTHLY;BYDAY=2TH,4TH", time(13, 30), time(15, 30)), dtstamp=STAMP)
    cal = icalendar.Calendar.from_ical(calendar([a, b]))
    assert [str(e["UID"]) for e in cal.walk("VEVENT")] == ["a", "b"]
    assert str(cal["VERSION"]) == "2.0"


def test_yearly_closure_becomes_exdates_of_the_calendar_years() -> None:
    s = Schedule("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", time(9), time(17), yearly_exclusions=("12-29/01-03",))
    ev = _parse_one(s)
    ex = set(_exdates(ev))
    # STAMP is 2026-11-27: the event's two years hold two turns of the year.
    for day in (date(2026, 12, 29), date(2026, 12, 30), date(2027, 1, 1), date(2027, 12, 31), date(2028, 1, 3)):
        assert day in ex or day.weekday() >= 5
    assert date(2027, 1, 4) not in ex and date(2026, 12, 28) not in ex
    assert all((d.month, d.day) >= (12, 29) or (d.month, d.day) <= (1, 3) for d in ex)
