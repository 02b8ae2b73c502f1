"""webapp.clock: Japan's today, day bounds and fiscal years, with the clock at 20:30 UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from webapp import clock as webapp_clock
from webapp.orm import utcnow


def test_today_is_japans_date_at_2030_utc(clock) -> None:  # type: ignore[no-untyped-def]
    assert webapp_clock.now() == datetime(2026, 12, 4, 20, 30, tzinfo=UTC)
    assert webapp_clock.today() == date(2026, 12, 5)
    assert utcnow() == datetime(2026, 12, 4, 20, 30, tzinfo=UTC)


def test_day_bounds_are_japan_midnights() -> None:
    start, end = webapp_clock.day_bounds(date(2026, 12, 5), date(2026, 12, 5))
    assert start == datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
    assert end == datetime(2026, 12, 5, 15, 0, tzinfo=UTC)
    assert webapp_clock.at_jst(date(2026, 12, 5)).date() == date(2026, 12, 5)


@pytest.mark.parametrize(
    ("day", "year"), [(date(2026, 4, 1), 2026), (date(2027, 3, 31), 2026), (date(2026, 3, 31), 2025)]
)
def test_fiscal_year_runs_april_to_march(day: date, year: int) -> None:
    assert webapp_clock.fiscal_year(day) == year
    first, last = webapp_clock.fiscal_year_bounds(year)
    assert first <= day <= last


def test_naive_moments_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        webapp_clock.to_jst(datetime(2026, 12, 5, 9, 0))
