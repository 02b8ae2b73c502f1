"""Schedules (開催日時): RRULE model, occurrences with Japanese holidays, sentences, parser, iCalendar."""

from schedule.describe import describe, format_date, format_date_ja
from schedule.ical import calendar, vevent
from schedule.model import TZ, Schedule, canonical_rrule, validate_rrule
from schedule.occurrences import (
    is_holiday,
    is_open_at,
    next_occurrences,
    occurrence_dates,
    occurs_on,
    weekdays,
)
from schedule.parse_ja import (
    ParsedSchedule,
    parse_schedule_text,
    parse_time,
    parse_time_range,
    parse_weekdays,
)

__all__ = [
    "TZ",
    "ParsedSchedule",
    "Schedule",
    "calendar",
    "canonical_rrule",
    "describe",
    "format_date",
    "format_date_ja",
    "is_holiday",
    "is_open_at",
    "next_occurrences",
    "occurrence_dates",
    "occurs_on",
    "parse_schedule_text",
    "parse_time",
    "parse_time_range",
    "parse_weekdays",
    "validate_rrule",
    "vevent",
    "weekdays",
]
