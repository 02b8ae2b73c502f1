"""Human sentences for a Schedule, in Japanese (source language) and English.

Only the shapes residents actually meet are described; anything else falls back to the
organiser's own wording (``Schedule.text``) rather than to a clumsy machine sentence.
"""

from __future__ import annotations

from datetime import date, time

from schedule.model import WEEKDAY_CODES, Schedule, parse_rrule_parts

__all__ = ["describe", "format_date", "format_date_ja", "format_time"]

JA_DAYS = ("月", "火", "水", "木", "金", "土", "日")
EN_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
EN_DAYS_SHORT = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
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


def _rule_phrase(s: Schedule, en: bool) -> str:
    assert s.rrule is not None
    parts = parse_rrule_parts(s.rrule)
    interval = int(parts.pop("INTERVAL", "1"))
    parts.pop("WKST", None)
    freq = parts.pop("FREQ")
    if parts.keys() - {"BYDAY", "BYMONTHDAY"}:
        # COUNT/UNTIL/BYMONTH/BYSETPOS...: rare, and a half-right sentence would mislead.
        raise _Undescribable
    byday = _parse_byday(parts["BYDAY"]) if "BYDAY" in parts else None
    if freq == "DAILY" and not parts and interval == 1:
        return "Every day" if en else "毎日"
    if freq == "WEEKLY" and "BYMONTHDAY" not in parts:
        if byday is None:
            if s.dtstart is None:
                raise _Undescribable
            byday = [(None, s.dtstart.weekday())]
        if any(n is not None for n, _ in byday):
            raise _Undescribable
        return _weekly([wd for _, wd in byday], interval, en)
    if freq == "MONTHLY" and interval == 1:
        if byday is not None and "BYMONTHDAY" not in parts:
            return _monthly_byday(byday, en)
        if "BYMONTHDAY" in parts and byday is None:
            days = [int(x) for x in parts["BYMONTHDAY"].split(",")]
            if any(not 1 <= d <= 31 for d in days):
                raise _Undescribable
            if en:
                return f"{_join_en([_ordinal_en(d) for d in days])} of each month"
            return "毎月" + "・".join(f"{d}日" for d in days)
    raise _Undescribable


def _time_phrase(s: Schedule, en: bool) -> str:
    if s.start is None:
        return ""
    if s.end is None:
        return f"from {format_time(s.start)}" if en else f"{format_time(s.start)}〜"
    sep = "–" if en else "〜"
    return f"{format_time(s.start)}{sep}{format_time(s.end)}"


def describe(s: Schedule, locale: str = "ja") -> str:
    """「毎週火曜日 10:00〜11:30」 / "Every Tuesday, 10:00–11:30".

    Falls back to ``s.text`` (possibly "") when the rule has a shape we do not phrase
    (COUNT, UNTIL, BYMONTH, BYSETPOS, monthly INTERVAL...).  One-off schedules (rdates only)
    list their dates.  Exdates are not mentioned: they are shown as dates elsewhere.
    """
    en = _is_en(locale)
    try:
        if s.rrule is not None:
            phrase = _rule_phrase(s, en)
        elif s.rdates:
            phrase = (", " if en else "、").join(format_date(d, locale) for d in s.rdates)
        else:
            raise _Undescribable
    except _Undescribable:
        return s.text
    times = _time_phrase(s, en)
    if times:
        phrase = f"{phrase}, {times}" if en else f"{phrase} {times}"
    if s.skip_holidays and s.rrule is not None:
        phrase += " (closed on public holidays)" if en else "（祝日はお休み）"
    return phrase
