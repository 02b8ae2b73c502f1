"""Cell value parsers that are specific to import files (yes/no, 料金, 定員, dates, e-mail, URL).

Text normalisation itself is jatext.normalize's job; these functions expect clean()ed input.
"""

from __future__ import annotations

import datetime as dt
import re

from jatext.normalize import clean, fold, kanji_numerals_to_digits

__all__ = [
    "parse_bool",
    "parse_capacity",
    "parse_cost",
    "parse_date",
    "valid_email",
    "valid_url",
]

_TRUE = {"○", "〇", "◯", "◎", "はい", "有", "あり", "有り", "可", "要", "必要", "必須", "要予約",
         "予約制", "予約必要", "事前申込制", "要申込", "要申し込み", "yes", "y", "true", "t", "1", "歓迎"}
_FALSE = {"×", "✕", "いいえ", "無", "なし", "無し", "不可", "不要", "予約不要", "申込不要",
          "申し込み不要", "no", "n", "false", "f", "0", "-", "―"}
_TRUE_KEYS = {fold(x).replace(" ", "") or x for x in _TRUE}
_FALSE_KEYS = {fold(x).replace(" ", "") or x for x in _FALSE}


def parse_bool(text: str) -> bool | None:
    """○/はい/要/あり/true → True; ×/いいえ/不要/なし/false → False; else None (caller warns)."""
    s = clean(text)
    if not s:
        return None
    key = fold(s).replace(" ", "") or s
    if key in _TRUE_KEYS or s in _TRUE:
        return True
    if key in _FALSE_KEYS or s in _FALSE:
        return False
    # 「不要（当日参加OK）」「要（前日まで）」: the leading word decides.
    for word in ("不要", "なし", "不可", "いいえ"):
        if s.startswith(word):
            return False
    for word in ("要", "必要", "あり", "可", "はい"):
        if s.startswith(word):
            return True
    return None


_FREE_RE = re.compile(r"無料|無償|(?<![0-9])0円|参加費なし|費用なし|^なし$")
_YEN_RE = re.compile(r"(?:¥|\\)\s*([0-9][0-9,]*)|([0-9][0-9,]*)\s*円")
_BARE_NUMBER_RE = re.compile(r"^\s*([0-9][0-9,]*)\s*$")


def parse_cost(text: str) -> tuple[int | None, bool]:
    """料金 text → (yen, understood).

    無料 → 0; 100円 / ￥100 / 100 / 1回200円 / 百円 → the amount.  Several different amounts
    (大人500円・子ども200円) or words only (実費) → (None, False) and the text is kept.
    """
    s = kanji_numerals_to_digits(clean(text))
    if not s:
        return None, True
    # 百円/千円 without a counter that kanji_numerals_to_digits knows.
    s = re.sub(r"(?<![0-9])([一二三四五六七八九]?)([百千])円", _kanji_hundreds, s)
    amounts = {int((a or b).replace(",", "")) for a, b in _YEN_RE.findall(s) if (a or b).replace(",", "")}
    if not amounts:
        bare = _BARE_NUMBER_RE.match(s)
        if bare:
            return int(bare.group(1).replace(",", "")), True
        if _FREE_RE.search(s):
            return 0, True
        return None, False
    if len(amounts) == 1:
        (amount,) = amounts
        if _FREE_RE.search(s) and amount != 0 and "無料" in s:
            return None, False  # 「初回無料、2回目から100円」
        return amount, True
    return None, False


def _kanji_hundreds(m: re.Match[str]) -> str:
    digits = {"": 1, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
    unit = 100 if m.group(2) == "百" else 1000
    return f"{digits[m.group(1)] * unit}円"


_CAPACITY_RE = re.compile(r"([0-9]+)\s*(?:名|人|組|席)?")


def parse_capacity(text: str) -> tuple[int | None, bool]:
    s = kanji_numerals_to_digits(clean(text))
    if not s:
        return None, True
    nums = re.findall(r"[0-9]+", s)
    if len(nums) == 1 and _CAPACITY_RE.search(s):
        return int(nums[0]), True
    return None, False


_ERAS = {"令和": 2018, "平成": 1988, "昭和": 1925, "R": 2018, "H": 1988, "S": 1925}
_DATE_RES = (
    re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:\s*\(.\))?(?:[ T]0?0:00(?::00)?)?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_ERA_RE = re.compile(r"^(令和|平成|昭和|R|H|S)\s*(\d{1,2}|元)[年.](\d{1,2})[月.](\d{1,2})日?(?:\s*\(.\))?$")


def parse_date(text: str) -> dt.date | None:
    """2024-05-01, 2024/5/1, 2024年5月1日, 令和6年5月1日, R6.5.1, 20240501 → date (else None)."""
    s = clean(text)
    if not s:
        return None
    try:
        for rx in _DATE_RES:
            m = rx.match(s)
            if m:
                return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        m = _ERA_RE.match(s)
        if m:
            year = 1 if m.group(2) == "元" else int(m.group(2))
            return dt.date(_ERAS[m.group(1)] + year, int(m.group(3)), int(m.group(4)))
    except ValueError:
        return None
    return None


_EMAIL_RE = re.compile(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+$")
_URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


def valid_email(text: str) -> bool:
    return bool(_EMAIL_RE.match(text))


def valid_url(text: str) -> bool:
    return bool(_URL_RE.match(text))
