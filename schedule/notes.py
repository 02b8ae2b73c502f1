"""利用可能日時特記事項: what a schedule note says, and the closures a rule can carry.

City lists put closures and conditions in one free-text cell next to 利用可能曜日.  Some of it
is a closure the rule can express exactly — 年末年始 (yearly dates), 祝日 (public holidays),
第3火曜日休館 (an ordinal weekday), 月曜休館 (a weekday) — and some of it restricts the days in
ways a rule cannot (「○○期間中のみ」「通常時は施錠」「1月から2月は10:00から16:00」).  The first kind
becomes rule parts and needs no review; the second keeps the rule but is flagged 要確認 with the
note shown, so staff review the rows that need it and not every row with 「年末年始休館」.

Kinds (counted in the import report):
  ``closure``     only closures, all applied to the rule (年末年始 as a yearly closure)
  ``open_all_day``「終日開放」「24時間」: 00:00–00:00 means the whole day
  ``conditional`` 「…のみ」「施錠」「予約制」「場合」… : the days depend on something else
  ``seasonal``    months or periods with other hours or closures (「1月から2月は…」「夏期」)
  ``other``       text we cannot read; flagged, never silently dropped
"""

from __future__ import annotations

import dataclasses
import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from schedule.model import WEEKDAY_CODES, YEAR_END, Schedule, canonical_rrule, parse_rrule_parts

__all__ = [
    "NOTE_KINDS",
    "NoteReading",
    "apply_closures",
    "classify_note",
    "year_end_dates",
]

NOTE_KINDS = ("closure", "open_all_day", "conditional", "seasonal", "other")

_WD = "月火水木金土日"
_CLOSED = r"(?:定休日?|休館日?|休業日?|休園日?|休所日?|休室日?|休業|閉館|お休み|休み|休日|休|を?除く|除き)"
_ORD = r"第\s*[1-5](?:\s*[・,、及びと]\s*第?\s*[1-5])*\s*[月火水木金土日]\s*(?:曜日?)?"
_DAY = r"(?<!\d)(?:毎週)?\s*[月火水木金土日](?:\s*曜日?)?"
_HOLI = r"(?:国民の)?(?:祝祭日|祝日|祭日|振替休日|休日|祝)"
_YEAR_END = r"年末年始"
_MON = r"(?<!\d)\d{1,2}\s*月?\s*(?:〜|から|-)\s*\d{1,2}\s*月(?!\s*\d)|(?<!\d)\d{1,2}\s*月(?!\s*\d)"
_PAREN = r"(?:\([^)]*\))?"
_ITEM = rf"(?:{_YEAR_END}|{_ORD}|{_MON}|{_HOLI}|{_DAY})\s*{_PAREN}"
_CLOSURE_RE = re.compile(
    rf"(?P<items>{_ITEM}(?:\s*(?:[・,、/]|及び|と|および|並びに|ならびに)?\s*{_ITEM})*)\s*(?:は|が|を|の)?\s*{_CLOSED}"
)
_ITEM_RE = re.compile(rf"(?P<ye>{_YEAR_END})|(?P<ord>{_ORD})|(?P<mon>{_MON})|(?P<holi>{_HOLI})|(?P<day>{_DAY})")

_ALL_DAY_RE = re.compile(r"終日(?:開放|開館|利用可能?|営業|オープン)?|24\s*時間(?:開放|利用可能?|営業)?")
_CONDITIONAL_RE = re.compile(
    r"のみ|限り|限定|施錠|通常時|通常は|予約制|要予約|事前|申込|申し込み|場合|によ[りっ]|都合|天候|雨天|"
    r"不定期|臨時|随時|要問|問い?合わ?せ|お問合せ|確認|変更|開催時|イベント時|行事|使用時|利用時|貸切|閉鎖|休止|中止"
)
_SEASONAL_RE = re.compile(
    r"\d{1,2}\s*月\s*(?:\d{1,2}\s*日)?\s*(?:から|〜|~|-|ー|より)\s*\d{1,2}\s*月|\d{1,2}\s*月\s*(?:は|中|の間)|"
    r"夏期|冬期|夏季|冬季|夏休み|冬休み|春休み|期間中|期間|シーズン|お盆|盆|学期|長期休暇|GW|ゴールデンウィーク"
)
_FILLER_RE = re.compile(r"[\s・,、。.;:/()「」『』※*★☆\-ー〜~]+|です|ます|となります|なります|および|及び|ただし|但し|また")


@dataclass(frozen=True)
class NoteReading:
    """What one note says.  ``review`` holds the parts that need a person (shown as written)."""

    kinds: tuple[str, ...] = ()
    year_end: bool = False
    holidays: bool = False
    off_ordinals: tuple[tuple[int, int], ...] = ()  # (nth, weekday 0=Mon)
    off_weekdays: tuple[int, ...] = ()
    off_months: tuple[int, ...] = ()
    open_all_day: bool = False
    review: tuple[str, ...] = ()

    @property
    def needs_review(self) -> bool:
        return bool(self.review)

    @property
    def kind(self) -> str | None:
        """The one kind counted for this note: the one that asks most of a reader."""
        for k in ("conditional", "seasonal", "other", "open_all_day", "closure"):
            if k in self.kinds:
                return k
        return None


def _norm(text: str) -> str:
    s = unicodedata.normalize("NFKC", text.replace("～", "〜").replace("~", "〜"))
    return s.replace("(", "(").replace(")", ")")


@functools.lru_cache(maxsize=4096)
def classify_note(note: str | None) -> NoteReading:
    """Read a 特記事項 cell.  Never raises; an empty note gives an empty reading.  Cached: a
    city's list repeats the same few notes row after row, and a reading is immutable."""
    if not note or not note.strip():
        return NoteReading()
    s = _norm(note)
    kinds: list[str] = []
    year_end = holidays = False
    ordinals: list[tuple[int, int]] = []
    weekdays: list[int] = []
    months: list[int] = []
    # Conditional and seasonal wording is judged on the whole clause, so that 「夏期は月曜休館」
    # is not read as a plain 月曜休館.
    clauses = [c for c in re.split(r"[。\n;；]|(?<=[館業み])[、,]", s) if c.strip()]
    review: list[str] = []
    for clause in clauses:
        if _CONDITIONAL_RE.search(clause):
            kinds.append("conditional")
            review.append(clause.strip())
            continue
        rest = clause
        spans: list[tuple[int, int]] = []
        found = NoteReading()
        for m in _CLOSURE_RE.finditer(clause):
            spans.append(m.span())
            found = _merge(found, _closure_items(m.group("items")))
        if spans:
            rest = "".join(" " if any(a <= i < b for a, b in spans) else ch for i, ch in enumerate(clause))
        # A closure inside a seasonal clause (「夏期は月曜休館」) holds only for that season: the
        # whole clause is for review and none of its closures is applied.
        if _SEASONAL_RE.search(rest):
            kinds.append("seasonal")
            review.append(clause.strip())
            continue
        if spans:
            kinds.append("closure")
            year_end = year_end or found.year_end
            holidays = holidays or found.holidays
            ordinals.extend(found.off_ordinals)
            weekdays.extend(found.off_weekdays)
            months.extend(found.off_months)
        if _ALL_DAY_RE.search(rest):
            kinds.append("open_all_day")
            rest = _ALL_DAY_RE.sub(" ", rest)
        if _FILLER_RE.sub("", rest):
            kinds.append("other")
            review.append(clause.strip())
    return NoteReading(
        kinds=tuple(dict.fromkeys(kinds)),
        year_end=year_end,
        holidays=holidays,
        off_ordinals=tuple(dict.fromkeys(ordinals)),
        off_weekdays=tuple(dict.fromkeys(weekdays)),
        off_months=tuple(sorted(set(months))),
        open_all_day="open_all_day" in kinds,
        review=tuple(review),
    )


def _closure_items(items: str) -> NoteReading:
    year_end = holidays = False
    ordinals: list[tuple[int, int]] = []
    weekdays: list[int] = []
    months: list[int] = []
    for item in _ITEM_RE.finditer(items):
        if item.group("ye"):
            year_end = True
        elif item.group("ord"):
            text = item.group("ord")
            wd = _WD.index(re.findall(r"[月火水木金土日]", text)[0])
            ordinals.extend((int(n), wd) for n in re.findall(r"[1-5]", text))
        elif item.group("mon"):
            nums = [int(x) for x in re.findall(r"\d{1,2}", item.group("mon"))]
            if len(nums) == 2:  # 「12〜2月」 wraps over the new year
                a, b = nums
                months.extend((a - 1 + i) % 12 + 1 for i in range((b - a) % 12 + 1))
            else:
                months.extend(nums)
        elif item.group("holi"):
            holidays = True
        elif item.group("day"):
            weekdays.append(_WD.index(re.findall(r"[月火水木金土日]", item.group("day"))[0]))
    return NoteReading(year_end=year_end, holidays=holidays, off_ordinals=tuple(ordinals),
                       off_weekdays=tuple(weekdays), off_months=tuple(months))


def _merge(a: NoteReading, b: NoteReading) -> NoteReading:
    return NoteReading(
        year_end=a.year_end or b.year_end,
        holidays=a.holidays or b.holidays,
        off_ordinals=a.off_ordinals + b.off_ordinals,
        off_weekdays=a.off_weekdays + b.off_weekdays,
        off_months=a.off_months + b.off_months,
    )


def year_end_dates(years: Iterable[int]) -> tuple[date, ...]:
    """年末年始 as the dates 12/29–1/3 of each given year's turn (what imports stored before the
    yearly rule: migration 5c8e1f3a2b74 reads them back)."""
    out: list[date] = []
    for y in years:
        start = date(y, 12, 29)
        out.extend(start + timedelta(days=i) for i in range(6))
    return tuple(out)


def apply_closures(schedule: Schedule, reading: NoteReading) -> tuple[Schedule, list[str]]:
    """The schedule with the note's closures as rule parts; returns (schedule, closures it could
    not express) — an unexpressed closure is a reason for review, never dropped.

    年末年始 is the yearly closure 12/29–1/3 (:data:`schedule.model.YEAR_END`), which holds in
    every year: the result does not depend on the day the note is read, so a re-import after
    New Year finds the listing unchanged."""
    problems: list[str] = []
    rrule = schedule.rrule
    if rrule and (reading.off_ordinals or reading.off_weekdays):
        rrule, problems = _without_days(rrule, reading.off_ordinals, reading.off_weekdays)
    elif reading.off_ordinals or reading.off_weekdays:
        problems.append("休館日を規則に反映できません")
    if rrule and reading.off_months:
        parts = parse_rrule_parts(rrule)
        kept = [m for m in range(1, 13) if m not in reading.off_months]
        if "BYMONTH" in parts or not kept or any(not 1 <= m <= 12 for m in reading.off_months):
            problems.append("休みの月を規則に反映できません")
        else:
            parts["BYMONTH"] = ",".join(map(str, kept))
            rrule = canonical_rrule(";".join(f"{k}={v}" for k, v in parts.items()))
    elif reading.off_months:
        problems.append("休みの月を規則に反映できません")
    yearly = schedule.yearly_exclusions
    if reading.year_end:
        yearly = (*yearly, YEAR_END)
    return (
        dataclasses.replace(
            schedule,
            rrule=rrule,
            yearly_exclusions=yearly,
            skip_holidays=schedule.skip_holidays or reading.holidays,
        ),
        problems,
    )


def _without_days(
    rrule: str, ordinals: tuple[tuple[int, int], ...], weekdays: tuple[int, ...]
) -> tuple[str | None, list[str]]:
    parts = parse_rrule_parts(rrule)
    if "INTERVAL" in parts or "BYMONTHDAY" in parts or "BYSETPOS" in parts or "COUNT" in parts:
        return rrule, ["休館日を規則に反映できません"]
    freq = parts["FREQ"]
    items = parts.get("BYDAY", "").split(",") if parts.get("BYDAY") else []
    if freq == "DAILY" and not items:
        items = list(WEEKDAY_CODES)
        freq = "WEEKLY"
    elif freq == "DAILY":
        freq = "WEEKLY"
    if freq not in ("WEEKLY", "MONTHLY") or not items:
        return rrule, ["休館日を規則に反映できません"]
    off_codes = {WEEKDAY_CODES[d] for d in weekdays}
    kept: list[str] = []
    for item in items:
        code = item[-2:]
        nth = item[:-2]
        if code in off_codes:
            continue
        wd = WEEKDAY_CODES.index(code)
        offs = {n for n, w in ordinals if w == wd}
        if not offs:
            kept.append(item)
        elif not nth:
            kept.extend(f"{n}{code}" for n in range(1, 6) if n not in offs)
        elif nth.lstrip("+").isdigit() and int(nth) in offs:
            continue
        else:
            kept.append(item)
    if not kept:
        return None, ["休館日を除くと開催日が残りません"]
    if any(i[:-2] for i in kept):
        # dateutil yields nothing for a MONTHLY BYDAY mixing MO and 1TU: every day gets ordinals.
        freq = "MONTHLY"
        kept = [x for i in kept for x in ([f"{n}{i}" for n in range(1, 6)] if len(i) == 2 else [i])]
    parts["FREQ"] = freq
    parts["BYDAY"] = ",".join(kept)
    return canonical_rrule(";".join(f"{k}={v}" for k, v in parts.items())), []
