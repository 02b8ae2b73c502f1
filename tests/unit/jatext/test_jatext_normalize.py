from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jatext import clean, fold, kanji_numerals_to_digits, normalize_phone, normalize_postcode

# --- clean ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, ""),
        ("", ""),
        ("   ", ""),
        ("  ＡＢＣ　１２３ ", "ABC 123"),
        ("ｻﾛﾝ", "サロン"),
        ("ｶﾞｲﾄﾞ", "ガイド"),
        ("10：00～11：30", "10:00〜11:30"),
        ("10:00 ~ 11:30", "10:00〜11:30"),
        ("10時∼12時", "10時〜12時"),
        ("10時 〜 12時", "10時〜12時"),
        ("http://example.org/~user", "http://example.org/~user"),
        ("0743ー74ー1111", "0743-74-1111"),
        ("１−２−３", "1-2-3"),
        ("630‐0288", "630-0288"),
        ("1―2", "1-2"),
        ("1–2—3", "1-2-3"),
        ("コーヒー", "コーヒー"),  # long vowel after kana is not a hyphen
        ("a\tb\n c", "a b c"),
        ("zero\u200bwidth\ufeff", "zerowidth"),
    ],
)
def test_clean(raw: str | None, expected: str) -> None:
    assert clean(raw) == expected


def test_clean_multiline_keeps_line_breaks_but_not_runs_of_blank_lines() -> None:
    assert clean("  一行目　 \r\n\r\n\r\n\r\n二行目  ", multiline=True) == "一行目\n\n二行目"
    assert clean("a\nb", multiline=True) == "a\nb"


@given(st.text())
def test_clean_is_idempotent(s: str) -> None:
    assert clean(clean(s)) == clean(s)


@settings(max_examples=500)
@given(st.one_of(st.text(alphabet=st.characters(max_codepoint=127)), st.text(alphabet=" 09-~.:/abAZ時\t")))
def test_clean_ascii_fast_path_equals_the_full_steps(s: str) -> None:
    from jatext.normalize import _clean_full

    assert clean(s) == _clean_full(s)


@given(st.text())
def test_clean_multiline_is_idempotent(s: str) -> None:
    once = clean(s, multiline=True)
    assert clean(once, multiline=True) == once


# --- fold ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "variants",
    [
        ("さろん", "サロン", "ｻﾛﾝ", " サロン "),
        ("桜ヶ丘", "桜ケ丘", "桜が丘", "桜ヵ丘"),
        ("鹿ノ台", "鹿の台"),
        ("コーヒー", "ｺｰﾋｰ", "コ-ヒ-", "コ―ヒ―", "こーひー"),
        ("ヴァイオリン", "ゔぁいおりん", "ｳﾞｧｲｵﾘﾝ"),
        ("CAFE", "cafe", "ＣＡＦＥ", "Ｃａｆｅ"),
        ("「まちの駅」・いこま", "まちの駅 いこま", "まちの駅　いこま", "（まちの駅）いこま"),
        ("3ヶ月", "3か月", "3カ月", "３ケ月"),
    ],
)
def test_fold_equivalences(variants: tuple[str, ...]) -> None:
    assert len({fold(v) for v in variants}) == 1, [fold(v) for v in variants]


def test_fold_values() -> None:
    assert fold("サロン") == "さろん"
    assert fold("桜ケ丘") == "桜が丘"
    assert fold("鹿ノ台") == "鹿の台"
    assert fold("ヴ") == "ゔ"
    assert fold("「子ども食堂」・ひろば！") == "子ども食堂 ひろば"
    assert fold(None) == ""
    assert fold("  ") == ""


def test_fold_keeps_meaningful_separators_between_digits() -> None:
    assert fold("東生駒1ー2ー3 10：30") == "東生駒1-2-3 10:30"
    assert fold("1.5km") == "1.5km"


def test_fold_does_not_solve_kanji_vs_kana_spellings() -> None:
    # Needs readings (jatext.reading), deliberately out of scope for fold.
    assert fold("まちの駅") != fold("まちのえき")
    assert fold("引き籠もり") != fold("引きこもり")


def test_fold_does_not_touch_kana_ke_outside_kanji_context() -> None:
    assert fold("ケーキ") == "けーき"
    assert fold("ヶ") == "け"


_JA_ALPHABET = st.sampled_from(
    list("あいうえおかがきアイウエオカガキヴヵヶケノのーｰｱｶﾞ-‐―－〜～~・「」、。 　桜丘鹿台生駒市0123４５ABcｄ!？")
)


@given(st.text())
def test_fold_is_idempotent_on_any_text(s: str) -> None:
    assert fold(fold(s)) == fold(s)


@settings(max_examples=300)
@given(st.text(_JA_ALPHABET, max_size=30))
def test_fold_is_idempotent_on_japanese_text(s: str) -> None:
    assert fold(fold(s)) == fold(s)


@given(st.text(st.characters(min_codepoint=0x30A1, max_codepoint=0x30F4), max_size=20))
def test_fold_katakana_equals_hiragana(s: str) -> None:
    hira = "".join(chr(ord(c) - 0x60) for c in s)
    assert fold(s) == fold(hira)


@given(st.text(st.characters(min_codepoint=0xFF66, max_codepoint=0xFF9D), max_size=20))
def test_fold_half_width_katakana_equals_full_width(s: str) -> None:
    import unicodedata

    assert fold(s) == fold(unicodedata.normalize("NFKC", s))


@given(st.text())
def test_fold_output_has_no_double_or_edge_spaces(s: str) -> None:
    out = fold(s)
    assert out == out.strip()
    assert "  " not in out


# --- kanji numerals ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("三丁目", "3丁目"),
        ("東生駒三丁目二十三番地", "東生駒3丁目23番地"),
        ("二十三番", "23番"),
        ("百歳体操", "100歳体操"),
        ("第二", "第2"),
        ("第二・第四木曜日", "第2・第4木曜日"),
        ("十時十分", "10時10分"),
        ("十一月", "11月"),
        ("二〇二六年", "2026年"),
        ("三万五千人", "35000人"),
        ("千二百回", "1200回"),
        ("一人参加", "1人参加"),  # documented: 一人 → 1人
        ("百貨店", "百貨店"),
        ("万一の場合", "万一の場合"),
        ("一緒に", "一緒に"),
        ("十分な広さ", "十分な広さ"),
        ("一時休止中", "一時休止中"),
        ("四日市市", "四日市市"),
        ("三条市", "三条市"),
        ("", ""),
    ],
)
def test_kanji_numerals_to_digits(raw: str, expected: str) -> None:
    assert kanji_numerals_to_digits(raw) == expected


# --- phone / postcode ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0743-74-1111", "0743-74-1111"),
        ("0743(74)1111", "0743-74-1111"),
        ("(0743)74-1111", "0743-74-1111"),
        ("０７４３－７４－１１１１", "0743-74-1111"),
        ("0743−74−1111", "0743-74-1111"),
        ("0743ー74ー1111", "0743-74-1111"),
        ("TEL：0743-74-1111（代表）", "0743-74-1111"),
        ("電話 090-1234-5678", "090-1234-5678"),
        ("09012345678", "090-1234-5678"),
        ("0120-123-456", "0120-123-456"),
        ("0120123456", "0120-123-456"),
        ("0800-123-4567", "0800-123-4567"),
        ("0312345678", "03-1234-5678"),
        ("0743741111", "0743741111"),  # ungrouped landline: area code length unknown
        ("+81 743-74-1111", "0743-74-1111"),
        ("内線1234", None),
        ("1234", None),
        ("074-374-11", None),
        ("0743-74-11111-1", None),
        ("12345678901", None),
        ("", None),
        (None, None),
        ("なし", None),
    ],
)
def test_normalize_phone(raw: str | None, expected: str | None) -> None:
    assert normalize_phone(raw) == expected


@given(st.text())
def test_normalize_phone_never_raises(s: str) -> None:
    out = normalize_phone(s)
    assert out is None or sum(c.isdigit() for c in out) in (10, 11)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("〒630-0288", "630-0288"),
        ("〒６３０－０２８８", "630-0288"),
        ("6300288", "630-0288"),
        ("630ー0288 奈良県生駒市", "630-0288"),
        ("630-02888", None),
        ("63-0288", None),
        (None, None),
    ],
)
def test_normalize_postcode(raw: str | None, expected: str | None) -> None:
    assert normalize_postcode(raw) == expected


# --- issue 20: ヶ/ケ/が must survive Sudachi's split -----------------------------------------


def test_unify_ke_gives_sudachi_one_spelling_and_leaves_ga_and_counters_alone() -> None:
    from jatext import unify_ke

    assert unify_ke("西松ヶ丘") == unify_ke("西松ヵ丘") == unify_ke("西松ケ丘") == "西松ケ丘"
    assert unify_ke("喜里が丘") == "喜里が丘"  # が is also a particle: left to fold()
    assert unify_ke("3ヶ月") == "3ヶ月"  # a counter, not between two kanji
    assert unify_ke("ヶ丘") == "ヶ丘"


def test_ga_runs_are_one_key_whatever_the_letter() -> None:
    from jatext import fold, ga_runs

    for spelling in ("西松ヶ丘", "西松ケ丘", "西松が丘", "西松ヵ丘"):
        assert ga_runs(fold(f"{spelling}の集会所")) == ["西松が丘"]
    assert ga_runs(fold("こども食堂")) == []
