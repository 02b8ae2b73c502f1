from __future__ import annotations

import time as timer
from datetime import UTC, date, datetime, time

import pytest

from schedule import (
    TZ,
    Schedule,
    is_holiday,
    is_open_at,
    next_occurrences,
    occurrence_dates,
    occurs_on,
    weekdays,
)

MONDAYS = Schedule("FREQ=WEEKLY;BYDAY=MO", time(10), time(11, 30))


def test_real_holidays() -> None:
    assert is_holiday(date(2026, 11, 23))  # 勤労感謝の日 (Monday)
    assert date(2026, 11, 23).weekday() == 0
    assert is_holiday(date(2026, 9, 22))  # 国民の休日
    assert is_holiday(date(2026, 5, 6))  # 振替休日
    assert is_holiday(date(2027, 1, 11))  # 成人の日
    assert not is_holiday(date(2026, 11, 24))


def test_next_occurrences_are_aware_tokyo_datetimes() -> None:
    got = next_occurrences(MONDAYS, datetime(2026, 11, 18, 9, 0, tzinfo=TZ), count=3)
    assert got == [
        datetime(2026, 11, 23, 10, 0, tzinfo=TZ),
        datetime(2026, 11, 30, 10, 0, tzinfo=TZ),
        datetime(2026, 12, 7, 10, 0, tzinfo=TZ),
    ]
    assert all(d.utcoffset() is not None and d.utcoffset().total_seconds() == 9 * 3600 for d in got)


def test_skip_holidays_skips_kinro_kansha_no_hi() -> None:
    s = Schedule("FREQ=WEEKLY;BYDAY=MO", time(10), time(11, 30), skip_holidays=True)
    got = next_occurrences(s, datetime(2026, 11, 18, tzinfo=TZ), count=2)
    assert [d.date() for d in got] == [date(2026, 11, 30), date(2026, 12, 7)]
    assert not occurs_on(s, date(2026, 11, 23))
    assert not occurs_on(s, date(2027, 1, 11))
    assert occurs_on(s, date(2026, 11, 16))


def test_naive_after_is_tokyo_and_utc_after_is_converted() -> None:
    naive = next_occurrences(MONDAYS, datetime(2026, 11, 23, 12, 0), count=1)
    # 2026-11-23 01:00 UTC is 10:00 Tokyo: the session is in progress, so it is still "next".
    utc = next_occurrences(MONDAYS, datetime(2026, 11, 23, 1, 0, tzinfo=UTC), count=1)
    assert naive == [datetime(2026, 11, 30, 10, 0, tzinfo=TZ)]
    assert utc == [datetime(2026, 11, 23, 10, 0, tzinfo=TZ)]


def test_in_progress_occurrence_is_included() -> None:
    got = next_occurrences(MONDAYS, datetime(2026, 11, 16, 10, 30, tzinfo=TZ), count=1)
    assert got == [datetime(2026, 11, 16, 10, 0, tzinfo=TZ)]
    got = next_occurrences(MONDAYS, datetime(2026, 11, 16, 11, 30, tzinfo=TZ), count=1)
    assert got == [datetime(2026, 11, 23, 10, 0, tzinfo=TZ)]


def test_date_only_schedule_returns_midnight_and_includes_today() -> None:
    s = Schedule("FREQ=MONTHLY;BYDAY=1SA", None, None)
    got = next_occurrences(s, datetime(2026, 12, 5, 15, 0, tzinfo=TZ), count=2)
    assert got == [datetime(2026, 12, 5, tzinfo=TZ), datetime(2027, 1, 2, tzinfo=TZ)]


def test_second_and_fourth_thursday() -> None:
    s = Schedule("FREQ=MONTHLY;BYDAY=2TH,4TH", time(13, 30), time(15, 30))
    assert occurrence_dates(s, date(2026, 11, 1), date(2026, 12, 31)) == [
        date(2026, 11, 12),
        date(2026, 11, 26),
        date(2026, 12, 10),
        date(2026, 12, 24),
    ]


def test_biweekly_phase_follows_dtstart() -> None:
    a = Schedule("FREQ=WEEKLY;INTERVAL=2;BYDAY=WE", None, None, dtstart=date(2026, 11, 4))
    b = Schedule("FREQ=WEEKLY;INTERVAL=2;BYDAY=WE", None, None, dtstart=date(2026, 11, 11))
    assert occurrence_dates(a, date(2026, 11, 1), date(2026, 11, 30)) == [date(2026, 11, 4), date(2026, 11, 18)]
    assert occurrence_dates(b, date(2026, 11, 1), date(2026, 11, 30)) == [date(2026, 11, 11), date(2026, 11, 25)]
    # Without dtstart the phase is fixed (anchored), not random.
    c = Schedule("FREQ=WEEKLY;INTERVAL=2;BYDAY=WE", None, None)
    assert occurrence_dates(c, date(2026, 11, 1), date(2026, 11, 30)) == occurrence_dates(
        c, date(2026, 11, 1), date(2026, 11, 30)
    )
    assert len(occurrence_dates(c, date(2026, 11, 1), date(2026, 11, 30))) == 2


def test_exdates_and_rdates() -> None:
    s = Schedule(
        "FREQ=WEEKLY;BYDAY=TU",
        time(10),
        time(12),
        exdates=(date(2026, 12, 29),),
        rdates=(date(2026, 12, 26),),
        skip_holidays=True,
    )
    days = occurrence_dates(s, date(2026, 12, 20), date(2027, 1, 10))
    assert days == [date(2026, 12, 22), date(2026, 12, 26), date(2027, 1, 5)]


def test_rdate_is_kept_even_on_a_holiday() -> None:
    s = Schedule(None, time(10), None, rdates=(date(2026, 11, 23),), skip_holidays=True)
    assert occurs_on(s, date(2026, 11, 23))


def test_one_off_schedule() -> None:
    s = Schedule(None, time(10), time(12), rdates=(date(2026, 12, 5), date(2027, 1, 9)))
    got = next_occurrences(s, datetime(2026, 12, 6, tzinfo=TZ), count=5)
    assert got == [datetime(2027, 1, 9, 10, 0, tzinfo=TZ)]


def test_dtstart_and_until_limit_the_rule() -> None:
    s = Schedule("FREQ=WEEKLY;BYDAY=TU;UNTIL=20261215", None, None, dtstart=date(2026, 12, 1))
    assert occurrence_dates(s, date(2026, 11, 1), date(2027, 1, 31)) == [
        date(2026, 12, 1),
        date(2026, 12, 8),
        date(2026, 12, 15),
    ]


def test_count_rule_ends() -> None:
    s = Schedule("FREQ=DAILY;COUNT=3", None, None, dtstart=date(2026, 11, 20))
    assert len(next_occurrences(s, datetime(2026, 11, 1, tzinfo=TZ), count=10)) == 3


def test_search_is_bounded_for_rules_that_never_match_in_the_horizon() -> None:
    # Feb 29 on a Monday: next in 2044, beyond the ~2 year horizon.
    s = Schedule("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO", None, None)
    started = timer.perf_counter()
    assert next_occurrences(s, datetime(2026, 1, 1, tzinfo=TZ)) == []
    assert timer.perf_counter() - started < 2.0


def test_old_dtstart_stays_cheap() -> None:
    s = Schedule("FREQ=DAILY", time(9), time(17), dtstart=date(1990, 1, 1))
    started = timer.perf_counter()
    for _ in range(50):
        next_occurrences(s, datetime(2026, 11, 27, tzinfo=TZ))
    assert timer.perf_counter() - started < 2.0


def test_is_open_at() -> None:
    s = Schedule("FREQ=WEEKLY;BYDAY=MO", time(10), time(11, 30), skip_holidays=True)
    assert is_open_at(s, datetime(2026, 11, 16, 10, 0, tzinfo=TZ))
    assert is_open_at(s, datetime(2026, 11, 16, 11, 29))
    assert not is_open_at(s, datetime(2026, 11, 16, 11, 30, tzinfo=TZ))
    assert not is_open_at(s, datetime(2026, 11, 16, 9, 59, tzinfo=TZ))
    assert not is_open_at(s, datetime(2026, 11, 23, 10, 30, tzinfo=TZ))  # holiday
    assert not is_open_at(s, datetime(2026, 11, 17, 10, 30, tzinfo=TZ))
    # 2026-11-16 01:30 UTC = 10:30 Tokyo
    from zoneinfo import ZoneInfo

    assert is_open_at(s, datetime(2026, 11, 16, 1, 30, tzinfo=ZoneInfo("UTC")))
    assert not is_open_at(Schedule("FREQ=DAILY", time(10), None), datetime(2026, 11, 16, 10, 30))


@pytest.mark.parametrize(
    ("rrule", "dtstart", "expected"),
    [
        ("FREQ=WEEKLY;BYDAY=TU", None, {1}),
        ("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", None, {0, 1, 2, 3, 4}),
        ("FREQ=MONTHLY;BYDAY=2TH,4TH", None, {3}),
        ("FREQ=DAILY", None, set(range(7))),
        ("FREQ=MONTHLY;BYMONTHDAY=15", None, set()),
        ("FREQ=WEEKLY", date(2026, 11, 27), {4}),
        ("FREQ=WEEKLY", None, set()),
    ],
)
def test_weekdays(rrule: str, dtstart: date | None, expected: set[int]) -> None:
    assert weekdays(Schedule(rrule, None, None, dtstart=dtstart)) == expected


def test_weekdays_of_one_off() -> None:
    assert weekdays(Schedule(None, None, None, rdates=(date(2026, 11, 27),))) == {4}


def test_zero_count() -> None:
    assert next_occurrences(MONDAYS, datetime(2026, 11, 1), count=0) == []


def test_a_yearly_closure_holds_in_every_year() -> None:
    s = Schedule("FREQ=DAILY", time(9), time(17), rdates=(date(2031, 1, 2),), yearly_exclusions=("12-29/01-03",))
    for year in (2026, 2027, 2035):
        days = occurrence_dates(s, date(year, 12, 27), date(year + 1, 1, 5))
        expected = [date(year, 12, 27), date(year, 12, 28), date(year + 1, 1, 4), date(year + 1, 1, 5)]
        assert days == expected
    # an explicit extra date is kept, as on a holiday
    assert date(2031, 1, 2) in occurrence_dates(s, date(2031, 1, 1), date(2031, 1, 3))
    after = datetime(2035, 12, 28, 18, 0, tzinfo=TZ)
    assert [d.date() for d in next_occurrences(s, after, 2)] == [date(2036, 1, 4), date(2036, 1, 5)]
