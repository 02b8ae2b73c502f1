from __future__ import annotations

from datetime import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jatext import clean
from schedule import Schedule, describe, parse_schedule_text, parse_time, parse_time_range, parse_weekdays
from schedule.parse_ja import _parse


@pytest.mark.parametrize(
    ("text", "rrule", "skip"),
    [
        ("毎週火曜日", "FREQ=WEEKLY;BYDAY=TU", False),
        ("毎週 火・金", "FREQ=WEEKLY;BYDAY=TU,FR", False),
        ("毎週火曜", "FREQ=WEEKLY;BYDAY=TU", False),
        ("毎月第2・第4木曜日", "FREQ=MONTHLY;BYDAY=2TH,4TH", False),
        ("第1土曜日", "FREQ=MONTHLY;BYDAY=1SA", False),
        ("第２，第４水曜日", "FREQ=MONTHLY;BYDAY=2WE,4WE", False),
        ("第二・第四木曜日", "FREQ=MONTHLY;BYDAY=2TH,4TH", False),
        ("毎月第1・3月曜日", "FREQ=MONTHLY;BYDAY=1MO,3MO", False),
        ("毎月最終金曜日", "FREQ=MONTHLY;BYDAY=-1FR", False),
        ("平日", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", False),
        ("月・水・金", "FREQ=WEEKLY;BYDAY=MO,WE,FR", False),
        ("月～金", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", False),
        ("月曜日～金曜日", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", False),
        ("毎週月曜日（祝日を除く）", "FREQ=WEEKLY;BYDAY=MO", True),
        ("毎週月曜日 祝日休み", "FREQ=WEEKLY;BYDAY=MO", True),
        ("月〜金（土日祝休み）", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", True),
        ("毎月15日", "FREQ=MONTHLY;BYMONTHDAY=15", False),
        ("毎日", "FREQ=DAILY", False),
    ],
)
def test_parse_confident(text: str, rrule: str, skip: bool) -> None:
    r = parse_schedule_text(text)
    assert r.schedule is not None
    assert r.schedule.rrule == rrule
    assert r.schedule.skip_holidays is skip
    assert r.needs_review is False, r.reason
    assert r.reason is None
    assert r.schedule.text == clean(text)  # keeps the human wording for display


def test_biweekly_parses_but_asks_for_the_start_week() -> None:
    r = parse_schedule_text("隔週水曜日")
    assert r.schedule is not None and r.schedule.rrule == "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE"
    assert r.needs_review and r.reason and "隔週" in r.reason


def test_weekend_and_holidays_is_partial() -> None:
    r = parse_schedule_text("土日祝")
    assert r.schedule is not None and r.schedule.rrule == "FREQ=WEEKLY;BYDAY=SA,SU"
    assert r.needs_review and r.reason and "祝日" in r.reason


@pytest.mark.parametrize("text", ["不定期", "要問合せ", "要問い合わせ", "月1回程度", "随時", "", "   ", "日本一のサロン", "11月27日(金)"])
def test_unknown_needs_review(text: str) -> None:
    r = parse_schedule_text(text)
    assert r.needs_review is True
    assert r.reason
    assert r.schedule is None or r.schedule.rrule is None


def test_times_in_text() -> None:
    r = parse_schedule_text("毎週火曜日 10時～11時半")
    assert r.schedule == Schedule("FREQ=WEEKLY;BYDAY=TU", time(10), time(11, 30), text="毎週火曜日 10時〜11時半")
    r = parse_schedule_text("第二・第四木曜日 午後1時半から3時")
    assert r.schedule is not None
    assert (r.schedule.start, r.schedule.end) == (time(13, 30), time(15))
    r = parse_schedule_text("毎月第三土曜日 午前10時〜正午")
    assert r.schedule is not None and r.schedule.rrule == "FREQ=MONTHLY;BYDAY=3SA"
    assert (r.schedule.start, r.schedule.end) == (time(10), time(12))


def test_cells_override_text_times() -> None:
    r = parse_schedule_text("毎週火曜日 10時〜11時", start="13:00", end="15:00")
    assert r.schedule is not None and (r.schedule.start, r.schedule.end) == (time(13), time(15))
    r = parse_schedule_text("毎週火曜日", start="１０：００", end="")
    assert r.schedule is not None and (r.schedule.start, r.schedule.end) == (time(10), None)


def test_times_without_days() -> None:
    r = parse_schedule_text("10:00〜12:00")
    assert r.needs_review
    assert r.schedule is not None and r.schedule.rrule is None and r.schedule.start == time(10)


def test_duration_is_not_a_time() -> None:
    assert parse_time("2時間程度") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10時～11時半", (time(10), time(11, 30))),
        ("午前10時〜正午", (time(10), time(12))),
        ("13:30-15:00", (time(13, 30), time(15))),
        ("10：00～11：30", (time(10), time(11, 30))),
        ("午後1時半から3時", (time(13, 30), time(15))),
        ("13時〜3時", (time(13), time(15))),
        ("10時から", (time(10), None)),
        ("〜12時", (None, time(12))),
        ("十時〜十一時", (time(10), time(11))),
        ("PM2:00-4:00", (time(14), time(16))),
        ("なし", (None, None)),
        ("", (None, None)),
    ],
)
def test_parse_time_range(text: str, expected: tuple[time | None, time | None]) -> None:
    assert parse_time_range(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10:00", time(10)),
        ("１０：３０", time(10, 30)),
        ("午後1時30分", time(13, 30)),
        ("午前0時", time(0)),
        ("正午", time(12)),
        ("25時", None),
        (None, None),
    ],
)
def test_parse_time(text: str | None, expected: time | None) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("月,火,水", [0, 1, 2]),
        ("月、火、水", [0, 1, 2]),
        ("月曜日～金曜日", [0, 1, 2, 3, 4]),
        ("土・日・祝", [5, 6]),
        ("平日", [0, 1, 2, 3, 4]),
        ("毎日", [0, 1, 2, 3, 4, 5, 6]),
        ("土日", [5, 6]),
        ("金〜月", [0, 4, 5, 6]),
        ("水曜日", [2]),
        ("", []),
        ("日本", []),
    ],
)
def test_parse_weekdays(text: str, expected: list[int]) -> None:
    assert parse_weekdays(text) == expected


ROUND_TRIP = [
    Schedule("FREQ=WEEKLY;BYDAY=TU", time(10), time(11, 30)),
    Schedule("FREQ=MONTHLY;BYDAY=2TH,4TH", time(13, 30), time(15, 30), skip_holidays=True),
    Schedule("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", time(9), time(17)),
    Schedule("FREQ=WEEKLY;INTERVAL=2;BYDAY=WE", None, None),
    Schedule("FREQ=MONTHLY;BYDAY=1SA", None, None),
    Schedule("FREQ=MONTHLY;BYDAY=1MO,3WE,-1FR", None, None),
    Schedule("FREQ=WEEKLY;BYDAY=MO,WE,FR", time(10), None),
    Schedule("FREQ=WEEKLY;BYDAY=SA,SU", None, None, skip_holidays=True),
    Schedule("FREQ=WEEKLY;BYDAY=MO,TU,WE", None, None),
    Schedule("FREQ=DAILY", None, None),
    Schedule("FREQ=MONTHLY;BYMONTHDAY=1,15", time(10), time(12)),
]


@pytest.mark.parametrize("s", ROUND_TRIP, ids=lambda s: s.rrule)
def test_describe_then_parse_round_trips(s: Schedule) -> None:
    r = parse_schedule_text(describe(s))
    assert r.schedule is not None
    got = r.schedule
    assert (got.rrule, got.start, got.end, got.skip_holidays) == (s.rrule, s.start, s.end, s.skip_holidays)


_DAYS = st.lists(st.integers(0, 6), min_size=1, max_size=7, unique=True)
_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_TIMES = st.tuples(st.integers(6, 20), st.sampled_from([0, 15, 30, 45]), st.integers(1, 3)).map(
    lambda t: (time(t[0], t[1]), time(t[0] + t[2], t[1]))
)


@st.composite
def _schedules(draw: st.DrawFn) -> Schedule:
    kind = draw(st.sampled_from(["weekly", "biweekly", "monthly"]))
    if kind == "monthly":
        ords = draw(st.lists(st.sampled_from([1, 2, 3, 4, -1]), min_size=1, max_size=3, unique=True))
        wd = draw(st.integers(0, 6))
        rule = "FREQ=MONTHLY;BYDAY=" + ",".join(f"{n}{_CODES[wd]}" for n in sorted(ords, key=lambda n: 100 + n if n < 0 else n))
    else:
        days = sorted(draw(_DAYS) if kind == "weekly" else [draw(st.integers(0, 6))])
        interval = ";INTERVAL=2" if kind == "biweekly" else ""
        rule = f"FREQ=WEEKLY{interval};BYDAY=" + ",".join(_CODES[d] for d in days)
        if kind == "weekly" and len(days) == 7:
            rule = "FREQ=DAILY"
    start, end = draw(st.one_of(st.just((None, None)), _TIMES))
    return Schedule(rule, start, end, skip_holidays=draw(st.booleans()))


@settings(max_examples=200, deadline=None)
@given(_schedules())
def test_describe_parse_round_trip_property(s: Schedule) -> None:
    r = parse_schedule_text(describe(s))
    assert r.schedule is not None
    got = r.schedule
    assert (got.rrule, got.start, got.end, got.skip_holidays) == (s.rrule, s.start, s.end, s.skip_holidays)


_JA_SCHEDULE_CHARS = st.sampled_from(
    list("毎週月火水木金土日曜第最終隔平祝除く休み時分半午前後正午〜～-:：0123456789１２３４・、,（）() 回程度要問合せ不定期から年")
)


@settings(max_examples=300, deadline=None)
@given(st.text(_JA_SCHEDULE_CHARS, max_size=40))
def test_parser_never_raises_on_schedule_like_text(text: str) -> None:
    r = _parse(text, None, None)  # the internal parser: no safety net, so bugs surface here
    assert isinstance(r.needs_review, bool)
    if r.needs_review:
        assert r.reason


@settings(max_examples=200, deadline=None)
@given(st.text(), st.one_of(st.none(), st.text()), st.one_of(st.none(), st.text()))
def test_parser_never_raises_on_arbitrary_text(text: str, start: str | None, end: str | None) -> None:
    _parse(text, start, end)
    parse_schedule_text(text, start, end)
    parse_weekdays(text)
    parse_time_range(text)


# ── exclusions: expressed in the rule, or flagged for review; never dropped ─────────────────

_ALL_BUT_AUGUST = "1,2,3,4,5,6,7,9,10,11,12"


@pytest.mark.parametrize(
    ("text", "rrule", "skip"),
    [
        # 祝日 after a space closes holidays only; the weekdays before it are the opening days
        ("月・水・金 祝日を除く", "FREQ=WEEKLY;BYDAY=MO,WE,FR", True),
        ("月・水・金\u3000祝日を除く", "FREQ=WEEKLY;BYDAY=MO,WE,FR", True),
        ("月 ・ 水 ・ 金 祝日を除く", "FREQ=WEEKLY;BYDAY=MO,WE,FR", True),
        ("月水金 祝日除く", "FREQ=WEEKLY;BYDAY=MO,WE,FR", True),
        ("毎週 月・水・金 祝日を除く", "FREQ=WEEKLY;BYDAY=MO,WE,FR", True),
        ("月・水・金曜日 (祝日を除く)", "FREQ=WEEKLY;BYDAY=MO,WE,FR", True),
        ("月・水・金 祝日の場合は休み", "FREQ=WEEKLY;BYDAY=MO,WE,FR", True),
        # a month off is BYMONTH
        ("毎週水曜日（8月は休み）", f"FREQ=WEEKLY;BYDAY=WE;BYMONTH={_ALL_BUT_AUGUST}", False),
        ("毎週火曜日 ただし8月はお休み", f"FREQ=WEEKLY;BYDAY=TU;BYMONTH={_ALL_BUT_AUGUST}", False),
        ("毎週金曜日(8月を除く)", f"FREQ=WEEKLY;BYDAY=FR;BYMONTH={_ALL_BUT_AUGUST}", False),
        ("毎月第2木曜日（8月・12月は休み）", "FREQ=MONTHLY;BYDAY=2TH;BYMONTH=1,2,3,4,5,6,7,9,10,11", False),
        ("毎週火曜日（7〜8月は休み）", "FREQ=WEEKLY;BYDAY=TU;BYMONTH=1,2,3,4,5,6,9,10,11,12", False),
        ("毎週火曜日（12月〜2月は休み）", "FREQ=WEEKLY;BYDAY=TU;BYMONTH=3,4,5,6,7,8,9,10,11", False),
        ("毎月15日（8月は休み）", f"FREQ=MONTHLY;BYMONTHDAY=15;BYMONTH={_ALL_BUT_AUGUST}", False),
        ("毎週月曜日（祝日・8月は休み）", f"FREQ=WEEKLY;BYDAY=MO;BYMONTH={_ALL_BUT_AUGUST}", True),
        # the nth week off is the other ordinals
        ("毎週水曜日 第5週は休み", "FREQ=MONTHLY;BYDAY=1WE,2WE,3WE,4WE", False),
        ("毎週木曜日（第5木曜日を除く）", "FREQ=MONTHLY;BYDAY=1TH,2TH,3TH,4TH", False),
        ("毎月第1・第3・第5水曜日（第5週は休み）", "FREQ=MONTHLY;BYDAY=1WE,3WE", False),
    ],
)
def test_exclusions_the_rule_can_express(text: str, rrule: str, skip: bool) -> None:
    r = _parse(text, None, None)
    assert r.schedule is not None
    assert (r.schedule.rrule, r.schedule.skip_holidays) == (rrule, skip)
    assert r.needs_review is False, r.reason
    assert r.schedule.text == clean(text)


def test_a_month_off_really_has_no_dates() -> None:
    from datetime import date

    from schedule.occurrences import occurrence_dates

    r = parse_schedule_text("毎週水曜日 10時〜11時（8月は休み）")
    assert r.schedule is not None
    days = occurrence_dates(r.schedule, date(2026, 7, 1), date(2026, 9, 30))
    assert {d.month for d in days} == {7, 9} and all(d.weekday() == 2 for d in days)


@pytest.mark.parametrize(
    ("text", "rrule", "skip", "words"),
    [
        ("毎週火曜日（お盆を除く）", "FREQ=WEEKLY;BYDAY=TU", False, "お盆"),
        ("毎週土曜 年末年始・お盆休み", "FREQ=WEEKLY;BYDAY=SA", False, "お盆"),
        ("毎週金曜日 夏休み期間は休み", "FREQ=WEEKLY;BYDAY=FR", False, "夏休み"),
        ("毎週金曜日 学校の長期休みは休み", "FREQ=WEEKLY;BYDAY=FR", False, "長期休み"),
        ("隔週水曜日（第5週は休み）", "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE", False, "第5週"),
        ("毎週火曜日 13月は休み", "FREQ=WEEKLY;BYDAY=TU", False, "13月"),
        ("毎週火曜日 当番の都合で休館あり", "FREQ=WEEKLY;BYDAY=TU", False, "休館"),
        ("毎週木曜日 12月29日〜1月3日は休み", "FREQ=WEEKLY;BYDAY=TH", False, "12月29日"),
        ("毎週火曜日 祝日は時間変更あり", "FREQ=WEEKLY;BYDAY=TU", False, "祝日"),
    ],
)
def test_exclusions_the_rule_cannot_express_need_review(text: str, rrule: str, skip: bool, words: str) -> None:
    r = _parse(text, None, None)
    assert r.needs_review is True
    assert r.reason is not None and words in r.reason
    assert r.schedule is not None  # what was understood is kept
    assert (r.schedule.rrule, r.schedule.skip_holidays) == (rrule, skip)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["毎週火曜日", "月・水・金", "毎月第2木曜日", "平日", "毎月15日"]),
    st.sampled_from(["お盆", "夏休み", "GW", "年末"]),
    st.sampled_from(["を除く", "は休み", "はお休み", "休み", "除く"]),
    st.sampled_from(["（{}）", " {}", "、{}", "※{}"]),
)
def test_an_inexpressible_exclusion_is_never_dropped(days: str, what: str, verb: str, frame: str) -> None:
    r = _parse(days + frame.format(what + verb), None, None)
    assert r.needs_review is True and r.reason is not None and what in r.reason


@pytest.mark.parametrize(
    ("text", "rrule", "skip"),
    [
        ("毎週火曜日 10時〜12時（年末年始を除く）", "FREQ=WEEKLY;BYDAY=TU", False),
        ("毎週月曜日 年末年始休み", "FREQ=WEEKLY;BYDAY=MO", False),
        ("平日（年末年始除く）", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", False),
        ("月・水・金 祝日・年末年始を除く", "FREQ=WEEKLY;BYDAY=MO,WE,FR", True),
    ],
)
def test_year_end_closure_is_a_yearly_exclusion_not_review(text: str, rrule: str, skip: bool) -> None:
    # 年末年始 closed is the one yearly closure nearly every list states: carried by the rule
    # (12/29–1/3 every year), so staff review only the rows that need it.
    r = _parse(text, None, None)
    assert not r.needs_review and r.schedule is not None
    assert (r.schedule.rrule, r.schedule.skip_holidays) == (rrule, skip)
    assert r.schedule.yearly_exclusions == ("12-29/01-03",) and r.schedule.exdates == ()


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(["毎週火曜日", "月・水・金", "毎月第2木曜日", "平日"]),
    st.sampled_from(["を除く", "は休み", "はお休み", "休み", "除く"]),
    st.sampled_from(["（{}）", " {}", "、{}", "※{}"]),
)
def test_year_end_closure_never_leaves_review_words_behind(days: str, verb: str, frame: str) -> None:
    r = _parse(days + frame.format("年末年始" + verb), None, None)
    assert r.schedule is not None and r.schedule.yearly_exclusions
    assert not r.needs_review, r.reason
