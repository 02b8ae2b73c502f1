"""Benchmark: odekake search vs SQLite FTS5 (trigram) + SpatiaLite R*Tree on the same synthetic city.

    .venv/bin/python bench/search.py [--sizes 10000,200000] [--queries 30] [--seed 1]
    .venv/bin/python bench/search.py --map-weight     # the results map's download on the sample city

For each size, one process and one run: generates a city (realistic 生駒-style vocabulary: towns,
categories, names, descriptions; fictional), loads it into a fresh SpatiaLite database, builds
odekake's Whoosh index and the baseline's FTS5 table, then times 4 kinds of query (text only,
text + 2 km, radius only, filters) for both, cold (no result cache) and, for odekake, warm (the
small result cache).  Prints build times, p50/p95, ratio, recall on variant spellings (1–2
character queries included), precision per variant family (listings returned that hold neither
the word, its spellings nor a synonym: in the first 10, target 0, and overall, target at most
2 × relevant + 3), index sizes and peak RSS.  The data is generated (サンプル).
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CENTER = (34.6915, 135.7006)  # 生駒駅
# Towns (kanji, reading) as residents say them; 鹿ノ台 is read しかのだい, which Sudachi gets wrong
# inside 鹿ノ台東 (しかのたいとう) — the town field's base name fixes that.
TOWNS = [
    ("鹿ノ台東", "しかのだいひがし"), ("鹿ノ台西", "しかのだいにし"), ("鹿ノ台南", "しかのだいみなみ"),
    ("鹿ノ台北", "しかのだいきた"), ("白庭台", "しらにわだい"), ("萩の台", "はぎのだい"), ("真弓", "まゆみ"),
    ("高山町", "たかやまちょう"), ("東生駒", "ひがしいこま"), ("北大和", "きたやまと"), ("光陽台", "こうようだい"),
    ("桜ケ丘", "さくらがおか"), ("元町", "もとまち"), ("山崎町", "やまざきちょう"), ("谷田町", "たにだちょう"),
    ("小明町", "こうみょうちょう"), ("壱分町", "いちぶちょう"), ("有里町", "ありさとちょう"),
    ("南田原町", "みなみたわらちょう"), ("俵口町", "たわらぐちちょう"), ("辻町", "つじまち"),
    ("西旭ケ丘", "にしあさひがおか"), ("緑ケ丘", "みどりがおか"), ("あすか野北", "あすかのきた"),
    ("美鹿の台", "びろくのだい"), ("松美台", "まつみだい"), ("喜里が丘", "きりがおか"), ("新旭ケ丘", "しんあさひがおか"),
    ("乙田町", "おとだちょう"), ("東菜畑", "ひがしなばた"), ("西菜畑町", "にしなばたちょう"), ("上町", "かみまち"),
]  # fmt: skip
NICK = ["ひまわり", "さくら", "たんぽぽ", "すみれ", "あおば", "こすもす", "つばき", "わかば", "ひだまり", "なごみ",
        "えがお", "ほっこり", "すまいる", "きずな", "ゆうゆう", "のんびり", "げんき", "にこにこ", "ぽかぽか", "ふれあい"]  # fmt: skip
# (category, name patterns, extra description sentences). {t}=town, {n}=nickname.
KINDS = [
    ("salon", ["{t}ふれあいサロン", "サロン {n}", "{n}の会", "いきいきサロン {t}", "{t}{n}サロン", "茶話会 {n}"],
     ["地域の方の集いの場（通いの場）です。", "お茶を飲みながらおしゃべりを楽しみます。", "囲碁や将棋を楽しむ方もいます。"]),
    ("exercise", ["{t}いきいき百歳体操", "{t}100歳体操の会", "百歳体操 {n}", "{n}体操クラブ", "健康体操 {n}", "{t}ウォーキングの会"],
     ["おもりを使った筋力運動です。", "介護予防のための体操をしています。", "ストレッチと脳トレもあります。"]),
    ("parenting", ["子育てひろば {n}", "{t}子育てサロン", "子育て支援センター {n}", "親子の広場 {n}", "ベビーマッサージ {n}"],
     ["0〜3歳の親子が自由に遊べます。", "子育ての相談もできます。", "絵本の読み聞かせがあります。"]),
    ("ibasho", ["ひきこもり居場所 {n}", "引きこもり家族会 {t}", "若者の居場所 {n}", "フリースペース {n}"],
     ["ひきこもりの方や家族の居場所です。", "引き籠もりがちな方も気軽にどうぞ。", "ボードゲームや手芸をして過ごします。"]),
    ("machi_no_eki", ["まちのえき {t}", "まちの駅 {t}", "{t}まちのえき {n}"],
     ["地域の複合型コミュニティづくりの拠点です。", "朝市やカフェを開いています。"]),
    ("dementia_cafe", ["認知症カフェ {n}", "オレンジカフェ {t}", "{t}ケアラーズカフェ"],
     ["認知症の方と家族が気軽に話せるカフェです。", "物忘れの相談もできます。"]),
    ("kids_cafeteria", ["子ども食堂 {n}", "こども食堂 {t}", "{t}みんなの食堂"],
     ["子どもも大人も一緒にごはんを食べます。", "300円で夕食を出しています。"]),
    ("learning", ["囲碁クラブ {n}", "将棋の会 {t}", "健康麻雀 {n}", "健康マージャン {t}", "スマホ教室 {t}", "書道教室 {n}",
                  "カラオケ {n}", "{t}囲碁・将棋サークル", "碁会所 {n}"],
     ["初心者も歓迎です。", "月に2回集まっています。", "道具は貸し出します。"]),
    ("volunteer", ["竹林整備ボランティア {t}", "買い物おたすけ隊 {n}", "有償ボランティア {t}"],
     ["できる時間にできることを。", "就労的活動として謝礼があります。"]),
]  # fmt: skip
COMMON = ["初めての方も歓迎です。", "お気軽にお越しください。", "参加費は無料です。", "駐車場はありません。",
          "{t}の集会所で開いています。", "世話人が案内します。", "雨天中止です。"]  # fmt: skip
RRULES = ["FREQ=WEEKLY;BYDAY=MO", "FREQ=WEEKLY;BYDAY=TU", "FREQ=WEEKLY;BYDAY=WE", "FREQ=WEEKLY;BYDAY=TH",
          "FREQ=WEEKLY;BYDAY=FR", "FREQ=MONTHLY;BYDAY=2SA", "FREQ=MONTHLY;BYDAY=1TU,3TU", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"]  # fmt: skip

# Variant families: every spelling must find every listing whose text contains one of `truth`.
FAMILIES: list[tuple[list[str], list[str]]] = [
    (["さろん", "サロン", "ｻﾛﾝ"], ["サロン"]),
    (["こそだて", "子育て"], ["子育て"]),
    (["ひゃくさいたいそう", "百歳体操", "100歳体操", "１００歳体操"], ["百歳体操", "100歳体操"]),
    (["ひきこもり", "引きこもり", "引き籠もり"], ["ひきこもり", "引きこもり", "引き籠もり"]),
    (["まちのえき", "まちの駅"], ["まちのえき", "まちの駅"]),
    (["しかのだい", "鹿ノ台"], ["生駒市鹿ノ台"]),
    (["まーじゃん", "マージャン", "麻雀"], ["麻雀", "マージャン"]),
    (["囲碁"], ["囲碁"]),
    (["碁"], ["碁"]),
    (["体操"], ["体操"]),
]
TEXT_QUERIES = ["さろん", "サロン", "こそだて", "子育て", "百歳体操", "ひゃくさいたいそう", "ひきこもり", "引きこもり",
                "まちのえき", "まちの駅", "しかのだい", "囲碁", "碁", "体操", "認知症カフェ", "こども食堂", "子ども食堂",
                "まーじゃん", "将棋", "スマホ", "ボランティア", "居場所", "百歳体操 しかのだい", "サロン 真弓",
                "カラオケ", "茶話会", "オレンジカフェ", "健康体操", "書道", "ひまわり"]  # fmt: skip


@dataclass
class Row:
    id: int
    name: str
    kana: str
    category: str
    description: str
    town: str
    town_kana: str
    address: str
    lat: float
    lon: float
    rrule: str
    cost: int
    org: str


def generate(n: int, seed: int) -> list[Row]:
    from jatext import reading

    rnd = random.Random(seed)
    # A city whose area grows with the listing count (about 100 listings per km², like a dense ward).
    half_km = max(5.0, (n / 100) ** 0.5 / 2)
    dlat, dlon = half_km / 110.9, half_km / 91.4
    rows: list[Row] = []
    kana_cache: dict[str, str] = {}
    for i in range(1, n + 1):
        cat, names, extra = rnd.choice(KINDS)
        town, town_kana = rnd.choice(TOWNS)
        nick = rnd.choice(NICK)
        name = rnd.choice(names).format(t=town, n=nick)
        if name not in kana_cache:
            kana_cache[name] = reading(name)
        sentences = rnd.sample(extra, k=min(2, len(extra))) + rnd.sample(COMMON, k=3)
        desc = "".join(s.format(t=town) for s in sentences)
        chome = rnd.randrange(1, 6)
        rows.append(
            Row(
                id=i,
                name=name,
                kana=kana_cache[name],
                category=cat,
                description=desc,
                town=town,
                town_kana=town_kana,
                address=f"奈良県生駒市{town}{chome}丁目{rnd.randrange(1, 40)}-{rnd.randrange(1, 30)}",
                lat=CENTER[0] + rnd.uniform(-dlat, dlat),
                lon=CENTER[1] + rnd.uniform(-dlon, dlon),
                rrule=rnd.choice(RRULES),
                cost=rnd.choice([0, 0, 100, 200]),
                org=f"{town}自治会",
            )
        )
    return rows


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_db(app: Any, rows: list[Row]) -> float:
    from sqlalchemy import insert

    from webapp.extensions import db
    from webapp.listings.models.activity import Activity
    from webapp.listings.models.place import Place
    from webapp.listings.spatial import point_element

    t = time.perf_counter()
    with app.app_context(), db.transaction() as session:
        for i in range(0, len(rows), 5000):
            chunk = rows[i : i + 5000]
            session.execute(
                insert(Place),
                [
                    {"id": r.id, "source": "bench", "source_id": str(r.id), "name": f"{r.town}集会所",
                     "name_kana": "", "address": r.address, "lat": r.lat, "lon": r.lon,
                     "point": point_element(r.lat, r.lon)}
                    for r in chunk
                ],
            )  # fmt: skip
            session.execute(
                insert(Activity),
                [
                    {"id": r.id, "source": "bench", "source_id": str(r.id), "name": r.name, "name_kana": r.kana,
                     "description": r.description, "category": r.category, "audiences": ["everyone"],
                     "place_id": r.id, "schedule_rrule": r.rrule, "start_time": _t(10), "end_time": _t(12),
                     "cost_yen": r.cost, "status": "published", "schedule_text": "", "tags": []}
                    for r in chunk
                ],
            )  # fmt: skip
    return time.perf_counter() - t


def _t(h: int) -> Any:
    from datetime import time as dtime

    return dtime(h, 0)


def build_odekake(rows: list[Row], path: Path) -> tuple[Any, float]:
    from webapp.listings.taxonomy import taxonomy
    from webapp.search.index import SearchIndex, SourceText, make_document

    tx = taxonomy()
    index = SearchIndex(path)
    t = time.perf_counter()
    with index.writer(replace=True) as w:
        for r in rows:
            term = tx.categories[r.category]
            src = SourceText(
                id=r.id,
                name=r.name,
                name_kana=r.kana,
                category=" ".join((term.ja, term.kana, term.en)),
                organization=r.org,
                place=f"{r.town}集会所",
                address=r.address,
                town=" ".join(dict.fromkeys(_towns(r.address))),
                description=r.description,
                lat=r.lat,
                lon=r.lon,
                category_code=r.category,
                free=r.cost == 0,
                weekdays=_mask(r.rrule),
            )
            w.add_document(**make_document(src))
    return index, time.perf_counter() - t


def _mask(rrule: str) -> int:
    from schedule import Schedule, weekdays

    return sum(1 << d for d in weekdays(Schedule(rrule=rrule, start=None, end=None)))


def _towns(address: str) -> list[str]:
    from webapp.search.analysis import town_of

    return town_of(address)


def build_baseline(app: Any, rows: list[Row]) -> float:
    """FTS5 trigram over folded text plus a Sudachi reading column (as measured in the issue)."""
    from jatext import fold, reading
    from webapp.extensions import db

    t = time.perf_counter()
    with app.app_context(), db.transaction() as session:
        conn = session.connection().connection.driver_connection
        conn.execute("CREATE VIRTUAL TABLE fts USING fts5(body, yomi, tokenize='trigram')")
        batch = []
        for r in rows:
            text = " ".join((r.name, r.kana, r.category, r.org, r.address, r.description))
            batch.append((r.id, fold(text), fold(reading(f"{r.name} {r.address}"))))
            if len(batch) >= 5000:
                conn.executemany("INSERT INTO fts(rowid, body, yomi) VALUES (?, ?, ?)", batch)
                batch = []
        if batch:
            conn.executemany("INSERT INTO fts(rowid, body, yomi) VALUES (?, ?, ?)", batch)
    return time.perf_counter() - t


class Baseline:
    def __init__(self, app: Any) -> None:
        from webapp.extensions import db

        self.app = app
        self.ctx = app.app_context()
        self.ctx.push()
        self.session = db.session()
        self.conn = self.session.connection().connection.driver_connection

    def _text_ids(self, q: str) -> dict[int, float]:
        from jatext import fold

        words = fold(q).split()
        if not words:
            return {}
        result: dict[int, float] | None = None
        for w in words:
            if len(w) >= 3:
                phrase = '"' + w.replace('"', '""') + '"'
                rows = self.conn.execute(
                    "SELECT rowid, bm25(fts) FROM fts WHERE fts MATCH ?", (f"{{body yomi}}: {phrase}",)
                ).fetchall()
            else:
                # trigram cannot match 1–2 characters: LIKE over the same columns (a full scan).
                like = f"%{w}%"
                rows = self.conn.execute(
                    "SELECT rowid, 0.0 FROM fts WHERE body LIKE ? OR yomi LIKE ?", (like, like)
                ).fetchall()
            found = {int(r[0]): float(r[1]) for r in rows}
            result = found if result is None else {k: v + found[k] for k, v in result.items() if k in found}
        return result or {}

    def _near(self, lat: float, lon: float, radius: float) -> dict[int, float]:
        from gis.distance import bbox_around, planar_coefficients

        box = bbox_around(lat, lon, radius)
        ky, kx, kxd = planar_coefficients(lat)
        rows = self.conn.execute(
            """SELECT a.id,
                      ((p.lat - ?) * ?) * ((p.lat - ?) * ?)
                    + ((p.lon - ?) * (? + ? * (p.lat - ?))) * ((p.lon - ?) * (? + ? * (p.lat - ?))) AS d2
               FROM place p JOIN activity a ON a.place_id = p.id
               WHERE p.id IN (SELECT pkid FROM idx_place_point WHERE xmin <= ? AND xmax >= ? AND ymin <= ? AND ymax >= ?)
                 AND a.status = 'published'""",
            (lat, ky, lat, ky, lon, kx, kxd, lat, lon, kx, kxd, lat, box.maxlon, box.minlon, box.maxlat, box.minlat),
        ).fetchall()
        r2 = radius * radius
        return {int(i): d2**0.5 for i, d2 in rows if d2 <= r2}

    def search(self, q: str = "", point: tuple[float, float] | None = None, radius: float = 2000,
               category: str | None = None, weekday: str | None = None, free: bool = False) -> tuple[int, list[int]]:  # fmt: skip
        scores = self._text_ids(q) if q else None
        if scores is not None and not scores:
            return 0, []
        dist = self._near(point[0], point[1], radius) if point else None
        if category or weekday or free:
            sql = "SELECT id FROM activity WHERE status = 'published'"
            params: list[Any] = []
            if category:
                sql += " AND category = ?"
                params.append(category)
            if free:
                sql += " AND cost_yen = 0"
            if weekday:
                sql += " AND schedule_rrule LIKE ?"
                params.append(f"%{weekday}%")
            allowed = {int(r[0]) for r in self.conn.execute(sql, params)}
        else:
            allowed = None
        ids: list[int]
        if scores is not None:
            ids = [i for i in scores if (dist is None or i in dist) and (allowed is None or i in allowed)]
            ids.sort(key=lambda i: scores[i])
        elif dist is not None:
            ids = [i for i in dist if allowed is None or i in allowed]
            ids.sort(key=lambda i: dist[i])
        else:
            rows = self.conn.execute(
                "SELECT id FROM activity WHERE status = 'published' ORDER BY name_kana, id"
            ).fetchall()
            ids = [int(r[0]) for r in rows if allowed is None or int(r[0]) in allowed]
        page = ids[:20]
        if page:
            marks = ",".join("?" * len(page))
            self.conn.execute(f"SELECT * FROM activity WHERE id IN ({marks})", page).fetchall()
        return len(ids), page

    def close(self) -> None:
        self.session.close()
        self.ctx.pop()


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return p50 * 1000, p95 * 1000


def timed(fn: Callable[[], Any]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def run_size(n: int, queries: int, seed: int) -> dict[str, Any]:
    from webapp import create_app
    from webapp.commands.migrate import upgrade_to_head
    from webapp.extensions import db
    from webapp.search.activity_query import ActivityQuery
    from webapp.search.analysis import analyse_term
    from webapp.search.service import result_cache, search_activities

    rnd = random.Random(seed + n)
    out: dict[str, Any] = {"n": n}
    t = time.perf_counter()
    rows = generate(n, seed)
    out["generate_s"] = time.perf_counter() - t
    tmp = Path(tempfile.mkdtemp(prefix=f"bench-search-{n}-"))
    app = create_app({"instance_dir": tmp, "env": "testing"})
    with app.app_context():
        upgrade_to_head()
    out["db_load_s"] = load_db(app, rows)
    index, out["odekake_build_s"] = build_odekake(rows, tmp / "index")
    out["baseline_build_s"] = build_baseline(app, rows)
    out["odekake_size_mb"] = index.size_bytes() / 1e6
    with app.app_context():
        conn = db.session().connection().connection.driver_connection
        pages = conn.execute(
            "SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'fts%'"
        ).fetchone()[0] if _has_dbstat(conn) else None
        out["baseline_size_mb"] = (pages or 0) / 1e6
        db.session.remove()

    half = 0.8 * max(5.0, (n / 100) ** 0.5 / 2)
    points = [
        (CENTER[0] + rnd.uniform(-half, half) / 110.9, CENTER[1] + rnd.uniform(-half, half) / 91.4)
        for _ in range(queries)
    ]
    texts = [TEXT_QUERIES[i % len(TEXT_QUERIES)] for i in range(queries)]
    days = ["mon", "tue", "wed", "thu", "fri"]
    cats = [k[0] for k in KINDS]
    filters = [(rnd.choice(cats), rnd.choice(days), rnd.random() < 0.5) for _ in range(queries)]
    code = {"mon": "MO", "tue": "TU", "wed": "WE", "thu": "TH", "fri": "FR"}
    now = datetime(2026, 11, 24, 10, 0)

    kinds: dict[str, list[tuple[ActivityQuery, dict[str, Any]]]] = {
        "text": [(ActivityQuery(q=q), {"q": q}) for q in texts],
        "text+2km": [
            (ActivityQuery(q=q, lat=p[0], lon=p[1], radius_m=2000), {"q": q, "point": p})
            for q, p in zip(texts, points, strict=True)
        ],
        "radius": [(ActivityQuery(lat=p[0], lon=p[1], radius_m=2000), {"point": p}) for p in points],
        "filters": [
            (
                ActivityQuery(categories=(c,), day=days.index(d), free=f),
                {"category": c, "weekday": code[d], "free": f},
            )
            for c, d, f in filters
        ],
    }
    ctx = app.app_context()
    ctx.push()
    session = db.session()

    def ode(query: ActivityQuery, cache: bool = False) -> Any:
        return search_activities(session, query, now, index=index, use_cache=cache, with_occurrences=False)

    # Untimed queries per engine load the Sudachi dictionary, open the searcher and build the
    # per-generation arrays (a web worker does this once, then after each index change).
    ode(ActivityQuery(q="ウォームアップ"))
    ode(ActivityQuery(lat=CENTER[0], lon=CENTER[1], categories=("salon",)))
    ode(ActivityQuery(q="碁"))  # the term dictionary for substring matches
    base = Baseline(app)
    base.search(q="ウォームアップ")
    base.search(point=CENTER, category="salon")
    out["kinds"] = {}
    for kind, items in kinds.items():
        gc.collect()
        # Cold: no result cache, no cached posting lists or analysed query words.  What stays is
        # what a worker keeps per index generation (searcher, id/kana/facet arrays, dictionary).
        result_cache.clear()
        analyse_term.cache_clear()
        if index._postings is not None:
            index._postings._cache.clear()
        cold = [timed(lambda aq=aq: ode(aq)) for aq, _ in items]
        for aq, _ in items:  # fill the cache, then time warm
            ode(aq, cache=True)
        warm = [timed(lambda aq=aq: ode(aq, cache=True)) for aq, _ in items]
        b = [timed(lambda kw=kw: base.search(**kw)) for _, kw in items]
        out["kinds"][kind] = {"odekake": percentiles(cold), "warm": percentiles(warm), "baseline": percentiles(b)}

    # Recall on variant spellings: truth = listings whose text contains one of the family's words.
    recall: list[tuple[str, float, float]] = []
    texts_by_id = {r.id: f"{r.name} {r.description} {r.address}" for r in rows}
    for spellings, truth_words in FAMILIES:
        truth = {i for i, text in texts_by_id.items() if any(w in text for w in truth_words)}
        for spelling in spellings:
            found_o = set(index.match(_groups(spelling)))
            found_b = set(base._text_ids(spelling))
            ro = len(truth & found_o) / len(truth) if truth else 1.0
            rb = len(truth & found_b) / len(truth) if truth else 1.0
            recall.append((spelling, ro, rb))
    out["recall"] = recall
    out["precision"] = precision(rows, index)
    base.close()
    db.session.remove()
    ctx.pop()
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def _relevant_text(r: Row) -> str:
    from jatext import fold
    from webapp.listings.taxonomy import taxonomy

    term = taxonomy().categories[r.category]
    # What the index holds of a listing (bar the kana of the name, checked through spellings).
    return fold(" ".join((r.name, r.description, r.address, r.org, f"{r.town}集会所", term.ja, term.kana))).replace(" ", "")


def precision(rows: list[Row], index: Any) -> list[tuple[str, int, int, int, int]]:
    """(spelling, relevant, found, strangers in the first 10, strangers overall) per spelling.

    Relevant: the listing's text holds one of the family's words, or a spelling or synonym of
    the query (what the search is asked to find); a stranger is any other listing returned.
    """
    from jatext import fold
    from webapp.search.synonyms import expand_query

    texts = {r.id: _relevant_text(r) for r in rows}
    out = []
    for spellings, truth_words in FAMILIES:
        for spelling in spellings:
            groups = _groups(spelling)
            words = {fold(w).replace(" ", "") for w in [*truth_words, *spellings, *(s for g in expand_query(spelling) for s in g)]}
            # Short kana (いご) would be found inside other words' kana (かいご): not a test of holding it.
            words = {w for w in words if not (len(w) <= 2 and all("\u3041" <= c <= "\u309f" for c in w))}
            relevant = {i for i, t in texts.items() if any(w and w in t for w in words)}
            found = [i for i, _, _ in index.match_ranked(groups)]
            strangers = [i for i in found if i not in relevant]
            first = sum(1 for i in found[:10] if i not in relevant)
            out.append((spelling, len(relevant), len(found), first, len(strangers)))
    return out


def _groups(q: str) -> list[list[str]]:
    from webapp.search.synonyms import expand_query

    return expand_query(q)


def _has_dbstat(conn: Any) -> bool:
    try:
        conn.execute("SELECT 1 FROM dbstat LIMIT 1").fetchall()
        return True
    except Exception:
        return False


def report(r: dict[str, Any]) -> None:
    n = r["n"]
    print(f"\n=== {n:,} listings ===")
    print(
        f"generate {r['generate_s']:.1f} s · DB load {r['db_load_s']:.1f} s · "
        f"index build: odekake {r['odekake_build_s']:.1f} s, baseline FTS5 {r['baseline_build_s']:.1f} s"
    )
    print(f"index size: odekake {r['odekake_size_mb']:.1f} MB, baseline FTS5 {r['baseline_size_mb']:.1f} MB")
    print(f"{'kind':<10} {'odekake p50/p95 (cold)':>24} {'warm p50/p95':>16} {'baseline p50/p95':>20} {'p95 ratio':>10}")
    for kind, v in r["kinds"].items():
        o50, o95 = v["odekake"]
        w50, w95 = v["warm"]
        b50, b95 = v["baseline"]
        print(f"{kind:<10} {o50:>12.1f} / {o95:>7.1f} ms {w50:>6.2f} / {w95:>5.2f} ms {b50:>9.1f} / {b95:>6.1f} ms {o95 / b95:>9.2f}x")
    print("recall on variant spellings (odekake / baseline):")
    line = []
    for spelling, ro, rb in r["recall"]:
        line.append(f"{spelling} {ro * 100:.0f}%/{rb * 100:.0f}%")
    for i in range(0, len(line), 6):
        print("  " + " · ".join(line[i : i + 6]))
    worst = min(ro for _, ro, _ in r["recall"])
    print("precision per variant family (relevant / found / strangers in first 10 / strangers; bound 2×relevant+3):")
    line = []
    over = 0
    for spelling, rel, found, first, strangers in r["precision"]:
        ok = first == 0 and found <= 2 * rel + 3
        over += not ok
        line.append(f"{spelling} {rel}/{found}/{first}/{strangers}{'' if ok else ' ✗'}")
    for i in range(0, len(line), 5):
        print("  " + " · ".join(line[i : i + 5]))
    print(f"odekake minimum recall {worst * 100:.0f}% · precision targets missed: {over} · peak RSS {r['peak_rss_mb']:.0f} MB")


def map_page_weight() -> None:
    """Bytes (gzip) a phone downloads to see the results map of the sample city: the page, its CSS
    and JS, Leaflet, the pins, the fallback base layer; against the full items the map read before."""
    import gzip
    import re as _re

    from webapp import create_app
    from webapp.commands.migrate import upgrade_to_head
    from webapp.extensions import db
    from webapp.listings.demo import load_sample_city
    from webapp.search import sync
    from webapp.search.index import index_at

    tmp = Path(tempfile.mkdtemp(prefix="bench-map-"))
    app = create_app({"instance_dir": tmp, "env": "testing"})
    with app.app_context():
        upgrade_to_head()
        with db.transaction() as session:
            load_sample_city(session)
        sync.rebuild(db.session(), index_at(app.extensions["odekake_settings"].resolved_index_dir))
        db.session.remove()
    client = app.test_client()

    def gz(path: str) -> int:
        r = client.get(path)
        assert r.status_code == 200, (path, r.status_code)
        return len(gzip.compress(r.get_data(), 6))

    page = client.get("/?view=map").get_data(as_text=True)
    assets = sorted(set(_re.findall(r'(?:href|src|data-[a-z-]+)="(/static/[^"]+\.(?:css|js))"', page)))
    rows = [("page /?view=map", gz("/?view=map"))] + [(a, gz(a)) for a in assets]
    markers = _re.search(r'data-markers="([^"]+)"', page)
    assert markers
    pins = markers.group(1).replace("&amp;", "&")
    rows += [("pins " + pins.split("?")[0], gz(pins)), ("base layer /api/v1/basemap.geojson", gz("/api/v1/basemap.geojson"))]
    total = client.get("/api/v1/markers.geojson").get_json()["total"]
    full = sum(gz(f"/api/v1/activities.geojson?per_page=100&page={p}") for p in range(1, (total + 99) // 100 + 1))
    print(f"\n=== map page weight, sample city ({total} listings), gzip ===")
    for name, size in rows:
        print(f"  {size / 1024:7.1f} KB  {name}")
    print(f"  {sum(s for _, s in rows) / 1024:7.1f} KB  total (the base layer only when tiles fail)")
    print(f"  pins {rows[-2][1] / 1024:.1f} KB vs the full items the map used to read: {full / 1024:.1f} KB")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--map-weight", action="store_true", help="only the map page weight on the sample city")
    parser.add_argument("--sizes", default="10000,200000")
    parser.add_argument("--queries", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.map_weight:
        map_page_weight()
        return
    for n in (int(s) for s in args.sizes.split(",")):
        report(run_size(n, args.queries, args.seed))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
