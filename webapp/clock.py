"""Japan time: the one place that says what "now", "today", a date's bounds and a fiscal year are.

Times are stored aware in UTC (webapp.orm.UTCDateTime); people see, enter and count them in
Asia/Tokyo. Everything that needs "now" calls :func:`now` so tests can set the clock
(``monkeypatch.setattr(webapp.clock, "_now", lambda: ...)``, or the ``clock`` fixture).
Fiscal years (年度) run from 1 April to 31 March and are named by the year they start in.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")


def _now() -> datetime:
    return datetime.now(UTC)


def now() -> datetime:
    """The current moment, aware, in UTC (what is stored)."""
    return _now().astimezone(UTC)


def to_jst(moment: datetime) -> datetime:
    """An aware moment as Japan wall-clock time (what is shown)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime given where an aware one is required")
    return moment.astimezone(JST)


def today() -> date:
    """Today's date in Japan."""
    return to_jst(now()).date()


def start_of_day(day: date) -> datetime:
    """00:00 Japan time on ``day``, as an aware UTC moment (for 'on or after this date' queries)."""
    return datetime.combine(day, time.min, tzinfo=JST).astimezone(UTC)


def day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """[start, end) in UTC covering the Japan dates ``first`` … ``last`` inclusive."""
    return start_of_day(first), start_of_day(last + timedelta(days=1))


def at_jst(day: date, clock: time = time(12, 0)) -> datetime:
    """A moment on a Japan date (noon by default: an 'occurred on' date typed by staff), in UTC."""
    return datetime.combine(day, clock, tzinfo=JST).astimezone(UTC)


def fiscal_year(day: date) -> int:
    """The 年度 a date belongs to: April 2026 – March 2027 is 2026."""
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year_bounds(year: int) -> tuple[date, date]:
    """First and last date of 年度 ``year`` (1 April … 31 March)."""
    return date(year, 4, 1), date(year + 1, 3, 31)
