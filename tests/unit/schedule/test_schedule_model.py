from __future__ import annotations

import json
from datetime import date, time

import pytest

from schedule import Schedule, canonical_rrule, validate_rrule


@pytest.mark.parametrize(
    "value",
    [
        "FREQ=WEEKLY;BYDAY=TU",
        "FREQ=MONTHLY;BYDAY=2TH,4TH",
        "FREQ=MONTHLY;BYDAY=1SA",
        "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE",
        "FREQ=MONTHLY;BYMONTHDAY=15",
        "FREQ=MONTHLY;BYDAY=-1FR",
        "FREQ=DAILY",
        "freq=weekly;byday=tu",
        "FREQ=WEEKLY;BYDAY=TU;UNTIL=20271231",
        "FREQ=WEEKLY;BYDAY=TU;UNTIL=20271231T150000Z",
        "FREQ=WEEKLY;BYDAY=TU;COUNT=10",
    ],
)
def test_valid_rrules(value: str) -> None:
    assert validate_rrule(value) is None


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (None, "empty"),
        ("", "empty"),
        ("RRULE:FREQ=WEEKLY", "prefix"),
        ("FREQ=HOURLY", "FREQ must be"),
        ("BYDAY=TU", "FREQ is required"),
        ("FREQ=WEEKLY;BYDAY=XX", "BYDAY item"),
        ("FREQ=WEEKLY;BYDAY=TU;BYDAY=WE", "twice"),
        ("FREQ=WEEKLY;FOO=1", "unsupported"),
        ("FREQ=WEEKLY;INTERVAL=0", "INTERVAL"),
        ("FREQ=WEEKLY;COUNT=2;UNTIL=20270101", "COUNT and UNTIL"),
        ("FREQ=WEEKLY;UNTIL=tomorrow", "UNTIL"),
        ("FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=31", "never"),
        ("FREQ", "NAME=VALUE"),
    ],
)
def test_invalid_rrules(value: str | None, fragment: str) -> None:
    error = validate_rrule(value)
    assert error is not None and fragment in error


def test_canonical_rrule() -> None:
    assert canonical_rrule("byday=4th,2th;freq=monthly") == "FREQ=MONTHLY;BYDAY=2TH,4TH"
    assert canonical_rrule("FREQ=WEEKLY;BYDAY=WE;INTERVAL=2") == "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE"
    assert canonical_rrule("FREQ=WEEKLY;INTERVAL=1;BYDAY=FR,MO") == "FREQ=WEEKLY;BYDAY=MO,FR"
    assert canonical_rrule("FREQ=MONTHLY;BYDAY=-1FR,1MO") == "FREQ=MONTHLY;BYDAY=1MO,-1FR"


def test_schedule_rejects_bad_values() -> None:
    with pytest.raises(ValueError, match="FREQ"):
        Schedule("FREQ=SECONDLY", None, None)
    with pytest.raises(ValueError, match="end time"):
        Schedule("FREQ=DAILY", time(11), time(10))


def test_schedule_sorts_and_dedups_dates() -> None:
    s = Schedule(None, None, None, rdates=(date(2026, 12, 2), date(2026, 12, 1), date(2026, 12, 2)))
    assert s.rdates == (date(2026, 12, 1), date(2026, 12, 2))


def test_to_dict_from_dict_round_trip_through_json() -> None:
    s = Schedule(
        "FREQ=MONTHLY;BYDAY=2TH,4TH",
        time(13, 30),
        time(15, 30),
        dtstart=date(2026, 4, 1),
        exdates=(date(2026, 12, 24),),
        rdates=(date(2026, 12, 26),),
        skip_holidays=True,
        text="毎月第2・第4木曜日",
    )
    data = json.loads(json.dumps(s.to_dict()))
    assert data["start"] == "13:30"
    assert data["exdates"] == ["2026-12-24"]
    assert Schedule.from_dict(data) == s


def test_from_dict_defaults() -> None:
    s = Schedule.from_dict({"rrule": "FREQ=WEEKLY;BYDAY=TU", "start": "10:00:00"})
    assert s == Schedule("FREQ=WEEKLY;BYDAY=TU", time(10), None)
    assert Schedule.from_dict({}) == Schedule(None, None, None)


def test_yearly_exclusions_are_checked_kept_and_round_trip() -> None:
    from schedule.model import in_yearly_range

    s = Schedule("FREQ=WEEKLY;BYDAY=TU", time(10), None, yearly_exclusions=("12-29/01-03", "12-29/01-03"))
    assert s.yearly_exclusions == ("12-29/01-03",)
    assert Schedule.from_dict(json.loads(json.dumps(s.to_dict()))) == s
    assert Schedule.from_dict({"rrule": "FREQ=DAILY"}).yearly_exclusions == ()  # stored before the field
    assert in_yearly_range(date(2027, 1, 3), "12-29/01-03") and not in_yearly_range(date(2027, 1, 4), "12-29/01-03")
    assert in_yearly_range(date(2026, 8, 14), "08-13/08-16") and not in_yearly_range(date(2026, 12, 30), "08-13/08-16")
    for bad in ("12/29-01/03", "13-01/01-03", "02-30/03-01", "年末年始"):
        with pytest.raises(ValueError):
            Schedule("FREQ=DAILY", None, None, yearly_exclusions=(bad,))
