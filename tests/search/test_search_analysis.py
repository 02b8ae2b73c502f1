"""The search analysis chain: one normaliser (jatext), readings, n-grams, synonyms, query building."""

from __future__ import annotations

import pytest

from webapp.search.analysis import (
    analyse_term,
    is_kana,
    query_terms,
    query_words,
    reading_runs,
    town_of,
    word_tokens,
    yomi_grams,
)
from webapp.search.index import SourceText, fingerprint, make_document
from webapp.search.synonyms import expand_query, synonym_table


@pytest.mark.parametrize("spelling", ["サロン", "さろん", "ｻﾛﾝ", "サロン"])
def test_width_and_script_variants_give_the_same_word_token(spelling: str) -> None:
    assert "さろん" in word_tokens(spelling)


def test_word_tokens_carry_normalized_form_surface_and_reading() -> None:
    toks = word_tokens("子ども食堂 ひきこもり")
    assert "子供" in toks and "子ども" in toks and "こども" in toks
    assert "引き籠もり" in toks and "ひきこもり" in toks


def test_kanji_numerals_become_digits_for_words_but_readings_keep_the_kanji_reading() -> None:
    assert "100" in word_tokens("百歳体操")
    assert word_tokens("百歳体操")[:1] == word_tokens("100歳体操")[:1]
    assert reading_runs("百歳体操") == ["ひゃくさいたいそう"]


def test_whitespace_and_punctuation_are_not_tokens() -> None:
    # Sudachi gives a space the reading きごう; it must never reach the index.
    assert "きごう" not in word_tokens("囲碁 将棋")
    assert reading_runs("子育て、ひろば") == ["こそだて", "ひろば"]
    assert word_tokens("、。！ ") == []


def test_small_kana_are_kept() -> None:
    assert "しゃきしゃき" in "".join(reading_runs("しゃきしゃき体操"))


def test_yomi_trigrams_and_short_runs() -> None:
    assert yomi_grams(["こそだて"]) == ["こそだ", "そだて", "^こそだ"]
    assert yomi_grams(["いご"]) == ["いご"]


def test_yomi_anchors_mark_where_each_word_starts() -> None:
    # 子育て|広場: anchors at こそだ and ひろば, none inside a word (そだて, だてひ).
    grams = yomi_grams(["こそだて|ひろば"])
    assert "^こそだ" in grams and "^ひろば" in grams
    assert "^そだて" not in grams and "^だてひ" not in grams
    assert "だてひ" in grams


@pytest.mark.parametrize(
    ("address", "towns"),
    [
        ("奈良県生駒市鹿ノ台東1丁目11-15", ["鹿ノ台東", "鹿ノ台"]),
        ("奈良県生駒市高山町970-28", ["高山町"]),
        ("生駒市真弓2丁目7-6", ["真弓"]),
        ("", []),
    ],
)
def test_town_of_address(address: str, towns: list[str]) -> None:
    assert town_of(address) == towns


def test_query_terms_of_punctuation_only_is_empty() -> None:
    assert query_terms("、。 !?　") == []
    assert query_terms("ｻﾛﾝ　鹿ノ台") == ["さろん", "鹿の台"]


def test_analyse_term_kana_flag() -> None:
    assert analyse_term("こそだて").kana
    assert not analyse_term("子育て").kana
    assert is_kana("まーじゃん")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("ひゃくさいたいそう", "100歳体操"),
        ("１００歳体操", "ひゃくさいたいそう"),
        ("百歳体操", "ひゃくさいたいそう"),
        ("引き籠もり", "ひきこもり"),
        ("まちの駅", "まちのえき"),
        ("ｻﾛﾝ", "通いの場"),
    ],
)
def test_synonyms_expand_by_folded_spelling(typed: str, expected: str) -> None:
    groups = expand_query(typed)
    assert len(groups) == 1
    assert expected in groups[0]


def test_multiword_synonym_is_recognised() -> None:
    groups = expand_query("認知症 カフェ 鹿ノ台")
    assert len(groups) == 2
    assert "オレンジカフェ" in groups[0]
    assert groups[1] == ["鹿ノ台"]


def test_query_words_keep_the_typed_script() -> None:
    assert query_words("カラオケ　ｻﾛﾝ 百歳体操") == [("カラオケ", "からおけ"), ("サロン", "さろん"), ("100歳体操", "100歳体操")]
    assert query_words("囲碁・将棋") == [("囲碁", "囲碁"), ("将棋", "将棋")]
    assert expand_query("、、") == []


def test_synonym_table_is_one_step_only() -> None:
    table = synonym_table()
    # 体操 and 百歳体操 are different groups: 体操 must not pull in 100歳体操 spellings.
    assert "ひゃくさいたいそう" not in table["体操"]


def test_fingerprint_changes_with_content() -> None:
    a = SourceText(id=1, name="サロン")
    b = SourceText(id=1, name="サロン ひだまり")
    assert fingerprint(a) != fingerprint(b)
    assert fingerprint(a) == fingerprint(SourceText(id=1, name="サロン"))


def test_document_has_only_tokens_and_id() -> None:
    doc = make_document(SourceText(id=7, name="子育てひろば", description="毎週火曜"))
    assert doc["id"] == "7"
    assert "こそだて" in doc["w_title"].split()
    assert "こそだ" in doc["y_title"].split()


