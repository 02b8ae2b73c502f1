from __future__ import annotations

import threading

import pytest

from jatext import Token, reading, ruby_segments, tokens


def test_reading_is_hiragana_and_keeps_digits() -> None:
    assert reading("生駒市役所") == "いこましやくしょ"
    assert reading("サロン") == "さろん"
    assert reading("１０時から") == "10じから"
    assert reading("2026年") == "2026ねん"


def test_reading_empty() -> None:
    assert reading("") == ""
    assert reading(None) == ""
    assert tokens(None) == []
    assert ruby_segments("") == []


def test_tokens_fields() -> None:
    toks = tokens("引き籠もりの居場所")
    assert all(isinstance(t, Token) for t in toks)
    assert "".join(t.surface for t in toks) == "引き籠もりの居場所"
    first = toks[0]
    assert first.surface == "引き籠もり"
    assert first.reading_hiragana == "ひきこもり"
    assert first.part_of_speech[0] == "名詞"
    assert len(first.part_of_speech) == 6


@pytest.mark.parametrize("text", ["引き籠もりの方の居場所", "お出かけ生駒 毎週火曜日10時", "子ども食堂「ひまわり」", "ABCサロン\n二行目"])
def test_ruby_segments_cover_the_text(text: str) -> None:
    segs = ruby_segments(text)
    assert "".join(run for run, _ in segs) == text
    for run, rd in segs:
        if rd is not None:
            assert any("\u4e00" <= c <= "\u9fff" or c == "々" for c in run)
            assert all("\u3041" <= c <= "\u309f" or c == "ー" for c in rd)


def test_ruby_segments_split_okurigana() -> None:
    segs = ruby_segments("引き籠もり")
    assert segs == [("引", "ひ"), ("き", None), ("籠", "こ"), ("もり", None)]


def test_ruby_segments_kanji_runs_and_plain_runs() -> None:
    segs = ruby_segments("生駒の居場所")
    assert segs == [("生駒", "いこま"), ("の", None), ("居場所", "いばしょ")]


def test_unknown_kanji_gets_no_guess() -> None:
    segs = ruby_segments("𠮷")
    assert segs == [("𠮷", None)]


def test_tokenizer_is_safe_across_threads() -> None:
    results: list[str] = []

    def work() -> None:
        results.append(reading("毎週火曜日の体操教室"))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1 and len(results) == 8


def test_long_text_is_chunked() -> None:
    text = "居場所、" * 5000
    assert reading(text) == "いばしょ、" * 5000
    assert "".join(t.surface for t in tokens(text)) == text
