"""Build the SAMPLE city (サンプル) for 生駒市: city.json, districts, outline and geocoder tables.

Deterministic (seeded, fixed reference date): running it twice gives byte-identical files.
Everything written here is fictional apart from town names; see README.md beside this file.

    .venv/bin/python data/sample/build_city.py            # rewrite the files beside this script
    .venv/bin/python data/sample/build_city.py OUT_DIR    # write them elsewhere
"""

from __future__ import annotations

import csv
import io
import json
import random
import sys
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from pyproj import Transformer
from shapely import set_precision
from shapely.geometry import Point, mapping

sys.path.insert(0, str(Path(__file__).resolve().parent))
from geography import (  # script run directly, not as a package
    CITY_CODE,
    CITY_NAME,
    DISTRICTS,
    PREF_CODE,
    PREF_NAME,
    Area,
    area_cells,
    areas,
    district_shapes,
    outline,
)

HERE = Path(__file__).resolve().parent
SEED = 20261120
# last_confirmed_at dates are spread back from this day; the demo loader may shift them to "now".
REFERENCE_DATE = date(2026, 11, 20)
NOTICE = "サンプルデータです。実在の団体・活動とは関係ありません。"

rng = random.Random(SEED)

HIRA_TO_KATA = {chr(c): chr(c + 0x60) for c in range(0x3041, 0x3097)}
DIGIT_KANA = {"1": "イチ", "2": "ニ", "3": "サン", "4": "ヨン", "5": "ゴ", "6": "ロク", "7": "ナナ", "8": "ハチ",
              "9": "キュウ", "0": "ゼロ"}


def kata(text: str) -> str:
    """Katakana reading (名称_カナ style) from hiragana/katakana parts; digits are spelled out."""
    out = "".join(HIRA_TO_KATA.get(ch, ch) for ch in text)
    return "".join(DIGIT_KANA.get(ch, ch) for ch in out)


# ── 住所 and 街区 ─────────────────────────────────────────────────────────────────────────────
AREAS = areas()
CELLS = area_cells(AREAS)
AREA_BY_NAME = {a.name: a for a in AREAS}
TO_PLANE = Transformer.from_crs("EPSG:4326", "EPSG:6674", always_xy=True)


@dataclass
class Block:
    area: Area
    number: int  # 街区符号 (住居表示 areas) or 地番
    lat: float
    lon: float


BLOCKS: dict[str, list[Block]] = {}


def _point_in_cell(area: Area, radius: float, margin: float) -> tuple[float, float]:
    cell = CELLS[area.name].buffer(-margin)
    for _ in range(500):
        lat = area.lat + rng.uniform(-radius, radius)
        lon = area.lon + rng.uniform(-radius, radius) * 1.2
        if cell.contains(Point(lon, lat)):
            return round(lat, 6), round(lon, 6)
        radius *= 0.97
    return area.lat, area.lon


def blocks_for(area: Area) -> list[Block]:
    if area.name not in BLOCKS:
        # 丁目 areas use 住居表示 街区 numbers 1..n; others use scattered 地番.
        if area.chome:
            numbers = list(range(1, rng.randint(10, 18)))
        else:
            numbers = sorted(rng.sample(range(1, 1200), rng.randint(12, 20)))
        radius = 0.0012 if area.chome else 0.0035
        BLOCKS[area.name] = [Block(area, n, *_point_in_cell(area, radius, 0.00025)) for n in numbers]
    return BLOCKS[area.name]


def address_in(area: Area) -> tuple[str, Block, float, float]:
    block = rng.choice(blocks_for(area))
    go = rng.randint(1, 30)
    # The building sits within a few tens of metres of its block's representative point.
    lat, lon = block.lat + rng.uniform(-0.00008, 0.00008), block.lon + rng.uniform(-0.00008, 0.00008)
    # 丁目 areas: 「東生駒1丁目12-5」 (街区-号); others: 「辻町123-4」 (地番-枝番).
    return f"{area.address_prefix}{block.number}-{go}", block, round(lat, 6), round(lon, 6)


# ── Organisations ────────────────────────────────────────────────────────────────────────────
ORGS: dict[str, dict[str, Any]] = {}
_phone_seq = iter(range(1000, 9999, 37))


def phone() -> str:
    n = next(_phone_seq)
    return f"0743-{'00' if n % 2 else '99'}-{n:04d}"


def org(key: str, name: str, kana: str, kind: str, url: bool = False) -> str:
    if key not in ORGS:
        ORGS[key] = {
            "key": key,
            "name": name,
            "name_kana": kata(kana),
            "kind": kind,
            "phone": phone(),
            "email": f"{key.replace('_', '-')}@example.jp",
            "url": f"https://example.jp/{key.replace('_', '-')}/" if url else None,
            "source": "sample",
        }
    return key


def jichikai(area: Area) -> str:
    t = area.town
    return org(f"jichikai_{t.romaji}", f"{t.name}自治会", t.kana + "じちかい", "jichikai")


# ── Places ───────────────────────────────────────────────────────────────────────────────────
PLACES: dict[str, dict[str, Any]] = {}
FULL_ACCESS = ["wheelchair", "accessible_toilet", "parking", "elevator", "step_free", "hearing_support"]


def place(key: str, name: str, kana: str, area_name: str, access: list[str]) -> str:
    if key in PLACES:
        return key
    area = AREA_BY_NAME[area_name]
    addr, _block, lat, lon = address_in(area)
    PLACES[key] = {
        "key": key,
        "name": name,
        "name_kana": kata(kana),
        "address": f"奈良県生駒市{addr}",
        "postcode": area.town.postcode,
        "lat": lat,
        "lon": lon,
        "accessibility": access,
        "source": "sample",
    }
    return key


def hall(area: Area) -> str:
    """The 自治会館 / 集会所 of an area (most salons and 百歳体操 meet in one)."""
    t = area.town
    if area.chome:
        name, kana = f"{t.name}{area.chome}丁目集会所", f"{t.kana}{area.chome}ちょうめしゅうかいじょ"
    else:
        name, kana = f"{t.name}自治会館", f"{t.kana}じちかいかん"
    access = sorted(rng.sample(["step_free", "parking", "accessible_toilet", "wheelchair"], rng.randint(0, 3)))
    key = f"hall_{t.romaji}" + (f"_{area.chome}" if area.chome else "")
    return place(key, name, kana, area.name, access)


# Public and private venues: key, name, reading, area, accessibility.
VENUES: list[tuple[str, str, str, str, list[str]]] = [
    ("center_chubu", "中部ふれあい会館", "ちゅうぶふれあいかいかん", "東新町", [*FULL_ACCESS, "nursing_room", "stroller"]),
    ("center_kita", "北部地域交流センター", "ほくぶちいきこうりゅうせんたー", "上町", [*FULL_ACCESS, "nursing_room", "stroller"]),
    ("center_minami", "南部地域交流センター", "なんぶちいきこうりゅうせんたー", "萩の台三丁目", [*FULL_ACCESS, "nursing_room", "stroller"]),
    ("center_higashi", "東部コミュニティ会館", "とうぶこみゅにてぃかいかん", "東生駒二丁目", ["wheelchair", "accessible_toilet", "step_free", "parking"]),
    ("center_asukano", "あすか野地区センター", "あすかのちくせんたー", "あすか野南二丁目", ["wheelchair", "accessible_toilet", "step_free", "parking", "stroller"]),
    ("center_shikanodai", "鹿ノ台ふれあいホール", "しかのだいふれあいほーる", "鹿ノ台南一丁目", ["wheelchair", "accessible_toilet", "step_free", "parking"]),
    ("center_ikomadai", "生駒台コミュニティハウス", "いこまだいこみゅにてぃはうす", "生駒台北", ["step_free", "parking"]),
    ("center_mayumi", "真弓ふれあいの家", "まゆみふれあいのいえ", "真弓二丁目", ["step_free", "accessible_toilet"]),
    ("welfare_center", "いこま福祉ふれあいセンター", "いこまふくしふれあいせんたー", "山崎町", [*FULL_ACCESS, "nursing_room"]),
    ("hokatsu_chubu", "中部地域包括支援センター", "ちゅうぶちいきほうかつしえんせんたー", "元町一丁目", ["wheelchair", "step_free", "elevator", "hearing_support"]),
    ("hokatsu_kita", "北部地域包括支援センター", "ほくぶちいきほうかつしえんせんたー", "北大和三丁目", ["wheelchair", "step_free", "parking", "hearing_support"]),
    ("hokatsu_minami", "南部地域包括支援センター", "なんぶちいきほうかつしえんせんたー", "壱分町", ["wheelchair", "step_free", "parking", "hearing_support"]),
    ("hokatsu_higashi", "東部地域包括支援センター", "とうぶちいきほうかつしえんせんたー", "東生駒三丁目", ["wheelchair", "step_free", "hearing_support"]),
    ("hokatsu_nishi", "西部地域包括支援センター", "せいぶちいきほうかつしえんせんたー", "西松ケ丘", ["wheelchair", "step_free", "hearing_support"]),
    ("soudan_shogai", "障がい者相談支援センター あおば", "しょうがいしゃそうだんしえんせんたー あおば", "北新町", ["wheelchair", "accessible_toilet", "step_free", "hearing_support"]),
    ("soudan_youth", "子ども・若者相談室 ステップ", "こども・わかものそうだんしつ すてっぷ", "元町二丁目", ["elevator", "wheelchair"]),
    ("soudan_kurashi", "くらしとしごと相談室", "くらしとしごとそうだんしつ", "東新町", ["wheelchair", "elevator", "accessible_toilet", "hearing_support"]),
    ("kosodate_hiroba_a", "子育て支援センター ひだまり", "こそだてしえんせんたー ひだまり", "俵口町", ["step_free", "nursing_room", "stroller", "parking", "accessible_toilet"]),
    ("kosodate_hiroba_b", "つどいのひろば ぽかぽか館", "つどいのひろば ぽかぽかかん", "東生駒一丁目", ["step_free", "nursing_room", "stroller"]),
    ("kosodate_hiroba_c", "子育てひろば たんぽぽの家", "こそだてひろば たんぽぽのいえ", "白庭台四丁目", ["step_free", "nursing_room", "stroller", "parking"]),
    ("hoikuen_sakura", "さくら保育園 地域交流室", "さくらほいくえん ちいきこうりゅうしつ", "桜ケ丘", ["step_free", "nursing_room", "stroller"]),
    ("hoikuen_midori", "みどり保育園 子育てルーム", "みどりほいくえん こそだてるーむ", "小明町", ["step_free", "nursing_room", "stroller", "parking"]),
    ("jidokan_minami", "南こども館", "みなみこどもかん", "小瀬町", ["step_free", "nursing_room", "stroller", "accessible_toilet"]),
    ("cafe_komorebi", "カフェ こもれび", "かふぇ こもれび", "西松ケ丘", ["step_free"]),
    ("cafe_hinata", "コミュニティカフェ ひなた", "こみゅにてぃかふぇ ひなた", "小明町", ["step_free", "wheelchair"]),
    ("cafe_engawa", "古民家 えんがわ", "こみんか えんがわ", "高山町", ["parking"]),
    ("cafe_marui", "まちかどサロン まるい", "まちかどさろん まるい", "辻町", ["step_free", "wheelchair"]),
    ("cafe_tsumugi", "つむぎカフェ", "つむぎかふぇ", "真弓一丁目", ["step_free", "parking"]),
    ("temple_koun", "光雲寺 本堂・客殿", "こううんじ ほんどう・きゃくでん", "門前町", ["parking"]),
    ("temple_jorin", "浄林寺 ふれあい会館", "じょうりんじ ふれあいかいかん", "小平尾町", ["parking", "step_free"]),
    ("church_hikari", "ひかり教会 集会室", "ひかりきょうかい しゅうかいしつ", "ひかりが丘", ["step_free"]),
    ("space_yorimichi", "フリースペース よりみち", "ふりーすぺーす よりみち", "元町一丁目", ["elevator"]),
    ("space_purato", "ぷらっとスペース", "ぷらっとすぺーす", "東新町", ["step_free", "hearing_support"]),
    ("space_kotatsu", "こたつの部屋", "こたつのへや", "光陽台", ["step_free"]),
    ("space_ibasho_kita", "北の居場所 くすのき", "きたのいばしょ くすのき", "北大和二丁目", ["step_free", "parking"]),
    ("chikatsu_step", "地域活動支援センター すてっぷ", "ちいきかつどうしえんせんたー すてっぷ", "辻町", ["wheelchair", "accessible_toilet", "step_free", "pickup"]),
    ("chikatsu_himawari", "ひまわり工房", "ひまわりこうぼう", "菜畑町", ["wheelchair", "accessible_toilet", "step_free", "parking"]),
    ("chikatsu_ayumi", "地域活動支援センター あゆみ", "ちいきかつどうしえんせんたー あゆみ", "あすか野北一丁目", ["wheelchair", "accessible_toilet", "step_free", "parking"]),
    ("chikatsu_komorebi", "こもれび作業所", "こもれびさぎょうしょ", "壱分町", ["wheelchair", "accessible_toilet", "step_free"]),
    ("farm_takayama", "高山ふれあい農園", "たかやまふれあいのうえん", "高山町", ["parking"]),
    ("farm_kitatawara", "北田原みのり畑", "きたたわらみのりばたけ", "北田原町", ["parking"]),
    ("park_haginodai", "萩の台中央公園", "はぎのだいちゅうおうこうえん", "萩の台二丁目", ["step_free", "accessible_toilet"]),
    ("park_shikanodai", "鹿ノ台北公園 グラウンド", "しかのだいきたこうえん ぐらうんど", "鹿ノ台北二丁目", ["step_free", "parking"]),
    ("park_minamitawara", "南田原ふれあい広場", "みなみたわらふれあいひろば", "南田原町", ["parking"]),
    ("library_annex", "駅前まなびスペース", "えきまえまなびすぺーす", "元町二丁目", ["elevator", "wheelchair", "accessible_toilet", "hearing_support"]),
    ("kitchen_minna", "みんなのキッチン あおぞら", "みんなのきっちん あおぞら", "乙田町", ["step_free", "stroller"]),
    ("kitchen_nakanabata", "中菜畑こども食堂の家", "なかなばたこどもしょくどうのいえ", "中菜畑一丁目", ["step_free"]),
    ("shop_hoshino", "ほしの薬局 健康ステーション", "ほしのやっきょく けんこうすてーしょん", "生駒台南", ["step_free", "wheelchair", "parking"]),
    ("care_hidamari", "デイサービス ひだまり 地域交流スペース", "でいさーびす ひだまり ちいきこうりゅうすぺーす", "有里町", ["wheelchair", "accessible_toilet", "step_free", "parking", "pickup"]),
    ("care_aoi", "グループホーム あおい 交流室", "ぐるーぷほーむ あおい こうりゅうしつ", "美鹿の台", ["wheelchair", "accessible_toilet", "step_free", "parking"]),
]


def venue(key: str) -> str:
    for k, name, kana, area_name, access in VENUES:
        if k == key:
            return place(k, name, kana, area_name, sorted(set(access)))
    raise KeyError(key)


# ── Activities ───────────────────────────────────────────────────────────────────────────────
SURNAMES = ["田中", "山本", "中村", "吉田", "松本", "井上", "木村", "林", "清水", "山口", "森", "池田", "橋本",
            "阪本", "辻", "奥田", "上田", "西田", "岡田", "前田", "藤井", "福田", "森本", "北村", "谷口"]
DAYS = [("MO", "月"), ("TU", "火"), ("WE", "水"), ("TH", "木"), ("FR", "金"), ("SA", "土"), ("SU", "日")]


@dataclass
class Sched:
    rrule: str
    start: str
    end: str
    text: str
    skip_holidays: bool = False
    dtstart: str = "2024-04-01"

    def as_dict(self) -> dict[str, Any]:
        return {"rrule": self.rrule, "dtstart": self.dtstart, "start": self.start, "end": self.end,
                "skip_holidays": self.skip_holidays, "text": self.text}


def hm(t: str) -> str:
    """「9:30」 as people write it; the machine field keeps 「09:30」."""
    return t[1:] if t.startswith("0") else t


def weekly(days: list[int], start: str, end: str, skip: bool = False) -> Sched:
    by = ",".join(DAYS[d][0] for d in days)
    label = "平日" if days == [0, 1, 2, 3, 4] else "毎週" + "・".join(DAYS[d][1] for d in days) + "曜"
    return Sched(f"FREQ=WEEKLY;BYDAY={by}", start, end, f"{label} {hm(start)}〜{hm(end)}" + ("（祝日休み）" if skip else ""), skip)


def monthly(nths: list[int], day: int, start: str, end: str, skip: bool = False) -> Sched:
    code, ja = DAYS[day]
    by = ",".join(f"{n}{code}" for n in nths)
    label = "第" + "・第".join(str(n) for n in nths) + f"{ja}曜"
    return Sched(f"FREQ=MONTHLY;BYDAY={by}", start, end, f"{label} {hm(start)}〜{hm(end)}" + ("（祝日休み）" if skip else ""), skip)


def biweekly(day: int, start: str, end: str) -> Sched:
    code, ja = DAYS[day]
    return Sched(f"FREQ=WEEKLY;INTERVAL=2;BYDAY={code}", start, end, f"隔週{ja}曜 {hm(start)}〜{hm(end)}", False, "2024-04-02")


def confirmed(i: int) -> str:
    # ~85 % within 6 months, ~12 % 6–12 months (stale notice), a few older than a year.
    r = rng.random()
    if r < 0.03:
        days = rng.randint(380, 700)
    elif r < 0.15:
        days = rng.randint(185, 360)
    else:
        days = rng.randint(3, 175)
    return (REFERENCE_DATE - timedelta(days=days)).isoformat()


@dataclass
class Act:
    name: str
    kana: str
    category: str
    audiences: list[str]
    tags: list[str]
    organization: str
    place: str
    description: str
    schedule: Sched
    cost_yen: int | None
    cost_text: str
    booking_required: bool | None = False
    booking_text: str = ""
    capacity: int | None = None
    extra_access: list[str] = field(default_factory=list)
    url: bool = False
    first_timers: bool | None = True
    visit_ok: bool | None = True
    solo_ok: bool | None = True


ACTS: list[Act] = []


def add(a: Act) -> None:
    ACTS.append(a)


def area(name: str) -> Area:
    return AREA_BY_NAME[name]


def pick_time(options: list[tuple[str, str]]) -> tuple[str, str]:
    return rng.choice(options)


MORNING = [("10:00", "11:30"), ("10:00", "12:00"), ("9:30", "11:00"), ("10:30", "12:00")]
AFTERNOON = [("13:30", "15:30"), ("13:30", "15:00"), ("14:00", "16:00"), ("13:00", "15:00")]


def norm_time(t: str) -> str:
    return t if len(t) == 5 else "0" + t


def sched_salon() -> Sched:
    s, e = pick_time(MORNING + AFTERNOON)
    s, e = norm_time(s), norm_time(e)
    kind = rng.random()
    if kind < 0.5:
        return monthly(rng.choice([[1, 3], [2, 4], [1], [2], [3], [4]]), rng.randint(0, 4), s, e)
    if kind < 0.8:
        return weekly([rng.randint(0, 4)], s, e)
    return biweekly(rng.randint(0, 4), s, e)


# Salon name patterns (name template, reading template); {t}/{tk} = town and its reading.
SALON_NAMES = [
    ("{t}ふれあいサロン", "{tk}ふれあいさろん"), ("いきいきサロン {t}", "いきいきさろん {tk}"),
    ("{t}お茶の間サロン", "{tk}おちゃのまさろん"), ("サロン ひだまり", "さろん ひだまり"),
    ("なごみサロン", "なごみさろん"), ("ほっとサロン {t}", "ほっとさろん {tk}"), ("えがおの会", "えがおのかい"),
    ("ゆうゆうクラブ", "ゆうゆうくらぶ"), ("わいわいサロン", "わいわいさろん"), ("さくら会", "さくらかい"),
    ("{t}寄り合いサロン", "{tk}よりあいさろん"), ("陽だまりの会", "ひだまりのかい"), ("茶話会 よつば", "さわかい よつば"),
    ("{t}いきいき会", "{tk}いきいきかい"), ("サロン こすもす", "さろん こすもす"), ("喫茶 ふれあい", "きっさ ふれあい"),
    ("{t}福寿会サロン", "{tk}ふくじゅかいさろん"), ("おしゃべりサロン すみれ", "おしゃべりさろん すみれ"),
    ("ほほえみサロン", "ほほえみさろん"), ("{t}げんき会", "{tk}げんきかい"), ("サロン ぽっかぽか", "さろん ぽっかぽか"),
    ("なかよしサロン", "なかよしさろん"), ("{t}友愛サロン", "{tk}ゆうあいさろん"), ("サロン つばき", "さろん つばき"),
    ("あじさいの会", "あじさいのかい"), ("{t}ひまわりサロン", "{tk}ひまわりさろん"), ("いこいの会", "いこいのかい"),
]
EXERCISE_NAMES = [
    ("{t}いきいき百歳体操", "{tk}いきいきひゃくさいたいそう"), ("ひだまり百歳体操の会", "ひだまりひゃくさいたいそうのかい"),
    ("{t}百歳体操クラブ", "{tk}ひゃくさいたいそうくらぶ"), ("元気アップ体操の会", "げんきあっぷたいそうのかい"),
    ("すこやか体操 {t}", "すこやかたいそう {tk}"), ("かみかみ百歳体操 {t}", "かみかみひゃくさいたいそう {tk}"),
    ("のびのび体操クラブ", "のびのびたいそうくらぶ"), ("{t}ウォーキングの会", "{tk}うぉーきんぐのかい"),
    ("百歳体操 きらり", "ひゃくさいたいそう きらり"), ("はつらつ体操の会", "はつらつたいそうのかい"),
    ("{t}いきいき百歳体操 第2グループ", "{tk}いきいきひゃくさいたいそう だいにぐるーぷ"),
    ("フレイル予防 まるごと元気教室", "ふれいるよぼう まるごとげんききょうしつ"),
    ("わくわく教室 {t}", "わくわくきょうしつ {tk}"), ("椅子ヨガの会", "いすよがのかい"),
    ("しゃきしゃき体操", "しゃきしゃきたいそう"), ("{t}百歳体操 あおば会", "{tk}ひゃくさいたいそう あおばかい"),
    ("脳いきいき体操", "のういきいきたいそう"), ("ころばん体操 {t}", "ころばんたいそう {tk}"),
]
SALON_EXTRAS = [
    ("囲碁や将棋を楽しむ方もいます。", ["go", "shogi"]),
    ("月に一度は健康麻雀の日があります（賭けません）。", ["mahjong"]),
    ("季節の手芸や折り紙を一緒に作ります。", ["handicraft", "origami"]),
    ("みんなで歌やカラオケを楽しみます。", ["singing"]),
    ("脳トレや簡単なゲームで頭の体操もします。", ["brain_training", "games"]),
    ("年に数回、昼食会や季節の行事（夏祭り・クリスマス会）があります。", ["meal"]),
    ("最後に10分ほど座ってできる体操をします。", ["exercise"]),
    ("民生委員や地域包括支援センターの職員が顔を出すこともあります。", []),
]

SALON_TOWNS = ["東新町", "北新町", "山崎町", "谷田町", "本町", "辻町", "俵口町", "小明町", "東松ケ丘", "ひかりが丘",
               "西松ケ丘", "桜ケ丘", "菜畑町", "壱分町", "乙田町", "有里町", "翠光台", "青山台", "小平尾町", "小瀬町",
               "萩原町", "南山手台", "生駒台南", "生駒台北", "光陽台", "美鹿の台", "上町", "南田原町", "北田原町",
               "高山町", "鹿畑町", "門前町"]
CHOME_AREAS = [a.name for a in AREAS if a.chome]


def salons_and_exercise() -> None:
    pool = SALON_TOWNS + CHOME_AREAS
    rng.shuffle(pool)
    salon_names = SALON_NAMES[:]
    rng.shuffle(salon_names)
    ex_names = EXERCISE_NAMES[:]
    rng.shuffle(ex_names)
    for i in range(27):
        ar = area(pool[i % len(pool)])
        t = ar.town
        nm, kn = salon_names[i % len(salon_names)]
        name, kana = nm.format(t=t.name), kn.format(tk=t.kana)
        extras = rng.sample(SALON_EXTRAS, 2)
        fee = rng.choice([100, 100, 200, 200, 0, 300])
        desc = (f"{ar.address_prefix}の集会所で開いている、地域の方の集いの場（通いの場）です。お茶を飲みながらおしゃべりを楽しんでいます。"
                + "".join(e[0] for e in extras) + "初めての方、おひとりでの参加も歓迎です。")
        tags = sorted({"tea_chat", *[tag for e in extras for tag in e[1]]})
        add(Act(name, kana, "salon", ["elderly"] if rng.random() < 0.7 else ["elderly", "everyone"], tags,
                jichikai(ar) if rng.random() < 0.75 else org("shakyo", "生駒まちづくり福祉会", "いこままちづくりふくしかい", "shakyo", True),
                hall(ar), desc, sched_salon(), fee, "無料" if fee == 0 else f"{fee}円（お茶代）",
                capacity=rng.choice([None, 20, 25, 30]), extra_access=["pickup"] if rng.random() < 0.1 else []))
    for i in range(18):
        ar = area(pool[(i * 3 + 5) % len(pool)])
        t = ar.town
        nm, kn = ex_names[i % len(ex_names)]
        name, kana = nm.format(t=t.name), kn.format(tk=t.kana)
        s, e = rng.choice([("10:00", "11:00"), ("09:30", "10:30"), ("13:30", "14:30"), ("10:00", "11:30")])
        sched = weekly([rng.randint(0, 4)], s, e) if rng.random() < 0.7 else weekly(sorted(rng.sample(range(5), 2)), s, e)
        walking = "ウォーキング" in name
        if walking:
            desc = (f"{t.name}周辺を1時間ほど、おしゃべりしながら歩きます。最初に準備体操をします。"
                    "雨の日は集会所で体操に切り替えます。歩きやすい靴でどうぞ。")
            tags = ["walking", "exercise", "nature"]
        else:
            desc = ("DVDを見ながら、おもりを使ってゆっくり手足を動かす「いきいき百歳体操」を行っています。"
                    "椅子に座ってできるので体力に自信がない方も大丈夫です。体操の後はお茶を飲みながら交流します。"
                    + ("かみかみ百歳体操（口の体操）も取り入れています。" if "かみかみ" in name else "")
                    + ("3か月ごとに体力測定をしています。" if rng.random() < 0.4 else ""))
            tags = ["exercise", "tea_chat"] if rng.random() < 0.5 else ["exercise"]
        add(Act(name, kana, "exercise", ["elderly"], tags, jichikai(ar), hall(ar), desc, sched, 0, "無料",
                capacity=rng.choice([None, 20, 30]), extra_access=["pickup"] if rng.random() < 0.08 else []))


def parenting() -> None:
    items = [
        ("子育て支援センター ひだまり", "こそだてしえんせんたー ひだまり", "kosodate_hiroba_a", weekly([0, 1, 2, 3, 4], "09:30", "15:00", True), False),
        ("つどいのひろば ぽかぽか", "つどいのひろば ぽかぽか", "kosodate_hiroba_b", weekly([0, 1, 2, 4], "10:00", "15:00", True), False),
        ("子育てひろば たんぽぽ", "こそだてひろば たんぽぽ", "kosodate_hiroba_c", weekly([1, 2, 3, 4, 5], "10:00", "15:00", True), False),
        ("さくら保育園 子育てひろば にこにこ", "さくらほいくえん こそだてひろば にこにこ", "hoikuen_sakura", weekly([2], "10:00", "11:30", True), False),
        ("みどり保育園 親子ひろば ぴよぴよ", "みどりほいくえん おやこひろば ぴよぴよ", "hoikuen_midori", monthly([1, 3], 3, "10:00", "11:30"), True),
        ("南こども館 あかちゃんひろば", "みなみこどもかん あかちゃんひろば", "jidokan_minami", weekly([1], "10:30", "11:30", True), False),
        ("南こども館 幼児あそびの会", "みなみこどもかん ようじあそびのかい", "jidokan_minami", weekly([3], "10:30", "11:30", True), False),
        ("子育てサロン すくすく", "こそだてさろん すくすく", "center_asukano", monthly([2], 1, "10:00", "11:30"), False),
        ("親子サロン ころころ", "おやこさろん ころころ", "center_shikanodai", monthly([1, 3], 2, "10:00", "11:30"), False),
        ("ベビーマッサージとおしゃべり会", "べびーまっさーじとおしゃべりかい", "center_chubu", monthly([4], 4, "10:00", "11:30"), True),
        ("ふたごちゃん・みつごちゃんの会", "ふたごちゃん・みつごちゃんのかい", "center_kita", monthly([3], 5, "10:00", "12:00"), True),
        ("パパと遊ぼう！土曜ひろば", "ぱぱとあそぼう！どようひろば", "kosodate_hiroba_a", monthly([2], 5, "10:00", "11:30"), False),
        ("子育てひろば もぐもぐ（離乳食のおはなし）", "こそだてひろば もぐもぐ（りにゅうしょくのおはなし）", "center_minami", monthly([2], 2, "10:00", "11:30"), True),
        ("絵本と手あそびの会 おひさま", "えほんとてあそびのかい おひさま", "library_annex", monthly([1, 3], 4, "10:30", "11:15"), False),
        ("子育てサロン わくわく", "こそだてさろん わくわく", "center_mayumi", monthly([4], 0, "10:00", "11:30"), False),
    ]
    for name, kana, pkey, sched, booking in items:
        pl = venue(pkey)
        fee = 0 if rng.random() < 0.8 else 100
        hub = "支援センター" in name or "つどいのひろば" in name or "たんぽぽ" in name
        desc = ("0歳から就学前のお子さんと保護者が自由に遊び、交流できるひろばです（地域子育て支援拠点）。"
                "保育士が子育ての相談にのります。授乳・おむつ替えのスペースがあります。" if hub else
                "乳幼児と保護者が気軽に集える子育てひろばです。季節の遊びや手あそび、絵本の読み聞かせをします。"
                "子育ての悩みもおしゃべりしながら話せます。")
        add(Act(name, kana, "parenting", ["parents_children"], ["childcare"] + (["reading"] if "絵本" in name else []),
                org("npo_kosodate", "NPO法人 いこま子育てネット", "えぬぴーおーほうじん いこまこそだてねっと", "npo", True)
                if not hub else org("city_kodomo", "生駒市 こども課（サンプル）", "いこまし こどもか（さんぷる）", "city", True),
                pl, desc, sched, fee, "無料" if fee == 0 else "1組100円（おやつ代）", booking,
                "前日までに電話で申し込み" if booking else "申し込み不要・出入り自由", rng.choice([None, 10, 15, 20]),
                ["stroller"], url=hub))


def machi_no_eki() -> None:
    towns = ["萩の台一丁目", "東生駒四丁目", "鹿ノ台北三丁目", "真弓三丁目", "あすか野北二丁目", "光陽台", "壱分町", "高山町"]
    for tn in towns:
        ar = area(tn)
        t = ar.town
        pl = hall(ar)
        sched = weekly([rng.randint(0, 4)], "10:00", "12:00") if rng.random() < 0.5 else monthly([1, 3], rng.randint(0, 5), "10:00", "13:00")
        desc = (f"{t.name}の自治会館を拠点にした「まちのえき」です。野菜や日用品の移動販売、喫茶コーナー、"
                "ちょっとした困りごとの相談、健康チェックなどを一か所で行っています。"
                + rng.choice(["囲碁・将棋のコーナーもあります。", "子どもの宿題コーナーも開いています。", "スマホの使い方相談もしています。", "麻雀卓を囲む方もいます。"])
                + "どなたでもお立ち寄りください。")
        tags = ["tea_chat", "cafe", *rng.sample(["go", "shogi", "pc_smartphone", "study_support", "mahjong", "gardening"], 2)]
        add(Act(f"まちのえき {t.name}", f"まちのえき {t.kana}", "machi_no_eki", ["everyone", "elderly"], sorted(set(tags)),
                jichikai(ar), pl, desc, sched, 0, "入場無料（喫茶100円）", None, "", None, url=rng.random() < 0.5))


def dementia_cafes() -> None:
    items = [
        ("オレンジカフェ こもれび", "おれんじかふぇ こもれび", "cafe_komorebi"),
        ("認知症カフェ ほっこり", "にんちしょうかふぇ ほっこり", "center_chubu"),
        ("カフェ・ひまわり（認知症カフェ）", "かふぇ・ひまわり（にんちしょうかふぇ）", "care_hidamari"),
        ("ささえあいカフェ", "ささえあいかふぇ", "center_kita"),
        ("オレンジカフェ 鹿ノ台", "おれんじかふぇ しかのだい", "center_shikanodai"),
        ("認知症カフェ あおい", "にんちしょうかふぇ あおい", "care_aoi"),
        ("ケアラーズカフェ ひと休み", "けあらーずかふぇ ひとやすみ", "cafe_hinata"),
        ("オレンジカフェ 光雲寺", "おれんじかふぇ こううんじ", "temple_koun"),
        ("まちかどオレンジカフェ", "まちかどおれんじかふぇ", "cafe_marui"),
        ("認知症カフェ つむぎ", "にんちしょうかふぇ つむぎ", "cafe_tsumugi"),
    ]
    hokatsu = org("hokatsu", "地域包括支援センター連絡会（サンプル）", "ちいきほうかつしえんせんたーれんらくかい（さんぷる）", "other")
    for name, kana, pkey in items:
        s, e = rng.choice(AFTERNOON)
        sched = monthly([rng.randint(1, 4)], rng.randint(0, 5), norm_time(s), norm_time(e))
        fee = rng.choice([100, 200, 0, 100])
        desc = ("認知症の方やご家族、介護をしている方、地域の方がお茶を飲みながら気軽に話せるカフェです。"
                "看護師や地域包括支援センターの職員がいて、介護や物忘れの相談もできます。"
                + rng.choice(["ミニ講座や音楽の時間もあります。", "一緒に歌を歌ったり、脳トレをしたりします。", "予約はいりません。途中からでもどうぞ。"]))
        add(Act(name, kana, "dementia_cafe", ["elderly", "caregivers", "everyone"], ["caregiving", "tea_chat", "cafe"],
                hokatsu if rng.random() < 0.5 else org("npo_orange", "NPO法人 オレンジの輪", "えぬぴーおーほうじん おれんじのわ", "npo"),
                venue(pkey), desc, sched, fee, "無料" if fee == 0 else f"{fee}円（飲み物代）", False, "申し込み不要",
                extra_access=["hearing_support"]))


def kids_cafeterias() -> None:
    items = [
        ("みんなの食堂 あおぞら", "みんなのしょくどう あおぞら", "kitchen_minna", "npo"),
        ("中菜畑こども食堂", "なかなばたこどもしょくどう", "kitchen_nakanabata", "volunteer_group"),
        ("こども食堂 もぐもぐ", "こどもしょくどう もぐもぐ", "center_minami", "volunteer_group"),
        ("おひさま食堂", "おひさましょくどう", "center_higashi", "volunteer_group"),
        ("光雲寺 てらこや食堂", "こううんじ てらこやしょくどう", "temple_koun", "other"),
        ("浄林寺 こども食堂", "じょうりんじ こどもしょくどう", "temple_jorin", "other"),
        ("ひかり教会 みんなのごはん", "ひかりきょうかい みんなのごはん", "church_hikari", "other"),
        ("こども食堂 わいわい", "こどもしょくどう わいわい", "center_asukano", "volunteer_group"),
        ("鹿ノ台こども食堂", "しかのだいこどもしょくどう", "center_shikanodai", "volunteer_group"),
        ("こども食堂 ほかほか", "こどもしょくどう ほかほか", "center_kita", "npo"),
        ("地域食堂 いただきます", "ちいきしょくどう いただきます", "center_ikomadai", "volunteer_group"),
        ("こども食堂 たけのこ", "こどもしょくどう たけのこ", "cafe_engawa", "business"),
    ]
    for i, (name, kana, pkey, kind) in enumerate(items):
        sched = (monthly([rng.choice([1, 2, 3, 4])], rng.choice([2, 4, 5]), "17:00", "19:00") if i % 3
                 else monthly([2, 4], rng.choice([2, 4]), "17:30", "19:30"))
        if kind == "other" and "寺" in name:
            sched = monthly([3], 5, "11:30", "13:30")
        adult = rng.choice([300, 300, 400, 500])
        okey = org(f"kodomo_{i + 1:02d}", f"{name} 運営委員会", f"{kana} うんえいいいんかい", kind)
        desc = ("子どもも大人も、ひとりでも家族でも来られる食堂です。手作りの温かいごはんをみんなで食べます。"
                + rng.choice(["食事の前に宿題タイムがあります。", "食後は昔あそびや将棋で遊びます。", "フードパントリー（食品の配布）も同時に行っています。",
                              "地域の農家さんの野菜を使っています。"])
                + "アレルギーのある方は事前にご相談ください。")
        tags = ["meal", "childcare"] + (["study_support"] if "宿題" in desc else []) + (["shogi"] if "将棋" in desc else [])
        add(Act(name, kana, "kids_cafeteria", ["children", "parents_children", "everyone"], sorted(set(tags)), okey, venue(pkey), desc,
                sched, 0, f"子ども（高校生まで）無料・大人{adult}円", i % 2 == 0,
                "前週の金曜までに電話かメールで予約" if i % 2 == 0 else "予約不要（なくなり次第終了）", rng.choice([30, 40, 50, 60])))


def ibasho() -> None:
    items = [
        ("ひきこもり居場所 ぷらっと", "ひきこもりいばしょ ぷらっと", "space_purato", ["hikikomori", "youth"], weekly([2], "13:00", "16:00", True)),
        ("ユースの居場所 よりみち", "ゆーすのいばしょ よりみち", "space_yorimichi", ["youth", "hikikomori"], weekly([1, 4], "14:00", "18:00", True)),
        ("こたつの部屋（おとなの居場所）", "こたつのへや（おとなのいばしょ）", "space_kotatsu", ["hikikomori", "everyone"], monthly([1, 3], 3, "13:30", "16:30")),
        ("北の居場所 くすのき", "きたのいばしょ くすのき", "space_ibasho_kita", ["everyone", "hikikomori"], weekly([0, 3], "10:00", "16:00")),
        ("コミュニティカフェ ひなた 居場所デー", "こみゅにてぃかふぇ ひなた いばしょでー", "cafe_hinata", ["everyone"], weekly([4], "10:00", "15:00")),
        ("古民家 えんがわ の日", "こみんか えんがわ のひ", "cafe_engawa", ["everyone", "elderly"], monthly([2, 4], 5, "10:00", "15:00")),
        ("ひきこもり家族のつどい", "ひきこもりかぞくのつどい", "welfare_center", ["caregivers", "hikikomori"], monthly([2], 5, "14:00", "16:00")),
        ("フリースペース よりみち（夕方の部）", "ふりーすぺーす よりみち（ゆうがたのぶ）", "space_yorimichi", ["children", "youth"], weekly([0, 2], "16:00", "19:00", True)),
    ]
    npo = org("npo_yorimichi", "NPO法人 よりみちネット", "えぬぴーおーほうじん よりみちねっと", "npo", True)
    for name, kana, pkey, aud, sched in items:
        if "hikikomori" in aud and "家族" not in name:
            desc = ("ひきこもり状態の方や、家以外に安心して過ごせる場所を探している方のための居場所です。手続きや予約はいりません。"
                    "話してもいいし、話さなくても大丈夫。ボードゲームやゲーム、読書をして過ごす人もいます。スタッフは無理に話しかけません。")
            tags = ["board_games", "games", "reading"]
        elif "家族" in name:
            desc = "ひきこもりの状態にある方のご家族が、同じ立場の人と話し、情報交換をするつどいです。相談員も同席します。秘密は守られます。"
            tags = ["tea_chat"]
        else:
            desc = ("年齢や立場に関係なく、ふらっと立ち寄れる居場所です。お茶を飲んだり、本を読んだり、将棋や囲碁を指したり、思い思いに過ごせます。"
                    "ひとり暮らしの方、日中の話し相手がほしい方もどうぞ。")
            tags = ["tea_chat", "reading", "shogi", "go"]
        add(Act(name, kana, "ibasho", aud, tags, npo if rng.random() < 0.6 else org("shakyo", "生駒まちづくり福祉会", "いこままちづくりふくしかい", "shakyo", True),
                venue(pkey), desc, sched, 0, "無料", False, "申し込み不要。初めての方は電話をいただけると安心です。", None,
                ["hearing_support"] if rng.random() < 0.3 else [], url=True))


def activity_support() -> None:
    items = [
        ("地域活動支援センター すてっぷ", "ちいきかつどうしえんせんたー すてっぷ", "chikatsu_step", "創作活動（陶芸・手芸・絵画）と軽作業、仲間との交流の場です。", ["handicraft", "painting", "work_experience"]),
        ("ひまわり工房（地域活動支援センター）", "ひまわりこうぼう（ちいきかつどうしえんせんたー）", "chikatsu_himawari", "パンやクッキーづくりなどの生産活動と、季節の行事を行っています。", ["cooking", "work_experience"]),
        ("地域活動支援センター あゆみ", "ちいきかつどうしえんせんたー あゆみ", "chikatsu_ayumi", "精神障がいのある方の日中の居場所です。料理、カラオケ、散歩などのプログラムがあります。", ["cooking", "singing", "walking"]),
        ("こもれび作業所（地域活動支援センター）", "こもれびさぎょうしょ（ちいきかつどうしえんせんたー）", "chikatsu_komorebi", "園芸・畑作業と、公園清掃などの地域活動をしています。", ["gardening", "farming", "cleaning"]),
    ]
    for i, (name, kana, pkey, body, tags) in enumerate(items):
        okey = (org("sfh_aozora", "社会福祉法人 あおぞら会", "しゃかいふくしほうじん あおぞらかい", "npo", True) if i % 2
                else org(f"npo_chikatsu_{i + 1}", f"NPO法人 {name.split()[-1]}", f"えぬぴーおーほうじん {kana.split()[-1]}", "npo"))
        add(Act(name, kana, "activity_support", ["disability"], tags, okey, venue(pkey),
                body + "障がいのある方が利用できます。見学随時受付。利用には事前の面談と登録が必要です。",
                weekly([0, 1, 2, 3, 4], "10:00", "16:00", True), 0, "利用料無料（材料費・昼食代は実費）", True,
                "見学・利用はまずお電話で", 20, ["pickup"] if i % 2 == 0 else [], url=True, solo_ok=True))


def consultation() -> None:
    items = [
        ("いこまる相談窓口 中部地域包括支援センター", "いこまるそうだんまどぐち ちゅうぶちいきほうかつしえんせんたー", "hokatsu_chubu", ["elderly", "caregivers", "everyone"]),
        ("いこまる相談窓口 北部地域包括支援センター", "いこまるそうだんまどぐち ほくぶちいきほうかつしえんせんたー", "hokatsu_kita", ["elderly", "caregivers", "everyone"]),
        ("いこまる相談窓口 南部地域包括支援センター", "いこまるそうだんまどぐち なんぶちいきほうかつしえんせんたー", "hokatsu_minami", ["elderly", "caregivers", "everyone"]),
        ("いこまる相談窓口 東部地域包括支援センター", "いこまるそうだんまどぐち とうぶちいきほうかつしえんせんたー", "hokatsu_higashi", ["elderly", "caregivers", "everyone"]),
        ("いこまる相談窓口 西部地域包括支援センター", "いこまるそうだんまどぐち せいぶちいきほうかつしえんせんたー", "hokatsu_nishi", ["elderly", "caregivers", "everyone"]),
        ("いこまる相談窓口 障がい者相談支援センター あおば", "いこまるそうだんまどぐち しょうがいしゃそうだんしえんせんたー あおば", "soudan_shogai", ["disability", "caregivers"]),
        ("子ども・若者相談室 ステップ（ひきこもり相談）", "こども・わかものそうだんしつ すてっぷ（ひきこもりそうだん）", "soudan_youth", ["youth", "hikikomori", "children"]),
        ("くらしとしごと相談室（生活困窮者自立相談支援）", "くらしとしごとそうだんしつ（せいかつこんきゅうしゃじりつそうだんしえん）", "soudan_kurashi", ["everyone"]),
    ]
    for i, (name, kana, pkey, aud) in enumerate(items):
        s, e = ("08:30", "17:15") if i < 6 else ("09:00", "17:00")
        desc = ("「どこに相談したらいいかわからない」困りごとも、分野を問わず受け止めて、必要な支援や地域の活動におつなぎします（いこまる相談窓口）。"
                "介護、障がい、子育て、生活費、ひきこもりなど、ご本人でもご家族でも相談できます。秘密は守られます。"
                + ("電話・来所のほか、自宅への訪問もできます。" if i < 5 else "予約をいただくとお待たせせずにお話を伺えます。"))
        add(Act(name, kana, "consultation", aud, [], org(f"soudan_{pkey}", name.replace("いこまる相談窓口 ", ""), kana.replace("いこまるそうだんまどぐち ", ""),
                                                "city" if i >= 6 else "other", True),
                venue(pkey), desc, weekly([0, 1, 2, 3, 4], s, e, True), 0, "相談無料", False,
                "予約なしでも相談できます（予約優先）", None, ["hearing_support"], url=True, visit_ok=None))


def volunteer() -> None:
    items = [
        ("公園花壇ボランティア はなみずき", "こうえんかだんぼらんてぃあ はなみずき", "park_haginodai", ["gardening", "volunteering", "cleaning"], monthly([1], 5, "09:00", "11:00"), "公園の花壇の植え替えと水やりをしています。体を動かしたい方、花が好きな方どうぞ。"),
        ("竹林整備ボランティア 高山", "ちくりんせいびぼらんてぃあ たかやま", "farm_takayama", ["farming", "volunteering", "nature"], monthly([2, 4], 6, "09:00", "12:00"), "竹林の間伐と竹細工の材料づくり。道具は貸し出します。"),
        ("農園おてつだい（就労的活動）", "のうえんおてつだい（しゅうろうてきかつどう）", "farm_kitatawara", ["farming", "work_experience", "gardening"], weekly([1, 3], "09:00", "12:00"), "野菜の収穫や袋詰めを手伝います。少額の謝礼があります（就労的活動）。"),
        ("傾聴ボランティア こころ", "けいちょうぼらんてぃあ こころ", "welfare_center", ["volunteering", "tea_chat"], monthly([3], 1, "13:30", "15:30"), "ひとり暮らしの方のお話を聞く傾聴ボランティアです。月1回の勉強会があります。"),
        ("買い物おたすけ隊", "かいものおたすけたい", "center_higashi", ["volunteering"], weekly([2], "10:00", "12:00"), "重い荷物が持てない高齢の方の買い物に付き添います。"),
        ("ちょいてごサポーター（有償ボランティア）", "ちょいてごさぽーたー（ゆうしょうぼらんてぃあ）", "center_chubu", ["volunteering", "work_experience", "diy"], weekly([0, 1, 2, 3, 4], "09:00", "17:00", True), "電球交換や庭の草引きなど、ちょっとした困りごとをお手伝いします。1回30分300円の謝礼があります。"),
        ("絵本読み聞かせボランティア", "えほんよみきかせぼらんてぃあ", "library_annex", ["reading", "volunteering", "childcare"], monthly([2], 5, "10:30", "11:30"), "子どもたちへの絵本の読み聞かせです。練習会があるので初めてでも大丈夫。"),
        ("デイサービスおてつだい（就労的活動）", "でいさーびすおてつだい（しゅうろうてきかつどう）", "care_hidamari", ["work_experience", "volunteering"], weekly([0, 2, 4], "10:00", "12:00"), "配膳や囲碁・将棋の相手、シーツ交換などを手伝います。謝礼あり。"),
        ("まちの清掃ボランティア", "まちのせいそうぼらんてぃあ", "center_ikomadai", ["cleaning", "walking", "volunteering"], monthly([1], 6, "08:00", "09:00"), "駅前と通学路のごみ拾いをします。ウォーキングがてらどうぞ。"),
        ("ほしの薬局 健康ステーション おてつだい", "ほしのやっきょく けんこうすてーしょん おてつだい", "shop_hoshino", ["work_experience", "pc_smartphone"], weekly([3], "14:00", "16:00"), "血圧測定コーナーの受付やスマホ相談のお手伝いをします。就労体験として若い方も歓迎です。"),
    ]
    vc = org("volunteer_center", "いこまボランティアセンター（サンプル）", "いこまぼらんてぃあせんたー（さんぷる）", "shakyo", True)
    for name, kana, pkey, tags, sched, body in items:
        aud = ["everyone"] + (["youth", "hikikomori"] if "work_experience" in tags else [])
        add(Act(name, kana, "volunteer", aud, tags, vc, venue(pkey),
                body + "ボランティアセンターに登録して参加します。1回だけの体験参加もできます。",
                sched, 0, "参加無料" + ("（謝礼あり）" if "謝礼" in body else ""), True, "まずはボランティアセンターへ電話で",
                None, [], url=rng.random() < 0.5))


def learning_and_multigen() -> None:
    learning = [
        ("囲碁クラブ 烏鷺の会", "いごくらぶ うろのかい", "center_chubu", ["go"], weekly([1, 4], "13:00", "16:30"), "初心者から有段者まで囲碁を楽しんでいます。指導碁の日もあります。", 500),
        ("将棋同好会 いこま", "しょうぎどうこうかい いこま", "center_kita", ["shogi"], weekly([2], "13:00", "16:00"), "将棋を指しながら交流しています。駒の動かし方からお教えします。", 200),
        ("健康麻雀 ひまわり", "けんこうまーじゃん ひまわり", "center_higashi", ["mahjong", "brain_training"], weekly([0, 3], "13:00", "16:30"), "「賭けない・飲まない・吸わない」健康麻雀です。点数計算ができなくても大丈夫。", 300),
        ("手芸サークル ちくちく", "しゅげいさーくる ちくちく", "center_asukano", ["handicraft"], monthly([2, 4], 2, "10:00", "12:00"), "刺し子、編み物、パッチワークなど好きな手芸をおしゃべりしながら。", 200),
        ("はじめてのスマホ教室", "はじめてのすまほきょうしつ", "library_annex", ["pc_smartphone"], monthly([1, 3], 1, "14:00", "15:30"), "電話のかけ方、LINE、写真の送り方など。学生ボランティアがマンツーマンでお手伝いします。", 0),
        ("写真クラブ 光と影", "しゃしんくらぶ ひかりとかげ", "center_ikomadai", ["photography", "walking"], monthly([3], 5, "10:00", "12:00"), "月1回の撮影散歩と作品の講評会。スマホのカメラでもOK。", 300),
        ("書道教室 墨の会", "しょどうきょうしつ すみのかい", "center_mayumi", ["calligraphy"], monthly([1, 3], 3, "13:30", "15:30"), "楷書から仮名まで。道具がなくても体験できます。", 500),
        ("絵手紙の会", "えてがみのかい", "cafe_tsumugi", ["painting"], monthly([2], 0, "13:30", "15:30"), "季節の野菜や花を描いて、ひとこと添えます。", 300),
        ("俳句・川柳の会 さつき", "はいく・せんりゅうのかい さつき", "temple_koun", ["haiku"], monthly([4], 2, "13:30", "15:30"), "毎月の兼題で句を持ち寄ります。", 200),
        ("シニア英会話 ハローいこま", "しにあえいかいわ はろーいこま", "center_chubu", ["languages"], weekly([4], "10:00", "11:30"), "旅行で使える英会話を楽しく学びます。", 500),
        ("卓球クラブ ピンポン", "たっきゅうくらぶ ぴんぽん", "center_minami", ["table_tennis", "sports"], weekly([1, 3], "13:00", "15:00"), "ラリーを楽しむ卓球です。ラケットの貸し出しあり。", 200),
        ("グラウンドゴルフ 鹿ノ台クラブ", "ぐらうんどごるふ しかのだいくらぶ", "park_shikanodai", ["ground_golf", "sports"], weekly([1, 4], "09:00", "11:00"), "毎週グラウンドゴルフを楽しんでいます。用具は貸し出します。", 100),
        ("コーラス ひびき", "こーらす ひびき", "center_higashi", ["music", "singing"], monthly([1, 3], 2, "10:00", "12:00"), "童謡から歌謡曲まで。楽譜が読めなくても大丈夫。", 500),
        ("茶道教室 一期一会", "さどうきょうしつ いちごいちえ", "temple_jorin", ["tea_ceremony"], monthly([2], 6, "13:00", "15:00"), "お茶をいただきながら作法を学びます。", 500),
        ("歴史散策の会 生駒の道", "れきしさんさくのかい いこまのみち", "center_chubu", ["local_history", "walking"], monthly([3], 3, "09:30", "12:00"), "宝山寺参道や暗越奈良街道など、地元の歴史を歩いて学びます。", 0),
    ]
    for i, (name, kana, pkey, tags, sched, body, fee) in enumerate(learning):
        okey = org(f"circle_{i + 1:02d}", name, kana, "volunteer_group")
        aud = ["everyone"] if rng.random() < 0.6 else ["elderly", "everyone"]
        add(Act(name, kana, "learning", aud, tags, okey, venue(pkey), body + "見学歓迎です。", sched, fee,
                "無料" if fee == 0 else f"1回{fee}円", i % 4 == 0, "初回は電話で確認してください" if i % 4 == 0 else "",
                rng.choice([None, 12, 20])))

    multigen = [
        ("三世代交流 ふれあい広場", "さんせだいこうりゅう ふれあいひろば", "center_minami", monthly([3], 5, "10:00", "12:00"), "昔あそび、こま回し、けん玉、お手玉を地域のお年寄りが子どもたちに教えます。", ["games", "origami"]),
        ("こども囲碁・将棋教室", "こどもいご・しょうぎきょうしつ", "center_chubu", monthly([2, 4], 5, "13:30", "15:30"), "地域の高齢の方が先生になって、子どもたちに囲碁と将棋を教えています。", ["go", "shogi"]),
        ("みんなの縁側 えんがわ", "みんなのえんがわ えんがわ", "cafe_engawa", monthly([1], 6, "10:00", "15:00"), "古民家の縁側で、子どもからお年寄りまでのんびり過ごす日です。焼き芋や流しそうめんなど季節の行事も。", ["tea_chat", "cooking"]),
        ("おもちゃ病院 なおるん", "おもちゃびょういん なおるん", "center_kita", monthly([4], 5, "10:00", "13:00"), "壊れたおもちゃを無料で修理します（部品代実費）。修理の様子を子どもたちが見学できます。", ["diy"]),
        ("宿題カフェ（学習支援）", "しゅくだいかふぇ（がくしゅうしえん）", "space_yorimichi", weekly([2], "16:00", "18:00", True), "小中学生の宿題を、大学生や地域の大人が見守ります。", ["study_support"]),
        ("親子料理教室 いただきます", "おやこりょうりきょうしつ いただきます", "kitchen_minna", monthly([2], 6, "10:00", "13:00"), "地域の先輩主婦・主夫と親子で季節の料理を作ります。", ["cooking", "childcare"]),
        ("多世代ボードゲーム会", "たせだいぼーどげーむかい", "space_purato", monthly([1, 3], 5, "13:00", "17:00"), "小学生から80代までボードゲームで遊ぶ会です。ルールはその場で教えます。", ["board_games", "games"]),
        ("生駒台ふれあいまつり実行委員会", "いこまだいふれあいまつりじっこういいんかい", "center_ikomadai", monthly([2], 3, "19:00", "20:30"), "秋のふれあいまつりを準備する会議と作業です。中高生の参加も歓迎。", ["volunteering"]),
        ("ふれあい農園 親子収穫体験", "ふれあいのうえん おやこしゅうかくたいけん", "farm_takayama", monthly([3], 5, "09:30", "11:30"), "季節の野菜を植えて、育てて、収穫します。", ["farming", "gardening", "childcare"]),
        ("真弓みんなの食卓", "まゆみみんなのしょくたく", "center_mayumi", monthly([4], 5, "11:30", "13:30"), "ひとり暮らしの方も子育て家庭も一緒に昼ごはんを食べる会です。", ["meal", "tea_chat"]),
        ("ダンスで交流 いこまステップ", "だんすでこうりゅう いこますてっぷ", "center_asukano", monthly([1, 3], 6, "14:00", "15:30"), "フォークダンスからキッズダンスまで、世代をこえて踊ります。", ["dance", "music"]),
        ("自然観察会 くろんど", "しぜんかんさつかい くろんど", "park_minamitawara", monthly([2], 6, "09:00", "12:00"), "里山の草花や虫を観察しながら歩きます。親子の参加も歓迎。", ["nature", "walking"]),
        ("うたごえ喫茶 ひびき", "うたごえきっさ ひびき", "cafe_komorebi", monthly([2], 1, "14:00", "15:30"), "懐かしい歌からアニメソングまで、生演奏でみんなで歌います。", ["singing", "music", "cafe"]),
        ("地域の写真展プロジェクト", "ちいきのしゃしんてんぷろじぇくと", "library_annex", monthly([4], 6, "13:00", "15:00"), "中学生と高齢の方がペアになって、まちの今と昔を写真で記録します。", ["photography", "local_history"]),
        ("けん玉・こま名人の会", "けんだま・こまめいじんのかい", "jidokan_minami", monthly([1], 5, "13:30", "15:00"), "けん玉やこま回しの技を、地域の名人が子どもに伝えます。", ["games"]),
    ]
    for i, (name, kana, pkey, sched, body, tags) in enumerate(multigen):
        okey = org(f"tasedai_{i + 1:02d}", name, kana, rng.choice(["volunteer_group", "npo", "jichikai"]))
        fee = rng.choice([0, 0, 100, 200, 300])
        add(Act(name, kana, "multigenerational", ["everyone", "children", "elderly"], tags, okey, venue(pkey),
                body + "どなたでも参加できます。", sched, fee, "無料" if fee == 0 else f"{fee}円（材料費）",
                i % 3 == 0, "定員があるので事前に申し込み" if i % 3 == 0 else "", rng.choice([None, 20, 30])))


def activity_records() -> list[dict[str, Any]]:
    salons_and_exercise()
    parenting()
    machi_no_eki()
    dementia_cafes()
    kids_cafeterias()
    ibasho()
    activity_support()
    consultation()
    volunteer()
    learning_and_multigen()

    out: list[dict[str, Any]] = []
    # A few listings are not public: drafts awaiting approval, and activities that ended.
    not_published = {7: "draft", 52: "draft", 131: "draft", 19: "archived", 88: "archived", 140: "archived"}
    for i, a in enumerate(ACTS, start=1):
        org_rec = ORGS[a.organization]
        pl = PLACES[a.place]
        surname = rng.choice(SURNAMES)
        role = {"jichikai": "世話人", "npo": "担当", "shakyo": "担当", "city": "担当", "volunteer_group": "代表"}.get(org_rec["kind"], "担当")
        access = sorted({*pl["accessibility"], *a.extra_access})
        unknown_cost = i % 37 == 0  # a handful with the fee not yet known
        out.append({
            "source_id": f"sample-{i:04d}",
            "name": a.name,
            "name_kana": kata(a.kana),
            "category": a.category,
            "audiences": a.audiences,
            "tags": a.tags,
            "organization": a.organization,
            "place": a.place,
            "description": a.description,
            "schedule": a.schedule.as_dict(),
            "cost_yen": None if unknown_cost else a.cost_yen,
            "cost_text": "お問い合わせください" if unknown_cost else a.cost_text,
            "booking_required": a.booking_required,
            "booking_text": a.booking_text,
            "contact_name": f"{surname}（{role}）",
            "contact_phone": org_rec["phone"] if rng.random() < 0.7 else phone(),
            "contact_email": org_rec["email"] if rng.random() < 0.6 else None,
            "url": org_rec["url"] if a.url else None,
            "welcomes_first_timers": a.first_timers,
            "visit_ok": a.visit_ok,
            "solo_ok": a.solo_ok,
            "capacity": a.capacity,
            "accessibility": access,
            "last_confirmed_at": confirmed(i),
            "status": not_published.get(i, "published"),
            "source": "sample",
        })
    return out


# ── GeoJSON and geocoder tables ─────────────────────────────────────────────────────────────
def _round_geom(geom: Any) -> Any:
    return set_precision(geom, 1e-6)


def districts_geojson() -> dict[str, Any]:
    shapes = district_shapes(AREAS, CELLS)
    feats = []
    for d in DISTRICTS:
        feats.append({
            "type": "Feature",
            "properties": {
                "A27_001": CITY_CODE, "A27_002": "生駒市立", "A27_003": d.school_code, "A27_004": d.name,
                "A27_005": d.address, "district_key": d.key, "district_name": d.short, "kind": "elementary_school",
                "sample": True,
            },
            "geometry": mapping(_round_geom(shapes[d.key])),
        })
    return {"type": "FeatureCollection", "name": "sample_elementary_school_districts", "notice": NOTICE,
            "features": feats}


def outline_geojson() -> dict[str, Any]:
    return {"type": "FeatureCollection", "name": "sample_city_outline", "notice": NOTICE, "features": [{
        "type": "Feature",
        "properties": {"N03_001": PREF_NAME, "N03_002": None, "N03_003": None, "N03_004": CITY_NAME,
                       "N03_007": CITY_CODE, "sample": True},
        "geometry": mapping(_round_geom(outline())),
    }]}


def _csv_bytes(rows: list[list[str]], quote_all: bool) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL, lineterminator="\r\n")
    w.writerows(rows)
    return buf.getvalue().encode("cp932")


def oaza_csv() -> bytes:
    rows = [["都道府県コード", "都道府県名", "市区町村コード", "市区町村名", "大字町丁目コード", "大字町丁目名",
             "緯度", "経度", "原典資料コード", "大字・字・丁目区分コード"]]
    town_seq: dict[str, int] = {}
    for a in AREAS:
        n = town_seq.setdefault(a.town.name, len(town_seq) + 1)
        code = f"{CITY_CODE}{n:04d}{a.chome:03d}"
        rows.append([PREF_CODE, PREF_NAME, CITY_CODE, CITY_NAME, code, a.name, f"{a.lat:.6f}", f"{a.lon:.6f}",
                     "1", "3" if a.chome else "1"])
    return _csv_bytes(rows, quote_all=True)


def gaiku_csv() -> bytes:
    rows = [["都道府県名", "市区町村名", "大字・丁目名", "小字・通称名", "街区符号・地番", "座標系番号", "Ｘ座標", "Ｙ座標",
             "緯度", "経度", "住居表示フラグ", "代表フラグ", "更新前履歴フラグ", "更新後履歴フラグ"]]
    for a in AREAS:
        for b in blocks_for(a):
            easting, northing = TO_PLANE.transform(b.lon, b.lat)
            # 位置参照情報: X is northing, Y is easting (Japanese survey convention).
            rows.append([PREF_NAME, CITY_NAME, a.name, "", str(b.number), "6", f"{northing:.1f}", f"{easting:.1f}",
                         f"{b.lat:.6f}", f"{b.lon:.6f}", "1" if a.chome else "0", "1", "0", "0"])
    return _csv_bytes(rows, quote_all=True)


def main(out: Path = HERE) -> None:
    activities = activity_records()
    city = {
        "notice": NOTICE,
        "source": "sample",
        "reference_date": REFERENCE_DATE.isoformat(),
        "organizations": sorted(ORGS.values(), key=lambda o: o["key"]),
        "places": sorted(PLACES.values(), key=lambda p: p["key"]),
        "activities": activities,
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "city.json").write_text(json.dumps(city, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (out / "districts.geojson").write_text(json.dumps(districts_geojson(), ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "city_outline.geojson").write_text(json.dumps(outline_geojson(), ensure_ascii=False) + "\n", encoding="utf-8")
    geo = out / "geocoder"
    geo.mkdir(exist_ok=True)
    # Every area gets its blocks (not only those with places) so the table covers the whole sample.
    (geo / "29209_gaiku.csv").write_bytes(gaiku_csv())
    (geo / "29209_oaza.csv").write_bytes(oaza_csv())
    counts: dict[str, int] = {}
    for a in activities:
        counts[a["category"]] = counts.get(a["category"], 0) + 1
    print(f"organizations={len(ORGS)} places={len(PLACES)} activities={len(activities)}")
    print(" ".join(f"{k}={v}" for k, v in counts.items()))


if __name__ == "__main__":
    # Optional output directory: the tests rebuild into a temporary one and compare with the files here.
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
