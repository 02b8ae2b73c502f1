"""RFC 5545 iCalendar export of schedules ("カレンダーに追加").

Written by hand rather than through a library: the output is small and fixed, and we need exact
control over folding and the Tokyo VTIMEZONE.  Tests parse it back with the ``icalendar`` package.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from schedule.model import TZ, Schedule
from schedule.occurrences import HORIZON_DAYS, closed_yearly, is_holiday, occurrence_dates, rule_dates

__all__ = ["PRODID", "calendar", "fold_line", "vevent"]

PRODID = "-//odekake//おでかけマップ//JA"
CRLF = "\r\n"

# Japan has had no DST since 1951, so one STANDARD block is the whole truth.
_VTIMEZONE = (
    "BEGIN:VTIMEZONE",
    "TZID:Asia/Tokyo",
    "BEGIN:STANDARD",
    "DTSTART:19700101T000000",
    "TZOFFSETFROM:+0900",
    "TZOFFSETTO:+0900",
    "TZNAME:JST",
    "END:STANDARD",
    "END:VTIMEZONE",
)


def fold_line(line: str) -> str:
    """Fold one content line at 75 octets (RFC 5545 3.1) without splitting a UTF-8 character."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line
    pieces: list[str] = []
    current = ""
    size = 0
    limit = 75
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > limit:
            pieces.append(current)
            current, size = "", 1  # the continuation line's leading space counts
            limit = 75
        current += ch
        size += n
    pieces.append(current)
    return (CRLF + " ").join(pieces)


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\n").replace("\n", "\\n")
    )


def _fmt_local(d: date, t: time) -> str:
    return datetime.combine(d, t).strftime("%Y%m%dT%H%M%S")


def _fmt_date(d: date) -> str:
    return d.strftime("%Y%m%d")


def _date_list_prop(name: str, days: list[date], start: time | None) -> str:
    if start is None:
        return f"{name};VALUE=DATE:" + ",".join(_fmt_date(d) for d in days)
    return f"{name};TZID=Asia/Tokyo:" + ",".join(_fmt_local(d, start) for d in days)


def vevent(
    uid: str,
    summary: str,
    schedule: Schedule,
    location: str | None = None,
    description: str | None = None,
    url: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    dtstamp: datetime | None = None,
) -> str:
    """One VEVENT (CRLF lines, folded, ending with CRLF) for :func:`calendar`.

    DTSTART is the first occurrence on or after ``schedule.dtstart`` (or on/after ``dtstamp``'s
    Tokyo date when there is none), so calendar apps get the same phase as we do for 隔週.
    exdates become EXDATE; with ``skip_holidays`` the public holidays of the next two years
    that fall on the rule become EXDATE too (RRULE cannot say "not on holidays"), and so do the
    days of the yearly closures (年末年始) in those two years.
    Raises ValueError when the schedule has no occurrence in that window.
    """
    stamp = (dtstamp or datetime.now(UTC)).astimezone(UTC)
    first_day = schedule.dtstart or stamp.astimezone(TZ).date()
    horizon = first_day + timedelta(days=HORIZON_DAYS)
    days = occurrence_dates(schedule, first_day, horizon)
    if not days:
        raise ValueError("schedule has no occurrence in the next two years")
    rule_days = rule_dates(schedule, first_day, horizon) if schedule.rrule else []
    # DTSTART must be an occurrence of the rule itself, or an INTERVAL=2 rule would take its
    # phase from an extra rdate; earlier rdates then go to RDATE.
    on_rule = [d for d in days if d in set(rule_days)]
    first = on_rule[0] if on_rule else days[0]
    lines = ["BEGIN:VEVENT", f"UID:{uid}", f"DTSTAMP:{stamp:%Y%m%dT%H%M%SZ}"]
    if schedule.start is None:
        lines.append(f"DTSTART;VALUE=DATE:{_fmt_date(first)}")
        lines.append(f"DTEND;VALUE=DATE:{_fmt_date(first + timedelta(days=1))}")
    else:
        lines.append(f"DTSTART;TZID=Asia/Tokyo:{_fmt_local(first, schedule.start)}")
        if schedule.end is not None:
            lines.append(f"DTEND;TZID=Asia/Tokyo:{_fmt_local(first, schedule.end)}")
    lines.append(f"SUMMARY:{_escape(summary)}")
    if schedule.rrule:
        lines.append(f"RRULE:{schedule.rrule.upper()}")
        rule_days = [d for d in rule_days if d >= first]
        excluded = set(schedule.exdates)
        if schedule.skip_holidays:
            excluded.update(d for d in rule_days if is_holiday(d))
        if schedule.yearly_exclusions:
            excluded.update(d for d in rule_days if closed_yearly(schedule, d))
        exdates = sorted(d for d in excluded & set(rule_days) if d not in schedule.rdates)
        if exdates:
            lines.append(_date_list_prop("EXDATE", exdates, schedule.start))
    rdates = [d for d in schedule.rdates if d >= first_day and d != first and d not in schedule.exdates]
    if rdates:
        lines.append(_date_list_prop("RDATE", rdates, schedule.start))
    if location:
        lines.append(f"LOCATION:{_escape(location)}")
    if lat is not None and lon is not None:
        lines.append(f"GEO:{lat:.6f};{lon:.6f}")
    if description:
        lines.append(f"DESCRIPTION:{_escape(description)}")
    if url:
        lines.append(f"URL:{url}")
    lines.append("END:VEVENT")
    return "".join(fold_line(line) + CRLF for line in lines)


def calendar(events: Iterable[str], name: str | None = None) -> str:
    """A VCALENDAR around VEVENT texts from :func:`vevent`, with the Asia/Tokyo VTIMEZONE."""
    head = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH"]
    if name:
        head.append(f"X-WR-CALNAME:{_escape(name)}")
    head.append("X-WR-TIMEZONE:Asia/Tokyo")
    head.extend(_VTIMEZONE)
    return (
        "".join(fold_line(line) + CRLF for line in head)
        + "".join(events)
        + "END:VCALENDAR"
        + CRLF
    )
