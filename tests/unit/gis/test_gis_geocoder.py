"""gis.geocoder: address normalisation and 街区 → 丁目 → 大字 lookups on 位置参照情報 files."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from gis.geocoder import (
    GAIKU_COLUMNS,
    OAZA_COLUMNS,
    Geocoder,
    GeocodeResult,
    NormalizedAddress,
    normalize_address,
)

FIXTURES = Path(__file__).parent / "fixtures"
FILES = [FIXTURES / "gaiku_cp932.csv", FIXTURES / "oaza_utf8bom.csv"]
SAMPLE = Path(__file__).resolve().parents[3] / "data" / "sample" / "geocoder"


@pytest.fixture(scope="module")
def geo() -> Geocoder:
    return Geocoder.from_files(FILES, default_city="生駒市")


@pytest.mark.parametrize(
    "text",
    [
        "奈良県生駒市東新町８－３８",
        "生駒市東新町8番38号",
        "東新町八番三十八号",
        "東新町8-38",
        "東新町８ー３８",
        "東新町 8番地の38",
        "〒630-0288 奈良県生駒市東新町8番38号",
        "〒６３０－０２８８　奈良県 生駒市 東新町 ８－３８",
    ],
)
def test_normalize_city_hall_variants(text: str) -> None:
    n = normalize_address(text)
    assert (n.town, n.chome, n.block, n.rest) == ("東新町", None, "8", "38")
    assert n.city in (None, "生駒市")


@pytest.mark.parametrize(
    "text",
    ["東生駒1-2-3", "東生駒１－２－３", "東生駒1丁目2番3号", "東生駒一丁目二番地の三", "東生駒一丁目2-3"],
)
def test_normalize_chome_variants(text: str) -> None:
    assert normalize_address(text) == NormalizedAddress(None, None, "東生駒", 1, "2", "3")


def test_normalize_prefixes_and_structure() -> None:
    assert normalize_address("生駒市大字高山町") == NormalizedAddress(
        None, "生駒市", "高山町", None, None, ""
    )
    assert normalize_address("奈良県生駒市字高山町8916番地の1") == NormalizedAddress(
        "奈良県", "生駒市", "高山町", None, "8916", "1"
    )
    assert normalize_address("大阪府大阪市北区梅田1丁目1-3").city == "大阪市北区"
    assert normalize_address("奈良県生駒郡平群町吉新1-1").city == "生駒郡平群町"
    assert normalize_address("三重県四日市市諏訪町1-5").city == "四日市市"
    assert normalize_address("東京都千代田区霞が関1-1-1").city == "千代田区"
    # A kanji numeral that is part of the name stays in the name.
    assert normalize_address("一分町12").town == "一分町"
    # The building after the numbers is kept in rest.
    assert normalize_address("生駒市東新町8-38 生駒市役所2階").rest == "38 生駒市役所2階"
    assert normalize_address("") == NormalizedAddress(None, None, None, None, None, "")


def test_reads_cp932_and_utf8_bom(geo: Geocoder) -> None:
    assert geo.cities == ["奈良市", "生駒市"]
    assert geo.rows_read == 18 and geo.rows_skipped == 0


@pytest.mark.parametrize(
    "text",
    [
        "奈良県生駒市東新町８－３８",
        "生駒市東新町8番38号",
        "東新町八番三十八号",
        "東新町8",
        "生駒市東新町8番地",
        "生駒市東新町8-38-201",
    ],
)
def test_geocode_gaiku(geo: Geocoder, text: str) -> None:
    assert geo.geocode(text) == GeocodeResult(34.692, 135.7006, "gaiku", "奈良県生駒市東新町8番")


def test_geocode_chome_and_gaiku_levels(geo: Geocoder) -> None:
    r = geo.geocode("生駒市東生駒一丁目二番地の三")
    assert r == GeocodeResult(34.6902, 135.7102, "gaiku", "奈良県生駒市東生駒1丁目2番")  # 代表 row wins
    # a-b in a town with 丁目 is 丁目-番.
    assert geo.geocode("東生駒1-2") == r
    # Unknown block → the 丁目 point.
    assert geo.geocode("東生駒1-99-1") == GeocodeResult(34.69, 135.71, "chome", "奈良県生駒市東生駒1丁目")
    # 丁目 only in the 町丁目 file.
    assert geo.geocode("東生駒三丁目5-5") == GeocodeResult(
        34.693, 135.713, "chome", "奈良県生駒市東生駒3丁目"
    )
    # 丁目 only in the 街区 file: its point is the mean of its blocks.
    r2 = geo.geocode("東生駒2丁目")
    assert r2 is not None and r2.level == "chome" and (r2.lat, r2.lon) == (34.6915, 135.7125)


def test_geocode_oaza_fallbacks(geo: Geocoder) -> None:
    assert geo.geocode("生駒市大字高山町") == GeocodeResult(34.751, 135.731, "oaza", "奈良県生駒市高山町")
    assert geo.geocode("高山町8916-1") == GeocodeResult(34.75, 135.73, "gaiku", "奈良県生駒市高山町8916番地")
    assert geo.geocode("生駒市高山町1-1") == GeocodeResult(34.751, 135.731, "oaza", "奈良県生駒市高山町")
    assert geo.geocode("生駒市大字高山町字北田原100") is not None
    assert geo.geocode("東新町99-1") == GeocodeResult(34.693, 135.703, "oaza", "奈良県生駒市東新町")
    # 大字 point derived from its 丁目 when the file has none.
    r = geo.geocode("生駒市鹿ノ台東")
    assert r is not None and r.level == "oaza" and (r.lat, r.lon) == (34.7444, 135.7444)


@pytest.mark.parametrize("text", ["桜ヶ丘3", "桜ケ丘3", "桜が丘3", "桜ガ丘3番", "生駒市桜ヶ丘３"])
def test_ga_variants(geo: Geocoder, text: str) -> None:
    assert geo.geocode(text) == GeocodeResult(34.6853, 135.7133, "gaiku", "奈良県生駒市桜ケ丘3番")


@pytest.mark.parametrize("text", ["鹿ノ台東1-4", "鹿の台東一丁目4番", "鹿ノ台東１丁目４"])
def test_no_variants(geo: Geocoder, text: str) -> None:
    r = geo.geocode(text)
    assert r is not None and r.level == "gaiku" and r.matched_text == "奈良県生駒市鹿ノ台東1丁目4番"


def test_kanji_numeral_in_town_name(geo: Geocoder) -> None:
    r = geo.geocode("生駒市一分町12")
    assert r is not None and r.level == "gaiku" and r.matched_text == "奈良県生駒市一分町12番地"


def test_same_town_in_two_cities(geo: Geocoder) -> None:
    nara = geo.geocode("奈良市東新町8")
    assert nara is not None and nara.lon == 135.83
    # No city written: the default city wins; without one the address is ambiguous.
    assert geo.geocode("東新町8").lon == 135.7006  # type: ignore[union-attr]
    plain = Geocoder.from_files(FILES)
    assert plain.geocode("東新町8") is None
    assert plain.geocode("生駒市東新町8") is not None
    # Prefecture and city must agree.
    assert geo.geocode("大阪府生駒市東新町8") is None


def test_unknown_addresses(geo: Geocoder) -> None:
    assert geo.geocode("") is None
    assert geo.geocode("生駒市存在しない町1-1") is None
    assert geo.geocode("大阪市北区梅田1-1") is None
    # A prefix of a real town name is not that town.
    assert geo.geocode("生駒市東新") is None


def test_normalize_with_index(geo: Geocoder) -> None:
    assert geo.normalize("東新町八番三十八号") == NormalizedAddress(
        "奈良県", "生駒市", "東新町", None, "8", "38"
    )
    assert geo.normalize("桜が丘3").town == "桜ケ丘"


def test_from_rows_and_bad_rows() -> None:
    g = Geocoder.from_rows(
        [
            dict(
                zip(
                    OAZA_COLUMNS,
                    ["29", "奈良県", "29209", "生駒市", "1", "北新町", "34.69", "135.70", "1", "1"],
                    strict=True,
                )
            ),
            dict(
                zip(
                    OAZA_COLUMNS,
                    ["29", "奈良県", "29209", "生駒市", "2", "南新町", "abc", "135.70", "1", "1"],
                    strict=True,
                )
            ),
            {"something": "else"},
        ]
    )
    assert g.rows_read == 3 and g.rows_skipped == 2
    assert g.geocode("北新町1") == GeocodeResult(34.69, 135.70, "oaza", "奈良県生駒市北新町")


def test_not_a_geocoder_file(tmp_path: Path) -> None:
    p = tmp_path / "x.csv"
    p.write_text("名称,緯度,経度\nA,34,135\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not a 位置参照情報 CSV"):
        Geocoder.from_files([p])
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match="empty"):
        Geocoder.from_files([empty])


def test_speed_is_dict_lookups() -> None:
    # 1,000 towns x 3 丁目 x 20 blocks. Generous bound for a slow CI; measured ~35 µs/address
    # on a 2-core machine (100k addresses in ~3.5 s).
    kanji = "東西南北上中新本元高山川田原野台丘岡谷森"
    towns = sorted(
        {kanji[i % 19] + kanji[(i // 19) % 19] + kanji[(i // 361) % 19] + "町" for i in range(1000)}
    )
    rows = [
        dict(
            zip(
                GAIKU_COLUMNS,
                [
                    "奈良県",
                    "生駒市",
                    f"{t}{c}丁目",
                    "",
                    str(b),
                    "6",
                    "",
                    "",
                    "34.7",
                    "135.7",
                    "1",
                    "1",
                    "0",
                    "0",
                ],
                strict=True,
            )
        )
        for t in towns
        for c in "一二三"
        for b in range(1, 21)
    ]
    g = Geocoder.from_rows(rows)
    addresses = [f"奈良県生駒市{t}{c}-{b}-{b}" for t in towns[::2] for c in (1, 3) for b in (1, 20)]
    start = time.perf_counter()
    hits = [g.geocode(a) for a in addresses]
    per = (time.perf_counter() - start) / len(addresses)
    assert all(h is not None and h.level == "gaiku" for h in hits)
    assert per < 1e-3


@pytest.mark.skipif(not SAMPLE.is_dir(), reason="data/sample/geocoder not present")
def test_sample_city_files() -> None:
    g = Geocoder.from_files(sorted(SAMPLE.glob("*.csv")), default_city="生駒市")
    assert "生駒市" in g.cities
    r = g.geocode("奈良県生駒市元町一丁目1番")
    assert r is not None and r.level == "gaiku"
    assert g.geocode("生駒市元町1-1") == r
    assert g.geocode("生駒市東新町").level in ("oaza", "chome", "gaiku")  # type: ignore[union-attr]


def test_representative_row_wins_whatever_the_order() -> None:
    def row(lat: str, rep: str) -> dict[str, str]:
        values = ["奈良県", "生駒市", "北新町", "", "5", "6", "", "", lat, "135.7", "1", rep, "0", "0"]
        return dict(zip(GAIKU_COLUMNS, values, strict=True))

    for rows in ([row("34.1", "0"), row("34.2", "1")], [row("34.2", "1"), row("34.1", "0")]):
        r = Geocoder.from_rows(rows).geocode("生駒市北新町5")
        assert r is not None and r.lat == 34.2
