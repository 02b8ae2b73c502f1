"""The project's single Japanese text normaliser.

Two levels, on purpose:

* :func:`clean` is for values we *store* and show (names, addresses, notes). It only removes
  noise that no reader would miss: width variants (NFKC), stray spaces, the many look-alike wave
  dashes and minus signs that city spreadsheets mix freely.
* :func:`fold` is for *matching* (search keys, dedup keys). It is lossy by design: katakana and
  hiragana fold together, punctuation becomes a space, 桜ヶ丘/桜ケ丘/桜が丘 become one key.
  Never store or display a folded value.

Everything here is pure and deterministic; nothing needs a dictionary (see :mod:`jatext.reading`
for readings via SudachiPy).
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "clean",
    "fold",
    "ga_runs",
    "kanji_numerals_to_digits",
    "normalize_phone",
    "normalize_postcode",
    "unify_ke",
]

# Characters that NFKC leaves alone but which readers treat as a wave dash.  U+FF5E (full-width
# tilde) is mapped *before* NFKC, because NFKC would turn it into an ASCII "~" that we can no
# longer tell apart from a tilde in a URL.
_WAVE_DASHES = "\uff5e\u301c\u223c\u2053\u3030"
_WAVE_RE = re.compile(f"[{_WAVE_DASHES}]")
# ASCII "~" only counts as a range mark between times/numbers ("10:00~11:30", "10時~12時").
_ASCII_TILDE_RANGE_RE = re.compile(r"(?<=[0-9時分半午後前正])[ \t]*~[ \t]*(?=[0-9午正])")
_WAVE_SPACES_RE = re.compile(r"(?<=[0-9時分半午])[ \t]*〜[ \t]*(?=[0-9午正])")

# Minus/dash look-alikes.  Between two digits they are always a hyphen (phone numbers, addresses
# "1−2−3", postcodes); elsewhere they may be a long vowel mark, so clean() leaves them.
# (kept as a character-class body; the ASCII hyphen is escaped so it cannot form a range)
_DASHES = "\u2212\u30fc\uff70\u2010\u2011\u2012\u2013\u2014\u2015\u2500\u2501\ufe63\ufe58\\-"
_DIGIT_DASH_RE = re.compile(f"(?<=[0-9])[ \t]*[{_DASHES}][ \t]*(?=[0-9])")

_INVISIBLE_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_HSPACE_RE = re.compile(r"[^\S\n]+")
_ANY_SPACE_RE = re.compile(r"\s+")
_BLANK_LINES_RE = re.compile(r"\n{3,}")


def clean(text: str | None, *, multiline: bool = False) -> str:
    """Normalise a value for storage and display.

    NFKC (full-width ASCII → half-width, half-width kana → full-width), strip, collapse
    horizontal whitespace; wave-dash variants become 〜 (ASCII ``~`` only between times or
    numbers); dash/minus variants between two digits become ``-``.  With ``multiline=True``
    line breaks are kept (at most one blank line in a row); otherwise they become a space.
    """
    if not text:
        return ""
    if not multiline and isinstance(text, str) and text.isascii() and text.isprintable() and "~" not in text and "-" not in text:
        # Plain ASCII (coordinates, URLs, codes: most cells of a city's file) has nothing for the
        # steps below to change but runs of spaces; _clean_full gives the same (property-tested).
        return " ".join(text.split())
    return _clean_full(text, multiline=multiline)


def _clean_full(text: str, *, multiline: bool = False) -> str:
    s = _INVISIBLE_RE.sub("", str(text))
    s = s.replace("\r\n", "\n").replace("\r", "\n")
    s = _WAVE_RE.sub("〜", s)
    s = unicodedata.normalize("NFKC", s)
    s = _CONTROL_RE.sub(" ", s)
    s = _ASCII_TILDE_RANGE_RE.sub("〜", s)
    s = _WAVE_SPACES_RE.sub("〜", s)
    s = _DIGIT_DASH_RE.sub("-", s)
    # A second pass catches chains like "1ー2ー3" where the look-behind digit was just consumed.
    s = _DIGIT_DASH_RE.sub("-", s)
    if multiline:
        lines = [_HSPACE_RE.sub(" ", line).strip() for line in s.split("\n")]
        s = _BLANK_LINES_RE.sub("\n\n", "\n".join(lines))
    else:
        s = _ANY_SPACE_RE.sub(" ", s)
    return s.strip()


# --------------------------------------------------------------------------------------------
# fold

_KANJI = "\u3005\u3006\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_KANA = "\u3041-\u3096\u309d\u309e\u30a1-\u30fa\u30fc-\u30fe"
# 桜ヶ丘 / 桜ケ丘 / 桜ヵ丘 / 桜が丘 are the same place; between two kanji these letters are the
# possessive particle, never part of a katakana word.
_GA_BETWEEN_KANJI_RE = re.compile(f"(?<=[{_KANJI}])[ヶヵケがゖゕ](?=[{_KANJI}])")
# The small-ke letters alone (not が, which is also the subject particle): what the analyser sees
# before Sudachi, so that 西松ヶ丘 and 西松ケ丘 split the same way (see unify_ke).
_KE_BETWEEN_KANJI_RE = re.compile(f"(?<=[{_KANJI}])[ヶヵゖゕ](?=[{_KANJI}])")
# A place-name run kanji + が + kanji in folded text (西松が丘, 喜里が丘): one search token.
GA_RUN_RE = re.compile(f"[{_KANJI}]+が[{_KANJI}]+")
# 鹿ノ台 / 鹿の台 (ノ would fold to の anyway through the kana fold; kept explicit for clarity).
_NO_BETWEEN_KANJI_RE = re.compile(f"(?<=[{_KANJI}])[ノの](?=[{_KANJI}])")
# 3ヶ月 / 3ケ月 / 3カ月 / 3か月
_KA_COUNTER_RE = re.compile("(?<=[0-9])[ヶヵケカゖゕか](?=[月所年国])")
# A dash-like mark right after kana is a long-vowel mark typed with the wrong key (サ-ビス).
_LONG_VOWEL_RE = re.compile(f"(?<=[{_KANA}])[{_DASHES}〜~]+")
# Separators that carry meaning only between digits (addresses, times, decimals, dates).
_KEEP_BETWEEN_DIGITS = frozenset("-:./")
_SMALL_KA_KE = str.maketrans({"ゕ": "か", "ゖ": "け"})


def _kata_to_hira(s: str) -> str:
    # U+30A1..U+30F6 map one-to-one onto U+3041..U+3096 (ヴ→ゔ, ヵ→ゕ, ヶ→ゖ included).
    return "".join(chr(ord(c) - 0x60) if "\u30a1" <= c <= "\u30f6" else c for c in s).translate(
        _SMALL_KA_KE
    )


def _punct_to_space(s: str) -> str:
    out: list[str] = []
    n = len(s)
    for i, c in enumerate(s):
        cat = unicodedata.category(c)
        if cat[0] in "PS" or cat in ("Cc", "Cf", "Zs", "Zl", "Zp"):
            if (
                c in _KEEP_BETWEEN_DIGITS
                and 0 < i < n - 1
                and s[i - 1].isascii()
                and s[i - 1].isdigit()
                and s[i + 1].isascii()
                and s[i + 1].isdigit()
            ):
                out.append(c)
            else:
                out.append(" ")
        else:
            out.append(c)
    return "".join(out)


def _fold_once(s: str) -> str:
    s = clean(s)
    s = unicodedata.normalize("NFKC", s.casefold())
    s = _GA_BETWEEN_KANJI_RE.sub("が", s)
    s = _NO_BETWEEN_KANJI_RE.sub("の", s)
    s = _KA_COUNTER_RE.sub("か", s)
    s = _LONG_VOWEL_RE.sub("ー", s)
    s = _kata_to_hira(s)
    s = _punct_to_space(s)
    return _ANY_SPACE_RE.sub(" ", s).strip()


def unify_ke(text: str) -> str:
    """ヶ/ヵ between kanji → ケ, and nothing else (not a fold: text stays displayable).

    Sudachi splits 西松ヶ丘 as 西/松ヶ丘 but 西松ケ丘 as one word; the analyser gives it one spelling
    so that data and queries written either way split alike (が is left alone: it is also a particle).
    """
    return _KE_BETWEEN_KANJI_RE.sub("ケ", text)


def ga_runs(folded: str) -> list[str]:
    """Place-name runs kanji + が + kanji of a folded text (西松ヶ丘/西松ケ丘/西松が丘 → 西松が丘)."""
    return GA_RUN_RE.findall(folded)


def fold(text: str | None) -> str:
    """Fold text into a matching key (search terms, dedup keys). Lossy; never display it.

    clean → casefold → katakana (and half-width katakana, via NFKC) to hiragana, ヴ→ゔ →
    dash-like marks after kana become ー → ヶ/ヵ/ケ/が between kanji become が, ノ/の between
    kanji become の → punctuation and symbols become a space (except ``- : . /`` between
    digits) → spaces collapsed.  Idempotent.

    Okurigana variants (引き籠もり / 引きこもり) and kanji/kana spellings of the same word are
    *not* folded here; that needs readings (:mod:`jatext.reading`).
    """
    if not text:
        return ""
    s = _fold_once(text)
    # casefold/NFKC interact on a few exotic code points (e.g. "ǰ"); iterate to a fixed point so
    # that fold(fold(x)) == fold(x) always holds.  Converges in one extra step in practice.
    for _ in range(4):
        again = _fold_once(s)
        if again == s:
            break
        s = again
    return s


# --------------------------------------------------------------------------------------------
# kanji numerals

_KANJI_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_KANJI_UNITS = {"十": 10, "百": 100, "千": 1000}
_KANJI_MYRIAD = {"万": 10_000}
_NUMERAL_CHARS = "".join(_KANJI_DIGITS) + "".join(_KANJI_UNITS) + "".join(_KANJI_MYRIAD)
_COUNTERS = ("丁目", "番地", "番", "号", "歳", "回", "人", "月", "日", "時", "分", "階", "区", "条", "年")
_NUMERAL_RUN_RE = re.compile(
    f"(?P<dai>第)?(?P<num>[{_NUMERAL_CHARS}]+)(?P<counter>{'|'.join(_COUNTERS)})?"
)
# Words that *look* like numeral+counter but are not counts.  Kept short and explicit.
_NOT_A_NUMBER_AFTER = {
    # 十分な/十分に (= sufficient)
    ("十", "分"): re.compile("[なにでだす]"),
    # 一時休止, 一時的, 一時預かり, 一時保育 (= temporary)
    ("一", "時"): re.compile("[的休停預保中金]"),
    # 四日市, 五日市, 十日町 (place names)
    ("*", "日"): re.compile("[市町]"),
    # 三条市, 九条町 (place names)
    ("*", "条"): re.compile("[市町通]"),
}


def _kanji_numeral_value(run: str) -> int | None:
    if all(c in _KANJI_DIGITS for c in run):
        # Positional digits: 二〇二六 = 2026, 一〇五 = 105.
        return int("".join(str(_KANJI_DIGITS[c]) for c in run))
    total = section = current = 0
    for c in run:
        if c in _KANJI_DIGITS:
            current = current * 10 + _KANJI_DIGITS[c]
        elif c in _KANJI_UNITS:
            section += (current or 1) * _KANJI_UNITS[c]
            current = 0
        else:  # 万
            total += (section + current or 1) * _KANJI_MYRIAD[c]
            section = current = 0
    return total + section + current


def kanji_numerals_to_digits(text: str) -> str:
    """Replace kanji numerals with arabic digits where they count something.

    Converted: a numeral run followed by a counter (丁目 番地 番 号 歳 回 人 月 日 時 分 階 区 条 年)
    or preceded by 第: 三丁目→3丁目, 二十三番→23番, 百歳→100歳, 第二→第2, 二〇二六年→2026年.
    Left alone: runs without such a context (百貨店, 万一, 一緒, 十字路).

    Decided: 一人 becomes 1人 (一人暮らし→1人暮らし, 一人参加→1人参加); 一番 becomes 1番 and
    一日 becomes 1日 — readers of a normalised key accept that.  A few fixed words are kept:
    十分な/十分に (sufficient), 一時休止/一時的/一時預かり/一時保育 (temporary), and place names
    of the form 〇日市/〇日町/〇条市/〇条通 (四日市, 十日町, 三条市).
    """
    if not text:
        return ""

    def repl(m: re.Match[str]) -> str:
        dai, num, counter = m.group("dai"), m.group("num"), m.group("counter")
        if not dai and not counter:
            return m.group(0)
        if counter and not dai:
            after = text[m.end() : m.end() + 1]
            for (first, ctr), follow in _NOT_A_NUMBER_AFTER.items():
                if ctr == counter and (first == "*" or first == num) and after and follow.match(after):
                    return m.group(0)
        value = _kanji_numeral_value(num)
        if value is None:
            return m.group(0)
        return f"{dai or ''}{value}{counter or ''}"

    return _NUMERAL_RUN_RE.sub(repl, text)


# --------------------------------------------------------------------------------------------
# phone numbers and postcodes

_PHONE_CANDIDATE_RE = re.compile(r"(?:\+81[\s-]*(?:\(0\))?|\(?0)[0-9\s\-().]{7,}[0-9]")
_PHONE_SPLIT_RE = re.compile(r"[\s\-().]+")
_POSTCODE_RE = re.compile(r"(?<![0-9])([0-9]{3})-?([0-9]{4})(?![0-9])")


def _default_phone_groups(digits: str) -> list[str] | None:
    # Grouping we can be sure of without an area-code table.  Landlines other than 03/06 have
    # 3-5 digit area codes that only a full table could tell apart, so they stay ungrouped.
    if digits[:3] in ("050", "070", "080", "090") and len(digits) == 11:
        return [digits[:3], digits[3:7], digits[7:]]
    if digits[:4] in ("0120", "0570", "0990") and len(digits) == 10:
        return [digits[:4], digits[4:7], digits[7:]]
    if digits[:4] == "0800" and len(digits) == 11:
        return [digits[:4], digits[4:7], digits[7:]]
    if digits[:2] in ("03", "06") and len(digits) == 10:
        return [digits[:2], digits[2:6], digits[6:]]
    return None


def normalize_phone(text: str | None) -> str | None:
    """Return a Japanese phone number as ``0743-74-1111`` or None when it is not one.

    Accepts full-width digits, any dash/minus look-alike, parentheses (``0743(74)1111``,
    ``(0743)74-1111``), spaces, a ``TEL:``/``電話`` prefix, trailing notes (``（代表）``) and
    ``+81``.  Plausible = 10 or 11 digits starting with 0 (free-dial 0120/0800 included).  A bare
    内線 (extension) number is not a phone number.  The writer's grouping is kept; without one,
    mobile/IP/free-dial and 03/06 numbers are grouped, other landlines are returned as digits
    only (the area-code length is not knowable without a table).
    """
    if not text:
        return None
    s = clean(text)
    # Any dash-like mark counts as a separator here, even next to a non-digit ("0743ー74ー1111").
    s = re.sub(f"[{_DASHES}〜]", "-", s)
    m = _PHONE_CANDIDATE_RE.search(s)
    if not m:
        return None
    cand = m.group(0)
    if cand.startswith("+81"):
        cand = re.sub(r"^\+81[\s-]*(?:\(0\))?[\s-]*", "0", cand)
    groups = [g for g in _PHONE_SPLIT_RE.split(cand) if g]
    digits = "".join(groups)
    if not digits.isdigit() or not digits.startswith("0") or len(digits) not in (10, 11):
        return None
    if len(digits) == 11 and digits[:3] not in ("050", "060", "070", "080", "090") and digits[:4] != "0800":
        # 11 digits are only used by mobile/IP numbers and 0800 free-dial.
        return None
    if len(groups) > 1:
        return "-".join(groups)
    grouped = _default_phone_groups(digits)
    return "-".join(grouped) if grouped else digits


def normalize_postcode(text: str | None) -> str | None:
    """Return a Japanese postcode as ``630-0288`` (from 〒６３０－０２８８, 6300288, ...) or None."""
    if not text:
        return None
    s = clean(text).replace("〒", " ")
    s = re.sub(f"[{_DASHES}]", "-", s)
    m = _POSTCODE_RE.search(s)
    if not m:
        return None
    return f"{m.group(1)}-{m.group(2)}"
