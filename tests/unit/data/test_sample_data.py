"""Shipped data: taxonomy, synonyms, the SAMPLE city, its districts and geocoder tables, icons."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
import tomllib
from collections import Counter
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from dateutil.rrule import rrulestr
from pyproj import Transformer
from shapely.geometry import Point, shape

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "data"
SAMPLE = DATA / "sample"
ICONS = ROOT / "static" / "icons"

CATEGORY_CODES = {
    "salon", "exercise", "dementia_cafe", "parenting", "kids_cafeteria", "machi_no_eki", "ibasho",
    "activity_support", "consultation", "volunteer", "learning", "multigenerational",
}
AUDIENCE_CODES = {
    "everyone", "elderly", "parents_children", "children", "youth", "disability", "hikikomori", "caregivers",
}
ACCESSIBILITY_CODES = {
    "wheelchair", "accessible_toilet", "parking", "elevator", "step_free", "hearing_support", "nursing_room",
    "stroller", "pickup",
}
ORG_KINDS = {"jichikai", "npo", "shakyo", "business", "city", "volunteer_group", "other"}
# Rough bounding box of 生駒市 (lat 34.63–34.76, lon 135.66–135.76).
LAT_RANGE = (34.625, 34.770)
LON_RANGE = (135.655, 135.765)
NOTICE = "サンプルデータです。実在の団体・活動とは関係ありません。"


@cache
def taxonomy() -> dict[str, Any]:
    return tomllib.loads((DATA / "taxonomy.toml").read_text(encoding="utf-8"))


@cache
def synonyms() -> dict[str, Any]:
    return tomllib.loads((DATA / "synonyms.toml").read_text(encoding="utf-8"))


@cache
def city() -> dict[str, Any]:
    return json.loads((SAMPLE / "city.json").read_text(encoding="utf-8"))


@cache
def districts() -> dict[str, Any]:
    return json.loads((SAMPLE / "districts.geojson").read_text(encoding="utf-8"))


def codes(kind: str) -> set[str]:
    return {e["code"] for e in taxonomy()[kind]}


def contrast_with_white(hex_colour: str) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    h = hex_colour.lstrip("#")
    r, g, b = (channel(int(h[i : i + 2], 16) / 255) for i in (0, 2, 4))
    lum = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return 1.05 / (lum + 0.05)


def read_cp932_csv(name: str) -> list[list[str]]:
    raw = (SAMPLE / "geocoder" / name).read_bytes()
    return list(csv.reader(io.StringIO(raw.decode("cp932"), newline="")))


# ── taxonomy ────────────────────────────────────────────────────────────────────────────────
def test_contrast_helper_matches_known_values() -> None:
    assert contrast_with_white("#000000") == pytest.approx(21.0)
    assert contrast_with_white("#FFFFFF") == pytest.approx(1.0)
    assert contrast_with_white("#767676") == pytest.approx(4.54, abs=0.01)


def test_taxonomy_codes_are_exactly_the_agreed_ones() -> None:
    assert codes("category") == CATEGORY_CODES
    assert codes("audience") == AUDIENCE_CODES
    assert codes("accessibility") == ACCESSIBILITY_CODES


@pytest.mark.parametrize("kind", ["category", "audience", "accessibility", "interest", "district_kind"])
def test_taxonomy_entries_are_complete_and_unique(kind: str) -> None:
    entries = taxonomy()[kind]
    assert len({e["code"] for e in entries}) == len(entries)
    assert len({e["ja"] for e in entries}) == len(entries)
    for e in entries:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", e["code"]), e
        assert e["ja"].strip() and e["en"].strip(), e


def test_categories_have_reading_order_icon_and_accessible_colour() -> None:
    cats = taxonomy()["category"]
    assert len({c["order"] for c in cats}) == len(cats)
    for c in cats:
        assert re.fullmatch(r"[\u3041-\u309f・ー]+", c["kana"]), c["kana"]
        assert re.fullmatch(r"#[0-9A-Fa-f]{6}", c["color"]), c
        assert contrast_with_white(c["color"]) >= 4.5, (c["code"], c["color"])
        assert c["icon"] == f"{c['code']}.svg"


def test_interest_vocabulary_covers_the_short_search_words() -> None:
    interests = taxonomy()["interest"]
    assert 35 <= len(interests) <= 50
    ja = {i["ja"] for i in interests}
    for word in ["囲碁", "将棋", "麻雀", "手芸", "体操", "読書", "写真", "語学", "茶話会", "卓球", "グラウンドゴルフ", "就労体験"]:
        assert word in ja, word


# ── synonyms ────────────────────────────────────────────────────────────────────────────────
def test_synonym_groups() -> None:
    groups = synonyms()["group"]
    assert 15 <= len(groups) <= 25
    for g in groups:
        terms = g["terms"]
        assert len(terms) >= 2 and len(set(terms)) == len(terms), terms
        assert all(isinstance(t, str) and t.strip() == t and t for t in terms), terms
    flat = {t for g in groups for t in g["terms"]}
    for t in ["通いの場", "つどい", "まちの駅", "100歳体操", "オレンジカフェ", "こども食堂", "引きこもり", "よろず相談"]:
        assert t in flat, t


def test_category_terms_map_to_known_codes_and_cover_open_data_words() -> None:
    terms = synonyms()["category_terms"]
    assert set(terms.values()) <= CATEGORY_CODES
    assert set(terms.values()) == CATEGORY_CODES  # every category is reachable from an import
    for word, code in {
        "高齢者サロン": "salon", "ふれあいいきいきサロン": "salon", "通いの場": "salon",
        "子育て支援センター": "parenting", "児童館": "parenting", "認知症カフェ": "dementia_cafe",
        "こども食堂": "kids_cafeteria", "地域活動支援センター": "activity_support", "相談窓口": "consultation",
    }.items():
        assert terms[word] == code, word


# ── icons ───────────────────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("code", sorted(CATEGORY_CODES))
def test_category_icon_is_a_24px_currentcolor_svg(code: str) -> None:
    svg = (ICONS / f"{code}.svg").read_text(encoding="utf-8")
    assert 'viewBox="0 0 24 24"' in svg
    assert 'fill="currentColor"' in svg
    # Single colour: no other fill or stroke colour, no embedded images or scripts.
    assert not re.search(r'(fill|stroke)="#', svg)
    assert "<script" not in svg and "<image" not in svg and "href" not in svg.replace('xmlns="http', "")


# ── sample city ─────────────────────────────────────────────────────────────────────────────
def test_sample_is_labelled_on_every_record() -> None:
    c = city()
    assert c["notice"] == NOTICE
    assert c["source"] == "sample"
    for kind in ("organizations", "places", "activities"):
        assert c[kind], kind
        assert all(r["source"] == "sample" for r in c[kind]), kind


def test_sample_sizes_and_mix() -> None:
    c = city()
    acts = c["activities"]
    assert 130 <= len(acts) <= 170
    assert 75 <= len(c["places"]) <= 110
    per = Counter(a["category"] for a in acts)
    assert set(per) == CATEGORY_CODES
    assert 40 <= per["salon"] + per["exercise"] <= 50
    assert per["parenting"] >= 12 and per["kids_cafeteria"] >= 10 and per["dementia_cafe"] >= 8
    assert per["machi_no_eki"] >= 6 and per["consultation"] >= 6 and per["ibasho"] >= 6


def test_sample_keys_are_unique_and_references_resolve() -> None:
    c = city()
    orgs = [o["key"] for o in c["organizations"]]
    places = [p["key"] for p in c["places"]]
    ids = [a["source_id"] for a in c["activities"]]
    for keys in (orgs, places, ids):
        assert len(set(keys)) == len(keys)
    for a in c["activities"]:
        assert a["organization"] in orgs, a["source_id"]
        assert a["place"] in places, a["source_id"]


def test_sample_organizations() -> None:
    for o in city()["organizations"]:
        assert o["kind"] in ORG_KINDS, o
        assert re.fullmatch(r"0743-(00|99)-\d{4}", o["phone"]), o
        assert o["email"].endswith("@example.jp"), o
        assert o["url"] is None or o["url"].startswith("https://example.jp/"), o
        assert re.fullmatch(r"[\u30a0-\u30ff・ー（）() 　]+", o["name_kana"]), o["name_kana"]


def test_sample_places_are_inside_the_city() -> None:
    outline = shape(json.loads((SAMPLE / "city_outline.geojson").read_text(encoding="utf-8"))["features"][0]["geometry"])
    for p in city()["places"]:
        assert LAT_RANGE[0] <= p["lat"] <= LAT_RANGE[1], p
        assert LON_RANGE[0] <= p["lon"] <= LON_RANGE[1], p
        assert outline.contains(Point(p["lon"], p["lat"])), p["key"]
        assert p["address"].startswith("奈良県生駒市"), p
        assert re.fullmatch(r"630-0[12]\d\d", p["postcode"]), p
        assert set(p["accessibility"]) <= ACCESSIBILITY_CODES, p


def test_sample_activities_use_known_codes() -> None:
    interests = codes("interest")
    for a in city()["activities"]:
        sid = a["source_id"]
        assert a["category"] in CATEGORY_CODES, sid
        assert a["audiences"] and set(a["audiences"]) <= AUDIENCE_CODES, sid
        assert set(a["tags"]) <= interests, (sid, set(a["tags"]) - interests)
        assert set(a["accessibility"]) <= ACCESSIBILITY_CODES, sid
        assert a["status"] in {"published", "draft", "archived"}, sid


def test_sample_activity_fields() -> None:
    for a in city()["activities"]:
        sid = a["source_id"]
        assert re.fullmatch(r"sample-\d{4}", sid)
        assert a["name"] and a["description"], sid
        assert re.fullmatch(r"[\u30a0-\u30ff・ー（）()！ 　]+", a["name_kana"]), (sid, a["name_kana"])
        assert a["cost_yen"] is None or (isinstance(a["cost_yen"], int) and a["cost_yen"] >= 0), sid
        assert a["cost_text"], sid
        assert a["booking_required"] in (True, False, None), sid
        assert re.fullmatch(r"0743-(00|99)-\d{4}", a["contact_phone"]), sid
        assert a["contact_email"] is None or a["contact_email"].endswith("@example.jp"), sid
        assert a["url"] is None or a["url"].startswith("https://example.jp/"), sid
        assert a["capacity"] is None or a["capacity"] > 0, sid
        date.fromisoformat(a["last_confirmed_at"])


def test_sample_schedules_parse_with_dateutil() -> None:
    for a in city()["activities"]:
        s = a["schedule"]
        start = datetime.strptime(s["start"], "%H:%M")
        end = datetime.strptime(s["end"], "%H:%M")
        assert start < end, a["source_id"]
        dtstart = datetime.combine(date.fromisoformat(s["dtstart"]), start.time())
        rule = rrulestr("RRULE:" + s["rrule"], dtstart=dtstart)
        nxt = rule.after(datetime(2026, 11, 1))
        assert nxt is not None and nxt < datetime(2027, 1, 1), a["source_id"]
        assert isinstance(s["skip_holidays"], bool)
        assert s["text"], a["source_id"]


def test_sample_search_words_appear_in_descriptions() -> None:
    text = "\n".join(a["name"] + a["description"] for a in city()["activities"])
    for word in ["囲碁", "将棋", "麻雀", "体操", "百歳体操", "通いの場", "まちのえき", "ひきこもり", "いこまる相談窓口"]:
        assert word in text, word


def test_sample_confirmation_dates_show_fresh_stale_and_very_old() -> None:
    c = city()
    ref = date.fromisoformat(c["reference_date"])
    ages = [(ref - date.fromisoformat(a["last_confirmed_at"])).days for a in c["activities"]]
    assert all(age >= 0 for age in ages)
    n = len(ages)
    assert sum(age <= 365 for age in ages) >= 0.9 * n  # most within the last year
    assert 0.05 * n <= sum(age > 183 for age in ages) <= 0.2 * n  # ~10 % show the stale notice
    assert 1 <= sum(age > 365 for age in ages) <= 10  # a few very old ones
    statuses = Counter(a["status"] for a in c["activities"])
    assert statuses["draft"] >= 1 and statuses["archived"] >= 1
    assert statuses["published"] >= 0.9 * n


# ── districts ───────────────────────────────────────────────────────────────────────────────
def test_districts_have_a27_properties() -> None:
    feats = districts()["features"]
    names = {f["properties"]["A27_004"] for f in feats}
    assert names == {
        f"{n}小学校" for n in
        ["生駒", "生駒南", "生駒南第二", "生駒東", "生駒北", "生駒台", "真弓", "鹿ノ台", "桜ケ丘", "あすか野", "壱分", "俵口"]
    }
    for f in feats:
        p = f["properties"]
        assert p["A27_001"] == "29209" and p["A27_002"] == "生駒市立" and p["sample"] is True
        assert p["A27_003"] and p["A27_005"].startswith("奈良県生駒市")
    assert len({f["properties"]["A27_003"] for f in feats}) == len(feats)


def test_districts_are_valid_and_do_not_overlap() -> None:
    shapes = [shape(f["geometry"]) for f in districts()["features"]]
    outline = shape(json.loads((SAMPLE / "city_outline.geojson").read_text(encoding="utf-8"))["features"][0]["geometry"])
    for s in shapes:
        assert s.is_valid and s.geom_type == "Polygon"
    for i, a in enumerate(shapes):
        for b in shapes[i + 1 :]:
            assert a.intersection(b).area < 1e-9
    assert sum(s.area for s in shapes) == pytest.approx(outline.area, rel=1e-4)


def test_every_sample_place_is_in_exactly_one_district() -> None:
    shapes = [(f["properties"]["A27_004"], shape(f["geometry"])) for f in districts()["features"]]
    per = Counter()
    for p in city()["places"]:
        pt = Point(p["lon"], p["lat"])
        inside = [name for name, s in shapes if s.contains(pt)]
        assert len(inside) == 1, (p["key"], inside)
        per[inside[0]] += 1
    assert len(per) == 12  # every district has at least one sample place


def test_city_outline_is_n03_style() -> None:
    f = json.loads((SAMPLE / "city_outline.geojson").read_text(encoding="utf-8"))["features"][0]
    assert f["properties"]["N03_004"] == "生駒市" and f["properties"]["N03_007"] == "29209"
    assert shape(f["geometry"]).is_valid


# ── geocoder tables ─────────────────────────────────────────────────────────────────────────
KANJI = "〇一二三四五六七八九"


def area_of(address: str) -> tuple[str, str]:
    """'奈良県生駒市東生駒1丁目12-5' → ('東生駒二丁目'-style area, block number)."""
    rest = address.removeprefix("奈良県生駒市")
    m = re.fullmatch(r"(.+?)(?:(\d)丁目)?(\d+)-\d+", rest)
    assert m, address
    town, chome, block = m.groups()
    return town + (KANJI[int(chome)] + "丁目" if chome else ""), block


def test_oaza_table_layout_and_coverage() -> None:
    rows = read_cp932_csv("29209_oaza.csv")
    assert rows[0] == ["都道府県コード", "都道府県名", "市区町村コード", "市区町村名", "大字町丁目コード", "大字町丁目名",
                       "緯度", "経度", "原典資料コード", "大字・字・丁目区分コード"]
    body = rows[1:]
    assert all(r[:4] == ["29", "奈良県", "29209", "生駒市"] for r in body)
    assert len({r[4] for r in body}) == len(body) and all(re.fullmatch(r"29209\d{7}", r[4]) for r in body)
    names = {r[5] for r in body}
    for p in city()["places"]:
        assert area_of(p["address"])[0] in names, p["address"]


def test_gaiku_table_layout_coverage_and_plane_coordinates() -> None:
    rows = read_cp932_csv("29209_gaiku.csv")
    assert rows[0] == ["都道府県名", "市区町村名", "大字・丁目名", "小字・通称名", "街区符号・地番", "座標系番号", "Ｘ座標",
                       "Ｙ座標", "緯度", "経度", "住居表示フラグ", "代表フラグ", "更新前履歴フラグ", "更新後履歴フラグ"]
    body = rows[1:]
    blocks = {(r[2], r[4]): (float(r[8]), float(r[9])) for r in body}
    assert len(blocks) == len(body)
    for p in city()["places"]:
        key = area_of(p["address"])
        assert key in blocks, p["address"]
        lat, lon = blocks[key]
        # The place is within ~30 m of its block's representative point.
        assert abs(lat - p["lat"]) < 0.0003 and abs(lon - p["lon"]) < 0.0003, p["key"]
    to_plane = Transformer.from_crs("EPSG:4326", "EPSG:6674", always_xy=True)
    for r in body[:: max(1, len(body) // 50)]:
        assert r[5] == "6"
        easting, northing = to_plane.transform(float(r[9]), float(r[8]))
        assert float(r[6]) == pytest.approx(northing, abs=0.2)
        assert float(r[7]) == pytest.approx(easting, abs=0.2)
        assert r[10] == ("1" if r[2].endswith("丁目") else "0")


def test_geocoder_files_use_crlf_and_say_sample() -> None:
    for name in ("29209_oaza.csv", "29209_gaiku.csv"):
        raw = (SAMPLE / "geocoder" / name).read_bytes()
        assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    readme = (SAMPLE / "geocoder" / "README.md").read_text(encoding="utf-8")
    assert "not the real survey" in readme


# ── reproducibility ─────────────────────────────────────────────────────────────────────────
def test_committed_sample_files_match_the_build_script(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(SAMPLE / "build_city.py"), str(tmp_path)], check=True, capture_output=True)
    for rel in ["city.json", "districts.geojson", "city_outline.geojson", "geocoder/29209_oaza.csv",
                "geocoder/29209_gaiku.csv"]:
        assert (tmp_path / rel).read_bytes() == (SAMPLE / rel).read_bytes(), f"{rel}: rerun data/sample/build_city.py"
