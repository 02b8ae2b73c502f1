"""search_activities against the sample city on both databases: spelling variants, ranking,
radius edges, filters, schedules, pagination, published-only."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from gis.distance import _GEOD, geodesic_m
from schedule import TZ
from webapp.listings.demo import load_sample_city
from webapp.listings.models.activity import Activity
from webapp.listings.models.place import District, Place
from webapp.listings.spatial import set_location
from webapp.search import sync
from webapp.search.activity_query import ActivityQuery, parse_activity_query
from webapp.search.index import SearchIndex
from webapp.search.service import SearchResult, activity_to_json, result_cache, search_activities

# Tuesday 24 Nov 2026, 10:00 in Tokyo; Monday 23 Nov 2026 is 勤労感謝の日.
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=TZ)
HOLIDAY_MONDAY = date(2026, 11, 23)
PLAIN_MONDAY = date(2026, 11, 30)


@pytest.fixture()
def city(session: Session, tmp_path: Path) -> SearchIndex:
    load_sample_city(session)
    session.flush()
    index = SearchIndex(tmp_path / "index")
    sync.rebuild(session, index)
    result_cache.clear()
    return index


def run(session: Session, index: SearchIndex, **params: object) -> SearchResult:
    """One page (100 unless per_page is given); with all_pages=True, every page merged."""
    all_pages = bool(params.pop("all_pages", False))
    facets = str(params.pop("facets", "auto"))
    args = {k: [str(v)] if not isinstance(v, list) else [str(x) for x in v] for k, v in params.items()}
    args.setdefault("per_page", ["100"])
    result = search_activities(session, parse_activity_query(args), NOW, index=index, facets=facets)
    page = 1
    while all_pages and len(result.hits) < result.total:
        page += 1
        args["page"] = [str(page)]
        more = search_activities(session, parse_activity_query(args), NOW, index=index, facets=facets)
        if not more.hits:
            break
        result.hits.extend(more.hits)
    return result


def names(session: Session, index: SearchIndex, **params: object) -> list[str]:
    return [h.activity.name for h in run(session, index, **params).hits]


def published(session: Session) -> list[Activity]:
    return list(session.scalars(select(Activity).where(Activity.status == "published")))


FAMILIES = {
    "サロン": ["さろん", "サロン", "ｻﾛﾝ"],
    "子育て": ["こそだて", "子育て"],
    "百歳体操": ["ひゃくさいたいそう", "百歳体操", "100歳体操", "１００歳体操"],
    "ひきこもり": ["ひきこもり", "引きこもり", "引き籠もり", "ヒキコモリ"],
    "まちのえき": ["まちのえき", "まちの駅"],
}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_spelling_of_a_family_finds_the_same_listings(session: Session, city: SearchIndex, family: str) -> None:
    results = {spelling: set(names(session, city, q=spelling)) for spelling in FAMILIES[family]}
    first = next(iter(results.values()))
    assert first, family
    for spelling, found in results.items():
        assert found == first, spelling
    # Every published listing with the canonical word in its name is found.
    marker = {"サロン": "サロン", "子育て": "子育て", "百歳体操": "百歳体操", "ひきこもり": "ひきこもり", "まちのえき": "まちのえき"}[family]
    expected = {a.name for a in published(session) if marker in a.name}
    assert expected and expected <= first


def test_town_reading_finds_the_town(session: Session, city: SearchIndex) -> None:
    found = set(names(session, city, q="しかのだい"))
    # In the town (address), named after it, or in its 小学校区 (district).
    in_town = {
        a.name
        for a in published(session)
        if "鹿ノ台" in a.name
        or (a.place is not None and "生駒市鹿ノ台" in a.place.address)
        or (a.place is not None and a.place.district is not None and "鹿ノ台" in a.place.district.name)
    }
    assert in_town and found == in_town
    assert in_town <= set(names(session, city, q="鹿ノ台"))


@pytest.mark.parametrize(("query", "must_contain"), [("囲碁", "囲碁"), ("碁", "囲碁"), ("体操", "体操"), ("将棋", "将棋")])
def test_one_and_two_character_queries(session: Session, city: SearchIndex, query: str, must_contain: str) -> None:
    found = names(session, city, q=query)
    expected = {a.name for a in published(session) if must_contain in a.name}
    assert expected and expected <= set(found)


def test_ranking_puts_name_matches_first(session: Session, city: SearchIndex) -> None:
    assert names(session, city, q="囲碁")[0] == "囲碁クラブ 烏鷺の会"
    eki = names(session, city, q="まちのえき")
    n = sum(1 for a in published(session) if a.name.startswith("まちのえき"))
    assert all(name.startswith("まちのえき") for name in eki[:n])
    assert "サロン" in names(session, city, q="さろん")[0]
    hits = run(session, city, q="百歳体操").hits
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)


def test_query_words_are_anded(session: Session, city: SearchIndex) -> None:
    both = set(names(session, city, q="百歳体操 しかのだい"))
    assert "鹿ノ台東いきいき百歳体操" in both
    assert both <= set(names(session, city, q="百歳体操"))
    assert both <= set(names(session, city, q="しかのだい"))


def test_punctuation_only_query_is_an_empty_valid_result(session: Session, city: SearchIndex) -> None:
    result = run(session, city, q="、。！？ 　・")
    assert result.total == 0 and result.hits == []


def test_unknown_word_finds_nothing(session: Session, city: SearchIndex) -> None:
    assert run(session, city, q="ぜったいにないことば").total == 0


@pytest.mark.parametrize("facets", ["db", "index"])
def test_text_combined_with_near_me_category_weekday_and_open_now(session: Session, city: SearchIndex, facets: str) -> None:
    target = session.scalars(select(Activity).where(Activity.name == "鹿ノ台東いきいき百歳体操")).one()
    assert target.place is not None
    lat, lon = target.place.lat, target.place.lon
    hits = run(session, city, facets=facets, q="ひゃくさいたいそう", lat=lat, lon=lon, radius=1500, category="exercise").hits
    assert hits[0].activity.id == target.id
    assert all(h.distance_m is not None and h.distance_m <= 1500 for h in hits)
    assert all(h.activity.category == "exercise" for h in hits)
    weekdays = {0: "mon", 1: "tue", 2: "wed", 3: "thu", 4: "fri", 5: "sat", 6: "sun"}
    day = next(iter(sorted(_weekdays_of(target))))
    assert target.id in {h.activity.id for h in run(session, city, facets=facets, q="百歳体操", day=weekdays[day]).hits}
    other = (day + 3) % 7
    if other not in _weekdays_of(target):
        assert target.id not in {h.activity.id for h in run(session, city, facets=facets, q="百歳体操", day=weekdays[other]).hits}


def _weekdays_of(activity: Activity) -> set[int]:
    from schedule import weekdays

    return weekdays(activity.schedule)


# ------------------------------------------------------------------------------------------
# geography


def _activity_at(session: Session, key: str, lat: float, lon: float, **fields: object) -> Activity:
    place = Place(source="test", source_id=key, name=f"テスト会場 {key}")
    set_location(place, lat, lon)
    session.add(place)
    session.flush()
    activity = Activity(source="test", source_id=key, name=f"テスト {key}", name_kana="テスト", place_id=place.id)
    activity.status = str(fields.pop("status", "published"))
    for k, v in fields.items():
        setattr(activity, k, v)
    session.add(activity)
    session.flush()
    return activity


@pytest.mark.parametrize("facets", ["db", "index"])
def test_radius_edges_are_exact(session: Session, city: SearchIndex, facets: str) -> None:
    lat0, lon0 = 34.6915, 135.7006
    inside, outside = [], []
    for i, bearing in enumerate(range(0, 360, 45)):
        for dist, bucket in ((1999.0, inside), (2001.0, outside)):
            lon, lat, _ = _GEOD.fwd(lon0, lat0, bearing, dist)
            bucket.append(_activity_at(session, f"edge-{i}-{dist}", lat, lon).id)
    sync.index_activities(session, city, inside + outside)  # as the publishing request would
    hits = run(session, city, facets=facets, lat=lat0, lon=lon0, radius=2000, per_page=100)
    ids = {h.activity.id for h in hits.hits}
    assert set(inside) <= ids
    assert not set(outside) & ids
    distances = [h.distance_m for h in hits.hits]
    assert distances == sorted(distances)
    for h in hits.hits:
        assert h.activity.place is not None
        assert h.distance_m == pytest.approx(geodesic_m(lat0, lon0, h.activity.place.lat, h.activity.place.lon), abs=0.01)


@pytest.mark.parametrize("facets", ["db", "index"])
def test_bbox_filter(session: Session, city: SearchIndex, facets: str) -> None:
    box = (135.69, 34.68, 135.71, 34.70)
    found = run(session, city, facets=facets, bbox=",".join(map(str, box))).hits
    assert found
    for h in found:
        p = h.activity.place
        assert p is not None and box[0] <= p.lon <= box[2] and box[1] <= p.lat <= box[3]
    everything = {a.id for a in published(session) if a.place and box[0] <= a.place.lon <= box[2] and box[1] <= a.place.lat <= box[3]}
    assert {h.activity.id for h in found} == everything


@pytest.mark.parametrize("facets", ["db", "index"])
def test_no_text_no_point_is_kana_order(session: Session, city: SearchIndex, facets: str) -> None:
    result = run(session, city, facets=facets, all_pages=True)
    assert result.total == len(published(session)) == len(result.hits)
    keys = [h.activity.name_kana or h.activity.name for h in result.hits]
    assert keys == sorted(keys)


# ------------------------------------------------------------------------------------------
# filters and schedules


@pytest.mark.parametrize("facets", ["db", "index"])
def test_category_audience_free_flags_accessibility(session: Session, city: SearchIndex, facets: str) -> None:
    pub = published(session)
    assert {h.activity.id for h in run(session, city, facets=facets, category=["salon", "exercise"], all_pages=True).hits} == {
        a.id for a in pub if a.category in ("salon", "exercise")
    }
    assert {h.activity.id for h in run(session, city, facets=facets, audience="hikikomori", all_pages=True).hits} == {
        a.id for a in pub if "hikikomori" in (a.audiences or [])
    }
    assert {h.activity.id for h in run(session, city, facets=facets, free=1, all_pages=True).hits} == {a.id for a in pub if a.cost_yen == 0}
    assert {h.activity.id for h in run(session, city, facets=facets, first_timers=1, all_pages=True).hits} == {
        a.id for a in pub if a.welcomes_first_timers
    }
    wheel = {
        a.id
        for a in pub
        if "wheelchair" in (a.accessibility or []) or (a.place is not None and "wheelchair" in (a.place.accessibility or []))
    }
    assert {h.activity.id for h in run(session, city, facets=facets, accessibility="wheelchair", all_pages=True).hits} == wheel


@pytest.mark.parametrize("facets", ["db", "index"])
def test_district_filter(session: Session, city: SearchIndex, facets: str) -> None:
    district = session.scalars(select(District).where(District.kind == "school")).first()
    if district is None:
        pytest.skip("sample districts not loaded")
    expected = {a.id for a in published(session) if a.place is not None and a.place.district_id == district.id}
    assert {h.activity.id for h in run(session, city, facets=facets, district=district.code, all_pages=True).hits} == expected
    assert {h.activity.id for h in run(session, city, facets=facets, district=district.name, all_pages=True).hits} == expected


@pytest.mark.parametrize("facets", ["db", "index"])
def test_day_skips_holidays_when_the_listing_says_so(session: Session, city: SearchIndex, facets: str) -> None:
    skipping = session.scalars(select(Activity).where(Activity.name == "子育て支援センター ひだまり")).one()
    assert skipping.skip_holidays
    assert skipping.id in {h.activity.id for h in run(session, city, facets=facets, day=PLAIN_MONDAY.isoformat(), all_pages=True).hits}
    assert skipping.id not in {h.activity.id for h in run(session, city, facets=facets, day=HOLIDAY_MONDAY.isoformat()).hits}
    # A weekday (not a date) asks "does it run on Mondays", holidays aside.
    assert skipping.id in {h.activity.id for h in run(session, city, facets=facets, day="mon", all_pages=True).hits}


@pytest.mark.parametrize("facets", ["db", "index"])
def test_open_now_uses_start_and_end_in_tokyo(session: Session, city: SearchIndex, facets: str) -> None:
    hits = run(session, city, facets=facets, open_now=1, all_pages=True).hits
    assert hits
    from schedule import is_open_at

    expected = {a.id for a in published(session) if is_open_at(a.schedule, NOW)}
    assert {h.activity.id for h in hits} == expected
    for h in hits:
        assert h.activity.start_time is not None and h.activity.start_time <= NOW.time().replace(tzinfo=None)


def test_next_occurrences_are_three_upcoming_dates(session: Session, city: SearchIndex) -> None:
    hit = run(session, city, q="子育て支援センター ひだまり").hits[0]
    assert hit.activity.name == "子育て支援センター ひだまり"
    assert len(hit.next_occurrences) == 3
    assert all(d >= NOW.replace(hour=0) for d in hit.next_occurrences)
    assert all(d.date() != HOLIDAY_MONDAY for d in hit.next_occurrences)
    item = activity_to_json(hit)
    assert item["next_occurrences"][0].startswith("2026-11-24T09:30:00+09:00")
    assert set(item) >= {
        "id", "source", "source_id", "name", "name_kana", "category", "audience", "address",
        "lat", "lon", "distance_m", "schedule_text", "next_occurrences", "url",
    }  # fmt: skip


# ------------------------------------------------------------------------------------------
# pagination and publication


def test_pagination_covers_everything_once(session: Session, city: SearchIndex) -> None:
    total = run(session, city, q="さろん").total
    seen: list[int] = []
    page = 1
    while True:
        result = run(session, city, q="さろん", page=page, per_page=7)
        assert result.total == total and result.per_page == 7 and result.page == page
        if not result.hits:
            break
        assert len(result.hits) <= 7
        seen += [h.activity.id for h in result.hits]
        page += 1
    assert len(seen) == len(set(seen)) == total
    assert run(session, city, q="さろん", page=999).hits == []


def test_only_published_listings_are_indexed_or_found(session: Session, city: SearchIndex) -> None:
    hidden = list(session.scalars(select(Activity).where(Activity.status != "published")))
    assert hidden
    indexed = set(city.stored())
    assert not {a.id for a in hidden} & indexed
    for a in hidden:
        assert a.id not in {h.activity.id for h in run(session, city, q=a.name).hits}
    assert not {a.id for a in hidden} & {h.activity.id for h in run(session, city, all_pages=True).hits}


def test_unpublished_after_indexing_is_still_hidden(session: Session, city: SearchIndex) -> None:
    # The index may lag (crash before the index update): the DB check still hides the listing.
    a = session.scalars(select(Activity).where(Activity.name == "囲碁クラブ 烏鷺の会")).one()
    a.status = "archived"
    session.flush()
    assert a.id in city.stored()
    assert a.id not in {h.activity.id for h in run(session, city, q="囲碁").hits}


def test_default_query_object_works_without_request(session: Session, city: SearchIndex) -> None:
    result = search_activities(session, ActivityQuery(q="サロン", per_page=5), NOW, index=city)
    assert result.total > 5 and len(result.hits) == 5


def test_private_fields_never_reach_the_index(session: Session, tmp_path: Path) -> None:
    # Contact details and internal notes are not searchable text: only public listing fields are indexed.
    a = Activity(source="test", source_id="private-1", name="公開サロン", name_kana="コウカイサロン")
    a.status = "published"
    a.notes = "ひみつのめも 担当者メモ"
    a.contact_email = "secret-person@example.jp"
    a.contact_name = "山田花子"
    session.add(a)
    session.flush()
    index = SearchIndex(tmp_path / "private")
    sync.rebuild(session, index)
    assert a.id in index.match([["公開サロン"]])
    for secret in ("ひみつのめも", "担当者メモ", "山田花子", "secret-person"):
        assert a.id not in index.match([[secret]]), secret


def test_cached_rankings_are_per_index(session: Session, city: SearchIndex, tmp_path: Path) -> None:
    """Two indexes at the same generation (two apps in one process) do not share cached rankings."""
    ids = [h.activity.id for h in run(session, city, q="サロン").hits]
    assert len(ids) > 1
    other = SearchIndex(tmp_path / "other")
    sync.index_activities(session, other, ids[:1])
    assert other.generation() == city.generation()  # what made the two keys equal
    query = parse_activity_query({"q": ["サロン"], "per_page": ["100"]})
    assert len(search_activities(session, query, NOW, index=city, use_cache=True).hits) == len(ids)
    assert [h.activity.id for h in search_activities(session, query, NOW, index=other, use_cache=True).hits] == ids[:1]
