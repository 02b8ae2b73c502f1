"""municipal-csv reader: encodings, messy layouts, header variants, values, row reports."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest

from importers import READERS, UnreadableFile, load_mapping, read_municipal_csv, stable_id
from importers.municipal_csv import read_municipal_csv_bytes


def by_name(result):
    return {r.name: r for r in result.records}


def codes(result, row=None):
    return [i.code for i in result.issues if row is None or i.row == row]


# ── encodings and layout ──────────────────────────────────────────────────────────────────


def test_utf8_bom_crlf_with_title_rows_blank_lines_and_trailing_commas(fixtures: Path) -> None:
    raw = (fixtures / "kayoi_utf8bom_crlf.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    result = READERS["municipal-csv"].read(fixtures / "kayoi_utf8bom_crlf.csv")
    assert result.encoding == "utf-8-sig"
    # 5 data rows (blank lines do not count), the one without a name rejected
    assert result.total_rows == 5
    assert result.rejected_rows == {11}
    assert [r.row for r in result.records] == [5, 6, 8, 10]
    assert [r.source_id for r in result.records] == ["K001", "K002", "K003", "K004"]


def test_cp932_detected_without_being_told(fixtures: Path) -> None:
    raw = (fixtures / "kosodate_cp932.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    result = read_municipal_csv(fixtures / "kosodate_cp932.csv")
    assert result.encoding == "cp932"
    assert len(result.records) == 3
    assert result.records[0].name == "子育て支援センターすくすく"


def test_plain_utf8_lf(fixtures: Path) -> None:
    result = read_municipal_csv(fixtures / "events_utf8_lf.csv")
    assert result.encoding == "utf-8"
    assert [r.row for r in result.records] == [2, 3]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
@pytest.mark.parametrize("newline", ["\r\n", "\n"])
def test_same_records_whatever_the_encoding_and_line_endings(encoding: str, newline: str) -> None:
    text = "名称,種別,住所,緯度,経度\nサロン桜,サロン,奈良県生駒市桜ケ丘1-1,34.69,135.70\n"
    result = read_municipal_csv_bytes(text.replace("\n", newline).encode(encoding))
    assert result.encoding == encoding
    (record,) = result.records
    assert (record.name, record.category, record.lat) == ("サロン桜", "salon", 34.69)


def test_header_found_below_notes_and_merged_title_rows() -> None:
    text = (
        "生駒市オープンデータ,,,\n"
        "※本データはサンプルです。,,,\n"
        ",,,\n"
        "出典: 生駒市,更新日,2024/4/1,\n"
        "名称,種別,緯度,経度\n"
        "あおぞらサロン,サロン,34.69,135.70\n"
    )
    result = read_municipal_csv_bytes(text.encode())
    (record,) = result.records
    assert record.row == 6
    assert record.name == "あおぞらサロン"


def test_header_variants_full_width_spaces_and_brackets() -> None:
    text = "ＩＤ, 名 称 ,名称（カナ）,種別,所在地＿連結表記,ＵＲＬ,緯度,経度\nA1,すずらん会,スズランカイ,サロン,生駒市1-1,https://example.jp,34.7,135.7\n"
    (record,) = read_municipal_csv_bytes(text.encode("cp932")).records
    assert record.source_id == "A1"
    assert record.name_kana == "スズランカイ"
    assert record.address == "生駒市1-1"
    assert record.url == "https://example.jp"


def test_tab_separated_utf16_excel_unicode_text() -> None:
    text = "名称\t種別\t緯度\t経度\r\nたんぽぽ\tサロン\t34.7\t135.7\r\n"
    result = read_municipal_csv_bytes(text.encode("utf-16"))
    assert result.encoding == "utf-16"
    assert result.records[0].name == "たんぽぽ"


def test_100_column_csv(wide_csv: Path) -> None:
    result = read_municipal_csv(wide_csv)
    assert result.encoding == "cp932"
    assert len(result.records) == 3
    assert len(result.unknown_columns) == 92
    # each unknown column reported once, on the header row, not once per row
    unknown = [i for i in result.issues if i.code == "unknown_column"]
    assert len(unknown) == 92 and {i.row for i in unknown} == {2}
    first = result.records[0]
    assert first.extra["項目000"] == "値0-0"
    assert first.schedule is not None and first.schedule.rrule == "FREQ=WEEKLY;BYDAY=TU"


def test_unknown_columns_kept_in_extra_and_reported_once(fixtures: Path) -> None:
    result = read_municipal_csv(fixtures / "kayoi_utf8bom_crlf.csv")
    assert result.unknown_columns == ["世話人メモ"]
    assert codes(result).count("unknown_column") == 1
    himawari = by_name(result)["ひまわりサロン"]
    assert himawari.extra["世話人メモ"] == "鍵は会長宅"
    # standard columns we do not model are kept, but are not "unknown"
    assert himawari.extra["地方公共団体コード"] == "292095"


def test_values_beyond_the_header_are_kept_and_reported() -> None:
    text = "名称,種別\nひだまり,サロン,はみ出し値,\n"
    result = read_municipal_csv_bytes(text.encode())
    assert result.records[0].extra == {"列3": "はみ出し値"}
    assert codes(result) == ["extra_cells", "no_location"]


# ── values ────────────────────────────────────────────────────────────────────────────────


def test_values_go_through_the_normaliser(fixtures: Path) -> None:
    himawari = by_name(read_municipal_csv(fixtures / "kayoi_utf8bom_crlf.csv"))["ひまわりサロン"]
    assert himawari.address == "奈良県生駒市東新町8-38 東新町自治会館"  # 全角数字 + 方書
    assert himawari.contact_phone == "0743-74-1111"  # ０７４３ー７４ー１１１１
    assert himawari.extension == "213"
    assert himawari.cost_yen == 200 and himawari.cost_text == "1回200円"
    assert himawari.category == "salon" and himawari.category_text == "ふれあい・いきいきサロン"
    assert himawari.audiences == ["elderly"]
    assert himawari.geocode_level == "file"
    assert himawari.status_hint == "published" and himawari.draft_reasons == []


def test_postcode_and_phone_with_u2212_and_fullwidth(fixtures: Path) -> None:
    sukusuku = read_municipal_csv(fixtures / "kosodate_cp932.csv").records[0]
    assert sukusuku.postcode == "630-0213"
    assert sukusuku.contact_phone == "0743-75-0000"


def test_japanese_schedule_text_to_rrule(fixtures: Path) -> None:
    records = by_name(read_municipal_csv(fixtures / "kayoi_utf8bom_crlf.csv"))
    himawari = records["ひまわりサロン"].schedule
    assert himawari is not None
    assert (himawari.rrule, himawari.start, himawari.end) == ("FREQ=WEEKLY;BYDAY=TU", time(10), time(11, 30))
    sakura = records["さくら百歳体操"].schedule
    assert sakura is not None and sakura.rrule == "FREQ=MONTHLY;BYDAY=2TH,4TH"
    assert sakura.start == time(13, 30)
    orange = records["オレンジカフェ北"].schedule
    assert orange is not None and orange.rrule == "FREQ=MONTHLY;BYDAY=1SA"
    assert (orange.start, orange.end) == (time(10), time(12))  # 午前10時～正午
    nakayoshi = records["なかよし広場"].schedule
    assert nakayoshi is not None and nakayoshi.rrule == "FREQ=WEEKLY;BYDAY=MO,WE,FR"
    assert nakayoshi.skip_holidays
    # the record and its schedule keep one wording
    assert records["ひまわりサロン"].schedule_text == himawari.text == "毎週火曜日 10時〜11時半"


def test_weekday_and_time_columns_become_a_weekly_rule(fixtures: Path) -> None:
    sukusuku, piyo, jidokan = read_municipal_csv(fixtures / "kosodate_cp932.csv").records
    assert sukusuku.schedule is not None
    assert sukusuku.schedule.rrule == "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
    assert (sukusuku.schedule.start, sukusuku.schedule.end) == (time(9), time(16))
    assert sukusuku.schedule.skip_holidays  # 特記事項 「祝日を除く」
    assert sukusuku.schedule_text == "月〜金 09:00〜16:00 祝日を除く"
    assert piyo.schedule is not None and piyo.schedule.rrule == "FREQ=WEEKLY;BYDAY=TU,TH"
    assert jidokan.schedule is not None and (jidokan.schedule.start, jidokan.schedule.end) == (time(10), time(15))


def test_unparseable_schedule_kept_as_text_and_flagged() -> None:
    text = "名称,種別,開催日時\nふれあい喫茶,サロン,不定期（月1回程度）\n"
    result = read_municipal_csv_bytes(text.encode())
    (record,) = result.records
    assert record.schedule is None or record.schedule_needs_review
    assert record.schedule_needs_review
    assert record.schedule_text == "不定期(月1回程度)"
    assert "schedule_needs_review" in codes(result)


def test_event_layout_dates_and_times(fixtures: Path) -> None:
    mochi, matsuri = read_municipal_csv(fixtures / "events_utf8_lf.csv").records
    assert mochi.schedule is not None
    assert mochi.schedule.rrule is None and mochi.schedule.rdates == (date(2025, 1, 12),)
    assert (mochi.schedule.start, mochi.schedule.end) == (time(10), time(13))
    assert mochi.booking_required is False and mochi.capacity == 100 and mochi.cost_yen == 0
    assert mochi.place_name == "生駒ふれあい広場"
    assert matsuri.schedule is not None
    assert matsuri.schedule.rrule == "FREQ=DAILY;UNTIL=20250803"
    assert matsuri.schedule.dtstart == date(2025, 8, 1)  # 令和7年8月1日
    assert matsuri.booking_required is True and matsuri.capacity == 30
    assert matsuri.cost_yen is None and matsuri.cost_text == "子ども無料 大人300円"


def test_unknown_category_is_a_warning_and_a_draft(fixtures: Path) -> None:
    result = read_municipal_csv(fixtures / "kayoi_utf8bom_crlf.csv")
    nakayoshi = by_name(result)["なかよし広場"]
    assert nakayoshi.category is None and nakayoshi.category_text == "謎の集まり"
    assert nakayoshi.status_hint == "draft" and nakayoshi.draft_reasons == ["unknown_category"]
    (warning,) = [i for i in result.issues if i.code == "unknown_category"]
    assert warning.severity == "warning" and warning.row == 10 and warning.column == "種別"


def test_missing_name_rejects_the_row_with_row_and_column(fixtures: Path) -> None:
    result = read_municipal_csv(fixtures / "kayoi_utf8bom_crlf.csv")
    (error,) = result.errors
    assert (error.row, error.column, error.code) == (11, "名称", "missing_name")
    assert error.message_ja == "11行目「名称」: 名称がありません"
    assert error.message_en == "Row 11, column 名称: name is missing"


def test_stable_id_when_the_file_has_no_id(fixtures: Path) -> None:
    records = read_municipal_csv(fixtures / "kosodate_cp932.csv").records
    again = read_municipal_csv(fixtures / "kosodate_cp932.csv").records
    assert [r.source_id for r in records] == [r.source_id for r in again]
    assert records[0].source_id == stable_id("子育て支援センターすくすく", "奈良県生駒市東生駒1-1")
    assert len(records[0].source_id) == 12
    # folding: width and kana variants of the same name give the same ID
    assert stable_id("ｻﾛﾝ ひまわり", "生駒市1-1") == stable_id("サロン　ひまわり", "生駒市１－１")


def test_duplicate_id_rejects_the_second_row() -> None:
    text = "ID,名称,種別\n1,あ会,サロン\n1,い会,サロン\n"
    result = read_municipal_csv_bytes(text.encode())
    assert [r.name for r in result.records] == ["あ会"]
    assert result.rejected_rows == {3}
    (error,) = result.errors
    assert error.code == "duplicate_id" and "2行目" in error.message_ja


def test_booleans_capacity_accessibility_and_bad_values_are_warnings() -> None:
    text = (
        "名称,種別,要予約,見学可,一人参加可,初参加歓迎,定員,バリアフリー情報,メールアドレス,URL,電話番号,郵便番号\n"
        "a,サロン,要,○,はい,×,約20名,車いす可、駐車場、点字ブロック,a@example.jp,www.example.jp,0743-74-1111,630-0288\n"
        "b,サロン,たぶん,,,,多数,,not-mail,ftp:/x,12345,12\n"
    )
    result = read_municipal_csv_bytes(text.encode())
    a, b = result.records
    assert (a.booking_required, a.visit_ok, a.solo_ok, a.welcomes_first_timers) == (True, True, True, False)
    assert a.capacity == 20
    assert a.accessibility == ["wheelchair", "parking"]
    assert a.notes == "バリアフリー情報: 点字ブロック"
    assert a.url == "https://www.example.jp" and a.contact_email == "a@example.jp"
    assert a.postcode == "630-0288"
    assert b.booking_required is None and b.capacity is None and b.contact_email is None
    assert b.url is None and b.contact_phone is None and b.postcode is None
    # nothing is lost: the original text of a rejected value stays in extra
    assert b.extra["電話番号（原文）"] == "12345"
    assert set(codes(result, 3)) >= {
        "invalid_boolean", "invalid_capacity", "invalid_email", "invalid_url", "invalid_phone", "invalid_postcode",
    }
    assert all(i.severity == "warning" for i in result.issues)


@pytest.mark.parametrize(
    ("cost", "expected"),
    [("無料", 0), ("100円", 100), ("1回200円", 200), ("１，０００円", 1000), ("百円", 100), ("300", 300),
     ("参加費：1回100円（お茶代）", 100), ("大人500円、子ども200円", None), ("実費", None), ("", None)],
)
def test_cost_text(cost: str, expected: int | None) -> None:
    text = f"名称,種別,料金\nx,サロン,{cost}\n"
    (record,) = read_municipal_csv_bytes(text.encode()).records
    assert record.cost_yen == expected


# ── coordinates ───────────────────────────────────────────────────────────────────────────


def test_coordinate_mistakes(fixtures: Path) -> None:
    result = read_municipal_csv(fixtures / "coords_messy.csv")
    records = by_name(result)
    dms = records["度分秒の集会所"]
    assert dms.lat == pytest.approx(34.6918, abs=1e-4) and dms.lon == pytest.approx(135.7007, abs=1e-4)
    swapped = records["入れ替わり会館"]
    assert (swapped.lat, swapped.lon) == (34.6918, 135.7007)
    outside = records["ヌル島サロン"]
    assert outside.lat is None and outside.status_hint == "draft" and outside.draft_reasons == ["no_location"]
    missing = records["座標なし会"]
    assert missing.lat is None and missing.draft_reasons == ["no_location"]
    assert set(codes(result)) >= {"coord_converted", "coord_swapped", "coord_outside_japan", "no_location"}


def test_non_numeric_latitude_is_an_error_naming_row_and_column(fixtures: Path) -> None:
    result = read_municipal_csv(fixtures / "coords_messy.csv")
    (error,) = result.errors
    assert (error.row, error.column, error.code, error.severity) == (5, "緯度", "not_a_number", "error")
    assert error.message_ja == '5行目「緯度」: 数値ではありません（"abc"）'
    assert error.message_en == 'Row 5, column 緯度: not a number ("abc")'
    assert 5 in result.rejected_rows


def test_missing_coordinates_geocoded_when_a_geocoder_is_given(fixtures: Path, geocoder) -> None:
    result = read_municipal_csv(fixtures / "coords_messy.csv", geocoder=geocoder)
    missing = by_name(result)["座標なし会"]
    assert (missing.lat, missing.lon, missing.geocode_level) == (34.6920, 135.7005, "gaiku")
    assert missing.status_hint == "published"
    assert "geocoded" in codes(result, 6)


def test_tokyo_datum_suspicion_reported(geocoder) -> None:
    from gis.coords import jgd2011_to_tokyo

    true_lat, true_lon = 34.6920, 135.7005
    old_lat, old_lon = jgd2011_to_tokyo(true_lat, true_lon)
    text = f"名称,種別,住所,緯度,経度\n旧座標会,サロン,奈良県生駒市元町1-1,{old_lat:.6f},{old_lon:.6f}\n"
    result = read_municipal_csv_bytes(text.encode(), geocoder=geocoder)
    (record,) = result.records
    assert record.lat == pytest.approx(old_lat, abs=1e-6)  # kept; a person confirms
    (warning,) = [i for i in result.issues if i.code == "coord_tokyo_datum"]
    assert "旧日本測地系" in warning.message_ja and "Tokyo datum" in warning.message_en


# ── mapping files ─────────────────────────────────────────────────────────────────────────


def test_mapping_file_for_a_citys_own_column_names(fixtures: Path) -> None:
    mapping = load_mapping(fixtures / "own_columns_mapping.toml")
    assert mapping["北緯"] == "lat"
    result = read_municipal_csv(fixtures / "own_columns.csv", mapping=mapping)
    (record,) = result.records
    assert (record.name, record.name_kana, record.category) == ("ほっとサロン", "ほっとさろん", "salon")
    assert (record.lat, record.lon, record.address) == (34.70, 135.71, "奈良県生駒市辻町1-1")
    assert record.schedule is not None and record.schedule.rrule == "FREQ=WEEKLY;BYDAY=WE"
    assert result.unknown_columns == []


def test_mapping_file_errors(tmp_path: Path) -> None:
    from importers import MappingError

    bad = tmp_path / "bad.toml"
    bad.write_text('[columns]\n"施設名" = "存在しない列"\n', encoding="utf-8")
    with pytest.raises(MappingError) as exc:
        load_mapping(bad)
    assert "存在しない列" in exc.value.message_ja and "unknown target" in exc.value.message_en
    broken = tmp_path / "broken.toml"
    broken.write_text("[columns\n", encoding="utf-8")
    with pytest.raises(UnreadableFile):
        load_mapping(broken)
    (tmp_path / "none.toml").write_text("x = 1\n", encoding="utf-8")
    with pytest.raises(MappingError):
        load_mapping(tmp_path / "none.toml")


# ── unreadable files ──────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    "data",
    [b"", b"   \r\n", b"\x00\x01\x02PK", "名称,種別\n".encode()[:2] + b"\xff\xfe\xfd\x80\x81",
     "列A,列B,列C\n1,2,3\n".encode()],
)
def test_unreadable_files_raise_with_both_languages(data: bytes) -> None:
    with pytest.raises(UnreadableFile) as exc:
        read_municipal_csv_bytes(data)
    assert exc.value.message_ja and exc.value.message_en


def test_missing_file_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile):
        read_municipal_csv(tmp_path / "nope.csv")


def test_header_without_a_name_column_is_unreadable() -> None:
    with pytest.raises(UnreadableFile) as exc:
        read_municipal_csv_bytes("種別,住所,緯度,経度\nサロン,x,34,135\n".encode())
    assert "名称" in exc.value.message_ja


def test_report_is_json_ready(fixtures: Path) -> None:
    import json

    report = read_municipal_csv(fixtures / "kayoi_utf8bom_crlf.csv").to_report()
    text = json.dumps(report, ensure_ascii=False)
    assert '"rejected_rows": [11]' in text


# ── 料金_円: the amount our export writes next to the 料金 text ────────────────────────────


def test_cost_yen_column_is_the_amount_even_when_the_text_says_otherwise(tmp_path: Path) -> None:
    path = tmp_path / "cost.csv"
    path.write_text(
        "ID,名称,種別,料金,料金_円\n"
        "C1,喫茶の会,サロン,入場無料（喫茶100円）,0\n"
        "C2,歌の会,サロン,1回100円,\n"
        "C3,体操,体操,無料,たくさん\n",
        encoding="utf-8",
    )
    result = read_municipal_csv(path)
    c1, c2, c3 = result.records
    assert (c1.cost_text, c1.cost_yen) == ("入場無料(喫茶100円)", 0)
    # column present but empty: the amount is unset, not re-derived from the text
    assert (c2.cost_text, c2.cost_yen) == ("1回100円", None)
    assert c3.cost_yen is None and c3.extra == {"料金_円（原文）": "たくさん"}
    assert "invalid_cost_yen" in codes(result, 4)
    assert "cost_not_understood" not in codes(result)


def test_without_cost_yen_column_the_amount_comes_from_the_text(tmp_path: Path) -> None:
    path = tmp_path / "cost.csv"
    path.write_text("ID,名称,種別,料金\nC2,歌の会,サロン,1回100円\n", encoding="utf-8")
    (record,) = read_municipal_csv(path).records
    assert record.cost_yen == 100


def test_rejected_rows_carry_their_id_when_it_can_be_read(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "ID,名称,種別,所在地_連結表記,緯度\n"
        "R1,,サロン,奈良県生駒市元町1-1,34.7\n"  # no name, ID cell readable
        ",,サロン,奈良県生駒市元町1-1,34.7\n"  # no ID, no name: cannot be identified
        ",ひまわり,サロン,奈良県生駒市元町1-1,北緯\n"  # no ID: the stable ID from name + address
        "R1,重複,サロン,,\n",
        encoding="utf-8",
    )
    result = read_municipal_csv(path)
    assert result.rejected_rows == {2, 3, 4}
    assert result.rejected_ids == {"R1": 2, stable_id("ひまわり", "奈良県生駒市元町1-1"): 4}
    assert result.unidentified_rows == [3]
    assert result.to_report()["unidentified_rows"] == [3]


def test_schedule_note_closures_become_rule_parts(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text(
        "ID,名称,種別,利用可能曜日,開始時間,終了時間,利用可能日時特記事項\n"
        "A,あ,サロン,月・水・金 祝日を除く,10:00,12:00,\n"
        "B,い,サロン,月・水・金,10:00,12:00,年末年始を除く\n"
        "C,う,サロン,水,10:00,12:00,8月は休み\n",
        encoding="utf-8",
    )
    result = read_municipal_csv(path)
    a, b, c = result.records
    assert a.schedule is not None and a.schedule.rrule == "FREQ=WEEKLY;BYDAY=MO,WE,FR"
    assert a.schedule.skip_holidays and not a.schedule_needs_review
    assert b.schedule is not None and b.schedule.rrule == "FREQ=WEEKLY;BYDAY=MO,WE,FR"
    # 年末年始 is a closure the rule carries (12/29–1/3 every year), not a reason to review.
    assert not b.schedule_needs_review and "schedule_needs_review" not in codes(result, 3)
    assert b.schedule.yearly_exclusions == ("12-29/01-03",) and b.schedule.exdates == ()
    assert b.note_kind == "closure"
    assert c.schedule is not None and c.schedule.rrule == "FREQ=WEEKLY;BYDAY=WE;BYMONTH=1,2,3,4,5,6,7,9,10,11,12"
    assert not c.schedule_needs_review
