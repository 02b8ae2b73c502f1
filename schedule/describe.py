"""Human sentences for a Schedule, in Japanese (source language) and English.

Only the shapes residents actually meet are described; anything else falls back to the
organiser's own wording (``Schedule.text``) rather than to a clumsy machine sentence.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from schedule.model import TZ, WEEKDAY_CODES, YEAR_END, Schedule, parse_rrule_parts, parse_yearly_range

__all__ = ["describe", "format_date", "format_date_ja", "format_time"]

JA_DAYS = ("月", "火", "水", "木", "金", "土", "日")
EN_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
EN_DAYS_SHORT = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
EN_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)
EN_MONTHS_SHORT = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class _Undescribable(Exception):
    pass


def format_time(t: time) -> str:
    """9:00, 13:30 (no leading zero on the hour, as Japanese notices write it)."""
    return f"{t.hour}:{t.minute:02d}"


def format_date_ja(d: date) -> str:
    """11月27日(金)"""
    return f"{d.month}月{d.day}日({JA_DAYS[d.weekday()]})"


def format_date(d: date, locale: str = "ja") -> str:
    """11月27日(金) / Fri 27 Nov"""
    if _is_en(locale):
        return f"{EN_DAYS_SHORT[d.weekday()]} {d.day} {EN_MONTHS_SHORT[d.month - 1]}"
    return format_date_ja(d)


def _is_en(locale: str) -> bool:
    return locale.lower().startswith("en")


def _ordinal_en(n: int) -> str:
    if n == -1:
        return "last"
    if 10 <= n % 100 <= 20:
        return f"{n}th"
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _join_en(items: list[str]) -> str:
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _parse_byday(value: str) -> list[tuple[int | None, int]]:
    out: list[tuple[int | None, int]] = []
    for item in value.split(","):
        code = item[-2:]
        n = item[:-2]
        out.append((int(n) if n else None, WEEKDAY_CODES.index(code)))
    return out


def _contiguous(days: list[int]) -> bool:
    return len(days) >= 3 and days == list(range(days[0], days[-1] + 1))


def _weekly(days: list[int], interval: int, en: bool) -> str:
    days = sorted(set(days))
    if interval == 1 and len(days) == 7:
        return "Every day" if en else "毎日"
    if interval == 1 and days == [0, 1, 2, 3, 4]:
        return "Weekdays" if en else "月〜金曜日"
    if interval == 1 and _contiguous(days):
        if en:
            return f"{EN_DAYS[days[0]]} to {EN_DAYS[days[-1]]}"
        return f"{JA_DAYS[days[0]]}〜{JA_DAYS[days[-1]]}曜日"
    if en:
        names = _join_en([EN_DAYS[d] for d in days])
        if interval == 1:
            return f"Every {names}"
        if interval == 2:
            return f"Every other {names}"
        return f"Every {interval} weeks on {names}"
    names = "・".join(JA_DAYS[d] for d in days) + "曜日"
    if interval == 1:
        return f"毎週{names}"
    if interval == 2:
        return f"隔週{names}"
    return f"{interval}週ごとの{names}"


def _monthly_byday(items: list[tuple[int | None, int]], en: bool) -> str:
    if any(n is None or not (1 <= n <= 5 or n == -1) for n, _ in items):
        raise _Undescribable
    # Group ordinals by weekday, keeping first-seen weekday order: 2TH,4TH → 木: [2, 4].
    groups: dict[int, list[int]] = {}
    for n, wd in items:
        groups.setdefault(wd, []).append(n or 0)
    if en:
        phrases = [f"{_join_en([_ordinal_en(n) for n in ns])} {EN_DAYS[wd]}" for wd, ns in groups.items()]
        return f"{_join_en(phrases)} of each month"
    phrases = [
        "・".join("最終" if n == -1 else f"第{n}" for n in ns) + f"{JA_DAYS[wd]}曜日" for wd, ns in groups.items()
    ]
    return "毎月" + "・".join(phrases)


def _month_runs(months: list[int]) -> list[list[int]]:
    """Months as runs of consecutive months, a run may wrap the year: [10, 11, 12, 1, 2, 3]."""
    runs: list[list[int]] = []
    for m in sorted(set(months)):
        if runs and runs[-1][-1] == m - 1:
            runs[-1].append(m)
        else:
            runs.append([m])
    if len(runs) > 1 and runs[0][0] == 1 and runs[-1][-1] == 12:
        runs[0] = runs.pop() + runs[0]
    return runs


def _months_ja(months: list[int]) -> str:
    """「4〜9月」「7・8月」「1・3・5月」"""
    runs = _month_runs(months)
    if len(runs) == 1 and len(runs[0]) >= 3:
        return f"{runs[0][0]}〜{runs[0][-1]}月"
    return "・".join(str(m) for run in runs for m in run) + "月"


def _months_en(months: list[int]) -> str:
    runs = _month_runs(months)
    if len(runs) == 1 and len(runs[0]) >= 3:
        return f"{EN_MONTHS[runs[0][0] - 1]} to {EN_MONTHS[runs[0][-1] - 1]}"
    return _join_en([EN_MONTHS[m - 1] for run in runs for m in run])


def _month_qualifier(value: str, en: bool) -> tuple[str, str]:
    """BYMONTH as (prefix, suffix) around the phrase: 「4〜9月の」… or …「（8月はお休み）」."""
    months = sorted({int(x) for x in value.split(",")})
    if not months or any(not 1 <= m <= 12 for m in months):
        raise _Undescribable
    if len(months) == 12:
        return "", ""
    off = [m for m in range(1, 13) if m not in months]
    if len(off) <= 3:  # 「8月は休み」 reads better than the nine months it leaves
        return ("", f" (not in {_months_en(off)})") if en else ("", f"（{_months_ja(off)}はお休み）")
    return ("", f" ({_months_en(months)} only)") if en else (f"{_months_ja(months)}の", "")


def _until_qualifier(value: str, en: bool) -> str:
    try:
        last = date(int(value[:4]), int(value[4:6]), int(value[6:8]))
        if value.endswith("Z"):  # a UTC instant: the Tokyo date it falls on
            hour, minute, second = int(value[9:11]), int(value[11:13]), int(value[13:15])
            instant = datetime(last.year, last.month, last.day, hour, minute, second, tzinfo=UTC)
            last = instant.astimezone(TZ).date()
    except ValueError:
        raise _Undescribable from None
    if en:
        return f" (until {last.day} {EN_MONTHS_SHORT[last.month - 1]} {last.year})"
    return f"（{last.year}年{last.month}月{last.day}日まで）"


def _rule_phrase(s: Schedule, en: bool) -> tuple[str, str, list[str]]:
    """The rule as (phrase, qualifiers to put after the times, days it closes on)."""
    assert s.rrule is not None
    parts = parse_rrule_parts(s.rrule)
    prefix, suffix = _month_qualifier(parts.pop("BYMONTH"), en) if "BYMONTH" in parts else ("", "")
    if "UNTIL" in parts:
        suffix += _until_qualifier(parts.pop("UNTIL"), en)
    core, closed = _rule_core(parts, s, en)
    return prefix + core, suffix, closed


def _rule_core(parts: dict[str, str], s: Schedule, en: bool) -> tuple[str, list[str]]:
    interval = int(parts.pop("INTERVAL", "1"))
    parts.pop("WKST", None)
    freq = parts.pop("FREQ")
    if parts.keys() - {"BYDAY", "BYMONTHDAY"}:
        # COUNT/BYSETPOS/BYYEARDAY...: rare, and a half-right sentence would mislead.
        raise _Undescribable
    byday = _parse_byday(parts["BYDAY"]) if "BYDAY" in parts else None
    if freq == "DAILY" and not parts and interval == 1:
        return ("Every day" if en else "毎日"), []
    if freq == "WEEKLY" and "BYMONTHDAY" not in parts:
        if byday is None:
            if s.dtstart is None:
                raise _Undescribable
            byday = [(None, s.dtstart.weekday())]
        if any(n is not None for n, _ in byday):
            raise _Undescribable
        return _weekly([wd for _, wd in byday], interval, en), []
    if freq == "MONTHLY" and interval == 1:
        if byday is not None and "BYMONTHDAY" not in parts:
            gaps = _weekly_gaps(byday)
            if gaps is not None:
                return _weekly(list(gaps), 1, en), [_ordinal_closure(ns, wd, en) for wd, ns in gaps.items() if ns]
            return _monthly_byday(byday, en), []
        if "BYMONTHDAY" in parts and byday is None:
            days = [int(x) for x in parts["BYMONTHDAY"].split(",")]
            if any(not 1 <= d <= 31 for d in days):
                raise _Undescribable
            if en:
                return f"{_join_en([_ordinal_en(d) for d in days])} of each month", []
            return "毎月" + "・".join(f"{d}日" for d in days), []
    raise _Undescribable


def _weekly_gaps(items: list[tuple[int | None, int]]) -> dict[int, list[int]] | None:
    """A monthly rule that is a weekly one with a few weeks closed (「第3火曜日休館」 leaves
    1TU,2TU,4TU,5TU): weekday → the ordinals closed, or None when the rule is not of that shape.
    A rule missing only the 5th week (「第1〜第4水曜日」) is an organiser's own monthly rule."""
    groups: dict[int, set[int]] = {}
    for n, wd in items:
        if n is None or not 1 <= n <= 5:
            return None
        groups.setdefault(wd, set()).add(n)
    gaps = {wd: sorted(set(range(1, 6)) - ns) for wd, ns in sorted(groups.items())}
    if any(len(g) > 2 or 5 in g for g in gaps.values()) or not any(gaps.values()):
        return None
    return gaps


def _ordinal_closure(ns: list[int], wd: int, en: bool) -> str:
    if en:
        return f"on the {_join_en([_ordinal_en(n) for n in ns])} {EN_DAYS[wd]}"
    return "・".join(f"第{n}" for n in ns) + f"{JA_DAYS[wd]}曜日"


def _md_ja(month: int, day: int) -> str:
    return f"{month}月{day}日"


def _md_en(month: int, day: int) -> str:
    return f"{day} {EN_MONTHS[month - 1]}"


def _yearly_closure(value: str, en: bool) -> str:
    """年末年始（12月29日〜1月3日） / over New Year, 29 December to 3 January."""
    (m1, d1), (m2, d2) = parse_yearly_range(value)
    if en:
        span = f"{_md_en(m1, d1)} to {_md_en(m2, d2)}"
        return f"over New Year, {span}" if value == YEAR_END else f"every year from {span}"
    span = f"{_md_ja(m1, d1)}〜{_md_ja(m2, d2)}"
    return f"年末年始（{span}）" if value == YEAR_END else f"毎年{span}"


def _closures(items: list[str], en: bool) -> str:
    """「（祝日・第3火曜日・年末年始（12月29日〜1月3日）はお休み）」 / " (closed on public holidays …)"."""
    if not items:
        return ""
    if en:
        return f" (closed {_join_en(items)})"
    return "（" + "・".join(items) + "はお休み）"


def _time_phrase(s: Schedule, en: bool) -> str:
    if s.start is None:
        return ""
    if s.end is None:
        return f"from {format_time(s.start)}" if en else f"{format_time(s.start)}〜"
    sep = "–" if en else "〜"
    return f"{format_time(s.start)}{sep}{format_time(s.end)}"


def describe(s: Schedule, locale: str = "ja") -> str:
    """「毎週火曜日 10:00〜11:30」 / "Every Tuesday, 10:00–11:30".

    Months (BYMONTH) read 「4〜9月の毎週火曜日」 or 「…（8月はお休み）」, an end date 「（2027年3月31日まで）」.
    The days it closes on follow the times: 「（祝日・第3火曜日・年末年始（12月29日〜1月3日）はお休み）」
    / " (closed on public holidays, on the 3rd Tuesday and over New Year, 29 December to 3 January)".
    Falls back to ``s.text`` (possibly "") when the rule has a shape we do not phrase
    (COUNT, BYSETPOS, monthly INTERVAL...).  One-off schedules (rdates only)
    list their dates.  Exdates are not mentioned: they are shown as dates elsewhere.
    """
    en = _is_en(locale)
    qualifiers = ""
    closed: list[str] = []
    try:
        if s.rrule is not None:
            phrase, qualifiers, closed = _rule_phrase(s, en)
        elif s.rdates:
            phrase = (", " if en else "、").join(format_date(d, locale) for d in s.rdates)
        else:
            raise _Undescribable
    except _Undescribable:
        return s.text
    times = _time_phrase(s, en)
    if times:
        phrase = f"{phrase}, {times}" if en else f"{phrase} {times}"
    if s.rrule is not None:
        if s.skip_holidays:
            closed.insert(0, "on public holidays" if en else "祝日")
        closed.extend(_yearly_closure(v, en) for v in s.yearly_exclusions)
    return phrase + _closures(closed, en) + qualifiers
