"""schedule.notes: which 特記事項 are closures a rule carries, which need a person."""

from __future__ import annotations

from datetime import date, time

import pytest

from schedule.model import YEAR_END, Schedule
from schedule.notes import apply_closures, classify_note, year_end_dates
from schedule.occurrences import occurrence_dates

WEEKDAYS = Schedule("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", time(9), time(17))


@pytest.mark.parametrize(
    ("note", "kind"),
    [
        ("年末年始休館", "closure"),
        ("年末年始（12月29日～1月3日）休館", "closure"),
        ("第3火曜日休館", "closure"),
        ("祝日休館", "closure"),
        ("祝日・年末年始は休み", "closure"),
        ("土日祝休み", "closure"),
        ("年末年始休館、第３火曜日は休館", "closure"),
        ("○○期間中のみ", "conditional"),
        ("通常時は施錠", "conditional"),
        ("月曜日（祝日の場合は翌日）休館", "conditional"),
        ("1月から2月は10:00から16:00", "seasonal"),
        ("夏期は月曜休館", "seasonal"),
        ("年末年始・お盆は休み", "seasonal"),
        ("終日開放", "open_all_day"),
        ("毎月1日休み", "other"),
    ],
)
def test_each_note_has_one_kind(note: str, kind: str) -> None:
    reading = classify_note(note)
    assert reading.kind == kind
    # Only closures and 終日開放 pass without a person; everything else is shown for review.
    assert reading.needs_review == (kind not in ("closure", "open_all_day"))
    if reading.needs_review:
        assert reading.review  # the words shown to staff


def test_empty_note_says_nothing() -> None:
    assert classify_note("").kind is None and not classify_note(None).needs_review


def test_a_closure_in_a_seasonal_clause_is_not_applied_all_year() -> None:
    reading = classify_note("夏期は月曜休館")
    assert reading.off_weekdays == () and reading.needs_review


def test_closures_become_rule_parts() -> None:
    reading = classify_note("第3火曜日休館、年末年始休館、祝日休館")
    sched, problems = apply_closures(WEEKDAYS, reading)
    assert problems == [] and sched.skip_holidays
    days = occurrence_dates(sched, date(2026, 12, 14), date(2027, 1, 8))
    assert date(2026, 12, 15) not in days  # 第3火曜日
    assert date(2026, 12, 22) in days  # 第4火曜日
    assert not [d for d in days if date(2026, 12, 29) <= d <= date(2027, 1, 3)]  # 年末年始
    assert date(2027, 1, 4) in days


def test_year_end_is_a_yearly_rule_not_this_years_dates() -> None:
    # The closure holds every year without dates to renew: the schedule a note gives does not
    # depend on the year it is read in, and a listing read years later is still closed at New Year.
    sched, problems = apply_closures(WEEKDAYS, classify_note("年末年始休館"))
    assert problems == [] and sched.exdates == () and sched.yearly_exclusions == (YEAR_END,)
    for year in (2026, 2031, 2040):
        days = occurrence_dates(sched, date(year, 12, 20), date(year + 1, 1, 10))
        assert not [d for d in days if d >= date(year, 12, 29) and d <= date(year + 1, 1, 3)]
        assert date(year, 12, 28) in days or date(year, 12, 28).weekday() >= 5
        assert [d for d in days if d >= date(year + 1, 1, 4)]


def test_a_weekday_closure_takes_the_day_out_of_a_daily_rule() -> None:
    daily = Schedule("FREQ=DAILY", time(9), time(17))
    sched, problems = apply_closures(daily, classify_note("毎週月曜日休館"))
    assert problems == [] and sched.rrule == "FREQ=WEEKLY;BYDAY=TU,WE,TH,FR,SA,SU"


def test_a_closure_that_removes_every_day_is_reported() -> None:
    weekly = Schedule("FREQ=WEEKLY;BYDAY=MO", time(9), time(17))
    sched, problems = apply_closures(weekly, classify_note("月曜休館"))
    assert problems and sched.rrule is None


def test_year_end_dates_span_the_turn_of_the_year() -> None:
    assert year_end_dates([2026]) == tuple(
        [date(2026, 12, d) for d in (29, 30, 31)] + [date(2027, 1, d) for d in (1, 2, 3)]
    )


@pytest.mark.parametrize(("note", "months"), [("8月は休み", (8,)), ("12〜2月は休館", (1, 2, 12)), ("8月休館、祝日休館", (8,))])
def test_month_closures_become_bymonth(note: str, months: tuple[int, ...]) -> None:
    reading = classify_note(note)
    assert reading.kind == "closure" and reading.off_months == months
    weekly = Schedule("FREQ=WEEKLY;BYDAY=WE", time(10), time(11))
    sched, problems = apply_closures(weekly, reading)
    kept = ",".join(str(m) for m in range(1, 13) if m not in months)
    assert problems == [] and sched.rrule == f"FREQ=WEEKLY;BYDAY=WE;BYMONTH={kept}"


def test_dates_without_a_closure_word_are_for_review() -> None:
    assert classify_note("12月29日〜1月3日は休み").kind == "seasonal"
