"""Explainable suggestions: rank published activities for a person, every point with its reason.

The scorer (`score`) is pure: it sees a `Profile` (no identity) and a `Candidate` (an activity with
its distance already measured) and returns points plus the reasons behind them, e.g.
「火曜午前に空き・徒歩12分・囲碁に関心」. Hard limits (beyond the travel distance they can manage, an
audience the activity is not for) exclude a candidate instead of scoring it low, and say so.
`suggest` does the database part: origin point, places_near, published activities.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, time
from functools import cache
from pathlib import Path

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from jatext import fold
from schedule import Schedule, next_occurrences, weekdays

WEEKDAYS_JA = "月火水木金土日"
WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
PARTS_JA = {"am": "午前", "pm": "午後", "ev": "夕方以降"}
PARTS_EN = {"am": "morning", "pm": "afternoon", "ev": "evening"}
WALK_M_PER_MIN = 80  # 不動産の表示に関する公正競争規約: 徒歩1分 = 80 m
DEFAULT_RADIUS_M = 3000

# 分野 → audiences an activity may name for this person.
FIELD_AUDIENCES = {
    "elderly": {"elderly"},
    "disability": {"disability"},
    "children": {"children", "parents_children", "youth"},
    "hikikomori": {"hikikomori", "youth"},
    "poverty": set(),
    "other": set(),
}

W_INTEREST_TAG = 25
W_INTEREST_TEXT = 12
W_FREE_TEXT = 8
W_INTEREST_CAP = 50
W_AUDIENCE = 10
W_DISTANCE = 20
W_SCHEDULE = 20
P_SCHEDULE_MISMATCH = -15
W_COST = 5
P_COST_OVER = -20
W_ACCESS = 5
P_ACCESS_MISSING = -10
W_NEWCOMER = 4
W_NEWCOMER_NEEDED = 8


@dataclass(frozen=True)
class Reason:
    code: str
    points: int
    ja: str
    en: str

    def text(self, lang: str) -> str:
        return self.en if lang == "en" else self.ja


@dataclass(frozen=True)
class Profile:
    interests: frozenset[str] = frozenset()
    interests_text: str = ""
    audiences: frozenset[str] = frozenset()
    field: str = "other"
    free_slots: frozenset[str] = frozenset()  # "1am" = Tuesday morning
    max_travel_m: int | None = None
    max_cost_yen: int | None = None
    accessibility_needs: frozenset[str] = frozenset()
    solo_worry: bool = False
    needs_accompany: bool = False


@dataclass(frozen=True)
class Candidate:
    activity_id: int
    name: str
    text: str = ""
    tags: frozenset[str] = frozenset()
    audiences: frozenset[str] = frozenset()
    schedule: Schedule | None = None
    cost_yen: int | None = None
    accessibility: frozenset[str] = frozenset()
    welcomes_first_timers: bool | None = None
    visit_ok: bool | None = None
    solo_ok: bool | None = None
    distance_m: float | None = None
    # Interest words the search service (synonyms, readings) found for this activity.
    search_matches: frozenset[str] = frozenset()


@dataclass
class Suggestion:
    candidate: Candidate
    score: int = 0
    reasons: list[Reason] = field(default_factory=list)
    excluded: Reason | None = None

    @property
    def positive(self) -> list[Reason]:
        return [r for r in self.reasons if r.points > 0]

    @property
    def negative(self) -> list[Reason]:
        return [r for r in self.reasons if r.points < 0]

    def summary(self, lang: str = "ja") -> str:
        sep = "・" if lang != "en" else " · "
        return sep.join(r.text(lang) for r in sorted(self.positive, key=lambda r: -r.points))


@cache
def _interest_labels() -> dict[str, tuple[str, str]]:
    """code → (ja, en) from data/taxonomy.toml [[interest]], read directly to stay Flask-free."""
    import tomllib

    path = Path(__file__).resolve().parent.parent.parent / "data" / "taxonomy.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {str(r["code"]): (str(r.get("ja", r["code"])), str(r.get("en", r["code"]))) for r in data.get("interest", [])}


@cache
def _access_labels() -> dict[str, tuple[str, str]]:
    import tomllib

    path = Path(__file__).resolve().parent.parent.parent / "data" / "taxonomy.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {str(r["code"]): (str(r.get("ja", r["code"])), str(r.get("en", r["code"]))) for r in data.get("accessibility", [])}


def _part_of_day(t: time | None) -> str | None:
    if t is None:
        return None
    if t < time(12):
        return "am"
    if t < time(17):
        return "pm"
    return "ev"


def activity_slots(schedule: Schedule | None, now: datetime | None) -> set[str]:
    """Weekday × part-of-day slots the activity meets in; from the rule, else from next occurrences."""
    if schedule is None or (schedule.rrule is None and not schedule.rdates):
        return set()
    part = _part_of_day(schedule.start)
    days = weekdays(schedule)
    if not days and now is not None:
        days = {o.weekday() for o in next_occurrences(schedule, now, 4)}
    parts = [part] if part else ["am", "pm"]
    return {f"{d}{p}" for d in days for p in parts}


def _slot_text(slot: str) -> tuple[str, str]:
    d, p = int(slot[0]), slot[1:]
    return f"{WEEKDAYS_JA[d]}曜{PARTS_JA[p]}に空き", f"free on {WEEKDAYS_EN[d]} {PARTS_EN[p]}"


def _distance_text(distance_m: float) -> tuple[str, str]:
    minutes = max(1, round(distance_m / WALK_M_PER_MIN))
    if distance_m <= 2000:
        return f"徒歩{minutes}分", f"{minutes} min walk"
    km = f"{distance_m / 1000:.1f}"
    return f"約{km}km", f"about {km} km"


_SPLIT = re.compile(r"[\s、，,・/／]+")


def score(profile: Profile, c: Candidate, now: datetime | None = None) -> Suggestion:
    """Points and reasons for one candidate; `excluded` set when a hard limit rules it out."""
    s = Suggestion(candidate=c)
    add = s.reasons.append

    # Audience: an activity only for others (e.g. 子育て親子) is not offered to an older man.
    wanted = set(profile.audiences) | FIELD_AUDIENCES.get(profile.field, set())
    if c.audiences and "everyone" not in c.audiences and wanted and not (wanted & c.audiences):
        s.excluded = Reason("audience_mismatch", 0, "対象が異なる", "for a different audience")
        return s
    if c.audiences & wanted:
        add(Reason("audience", W_AUDIENCE, "対象に合う", "right audience"))
    elif "everyone" in c.audiences:
        add(Reason("audience", W_AUDIENCE // 2, "どなたでも参加可", "open to everyone"))

    # Distance within the travel limit.
    if c.distance_m is not None:
        limit = profile.max_travel_m or DEFAULT_RADIUS_M
        ja, en = _distance_text(c.distance_m)
        if profile.max_travel_m is not None and c.distance_m > profile.max_travel_m:
            s.excluded = Reason("too_far", 0, f"{ja}（移動できる範囲外）", f"{en} (beyond travel limit)")
            return s
        points = round(W_DISTANCE * max(0.0, 1 - c.distance_m / limit))
        add(Reason("distance", max(points, 1), ja, en))

    # Interests: taxonomy tags first, then labels and free words in the activity's text.
    labels = _interest_labels()
    text = fold(f"{c.name} {c.text}")
    interest_points = 0
    for code in sorted(profile.interests):
        ja, en = labels.get(code, (code, code))
        if code in c.tags:
            interest_points += W_INTEREST_TAG
            add(Reason("interest", W_INTEREST_TAG, f"{ja}に関心", f"interested in {en}"))
        elif ja in c.search_matches or any(fold(part) in text for part in ja.split("・") if part):
            interest_points += W_INTEREST_TEXT
            add(Reason("interest_text", W_INTEREST_TEXT, f"{ja}に関心", f"interested in {en}"))
    for word in _SPLIT.split(profile.interests_text):
        found = word in c.search_matches or fold(word) in text
        if len(word) >= 2 and found and interest_points < W_INTEREST_CAP:
            interest_points += W_FREE_TEXT
            add(Reason("free_text", W_FREE_TEXT, f"「{word}」", f"“{word}”"))

    # Schedule fit with their free times.
    slots = activity_slots(c.schedule, now)
    if slots and profile.free_slots:
        both = sorted(slots & profile.free_slots)
        if both:
            ja, en = _slot_text(both[0])
            add(Reason("schedule", W_SCHEDULE, ja, en))
        else:
            add(Reason("schedule_mismatch", P_SCHEDULE_MISMATCH, "空いている時間と合わない", "not when they are free"))

    # Cost.
    if c.cost_yen == 0:
        add(Reason("cost", W_COST, "無料", "free"))
    elif c.cost_yen is not None and profile.max_cost_yen is not None:
        if c.cost_yen <= profile.max_cost_yen:
            add(Reason("cost", W_COST, f"{c.cost_yen}円", f"¥{c.cost_yen}"))
        else:
            add(Reason("cost_over", P_COST_OVER, f"{c.cost_yen}円（上限超）", f"¥{c.cost_yen} (over budget)"))

    # Accessibility needs.
    access = _access_labels()
    for need in sorted(profile.accessibility_needs):
        ja, en = access.get(need, (need, need))
        if need in c.accessibility:
            add(Reason("access", W_ACCESS, ja, en))
        else:
            add(Reason("access_missing", P_ACCESS_MISSING, f"{ja}の記載なし", f"no {en} listed"))

    # Newcomer-friendliness, weighted up when the person worries about going alone or needs 同行.
    if c.welcomes_first_timers:
        add(Reason("first_timers", W_NEWCOMER, "初参加歓迎", "welcomes first-timers"))
    if c.visit_ok:
        pts = W_NEWCOMER_NEEDED if profile.needs_accompany else W_NEWCOMER
        add(Reason("visit_ok", pts, "見学可", "visits welcome"))
    if c.solo_ok:
        pts = W_NEWCOMER_NEEDED if profile.solo_worry else W_NEWCOMER
        add(Reason("solo_ok", pts, "一人参加OK", "fine to come alone"))

    s.score = sum(r.points for r in s.reasons)
    return s


def rank(profile: Profile, candidates: list[Candidate], now: datetime | None = None, limit: int = 10) -> list[Suggestion]:
    scored = [score(profile, c, now) for c in candidates]
    kept = [s for s in scored if s.excluded is None]
    far = float("inf")
    kept.sort(key=lambda s: (-s.score, s.candidate.distance_m if s.candidate.distance_m is not None else far, s.candidate.activity_id))
    return kept[:limit]


# ── database side ───────────────────────────────────────────────────────────────────────────────

def _sample_districts_file() -> Path:
    return Path(__file__).resolve().parent.parent.parent / "data" / "sample" / "districts.geojson"


@cache
def _sample_district_centroids() -> dict[str, tuple[str, float, float]]:
    """district_key (and A27 school code) → (name, lat, lon) from the sample 小学校区 file, used when the
    DB has no district of that code."""
    from shapely.geometry import shape
    from shapely.ops import unary_union

    path = _sample_districts_file()
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    groups: dict[str, list[object]] = {}
    names: dict[str, str] = {}
    aliases: dict[str, str] = {}
    for feature in data.get("features", []):
        props = feature.get("properties", {})
        key = props.get("district_key")
        if not key:
            continue
        groups.setdefault(key, []).append(shape(feature["geometry"]))
        names[key] = props.get("district_name", key)
        if props.get("A27_003"):
            aliases[props["A27_003"]] = key
    out = {}
    for key, shapes in groups.items():
        centre = unary_union(shapes).centroid
        out[key] = (names[key], centre.y, centre.x)
    return out | {alias: out[key] for alias, key in aliases.items()}


def district_choices(session: Session) -> list[tuple[str, str]]:
    from webapp.listings.models.place import District

    # Elementary-school districts (小学校区), not the city outline that load-demo also stores.
    rows = list(
        session.execute(select(District.code, District.name).where(District.kind != "city").order_by(District.name))
    )
    if rows:
        return [(str(code), str(name)) for code, name in rows]
    keys = {v[0]: k for k, v in _sample_district_centroids().items() if not k[:1].isupper()}
    return sorted(((k, name) for name, k in keys.items()), key=lambda kv: kv[1])


def district_centroid(session: Session, code: str) -> tuple[float, float] | None:
    from webapp.listings.models.place import District

    if not code:
        return None
    row = session.execute(
        select(func.ST_Y(func.ST_Centroid(District.geom)), func.ST_X(func.ST_Centroid(District.geom))).where(
            District.code == code, District.geom.is_not(None)
        )
    ).first()
    if row is not None and row[0] is not None:
        return float(row[0]), float(row[1])
    sample = _sample_district_centroids().get(code)
    return (sample[1], sample[2]) if sample else None


def profile_of(person: object) -> Profile:
    p = person
    return Profile(
        interests=frozenset(getattr(p, "interests", None) or []),
        interests_text=getattr(p, "interests_text", "") or "",
        audiences=frozenset(getattr(p, "audiences", None) or []),
        field=getattr(p, "field", "other") or "other",
        free_slots=frozenset(getattr(p, "free_slots", None) or []),
        max_travel_m=getattr(p, "max_travel_m", None),
        max_cost_yen=getattr(p, "max_cost_yen", None),
        accessibility_needs=frozenset(getattr(p, "accessibility_needs", None) or []),
        solo_worry=bool(getattr(p, "solo_worry", False)),
        needs_accompany=bool(getattr(p, "needs_accompany", False)),
    )


def interest_words(profile: Profile) -> list[str]:
    """Free-text interest words. Taxonomy interests are matched by tag and label instead: the
    search index is tuned for recall (readings, n-grams) and would explain too much."""
    words = [w for w in _SPLIT.split(profile.interests_text) if len(w) >= 2]
    return list(dict.fromkeys(words))[:10]


SEARCH_SCORE_SHARE = 0.75


def search_matches(session: Session, words: list[str]) -> dict[int, set[str]]:
    """activity id → the free-text interest words the search service matched strongly (within
    SEARCH_SCORE_SHARE of the best hit): its synonyms and readings find spellings that plain
    substring matching misses, while weak fuzzy hits are not offered as a reason."""
    from webapp.search.activity_query import ActivityQuery
    from webapp.search.service import search_activities

    found: dict[int, set[str]] = {}
    for word in words:
        try:
            # A savepoint: whatever goes wrong in the search leaves the request's transaction usable.
            with session.begin_nested():
                result = search_activities(session, ActivityQuery(q=word, per_page=500), with_occurrences=False)
        except Exception:  # the index is derived data; without it plain text matching remains
            return found
        best = max((h.score or 0.0 for h in result.hits), default=0.0)
        for hit in result.hits:
            if best and (hit.score or 0.0) >= SEARCH_SCORE_SHARE * best:
                found.setdefault(hit.activity.id, set()).add(word)
    return found


def suggest(
    session: Session,
    person: object,
    lat: float | None = None,
    lon: float | None = None,
    now: datetime | None = None,
    limit: int = 10,
) -> tuple[list[Suggestion], tuple[float, float] | None]:
    """Ranked suggestions among published activities, and the origin point used for distances."""
    from webapp.listings.models.activity import Activity
    from webapp.listings.spatial import places_near

    profile = profile_of(person)
    origin = (lat, lon) if lat is not None and lon is not None else district_centroid(session, getattr(person, "district", ""))
    distances: dict[int, float] = {}
    radius = max(profile.max_travel_m or 0, DEFAULT_RADIUS_M) * 2
    if origin is not None:
        distances = {n.place_id: n.distance_m for n in places_near(session, origin[0], origin[1], radius)}
    activities = session.scalars(
        select(Activity)
        .where(Activity.status == "published")
        # 相談窓口 are where people come from, not somewhere to take part.
        .where(or_(Activity.category.is_(None), Activity.category != "consultation"))
        .options(selectinload(Activity.place))
        .order_by(Activity.id)
    )
    matches = search_matches(session, interest_words(profile))
    candidates = []
    for a in activities:
        access = set(a.accessibility or []) | set((a.place.accessibility if a.place else None) or [])
        distance = None
        if origin is not None and a.place_id is not None:
            # Outside the (generous) search circle: beyond any travel limit we score against.
            distance = distances.get(a.place_id, float(radius) + 1 if a.place and a.place.lat is not None else None)
        candidates.append(
            Candidate(
                activity_id=a.id,
                name=a.name,
                text=f"{a.description} {a.category_text} {a.notes}",
                tags=frozenset(a.tags or []),
                audiences=frozenset(a.audiences or []),
                schedule=a.schedule if a.schedule_rrule or a.schedule_rdates else None,
                cost_yen=a.cost_yen,
                accessibility=frozenset(access),
                welcomes_first_timers=a.welcomes_first_timers,
                visit_ok=a.visit_ok,
                solo_ok=a.solo_ok,
                distance_m=distance,
                search_matches=frozenset(matches.get(a.id, ())),
            )
        )
    return rank(profile, candidates, now, limit), origin
