from __future__ import annotations

from datetime import date, time

import pytest

from schedule import Schedule, describe, format_date, format_date_ja

CASES = [
    (Schedule("FREQ=WEEKLY;BYDAY=TU", time(10), time(11, 30)), "毎週火曜日 10:00〜11:30", "Every Tuesday, 10:00–11:30"),
    (
        Schedule("FREQ=MONTHLY;BYDAY=2TH,4TH", time(13, 30), time(15, 30), skip_holidays=True),
        "毎月第2・第4木曜日 13:30〜15:30（祝日はお休み）",
        "2nd and 4th Thursday of each month, 13:30–15:30 (closed on public holidays)",
    ),
    (
        Schedule("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", time(9), time(17)),
        "月〜金曜日 9:00〜17:00",
        "Weekdays, 9:00–17:00",
    ),
    (Schedule("FREQ=WEEKLY;INTERVAL=2;BYDAY=WE", None, None), "隔週水曜日", "Every other Wednesday"),
    (Schedule("FREQ=MONTHLY;BYDAY=1SA", None, None), "毎月第1土曜日", "1st Saturday of each month"),
    (Schedule("FREQ=MONTHLY;BYDAY=-1FR", None, None), "毎月最終金曜日", "last Friday of each month"),
    (Schedule("FREQ=WEEKLY;BYDAY=MO,WE,FR", None, None), "毎週月・水・金曜日", "Every Monday, Wednesday and Friday"),
    (Schedule("FREQ=WEEKLY;BYDAY=SA,SU", None, None), "毎週土・日曜日", "Every Saturday and Sunday"),
    (Schedule("FREQ=WEEKLY;BYDAY=MO,TU,WE", None, None), "月〜水曜日", "Monday to Wednesday"),
    (Schedule("FREQ=DAILY", None, None), "毎日", "Every day"),
    (Schedule("FREQ=MONTHLY;BYMONTHDAY=15", time(10), None), "毎月15日 10:00〜", "15th of each month, from 10:00"),
    (Schedule("FREQ=MONTHLY;BYMONTHDAY=1,15", None, None), "毎月1日・15日", "1st and 15th of each month"),
    (Schedule("FREQ=WEEKLY;INTERVAL=3;BYDAY=TH", None, None), "3週ごとの木曜日", "Every 3 weeks on Thursday"),
    # Months (parse_ja writes 「8月は休み」 as BYMONTH) and an end date.
    (
        Schedule("FREQ=WEEKLY;BYDAY=TU;BYMONTH=1,2,3,4,5,6,7,9,10,11,12", time(10), time(12)),
        "毎週火曜日 10:00〜12:00（8月はお休み）",
        "Every Tuesday, 10:00–12:00 (not in August)",
    ),
    (
        Schedule("FREQ=MONTHLY;BYDAY=2TH;BYMONTH=1,2,3,4,5,6,9,10,11,12", None, None, skip_holidays=True),
        "毎月第2木曜日（祝日はお休み）（7・8月はお休み）",
        "2nd Thursday of each month (closed on public holidays) (not in July and August)",
    ),
    (
        Schedule("FREQ=WEEKLY;BYDAY=SA;BYMONTH=4,5,6,7,8,9", time(9), None),
        "4〜9月の毎週土曜日 9:00〜",
        "Every Saturday, from 9:00 (April to September only)",
    ),
    (  # a run across the new year
        Schedule("FREQ=WEEKLY;BYDAY=WE;BYMONTH=1,2,11,12", None, None),
        "11〜2月の毎週水曜日",
        "Every Wednesday (November to February only)",
    ),
    (Schedule("FREQ=WEEKLY;BYDAY=FR;BYMONTH=8", None, None), "8月の毎週金曜日", "Every Friday (August only)"),
    (
        Schedule("FREQ=WEEKLY;BYDAY=MO;BYMONTH=1,3,5,7", None, None),
        "1・3・5・7月の毎週月曜日",
        "Every Monday (January, March, May and July only)",
    ),
    (
        Schedule("FREQ=WEEKLY;BYDAY=TH;UNTIL=20270331T145959Z", time(10), None),
        "毎週木曜日 10:00〜（2027年3月31日まで）",
        "Every Thursday, from 10:00 (until 31 Mar 2027)",
    ),
    (  # UNTIL in UTC is read as the Tokyo date it ends on
        Schedule("FREQ=WEEKLY;BYDAY=TH;UNTIL=20270331T150000Z", None, None),
        "毎週木曜日（2027年4月1日まで）",
        "Every Thursday (until 1 Apr 2027)",
    ),
    (Schedule("FREQ=WEEKLY;BYDAY=TH;UNTIL=20270331", None, None), "毎週木曜日（2027年3月31日まで）", "Every Thursday (until 31 Mar 2027)"),
    (Schedule("FREQ=DAILY;BYMONTH=1,2,3,4,5,6,7,8,9,10,11,12", None, None), "毎日", "Every day"),
]


@pytest.mark.parametrize(("s", "ja", "en"), CASES)
def test_describe(s: Schedule, ja: str, en: str) -> None:
    assert describe(s) == ja
    assert describe(s, "ja") == ja
    assert describe(s, "en") == en
    assert describe(s, "en_US") == en


@pytest.mark.parametrize(
    "rrule",
    [
        "FREQ=WEEKLY;BYDAY=TU;COUNT=4",
        "FREQ=YEARLY;BYMONTH=8;BYMONTHDAY=1",
        "FREQ=MONTHLY;INTERVAL=2;BYDAY=1MO",
        "FREQ=WEEKLY;BYDAY=TU;BYSETPOS=1",
    ],
)
def test_falls_back_to_text(rrule: str) -> None:
    s = Schedule(rrule, time(10), None, text="夏休み期間のみ")
    assert describe(s) == "夏休み期間のみ"
    assert describe(s, "en") == "夏休み期間のみ"


def test_no_rule_and_no_dates_gives_text() -> None:
    assert describe(Schedule(None, None, None, text="不定期")) == "不定期"
    assert describe(Schedule(None, None, None)) == ""


def test_one_off_dates() -> None:
    s = Schedule(None, time(10), time(12), rdates=(date(2026, 11, 27), date(2026, 12, 4)))
    assert describe(s) == "11月27日(金)、12月4日(金) 10:00〜12:00"
    assert describe(s, "en") == "Fri 27 Nov, Fri 4 Dec, 10:00–12:00"


def test_weekly_without_byday_uses_dtstart() -> None:
    assert describe(Schedule("FREQ=WEEKLY", None, None, dtstart=date(2026, 11, 27))) == "毎週金曜日"


def test_format_date() -> None:
    assert format_date_ja(date(2026, 11, 27)) == "11月27日(金)"
    assert format_date(date(2026, 11, 27), "en") == "Fri 27 Nov"
    assert format_date(date(2027, 1, 1)) == "1月1日(金)"


YEAR_END_CASES = [
    (
        Schedule("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", time(9), time(17), yearly_exclusions=("12-29/01-03",)),
        "月〜金曜日 9:00〜17:00（年末年始（12月29日〜1月3日）はお休み）",
        "Weekdays, 9:00–17:00 (closed over New Year, 29 December to 3 January)",
    ),
    (  # the city list's 「第3火曜日休館、祝日休館、年末年始休館」 on a weekday rule
        Schedule(
            "FREQ=MONTHLY;BYDAY=1MO,2MO,3MO,4MO,5MO,1TU,2TU,4TU,5TU,1WE,2WE,3WE,4WE,5WE,1TH,2TH,3TH,4TH,5TH,"
            "1FR,2FR,3FR,4FR,5FR",
            time(9), time(17), skip_holidays=True, yearly_exclusions=("12-29/01-03",),
        ),
        "月〜金曜日 9:00〜17:00（祝日・第3火曜日・年末年始（12月29日〜1月3日）はお休み）",
        "Weekdays, 9:00–17:00 (closed on public holidays, on the 3rd Tuesday and over New Year, 29 December to 3 January)",
    ),
    (
        Schedule("FREQ=MONTHLY;BYDAY=1TU,2TU,4TU,5TU", time(10), None),
        "毎週火曜日 10:00〜（第3火曜日はお休み）",
        "Every Tuesday, from 10:00 (closed on the 3rd Tuesday)",
    ),
    (  # an organiser's own 「第1〜第4水曜日」 stays what it says
        Schedule("FREQ=MONTHLY;BYDAY=1WE,2WE,3WE,4WE", None, None),
        "毎月第1・第2・第3・第4水曜日",
        "1st, 2nd, 3rd and 4th Wednesday of each month",
    ),
    (
        Schedule("FREQ=WEEKLY;BYDAY=SA", None, None, yearly_exclusions=("08-13/08-16",)),
        "毎週土曜日（毎年8月13日〜8月16日はお休み）",
        "Every Saturday (closed every year from 13 August to 16 August)",
    ),
]


@pytest.mark.parametrize(("schedule", "ja", "en"), YEAR_END_CASES)
def test_the_sentence_says_the_days_it_closes_on(schedule: Schedule, ja: str, en: str) -> None:
    assert describe(schedule, "ja") == ja
    assert describe(schedule, "en") == en
