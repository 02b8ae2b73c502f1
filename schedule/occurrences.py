"""Occurrences of a Schedule in Asia/Tokyo, with Japanese public holidays (jpholiday).

Every search is bounded: at most :data:`HORIZON_DAYS` ahead of the starting point, so an
infinite RRULE that never matches (e.g. BYMONTHDAY=31 with BYMONTH=2) cannot loop forever.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import jpholiday
from dateutil.rrule import rrule, rrulestr

from schedule.model import TZ, WEEKDAY_CODES, Schedule, in_yearly_range, local_parts, parse_rrule_parts

__all__ = [
    "HORIZON_DAYS",
    "closed_yearly",
    "is_holiday",
    "is_open_at",
    "next_occurrences",
    "occurrence_dates",
    "occurs_on",
    "rule_dates",
    "weekdays",
]

HORIZON_DAYS = 2 * 366
_CHUNK_DAYS = 92
# Phase anchor for INTERVAL>1 rules without a dtstart (a Monday), so 隔週 is at least
# deterministic; organisers should give dtstart for those.
_ANCHOR = date(2000, 1, 3)


def is_holiday(day: date) -> bool:
    """True on a Japanese public holiday (祝日, 振替休日, 国民の休日)."""
    return bool(jpholiday.is_holiday(day))


def closed_yearly(s: Schedule, day: date) -> bool:
    """True when ``day`` is in one of the schedule's yearly closures (年末年始 …)."""
    return any(in_yearly_range(day, value) for value in s.yearly_exclusions)


def _shiftable(parts: dict[str, str]) -> bool:
    # With INTERVAL=1, no COUNT and every BY-part explicit, starting the expansion later than
    # dtstart yields the same dates; that keeps old dtstarts cheap.  Rules that inherit a weekday
    # or month-day from dtstart (e.g. bare FREQ=WEEKLY) must be expanded from dtstart itself.
    if parts.get("INTERVAL", "1") != "1" or "COUNT" in parts:
        return False
    freq = parts["FREQ"]
    if freq == "DAILY":
        return True
    if freq == "WEEKLY":
        return "BYDAY" in parts
    if freq == "MONTHLY":
        return "BYDAY" in parts or "BYMONTHDAY" in parts
    return "BYMONTH" in parts and ("BYDAY" in parts or "BYMONTHDAY" in parts)


@lru_cache(maxsize=4096)
def _build(value: str, anchor: date) -> rrule:
    return rrulestr(value, dtstart=datetime.combine(anchor, time()))


def _bounded_value(parts: dict[str, str], hi: date) -> str:
    # An explicit UNTIL at the end of the window stops dateutil right after ``hi`` instead of
    # letting it look further for the next candidate.
    parts = dict(local_parts(parts))
    if "COUNT" not in parts:
        limit = hi.strftime("%Y%m%dT235959")
        current = parts.get("UNTIL")
        if current is not None and len(current) == 8:
            current += "T000000"
        parts["UNTIL"] = min(current, limit) if current else limit
    return ";".join(f"{k}={v}" for k, v in parts.items())


def rule_dates(s: Schedule, lo: date, hi: date) -> list[date]:
    """Dates in [lo, hi] produced by the RRULE alone (no exdates, rdates or holidays)."""
    if s.rrule is None:
        return []
    parts = parse_rrule_parts(s.rrule)
    anchor = s.dtstart or _ANCHOR
    if _shiftable(parts):
        anchor = max(anchor, lo)
    if anchor > hi:
        return []
    rule = _build(_bounded_value(parts, hi), anchor)
    found = rule.between(datetime.combine(lo, time()), datetime.combine(hi, time(23, 59, 59)), inc=True)
    return [d.date() for d in found]


def occurrence_dates(s: Schedule, lo: date, hi: date) -> list[date]:
    """Sorted dates in [lo, hi] (inclusive) on which the schedule occurs.

    RRULE dates (from dtstart on), plus rdates, minus exdates, minus holidays when
    ``skip_holidays``, minus the yearly closures (年末年始) of every year.  An rdate is an
    explicit extra date and is kept even on a holiday or in a yearly closure.
    """
    if hi < lo:
        return []
    days = set(rule_dates(s, lo, hi))
    if s.skip_holidays:
        days = {d for d in days if not is_holiday(d)}
    if s.yearly_exclusions:
        days = {d for d in days if not closed_yearly(s, d)}
    days.update(d for d in s.rdates if lo <= d <= hi)
    days.difference_update(s.exdates)
    return sorted(days)


def _as_tokyo(at: datetime) -> datetime:
    # Naive datetimes are taken as Tokyo wall-clock time, the only zone this site knows.
    return at.replace(tzinfo=TZ) if at.tzinfo is None else at.astimezone(TZ)


def _iter_dates(s: Schedule, first: date) -> Iterator[date]:
    lo = first
    last = first + timedelta(days=HORIZON_DAYS)
    while lo <= last:
        hi = min(lo + timedelta(days=_CHUNK_DAYS - 1), last)
        yield from occurrence_dates(s, lo, hi)
        lo = hi + timedelta(days=1)


def next_occurrences(s: Schedule, after: datetime, count: int = 3) -> list[datetime]:
    """The next ``count`` occurrences that are upcoming or still in progress at ``after``.

    Returned as aware Asia/Tokyo datetimes at the start time (midnight when there is no start
    time).  An occurrence counts while it is running: at 10:30 a 10:00〜11:30 session is
    returned; with no end time only occurrences starting at or after ``after`` are, except that
    date-only schedules include today's date all day.  Looks at most ~2 years ahead.
    """
    if count <= 0:
        return []
    now = _as_tokyo(after)
    out: list[datetime] = []
    for day in _iter_dates(s, now.date()):
        begin = datetime.combine(day, s.start or time(), tzinfo=TZ)
        if s.start is None:
            finish = datetime.combine(day + timedelta(days=1), time(), tzinfo=TZ)
        elif s.end is not None:
            finish = datetime.combine(day, s.end, tzinfo=TZ)
        else:
            finish = begin
        if begin >= now or finish > now:
            out.append(begin)
            if len(out) >= count:
                break
    return out


def occurs_on(s: Schedule, day: date) -> bool:
    """True when the schedule has an occurrence on ``day``."""
    return bool(occurrence_dates(s, day, day))


def is_open_at(s: Schedule, at: datetime) -> bool:
    """True when ``at`` (naive = Tokyo) falls in [start, end) on an occurring day.

    Needs both start and end: with either missing we cannot claim "open now".
    """
    if s.start is None or s.end is None:
        return False
    local = _as_tokyo(at)
    return s.start <= local.time().replace(tzinfo=None) < s.end and occurs_on(s, local.date())


def weekdays(s: Schedule) -> set[int]:
    """Weekdays (0=Monday) on which the schedule can occur, when derivable from the rule.

    DAILY → all seven; BYDAY (with or without ordinals) → those weekdays; bare WEEKLY → the
    weekday of dtstart; one-off schedules → the weekdays of their rdates.  Empty set when not
    derivable (e.g. BYMONTHDAY=15, whose weekday changes every month).
    """
    days = {d.weekday() for d in s.rdates}
    if s.rrule is None:
        return days
    parts = parse_rrule_parts(s.rrule)
    if "BYDAY" in parts:
        days.update(WEEKDAY_CODES.index(item[-2:]) for item in parts["BYDAY"].split(","))
        return days
    if any(k in parts for k in ("BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYSETPOS")):
        return set()
    if parts["FREQ"] == "DAILY" and parts.get("INTERVAL", "1") == "1":
        return set(range(7))
    if parts["FREQ"] == "WEEKLY" and s.dtstart is not None:
        days.add(s.dtstart.weekday())
        return days
    return set()
