"""The Schedule value object (開催日時): an RFC 5545 RRULE plus local start/end times.

All dates and times are Asia/Tokyo wall-clock values; nothing here stores a UTC offset because
gatherings happen at "10:00 local" regardless of anything else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

__all__ = [
    "TZ",
    "WEEKDAY_CODES",
    "YEAR_END",
    "Schedule",
    "canonical_rrule",
    "in_yearly_range",
    "local_parts",
    "parse_rrule_parts",
    "parse_yearly_range",
    "validate_rrule",
]

TZ = ZoneInfo("Asia/Tokyo")
WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

# Sub-daily frequencies make no sense for a gathering and would make occurrence searches
# expensive, so they are rejected.
_FREQS = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
_KNOWN_PARTS = (
    "FREQ",
    "INTERVAL",
    "COUNT",
    "UNTIL",
    "BYDAY",
    "BYMONTHDAY",
    "BYMONTH",
    "BYSETPOS",
    "BYYEARDAY",
    "BYWEEKNO",
    "WKST",
)
_BYDAY_RE = re.compile(r"^([+-]?)(\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
_UNTIL_RE = re.compile(r"^\d{8}(T\d{6}Z?)?$")
_INT_LIST_RE = re.compile(r"^[+-]?\d{1,3}(,[+-]?\d{1,3})*$")


def parse_rrule_parts(value: str) -> dict[str, str]:
    """Split ``"FREQ=WEEKLY;BYDAY=TU"`` into ``{"FREQ": "WEEKLY", "BYDAY": "TU"}`` (upper-cased).

    Raises ValueError on syntax errors; :func:`validate_rrule` gives the friendly message.
    """
    parts: dict[str, str] = {}
    for chunk in value.strip().upper().split(";"):
        if not chunk:
            continue
        key, sep, val = chunk.partition("=")
        if not sep or not key or not val:
            raise ValueError(f"not NAME=VALUE: {chunk!r}")
        if key in parts:
            raise ValueError(f"{key} given twice")
        parts[key] = val
    return parts


def validate_rrule(value: str | None) -> str | None:
    """Return an error message for an invalid RRULE value, or None when it is acceptable.

    Accepted: an RFC 5545 RRULE value *without* the ``RRULE:`` prefix, FREQ one of DAILY,
    WEEKLY, MONTHLY, YEARLY, and only parts that python-dateutil understands.
    """
    if value is None or not value.strip():
        return "RRULE is empty"
    if value.strip().upper().startswith(("RRULE:", "DTSTART")):
        return "give the RRULE value without the 'RRULE:' prefix or a DTSTART line"
    try:
        parts = parse_rrule_parts(value)
    except ValueError as exc:
        return f"RRULE syntax: {exc}"
    unknown = sorted(set(parts) - set(_KNOWN_PARTS))
    if unknown:
        return f"unsupported RRULE part(s): {', '.join(unknown)}"
    freq = parts.get("FREQ")
    if freq is None:
        return "FREQ is required"
    if freq not in _FREQS:
        return f"FREQ must be one of {', '.join(_FREQS)}"
    if "INTERVAL" in parts and (not parts["INTERVAL"].isdigit() or not 1 <= int(parts["INTERVAL"]) <= 99):
        return "INTERVAL must be a whole number from 1 to 99"
    if "COUNT" in parts and (not parts["COUNT"].isdigit() or int(parts["COUNT"]) < 1):
        return "COUNT must be a positive whole number"
    if "COUNT" in parts and "UNTIL" in parts:
        return "COUNT and UNTIL cannot both be given"
    if "UNTIL" in parts and not _UNTIL_RE.match(parts["UNTIL"]):
        return "UNTIL must be YYYYMMDD or YYYYMMDDTHHMMSS[Z]"
    if "BYDAY" in parts:
        for item in parts["BYDAY"].split(","):
            m = _BYDAY_RE.match(item)
            if not m:
                return f"BYDAY item {item!r} is not like MO, 2TH or -1FR"
            if m.group(2) and not 1 <= int(m.group(2)) <= 53:
                return f"BYDAY ordinal out of range in {item!r}"
    for key in ("BYMONTHDAY", "BYMONTH", "BYSETPOS", "BYYEARDAY", "BYWEEKNO"):
        if key in parts and not _INT_LIST_RE.match(parts[key]):
            return f"{key} must be a comma-separated list of numbers"
    if "WKST" in parts and parts["WKST"] not in WEEKDAY_CODES:
        return "WKST must be a weekday code such as MO"
    return _check_with_dateutil(canonical_rrule(value))


@lru_cache(maxsize=4096)
def _check_with_dateutil(value: str) -> str | None:
    from dateutil.rrule import rrulestr

    parts = parse_rrule_parts(value)
    try:
        rrulestr(_dateutil_value(parts), dtstart=datetime(2026, 1, 1))
    except (ValueError, TypeError) as exc:
        return f"RRULE rejected: {exc}"
    # dateutil checks UNTIL only against candidates, so a rule with no candidates at all
    # (BYMONTH=2;BYMONTHDAY=31) makes it iterate up to year 9999 on every query.  Such rules are
    # refused here, by expanding over the last 400 years dateutil supports (one full Gregorian
    # cycle, so every weekday/date combination appears): cheap, and bounded by MAXYEAR.
    probe = {k: v for k, v in parts.items() if k not in ("UNTIL", "COUNT")}
    rule = rrulestr(_dateutil_value(probe), dtstart=datetime(9600, 1, 1))
    if next(iter(rule), None) is None:
        return "RRULE never produces a date"
    return None


def local_parts(parts: dict[str, str]) -> dict[str, str]:
    """RRULE parts with a UTC ("Z") UNTIL converted to naive Asia/Tokyo time.

    dateutil refuses a UTC UNTIL with a naive DTSTART, and we work in naive Tokyo wall-clock
    time; "Z" UNTILs are common in imported .ics files.
    """
    until = parts.get("UNTIL")
    if until and until.endswith("Z"):
        utc = datetime.strptime(until, "%Y%m%dT%H%M%SZ").replace(tzinfo=ZoneInfo("UTC"))
        return {**parts, "UNTIL": utc.astimezone(TZ).strftime("%Y%m%dT%H%M%S")}
    return parts


def _dateutil_value(parts: dict[str, str]) -> str:
    return ";".join(f"{k}={v}" for k, v in local_parts(parts).items())


def canonical_rrule(value: str) -> str:
    """Canonical spelling: upper case, parts in a fixed order (FREQ, INTERVAL, BYDAY, ...),
    INTERVAL=1 dropped, BYDAY sorted (ordinal, then weekday; last-week ordinals after others)."""
    parts = parse_rrule_parts(value)
    if parts.get("INTERVAL") == "1":
        del parts["INTERVAL"]
    if "BYDAY" in parts:
        parts["BYDAY"] = ",".join(sorted(parts["BYDAY"].split(","), key=_byday_sort_key))
    order = {k: i for i, k in enumerate(_KNOWN_PARTS)}
    return ";".join(f"{k}={parts[k]}" for k in sorted(parts, key=lambda k: order.get(k, 99)))


def _byday_sort_key(item: str) -> tuple[int, int]:
    m = _BYDAY_RE.match(item)
    if not m:
        return (99, 99)
    n = int(m.group(2)) if m.group(2) else 0
    if m.group(1) == "-":
        n = 100 - n
    return (n, WEEKDAY_CODES.index(m.group(3)))


# 年末年始: the turn of the year 行政機関の休日に関する法律 names (12月29日〜1月3日).
YEAR_END = "12-29/01-03"
_YEARLY_RE = re.compile(r"^(\d{2})-(\d{2})/(\d{2})-(\d{2})$")


@lru_cache(maxsize=64)
def parse_yearly_range(value: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """``"12-29/01-03"`` → ((12, 29), (1, 3)): a range of days closed every year, first and last
    day included; it wraps over New Year when the first day comes after the last.  Raises ValueError."""
    m = _YEARLY_RE.match(value.strip())
    if not m:
        raise ValueError(f"yearly range {value!r} is not MM-DD/MM-DD")
    first, last = (int(m.group(1)), int(m.group(2))), (int(m.group(3)), int(m.group(4)))
    for month, day in (first, last):
        # 2000 is a leap year: 02-29 is a day some years have.
        date(2000, month, day)
    return first, last


def in_yearly_range(day: date, value: str) -> bool:
    """True when ``day`` falls in the yearly range ``value`` (see :func:`parse_yearly_range`)."""
    first, last = parse_yearly_range(value)
    md = (day.month, day.day)
    if first <= last:
        return first <= md <= last
    return md >= first or md <= last


def _time_str(t: time | None) -> str | None:
    return None if t is None else t.strftime("%H:%M")


def _parse_time(value: Any) -> time | None:
    if value in (None, ""):
        return None
    if isinstance(value, time):
        return value
    return time.fromisoformat(str(value))


def _parse_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


@dataclass(frozen=True, slots=True)
class Schedule:
    """When an activity happens.

    ``rrule``: RFC 5545 RRULE value without the prefix (None for one-off dates in ``rdates`` or
    an unparsed schedule kept only as ``text``).  ``dtstart``: the first day the rule applies (it
    need not itself be an occurrence); it also fixes the phase of INTERVAL>1 rules (隔週).
    ``skip_holidays``: no occurrence on Japanese public holidays.  ``yearly_exclusions``: ranges
    of days closed every year, as ``"MM-DD/MM-DD"`` (年末年始 is :data:`YEAR_END`): a rule of its
    own, so that it holds in every year without dates to renew.  ``text``: the human wording
    the organiser or open data gave, shown when the rule cannot be described.
    """

    rrule: str | None
    start: time | None
    end: time | None
    dtstart: date | None = None
    exdates: tuple[date, ...] = field(default=())
    rdates: tuple[date, ...] = field(default=())
    skip_holidays: bool = False
    text: str = ""
    yearly_exclusions: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.rrule is not None:
            error = validate_rrule(self.rrule)
            if error:
                raise ValueError(error)
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError("end time must be after start time")
        # Accept any iterable of dates but store sorted, de-duplicated tuples so equal schedules
        # compare equal and hash alike.
        object.__setattr__(self, "exdates", tuple(sorted(set(self.exdates))))
        object.__setattr__(self, "rdates", tuple(sorted(set(self.rdates))))
        for value in self.yearly_exclusions:
            parse_yearly_range(value)
        object.__setattr__(self, "yearly_exclusions", tuple(sorted(set(self.yearly_exclusions))))

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dict: dates as ISO strings, times as "HH:MM"."""
        return {
            "rrule": self.rrule,
            "start": _time_str(self.start),
            "end": _time_str(self.end),
            "dtstart": self.dtstart.isoformat() if self.dtstart else None,
            "exdates": [d.isoformat() for d in self.exdates],
            "rdates": [d.isoformat() for d in self.rdates],
            "skip_holidays": self.skip_holidays,
            "yearly_exclusions": list(self.yearly_exclusions),
            "text": self.text,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Schedule:
        """Inverse of :meth:`to_dict`; missing keys take their defaults.  Raises ValueError."""
        rrule = data.get("rrule") or None
        dtstart = data.get("dtstart")
        return cls(
            rrule=rrule,
            start=_parse_time(data.get("start")),
            end=_parse_time(data.get("end")),
            dtstart=_parse_date(dtstart) if dtstart else None,
            exdates=tuple(_parse_date(d) for d in data.get("exdates") or ()),
            rdates=tuple(_parse_date(d) for d in data.get("rdates") or ()),
            skip_holidays=bool(data.get("skip_holidays", False)),
            text=str(data.get("text") or ""),
            yearly_exclusions=tuple(str(v) for v in data.get("yearly_exclusions") or ()),
        )
