"""Parse schedules as Japanese cities and organisers write them.

「毎週火曜日」「毎月第2・第4木曜日」「月～金（祝日を除く）」「隔週水曜日」「毎月15日」 and times like
「10時～11時半」「午前10時〜正午」「午後1時半から3時」.  The parser never raises: anything it
cannot read with confidence comes back with ``needs_review=True`` and a reason (in Japanese,
for the moderator), keeping whatever it did understand.

Exclusions are expressed when a rule can say them (「祝日を除く」 → skip_holidays, 「8月は休み」 →
BYMONTH, 「第5週は休み」 → the other ordinals) and otherwise flagged for review with the words
(年末年始, お盆, 夏休み, any other 〜休み/〜を除く): an exclusion is never dropped silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time

from jatext.normalize import clean, kanji_numerals_to_digits
from schedule.model import (
    WEEKDAY_CODES,
    YEAR_END,
    Schedule,
    canonical_rrule,
    parse_rrule_parts,
    validate_rrule,
)

__all__ = ["ParsedSchedule", "parse_schedule_text", "parse_time", "parse_time_range", "parse_weekdays"]

_WD = "月火水木金土日"
_WD_INDEX = {c: i for i, c in enumerate(_WD)}


@dataclass(frozen=True, slots=True)
class ParsedSchedule:
    schedule: Schedule | None
    needs_review: bool
    reason: str | None


def _prep(text: str | None) -> str:
    # The one normaliser first (NFKC, wave dashes → 〜, dashes between digits → -), then kanji
    # numerals (第二 → 第2, 十時 → 10時) so the patterns below only deal with arabic digits.
    return kanji_numerals_to_digits(clean(text)).replace("~", "〜")


# --------------------------------------------------------------------------------------------
# times

_MERIDIEM = r"(?P<mer>午前|午後|AM|PM|am|pm|a\.m\.|p\.m\.)?\s*"
_TIME_BODY = (
    r"(?:(?P<h1>\d{1,2}):(?P<m1>\d{2})"
    # 時(?!間): 「2時間程度」 is a duration, not a time of day.
    r"|(?P<h2>\d{1,2})時(?!間)(?:(?P<m2>\d{1,2})分|(?P<half>半))?"
    r"|(?P<noon>正午))"
)
_TIME_RE = re.compile(_MERIDIEM + _TIME_BODY)
_RANGE_SEP_RE = re.compile(r"^\s*(?:〜|-|–|から|より|ー)\s*$")


def _time_from_match(m: re.Match[str], inherit_pm: bool = False) -> tuple[time | None, bool]:
    """(time, explicit_pm) for one _TIME_RE match."""
    if m.group("noon"):
        return time(12, 0), True
    hour = int(m.group("h1") or m.group("h2"))
    minute = int(m.group("m1") or m.group("m2") or 0)
    if m.group("half"):
        minute = 30
    mer = (m.group("mer") or "").lower().replace(".", "")
    pm = mer in ("午後", "pm")
    if pm and hour < 12:
        hour += 12
    elif mer in ("午前", "am") and hour == 12:
        hour = 0
    elif not mer and inherit_pm and hour < 12:
        # 「午後1時半から3時」: the end inherits 午後 from the start.
        hour += 12
    if hour == 24 and minute == 0:
        hour, minute = 23, 59
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None, pm
    return time(hour, minute), pm


def parse_time(text: str | None) -> time | None:
    """The first time in ``text``: 10:00, 10時, 10時半, 午後1時30分, 正午, 13：30 → time."""
    s = _prep(text)
    m = _TIME_RE.search(s)
    if not m:
        return None
    return _time_from_match(m)[0]


def _find_time_range(s: str) -> tuple[time | None, time | None, list[tuple[int, int]]]:
    matches = list(_TIME_RE.finditer(s))
    if not matches:
        return None, None, []
    first = matches[0]
    start, pm = _time_from_match(first)
    spans = [first.span()]
    if len(matches) > 1 and _RANGE_SEP_RE.match(s[first.end() : matches[1].start()]):
        second = matches[1]
        end, _ = _time_from_match(second, inherit_pm=pm)
        if start is not None and end is not None and end <= start and second.group("mer") is None and end.hour < 12:
            # 「13時〜3時」 is 13:00〜15:00 in practice; same hour arithmetic as 午後.
            end = end.replace(hour=end.hour + 12)
        spans.append(second.span())
        # Swallow the separator too, so the leftover text has no stray 〜.
        spans = [(first.start(), second.end())]
        return start, end, spans
    # 「10時から」「〜12時」: an open range.
    after = s[first.end() : first.end() + 3]
    before = s[max(0, first.start() - 2) : first.start()]
    if re.match(r"\s*(?:〜|-|から|より)", after):
        return start, None, spans
    if re.search(r"(?:〜|まで)\s*$", before) or s[first.end() : first.end() + 2] == "まで":
        return None, start, spans
    return start, None, spans


def parse_time_range(text: str | None) -> tuple[time | None, time | None]:
    """(start, end) from 「10時～11時半」「午前10時〜正午」「13:30-15:00」「午後1時半から3時」.

    A single time is taken as the start; 「〜12時」「12時まで」 as the end.
    """
    start, end, _ = _find_time_range(_prep(text))
    if start is not None and end is not None and end <= start:
        end = None
    return start, end


# --------------------------------------------------------------------------------------------
# weekdays

_WD_RANGE_RE = re.compile(rf"([{_WD}])(?:曜日|曜)?\s*(?:〜|-|–|から)\s*([{_WD}])(?:曜日|曜)?")
# A lone weekday letter only counts when it stands apart: 「月・水・金」「(火)」「土日」, never the
# 月 of 毎月/11月/月1回 or the 日 of 15日/日本.
_WD_LONE_RE = re.compile(rf"(?<![0-9{_WD}毎第])([{_WD}]+)(?:曜日|曜)?(?![0-9回])")
_BOUNDARY_OK = set("・,、/ ()（）「」[]〜-–と及び祝はのでにも") | {""}


def _expand_range(a: int, b: int) -> list[int]:
    # 金〜月 wraps over the weekend.
    return [(a + i) % 7 for i in range((b - a) % 7 + 1)]


def _weekdays_in(s: str) -> tuple[list[int], list[tuple[int, int]]]:
    days: list[int] = []
    spans: list[tuple[int, int]] = []
    taken = [False] * len(s)
    for m in _WD_RANGE_RE.finditer(s):
        days.extend(_expand_range(_WD_INDEX[m.group(1)], _WD_INDEX[m.group(2)]))
        spans.append(m.span())
        for i in range(*m.span()):
            taken[i] = True
    for m in _WD_LONE_RE.finditer(s):
        if any(taken[m.start() : m.end()]):
            continue
        run = m.group(1)
        before = s[m.start() - 1] if m.start() > 0 else ""
        after = s[m.end()] if m.end() < len(s) else ""
        has_yobi = "曜" in m.group(0)
        if len(run) > 1 and not (has_yobi or (before in _BOUNDARY_OK and after in _BOUNDARY_OK)):
            continue
        if not has_yobi and (before not in _BOUNDARY_OK or after not in _BOUNDARY_OK):
            continue
        days.extend(_WD_INDEX[c] for c in run)
        spans.append(m.span())
    return days, spans


def parse_weekdays(text: str | None) -> list[int]:
    """Weekdays (0=Monday, sorted, unique) from a 利用可能曜日 cell: 「月,火,水」「月曜日～金曜日」
    「土・日・祝」 (祝 is not a weekday and is ignored here)「平日」「毎日」「土日」."""
    s = _prep(text)
    days: set[int] = set()
    if "毎日" in s or "全日" in s or "年中無休" in s:
        days.update(range(7))
    if "平日" in s:
        days.update(range(5))
    if "週末" in s:
        days.update((5, 6))
    found, _ = _weekdays_in(s.replace("毎日", " ").replace("平日", " ").replace("週末", " "))
    days.update(found)
    return sorted(days)


# --------------------------------------------------------------------------------------------
# the whole text

_UNCERTAIN_RE = re.compile(r"不定期|要問い?合わ?せ|要相談|応相談|程度|随時|未定|変動")
_COUNT_ONLY_RE = re.compile(r"(?:月|年|週)\s*\d+\s*回")
# Closed days: 「祝日を除く」「祝日休み」「(土日祝休み)」「月曜休館」.  Matched before the open days so
# that the 土日 of 「土日祝休み」 is not read as opening days.
_CLOSED_DAY = rf"(?:[{_WD}](?:曜日|曜)?|祝祭日|祝休日|祝日|祭日|祝)"
_CLOSED_FIRST = rf"(?:(?<![週第0-9〜~\-曜{_WD}])[{_WD}](?:曜日|曜)?|祝祭日|祝休日|祝日|祭日|祝)"
_CLOSED_RE = re.compile(
    # No bare spaces inside the list and not right after 毎週/第n: in 「毎週月曜日 祝日休み」 only
    # 祝日 is closed, 月曜日 is the opening day.
    rf"(?P<days>{_CLOSED_FIRST}(?:(?:[・,、/]|及び|および)?{_CLOSED_DAY})*)\s*(?:の場合は|の日は|は|を|も)?\s*"
    r"(?:除く|除き|休み|お休み|休業|休館|休所|定休日?|休)"
)
_HOLIDAYS_INCLUDED_RE = re.compile(r"祝日?\s*(?:も|含む)|土日祝|[土日]・?祝")
_ORDINAL_GROUP_RE = re.compile(
    r"(?P<ords>(?:第\s*\d\s*(?:週)?|最終(?:週)?)(?:\s*(?:[・,、/]|と|及び|および)\s*(?:第\s*)?(?:\d|最終)\s*(?:週)?)*)"
    r"\s*(?:の\s*)?(?P<days>[" + _WD + r"](?:曜日|曜)?(?:\s*(?:[・,、/]|と)\s*[" + _WD + r"](?:曜日|曜)?)*)"
)
# Exclusions.  Verbs that say "not on these days"; 「休み」 also inside 夏休み, which is fine: every
# such phrase the parser cannot express must end in review, never be dropped.
_OFF = r"(?:除く|除き|除外|お休み|休み|休業|休館|休所|休止|休講|定休日?|中止|休|ありません|なし)"
_OFF_WORD_RE = re.compile(r"除く|除き|除外|休み|休業|休館|休所|休止|休講|定休")
_LINK = r"(?:\s*(?:[・,、/]|と|及び|および)\s*)"
# 「8月は休み」「7月・8月を除く」「7〜8月はお休み」「8月中は休み」: expressed as BYMONTH.
_MONTH_OFF_RE = re.compile(
    rf"(?:(?P<holidays>祝祭日|祝休日|祝日|祭日|祝){_LINK})?(?P<months>\d{{1,2}}\s*月?\s*(?:〜|-|から)\s*\d{{1,2}}\s*月|\d{{1,2}}\s*月(?:{_LINK}\d{{1,2}}\s*月)*)"
    rf"\s*(?:中|の間|いっぱい)?\s*(?:は|を|も)?\s*{_OFF}"
)
# 「第5週は休み」「第5木曜日を除く」「第1・第3週はお休み」: the nth occurrence left out (BYDAY=1TH,...).
_ORDINAL_OFF_RE = re.compile(
    rf"(?P<ords>第\s*\d(?:{_LINK}(?:第\s*)?\d)*)\s*(?:週目?|(?P<wd>[{_WD}])(?:曜日|曜)?)"
    rf"\s*(?:の\s*(?:週|日))?\s*(?:は|を|も)?\s*{_OFF}"
)
# What a recurrence rule cannot say: 年末年始, お盆, school holidays …  (review, with the words).
_SEASON_OFF_RE = re.compile(
    r"(?P<what>年末年始|年末|年始|お盆|盆|夏休み|冬休み|春休み|ゴールデンウィーク|GW|大型連休|学校の?長期休み|学校休業日)"
)
_SEASON_SPAN_RE = re.compile(rf"{_LINK}?{_SEASON_OFF_RE.pattern}{_LINK}?")
# Every exclusion above needs one of these: texts without them skip the scans.
_ANY_OFF_RE = re.compile(r"除|休|中止|ありません|なし|盆|年末|年始|GW|ゴールデンウィーク|連休")
_SPECIFIC_DATE_RE = re.compile(r"\d{1,2}\s*月\s*\d{1,2}\s*日\s*(?:[(（][月火水木金土日](?:曜日?)?[)）])?")
_MONTHDAY_RE = re.compile(r"毎月\s*(?P<days>\d{1,2}\s*日(?:\s*(?:[・,、/]|と|及び)\s*\d{1,2}\s*日)*)")


def _blank(s: str, spans: list[tuple[int, int]]) -> str:
    chars = list(s)
    for a, b in spans:
        for i in range(a, b):
            chars[i] = " "
    return "".join(chars)


def _byday(days: list[int]) -> str:
    return ",".join(WEEKDAY_CODES[d] for d in sorted(set(days)))


def _exclusions(s: str) -> tuple[set[int], list[tuple[int, int | None]], bool, str, list[str]]:
    """(months off, (nth, weekday or None) occurrences off, holidays off too (「祝日・8月は休み」),
    text with them blanked, review reasons)."""
    reasons: list[str] = []
    off_months: set[int] = set()
    holidays_off = False
    off_ordinals: list[tuple[int, int | None]] = []
    if not _ANY_OFF_RE.search(s):
        return off_months, off_ordinals, holidays_off, s, reasons  # most texts: no scan needed
    spans: list[tuple[int, int]] = []
    for m in _MONTH_OFF_RE.finditer(s):
        holidays_off = holidays_off or bool(m.group("holidays"))
        text = m.group("months")
        nums = [int(x) for x in re.findall(r"\d{1,2}", text)]
        if any(not 1 <= x <= 12 for x in nums):
            reasons.append(f"月が範囲外です（{m.group(0).strip()}）")
        elif re.search(r"〜|-|から", text):
            a, b = nums  # 「12〜2月」 wraps over the new year
            off_months.update((a - 1 + i) % 12 + 1 for i in range((b - a) % 12 + 1))
        else:
            off_months.update(nums)
        spans.append(m.span())
    s = _blank(s, spans)
    spans = []
    for m in _ORDINAL_OFF_RE.finditer(s):
        wd = _WD_INDEX[m.group("wd")] if m.group("wd") else None
        off_ordinals.extend((int(x), wd) for x in re.findall(r"\d", m.group("ords")))
        spans.append(m.span())
    s = _blank(s, spans)
    seasons = []
    spans = []
    # The link before/after goes too, so 「祝日・年末年始を除く」 still reads as 「祝日を除く」.
    for m in _SEASON_SPAN_RE.finditer(s):
        seasons.append(m.group("what"))
        spans.append(m.span())
    s = _blank(s, spans)
    if seasons:
        reasons.append(f"期間の休み（{'、'.join(dict.fromkeys(seasons))}）は繰り返し規則で表せません")
    return off_months, off_ordinals, holidays_off, s, reasons


def _apply_exclusions(
    rrule: str, off_ordinals: list[tuple[int, int | None]], off_months: set[int], reasons: list[str]
) -> str | None:
    """The rule with 「第5週は休み」 as ordinals and 「8月は休み」 as BYMONTH, or a review reason."""
    parts = parse_rrule_parts(rrule)
    if off_ordinals:
        items = parts.get("BYDAY", "").split(",") if parts.get("BYDAY") else []
        plain = [i for i in items if i in WEEKDAY_CODES]
        off = {(n, wd) for n, wd in off_ordinals}
        shown = "・".join(f"第{n}" + (f"{_WD[wd]}曜日" if wd is not None else "週") for n, wd in off_ordinals)
        if any(not 1 <= n <= 5 for n, _ in off) or "INTERVAL" in parts or "BYMONTHDAY" in parts:
            reasons.append(f"{shown}の休みを規則で表せません")
        elif parts["FREQ"] == "WEEKLY" and plain and len(plain) == len(items):
            byday: list[str] = []
            for code in plain:
                wd = WEEKDAY_CODES.index(code)
                byday.extend(f"{n}{code}" for n in range(1, 6) if (n, None) not in off and (n, wd) not in off)
            parts["FREQ"] = "MONTHLY"
            parts["BYDAY"] = ",".join(byday)
        elif parts["FREQ"] == "MONTHLY" and items and not plain:
            kept = [
                i for i in items
                if not {(i[:-2], WEEKDAY_CODES.index(i[-2:])), (i[:-2], None)} & {(str(n), wd) for n, wd in off}
            ]
            if kept == items:
                reasons.append(f"{shown}は規則に含まれていません")
            parts["BYDAY"] = ",".join(kept)
        else:
            reasons.append(f"{shown}の休みを規則で表せません")
        if not parts.get("BYDAY"):
            reasons.append(f"{shown}を除くと開催日が残りません")
            return None
    if off_months:
        months = [m for m in range(1, 13) if m not in off_months]
        if not months:
            reasons.append("すべての月が休みです")
            return None
        if "BYMONTH" in parts:
            reasons.append("休みの月を規則で表せません")
        else:
            parts["BYMONTH"] = ",".join(map(str, months))
    return canonical_rrule(";".join(f"{k}={v}" for k, v in parts.items()))


_CLOSED_AFTER = r"(?=\s*(?:は|を)?\s*(?:除|お休|休))"
# 「祝日・年末年始を除く」 → 「祝日を除く」; 「(年末年始を除く)」 → nothing; 「年末年始・お盆休み」 → 「お盆休み」.
_YEAR_END_LINKED_RE = re.compile(rf"(?P<item>祝祭日|祝日|祭日|休日|祝)\s*[・、,]\s*年末年始(?:\s*\([^)]*\))?{_CLOSED_AFTER}")
_YEAR_END_ALONE_RE = re.compile(
    r"\(?\s*年末年始\s*(?:\([^)]*\))?\s*(?:は|を)?\s*(?:除く|除き|お休み|休み|休館日?|休業日?|休)\s*\)?"
)
_YEAR_END_FIRST_RE = re.compile(r"年末年始(?:\s*\([^)]*\))?\s*[・、,]\s*(?=[^。]*?(?:除|休))")


def _year_end_off(s: str) -> tuple[str, bool]:
    if "年末年始" not in s:
        return s, False
    out = s
    out = _YEAR_END_LINKED_RE.sub(r"\g<item>", out)
    for pattern in (_YEAR_END_ALONE_RE, _YEAR_END_FIRST_RE):
        out = pattern.sub(" ", out)
    return out, out != s


def parse_schedule_text(text: str | None, start: str | None = None, end: str | None = None) -> ParsedSchedule:
    """Parse a Japanese schedule sentence (plus optional 開始時間/終了時間 cells).

    ``start``/``end`` cells win over times found in the text.  Never raises.
    """
    try:
        return _parse(text, start, end)
    except Exception as exc:  # user text must never crash an import; tests call _parse directly
        return ParsedSchedule(None, True, f"解析できませんでした: {type(exc).__name__}")


def _parse(text: str | None, start_cell: str | None, end_cell: str | None) -> ParsedSchedule:
    original = clean(text)
    s = _prep(text)
    reasons: list[str] = []

    t_start, t_end, time_spans = _find_time_range(s)
    s = _blank(s, time_spans)
    if start_cell:
        t_start = parse_time(start_cell) or t_start
    if end_cell:
        t_end = parse_time(end_cell) or t_end
    if t_start is not None and t_end is not None and t_end <= t_start:
        reasons.append("終了時刻が開始時刻より前です")
        t_end = None

    # 「11月27日(金)」 is a single date (year unknown), not "every Friday".
    specific = list(_SPECIFIC_DATE_RE.finditer(s))
    if specific:
        reasons.append("特定の日付があります（" + "、".join(m.group(0) for m in specific) + "）")
        s = _blank(s, [m.span() for m in specific])

    # 年末年始 closed is a yearly closure the rule carries (Schedule.yearly_exclusions):
    # not a reason to review.  Taken out before the other exclusions are read.
    s, year_end = _year_end_off(s)

    # Exclusions before anything reads weekdays: the 月 of 「8月は休み」 is not Monday, and
    # 「第5木曜日を除く」 is not a 第n rule.
    off_months, off_ordinals, holidays_off, s, off_reasons = _exclusions(s)
    reasons.extend(off_reasons)

    if uncertain := _UNCERTAIN_RE.search(s):
        reasons.append(f"不確かな表現があります（{uncertain.group(0)}）")

    skip_holidays = holidays_off
    closed: set[int] = set()
    spans: list[tuple[int, int]] = []
    for m in _CLOSED_RE.finditer(s):
        days = m.group("days")
        if "祝" in days or "祭" in days:
            skip_holidays = True
        closed.update(_WD_INDEX[c] for c in re.sub(r"曜日?", "", re.sub(r"祝祭日|祝休日|祝日|祭日|祝", "", days)) if c in _WD_INDEX)
        spans.append(m.span())
    s = _blank(s, spans)
    leftover = _OFF_WORD_RE.search(s)
    if leftover and not off_reasons:
        # A closing phrase none of the rules above understood: never drop it silently.
        clause = re.search(r"[^\s()（）、,。]*$", s[: leftover.start()])
        what = ((clause.group(0) if clause else "") + leftover.group(0)).strip()
        reasons.append(f"休み・除外の指定を繰り返し規則で表せません（{what}）")
    if _HOLIDAYS_INCLUDED_RE.search(s):
        reasons.append("祝日の開催は繰り返し規則で表せません（祝日を手で確認してください）")
    elif re.search(r"祝|祭日", s):
        reasons.append("祝日の扱いを読み取れません（祝日を手で確認してください）")
    s = re.sub(r"祝日?|祭日", " ", s)

    interval = 1
    if "隔週" in s:
        interval = 2
        reasons.append("隔週の開始週（起点日）を確認してください")
        s = s.replace("隔週", " ")

    rules: list[str] = []

    # 毎月第2・第4木曜日, 第1土曜日, 最終金曜日
    monthly: list[str] = []
    spans = []
    for g in _ORDINAL_GROUP_RE.finditer(s):
        ords: list[int] = []
        for tok in re.findall(r"最終|\d", g.group("ords")):
            ords.append(-1 if tok == "最終" else int(tok))
        wds = [_WD_INDEX[c] for c in re.findall(f"[{_WD}]", g.group("days").replace("曜日", "").replace("曜", ""))]
        for n in ords:
            if not (1 <= n <= 5 or n == -1):
                reasons.append(f"第{n}週は存在しません")
                continue
            monthly.extend(f"{n}{WEEKDAY_CODES[wd]}" for wd in wds)
        spans.append(g.span())
    s = _blank(s, spans)
    if monthly:
        rules.append(canonical_rrule(f"FREQ=MONTHLY;BYDAY={','.join(dict.fromkeys(monthly))}"))

    # 毎月15日, 毎月1日・15日
    monthdays: list[int] = []
    spans = []
    for g in _MONTHDAY_RE.finditer(s):
        monthdays.extend(int(x) for x in re.findall(r"\d{1,2}", g.group("days")))
        spans.append(g.span())
    s = _blank(s, spans)
    bad = [d for d in monthdays if not 1 <= d <= 31]
    if bad:
        reasons.append("日付が範囲外です")
    monthdays = sorted({d for d in monthdays if 1 <= d <= 31})
    if monthdays:
        rules.append(f"FREQ=MONTHLY;BYMONTHDAY={','.join(map(str, monthdays))}")

    count_only = _COUNT_ONLY_RE.search(s)
    if count_only:
        s = _blank(s, [count_only.span()])

    # Weekly: 毎日, 平日, 土日, 月・水・金, 月〜金, 毎週火曜日
    s = s.replace("毎週", " ").replace("毎月", " ")
    weekly: set[int] = set()
    daily = bool(re.search(r"毎日|年中無休|全日", s))
    if "平日" in s:
        weekly.update(range(5))
    if "週末" in s:
        weekly.update((5, 6))
    found, _ = _weekdays_in(re.sub(r"毎日|平日|週末|年中無休|全日", " ", s))
    weekly.update(found)
    if closed:
        if not weekly and not daily and not monthly and not monthdays:
            # 「月曜休館」 alone: open the other six days, but a human should confirm.
            weekly.update(range(7))
            reasons.append("休みの曜日から開催曜日を推定しました")
        elif daily:
            weekly.update(range(7))
        weekly.difference_update(closed)
    if daily and interval == 1 and not weekly:
        rules.append("FREQ=DAILY")
    elif daily:
        weekly.update(range(7))
    if weekly:
        value = "FREQ=WEEKLY"
        if interval > 1:
            value += f";INTERVAL={interval}"
        rules.append(canonical_rrule(f"{value};BYDAY={_byday(sorted(weekly))}"))
    elif interval > 1:
        reasons.append("隔週の曜日が読み取れません")

    if count_only and not rules:
        reasons.append(f"回数のみで日付が特定できません（{count_only.group(0)}）")

    rrule: str | None = None
    if len(rules) > 1:
        reasons.append("複数の規則が混在しています: " + " / ".join(rules))
        rrule = rules[0]
    elif rules:
        rrule = rules[0]
    if rrule is not None and (off_ordinals or off_months):
        rrule = _apply_exclusions(rrule, off_ordinals, off_months, reasons)
    if rrule is not None and validate_rrule(rrule):
        reasons.append(f"規則が不正です: {validate_rrule(rrule)}")
        rrule = None

    if rrule is None and not reasons:
        reasons.append("曜日・日付が読み取れません")
    if rrule is None and t_start is None and t_end is None:
        return ParsedSchedule(None, True, "；".join(reasons))
    if t_start is None and t_end is not None:
        # An end without a start cannot be shown or used for "open now"; keep it for review only.
        reasons.append(f"開始時刻がありません（終了 {t_end:%H:%M}）")
        t_end = None

    schedule = Schedule(
        rrule=rrule,
        start=t_start,
        end=t_end,
        yearly_exclusions=(YEAR_END,) if year_end and rrule is not None else (),
        skip_holidays=skip_holidays and rrule is not None,
        text=original,
    )
    return ParsedSchedule(schedule, bool(reasons), "；".join(reasons) if reasons else None)
