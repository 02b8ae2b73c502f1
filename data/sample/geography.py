"""SAMPLE geography of 生駒市 shared by build_city.py: towns, 丁目, school districts, city outline.

Town names are real; centres are hand-placed approximations of where each town lies (good to a
few hundred metres at best), postcodes and addresses are plausible, not verified. The district
polygons are NOT the real 小学校区: they are the union of Voronoi cells of the town/丁目 centres
assigned to each school, clipped to a simplified city outline. That keeps them non-overlapping,
covering the outline, and containing the sample places by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

from shapely import voronoi_polygons
from shapely.geometry import MultiPoint, Point, Polygon
from shapely.ops import unary_union

CITY_CODE = "29209"
PREF_CODE = "29"
PREF_NAME = "奈良県"
CITY_NAME = "生駒市"

# Simplified outline (lon, lat), clockwise from the north-west; long north–south shape between the
# 生駒山 ridge (west), 奈良市 (east), 京都府 (north) and 平群町 (south).
OUTLINE: list[tuple[float, float]] = [
    (135.692, 34.755), (135.705, 34.765), (135.735, 34.768), (135.758, 34.755), (135.760, 34.735),
    (135.752, 34.715), (135.735, 34.705), (135.728, 34.690), (135.722, 34.670), (135.722, 34.650),
    (135.718, 34.632), (135.700, 34.630), (135.690, 34.640), (135.683, 34.660), (135.675, 34.680),
    (135.672, 34.700), (135.680, 34.720), (135.685, 34.740), (135.692, 34.755),
]


@dataclass(frozen=True)
class District:
    key: str  # e.g. "ikoma_minami2"
    name: str  # school name, e.g. "生駒南第二小学校"
    short: str  # 校区 name as used in the brief, e.g. "生駒南第二"
    school_code: str  # A27_003 (sample codes in the 学校コード style)
    address: str  # A27_005


@dataclass(frozen=True)
class Town:
    name: str
    kana: str  # katakana reading
    romaji: str
    district: str  # District.key
    lat: float
    lon: float
    chome: int  # number of 丁目 (0: addresses are 地番 without 丁目)
    postcode: str


DISTRICTS: list[District] = [
    District("ikoma", "生駒小学校", "生駒", "B129220900011", "奈良県生駒市山崎町"),
    District("ikoma_minami", "生駒南小学校", "生駒南", "B129220900020", "奈良県生駒市小瀬町"),
    District("ikoma_minami2", "生駒南第二小学校", "生駒南第二", "B129220900039", "奈良県生駒市萩の台"),
    District("ikoma_higashi", "生駒東小学校", "生駒東", "B129220900047", "奈良県生駒市東生駒"),
    District("ikoma_kita", "生駒北小学校", "生駒北", "B129220900055", "奈良県生駒市上町"),
    District("ikomadai", "生駒台小学校", "生駒台", "B129220900063", "奈良県生駒市生駒台南"),
    District("mayumi", "真弓小学校", "真弓", "B129220900071", "奈良県生駒市真弓"),
    District("shikanodai", "鹿ノ台小学校", "鹿ノ台", "B129220900080", "奈良県生駒市鹿ノ台南"),
    District("sakuragaoka", "桜ケ丘小学校", "桜ケ丘", "B129220900098", "奈良県生駒市桜ケ丘"),
    District("asukano", "あすか野小学校", "あすか野", "B129220900101", "奈良県生駒市あすか野南"),
    District("ichibu", "壱分小学校", "壱分", "B129220900110", "奈良県生駒市壱分町"),
    District("tawaraguchi", "俵口小学校", "俵口", "B129220900128", "奈良県生駒市俵口町"),
]

TOWNS: list[Town] = [
    # 生駒 (station area)
    Town("元町", "モトマチ", "motomachi", "ikoma", 34.6918, 135.7013, 2, "630-0257"),
    Town("東新町", "ヒガシシンマチ", "higashishinmachi", "ikoma", 34.6932, 135.7040, 0, "630-0251"),
    Town("北新町", "キタシンマチ", "kitashinmachi", "ikoma", 34.6962, 135.7012, 0, "630-0258"),
    Town("山崎町", "ヤマザキチョウ", "yamazakicho", "ikoma", 34.6883, 135.7038, 0, "630-0256"),
    Town("谷田町", "タニダチョウ", "tanidacho", "ikoma", 34.6862, 135.7003, 0, "630-0255"),
    Town("本町", "ホンマチ", "honmachi", "ikoma", 34.6897, 135.6983, 0, "630-0259"),
    Town("門前町", "モンゼンチョウ", "monzencho", "ikoma", 34.6880, 135.6885, 0, "630-0266"),
    # 俵口
    Town("辻町", "ツジマチ", "tsujimachi", "tawaraguchi", 34.6990, 135.7055, 0, "630-0244"),
    Town("俵口町", "タワラグチチョウ", "tawaraguchicho", "tawaraguchi", 34.7050, 135.7025, 0, "630-0243"),
    # 生駒東
    Town("東生駒", "ヒガシイコマ", "higashiikoma", "ikoma_higashi", 34.6905, 135.7160, 4, "630-0212"),
    Town("小明町", "オウミョウチョウ", "omyocho", "ikoma_higashi", 34.6820, 135.7110, 0, "630-0213"),
    Town("東松ケ丘", "ヒガシマツガオカ", "higashimatsugaoka", "ikoma_higashi", 34.6935, 135.7090, 0, "630-0252"),
    Town("ひかりが丘", "ヒカリガオカ", "hikarigaoka", "ikoma_higashi", 34.6985, 135.7190, 0, "630-0211"),
    # 桜ケ丘
    Town("桜ケ丘", "サクラガオカ", "sakuragaoka", "sakuragaoka", 34.6830, 135.6920, 0, "630-0254"),
    Town("西松ケ丘", "ニシマツガオカ", "nishimatsugaoka", "sakuragaoka", 34.6872, 135.6948, 0, "630-0253"),
    Town("菜畑町", "ナバタチョウ", "nabatacho", "sakuragaoka", 34.6790, 135.6985, 0, "630-0265"),
    Town("中菜畑", "ナカナバタ", "nakanabata", "sakuragaoka", 34.6805, 135.6945, 2, "630-0263"),
    # 壱分
    Town("壱分町", "イチブチョウ", "ichibucho", "ichibu", 34.6660, 135.7045, 0, "630-0222"),
    Town("乙田町", "オトンダチョウ", "otondacho", "ichibu", 34.6705, 135.7090, 0, "630-0223"),
    Town("有里町", "アリサトチョウ", "arisatocho", "ichibu", 34.6705, 135.6955, 0, "630-0224"),
    # 生駒南第二
    Town("萩の台", "ハギノダイ", "haginodai", "ikoma_minami2", 34.6555, 135.7065, 5, "630-0221"),
    Town("翠光台", "スイコウダイ", "suikodai", "ikoma_minami2", 34.6615, 135.6975, 0, "630-0225"),
    Town("青山台", "アオヤマダイ", "aoyamadai", "ikoma_minami2", 34.6505, 135.7130, 0, "630-0226"),
    # 生駒南
    Town("小平尾町", "コヒラオチョウ", "kohiraocho", "ikoma_minami", 34.6470, 135.7060, 0, "630-0231"),
    Town("小瀬町", "コセチョウ", "kosecho", "ikoma_minami", 34.6430, 135.6990, 0, "630-0232"),
    Town("萩原町", "ハギハラチョウ", "hagiharacho", "ikoma_minami", 34.6390, 135.7090, 0, "630-0233"),
    Town("南山手台", "ミナミヤマテダイ", "minamiyamatedai", "ikoma_minami", 34.6360, 135.7020, 0, "630-0234"),
    # 生駒台
    Town("生駒台南", "イコマダイミナミ", "ikomadaiminami", "ikomadai", 34.7045, 135.7145, 0, "630-0136"),
    Town("生駒台北", "イコマダイキタ", "ikomadaikita", "ikomadai", 34.7090, 135.7165, 0, "630-0137"),
    Town("光陽台", "コウヨウダイ", "koyodai", "ikomadai", 34.7130, 135.7110, 0, "630-0138"),
    Town("美鹿の台", "ビロクノダイ", "birokunodai", "ikomadai", 34.7140, 135.7245, 0, "630-0139"),
    # 生駒北
    Town("上町", "カミマチ", "kamimachi", "ikoma_kita", 34.7215, 135.7120, 0, "630-0131"),
    Town("南田原町", "ミナミタワラチョウ", "minamitawaracho", "ikoma_kita", 34.7290, 135.6985, 0, "630-0142"),
    Town("北田原町", "キタタワラチョウ", "kitatawaracho", "ikoma_kita", 34.7420, 135.7030, 0, "630-0141"),
    Town("高山町", "タカヤマチョウ", "takayamacho", "ikoma_kita", 34.7525, 135.7200, 0, "630-0101"),
    # 真弓
    Town("真弓", "マユミ", "mayumi", "mayumi", 34.7270, 135.7360, 4, "630-0122"),
    Town("北大和", "キタヤマト", "kitayamato", "mayumi", 34.7330, 135.7260, 5, "630-0121"),
    # あすか野
    Town("あすか野北", "アスカノキタ", "asukanokita", "asukano", 34.7245, 135.7240, 3, "630-0123"),
    Town("あすか野南", "アスカノミナミ", "asukanominami", "asukano", 34.7195, 135.7255, 3, "630-0124"),
    Town("白庭台", "シラニワダイ", "shiraniwadai", "asukano", 34.7165, 135.7370, 6, "630-0125"),
    # 鹿ノ台
    Town("鹿畑町", "シカハタチョウ", "shikahatacho", "shikanodai", 34.7280, 135.7465, 0, "630-0112"),
    Town("鹿ノ台北", "シカノダイキタ", "shikanodaikita", "shikanodai", 34.7495, 135.7415, 3, "630-0114"),
    Town("鹿ノ台南", "シカノダイミナミ", "shikanodaiminami", "shikanodai", 34.7440, 135.7425, 2, "630-0115"),
    Town("鹿ノ台東", "シカノダイヒガシ", "shikanodaihigashi", "shikanodai", 34.7465, 135.7490, 2, "630-0113"),
]

KANJI_DIGITS = "〇一二三四五六七八九"


def chome_kanji(n: int) -> str:
    return KANJI_DIGITS[n] + "丁目"


@dataclass(frozen=True)
class Area:
    """One 大字・町丁目: a town without 丁目, or one 丁目 of a town."""

    town: Town
    chome: int  # 0 when the town has none
    lat: float
    lon: float

    @property
    def name(self) -> str:  # as in the 位置参照情報 files (kanji numerals)
        return self.town.name + (chome_kanji(self.chome) if self.chome else "")

    @property
    def address_prefix(self) -> str:  # as people write it (arabic numerals)
        return self.town.name + (f"{self.chome}丁目" if self.chome else "")


def areas() -> list[Area]:
    """Town/丁目 centres; 丁目 are strung out ~300 m apart along a short line through the town."""
    out: list[Area] = []
    for t in TOWNS:
        if not t.chome:
            out.append(Area(t, 0, t.lat, t.lon))
            continue
        for i in range(1, t.chome + 1):
            f = i - (t.chome + 1) / 2
            # Alternate the axis per town so the 丁目 do not all line up east–west.
            if len(t.name) % 2:
                out.append(Area(t, i, round(t.lat + 0.0022 * f, 6), round(t.lon + 0.0010 * f, 6)))
            else:
                out.append(Area(t, i, round(t.lat - 0.0008 * f, 6), round(t.lon + 0.0026 * f, 6)))
    return out


def outline() -> Polygon:
    return Polygon(OUTLINE)


def area_cells(area_list: list[Area]) -> dict[str, Polygon]:
    """Voronoi cell of each area centre, clipped to the outline; key = Area.name."""
    city = outline()
    pts = MultiPoint([(a.lon, a.lat) for a in area_list])
    cells = list(voronoi_polygons(pts, extend_to=city.buffer(0.05)).geoms)
    out: dict[str, Polygon] = {}
    for a in area_list:
        p = Point(a.lon, a.lat)
        cell = next(c for c in cells if c.contains(p))
        out[a.name] = cell.intersection(city)
    return out


def district_shapes(area_list: list[Area], cells: dict[str, Polygon]) -> dict[str, object]:
    by_district: dict[str, list[Polygon]] = {}
    for a in area_list:
        by_district.setdefault(a.town.district, []).append(cells[a.name])
    return {k: unary_union(v) for k, v in by_district.items()}
