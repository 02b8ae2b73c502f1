"""GET /api/v1/activities(.geojson) and /api/v1/activities/<id> on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.listings.demo import load_sample_city
from webapp.listings.models.activity import Activity
from webapp.search.index import SearchIndex
from webapp.search.service import result_cache

API = "/api/v1/activities"


def get(client: FlaskClient, url: str, **params: object) -> tuple[int, dict]:  # type: ignore[type-arg]
    response = client.get(url, query_string=params)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.is_json or response.mimetype == "application/geo+json"
    return response.status_code, response.get_json(force=True)


def test_list_shape_and_relevance_order(client: FlaskClient, indexed_city: Session) -> None:
    status, body = get(client, API, q="いご")
    assert status == 200
    assert set(body) == {"total", "page", "per_page", "items"}
    assert body["total"] >= 1 and body["page"] == 1 and body["per_page"] == 20
    first = body["items"][0]
    assert first["name"] == "囲碁クラブ 烏鷺の会"
    assert set(first) >= {
        "id", "source", "source_id", "name", "name_kana", "category", "audience", "address",
        "lat", "lon", "distance_m", "schedule_text", "next_occurrences", "url",
    }  # fmt: skip
    assert first["source"] == "sample"
    assert len(first["next_occurrences"]) == 3


@pytest.mark.parametrize("spelling", ["さろん", "サロン", "ｻﾛﾝ"])
def test_variant_spellings_through_the_api(client: FlaskClient, indexed_city: Session, spelling: str) -> None:
    _, body = get(client, API, q=spelling, per_page=100)
    _, reference = get(client, API, q="サロン", per_page=100)
    assert body["total"] == reference["total"] > 0
    assert [i["id"] for i in body["items"]] == [i["id"] for i in reference["items"]]


def test_distance_order_with_a_point_and_kana_order_without(client: FlaskClient, indexed_city: Session) -> None:
    _, near = get(client, API, lat=34.6915, lon=135.7006, radius=3000, per_page=100)
    distances = [i["distance_m"] for i in near["items"]]
    assert distances and distances == sorted(distances) and distances[-1] <= 3000
    _, plain = get(client, API, per_page=100)
    assert all(i["distance_m"] is None for i in plain["items"])
    assert plain["total"] > near["total"]


def test_filters_through_the_api(client: FlaskClient, indexed_city: Session) -> None:
    _, body = get(client, API, category="parenting", day="mon", free=1, per_page=100)
    assert body["total"] > 0
    assert all(i["category"] == "parenting" for i in body["items"])
    both = client.get(f"{API}?category=salon&category=exercise&per_page=100").get_json()
    assert {i["category"] for i in both["items"]} == {"salon", "exercise"}
    _, body = get(client, API, audience="hikikomori", open_now=0)
    assert all("hikikomori" in i["audience"] for i in body["items"])


def test_pagination(client: FlaskClient, indexed_city: Session) -> None:
    _, first = get(client, API, per_page=10, page=1)
    _, second = get(client, API, per_page=10, page=2)
    assert first["total"] == second["total"]
    assert not {i["id"] for i in first["items"]} & {i["id"] for i in second["items"]}
    _, beyond = get(client, API, per_page=10, page=999)
    assert beyond["items"] == [] and beyond["total"] == first["total"]


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({"lat": "abc", "lon": "135.7"}, "lat", "not_a_number"),
        ({"lat": "34.7", "lon": "135.7", "radius": "-1"}, "radius", "out_of_range"),
        ({"lat": "34.7", "lon": "135.7", "radius": "50001"}, "radius", "out_of_range"),
        ({"lat": "34.7"}, "lon", "missing"),
        ({"bbox": "135.8,34.6,135.7,34.7"}, "bbox", "bad_bbox"),
        ({"bbox": "135.6,34.8,135.7,34.7"}, "bbox", "bad_bbox"),
        ({"bbox": "200,34,201,35"}, "bbox", "bad_bbox"),
        ({"bbox": "135.6,34.6"}, "bbox", "bad_bbox"),
        ({"per_page": "10000"}, "per_page", "out_of_range"),
        ({"page": "0"}, "page", "out_of_range"),
        ({"page": "abc"}, "page", "not_an_integer"),
        ({"category": "nope"}, "category", "unknown_code"),
        ({"audience": "martians"}, "audience", "unknown_code"),
        ({"day": "funday"}, "day", "bad_day"),
        ({"day": "2026-13-01"}, "day", "bad_day"),
        ({"open_now": "perhaps"}, "open_now", "not_a_flag"),
        ({"q": "あ" * 10_000}, "q", "too_long"),
        ({"q": "x" * 10_240}, "q", "too_long"),
    ],
)
@pytest.mark.parametrize("url", [API, f"{API}.geojson"])
def test_bad_input_is_a_400_json_error(client: FlaskClient, url: str, params: dict, field: str, code: str) -> None:  # type: ignore[type-arg]
    # Parameters are checked before any search: no index needed.
    status, body = get(client, url, **params)
    assert status == 400
    assert set(body) == {"error"}
    assert body["error"]["code"] == code and body["error"]["field"] == field and body["error"]["message"]


def test_error_message_is_translated(app: Flask) -> None:
    ja = app.test_client().get(API, query_string={"day": "funday"}, headers={"Accept-Language": "ja"})
    assert "指定してください" in ja.get_json()["error"]["message"]
    en = app.test_client().get(API, query_string={"day": "funday", "lang": "en"}, headers={"Accept-Language": "en"})
    assert en.status_code == 400
    assert en.get_json()["error"]["message"] == "day must be mon to sun or a date YYYY-MM-DD."


@pytest.mark.parametrize("q", ["、。！？", "   ", "・・・", "!!!", "　"])
def test_punctuation_or_space_query_is_empty_and_valid(client: FlaskClient, q: str) -> None:
    status, body = get(client, API, q=q)
    assert status == 200
    if q.strip():
        assert body == {"total": 0, "page": 1, "per_page": 20, "items": []}


def test_geojson(client: FlaskClient, indexed_city: Session) -> None:
    status, body = get(client, f"{API}.geojson", q="まちのえき")
    assert status == 200
    assert body["type"] == "FeatureCollection" and body["total"] == len(body["features"]) > 0
    feature = body["features"][0]
    assert feature["type"] == "Feature" and feature["geometry"]["type"] == "Point"
    lon, lat = feature["geometry"]["coordinates"]
    assert (lat, lon) == (feature["properties"]["lat"], feature["properties"]["lon"])


def test_one_activity_and_404s(client: FlaskClient, session: Session, indexed_city: Session) -> None:
    published = session.scalars(select(Activity).where(Activity.status == "published")).first()
    hidden = session.scalars(select(Activity).where(Activity.status != "published")).first()
    assert published is not None and hidden is not None
    status, body = get(client, f"{API}/{published.id}")
    assert status == 200 and body["id"] == published.id and body["name"] == published.name
    for url in (f"{API}/{hidden.id}", f"{API}/99999999"):
        status, body = get(client, url)
        assert status == 404 and body["error"]["code"] == "not_found"
    response = client.get(f"{API}/abc")
    assert response.status_code == 404 and response.is_json


def test_unpublished_never_listed(client: FlaskClient, session: Session, indexed_city: Session) -> None:
    hidden = {a.id for a in session.scalars(select(Activity).where(Activity.status != "published"))}
    _, body = get(client, API, per_page=100)
    seen = {i["id"] for i in body["items"]}
    _, page2 = get(client, API, per_page=100, page=2)
    seen |= {i["id"] for i in page2["items"]}
    assert not hidden & seen


def test_etag_and_304_and_cache_headers(client: FlaskClient, indexed_city: Session) -> None:
    first = client.get(API, query_string={"q": "さろん"})
    etag = first.headers["ETag"]
    assert etag and "max-age" in first.headers["Cache-Control"]
    assert first.headers.get("Last-Modified")
    again = client.get(API, query_string={"q": "さろん"}, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    other = client.get(API, query_string={"q": "こそだて"}, headers={"If-None-Match": etag})
    assert other.status_code == 200


def test_api_is_read_only(client: FlaskClient, indexed_city: Session) -> None:
    assert client.post(API).status_code in (400, 405)
    assert client.delete(f"{API}/1").status_code == 405


def test_search_without_an_index_is_not_a_500(app: Flask, session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A fresh install before `odekake reindex`: the directory is missing, then empty.
    load_sample_city(session)
    session.flush()
    index = SearchIndex(tmp_path / "missing" / "index")
    monkeypatch.setattr("webapp.search.index.current_index", lambda: index)
    result_cache.clear()
    client = app.test_client()
    for params in ({"q": "サロン"}, {"q": "サロン", "lat": "34.69", "lon": "135.70"}, {"category": "salon"}):
        response = client.get(API, query_string=params)
        assert response.status_code == 200, params
        assert response.get_json()["total"] >= 0


def test_only_web_urls_are_returned(client: FlaskClient, session: Session, indexed_city: Session) -> None:
    bad, good = session.scalars(select(Activity).where(Activity.status == "published").order_by(Activity.id).limit(2))
    bad.url = "javascript:alert(1)"
    good.url = "https://example.jp/salon"
    bad_id, good_id = bad.id, good.id
    session.flush()
    assert get(client, f"{API}/{bad_id}")[1]["url"] is None
    assert get(client, f"{API}/{good_id}")[1]["url"] == "https://example.jp/salon"


def _as_of(activity_id: int, confirmed_days_ago: int, notice_days_ago: int | None = None) -> None:
    """Set when it was last confirmed, and (re)place its one unanswered reconfirmation notice."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import delete

    from webapp.extensions import db
    from webapp.listings.models.organizer import ReconfirmationNotice

    session = db.session()  # requests close the scoped session: commit through a fresh one
    activity = session.get(Activity, activity_id)
    assert activity is not None
    now = datetime.now(UTC)
    activity.last_confirmed_at = now - timedelta(days=confirmed_days_ago)
    session.execute(delete(ReconfirmationNotice).where(ReconfirmationNotice.activity_id == activity_id))
    if notice_days_ago is not None:
        session.add(ReconfirmationNotice(activity_id=activity_id, sent_at=now - timedelta(days=notice_days_ago)))
    session.commit()


def test_possibly_outdated_in_detail_list_and_geojson(client: FlaskClient, indexed_city: Session) -> None:
    activity = indexed_city.scalars(
        select(Activity).where(Activity.status == "published", Activity.category == "salon").order_by(Activity.id)
    ).first()
    assert activity is not None
    activity_id, name = activity.id, activity.name

    def flags() -> tuple[bool, bool, bool]:
        _, one = get(client, f"{API}/{activity_id}")
        _, listed = get(client, API, q=name, per_page=100)
        _, geo = get(client, f"{API}.geojson", q=name, per_page=100)
        for item in listed["items"]:
            assert isinstance(item["possibly_outdated"], bool)
        in_list = next(i for i in listed["items"] if i["id"] == activity_id)
        in_geo = next(f for f in geo["features"] if f["id"] == activity_id)
        return one["possibly_outdated"], in_list["possibly_outdated"], in_geo["properties"]["possibly_outdated"]

    _as_of(activity_id, confirmed_days_ago=10)
    assert flags() == (False, False, False)
    _as_of(activity_id, confirmed_days_ago=10, notice_days_ago=10)  # asked, still within the grace period
    assert flags() == (False, False, False)
    _as_of(activity_id, confirmed_days_ago=10, notice_days_ago=40)  # unanswered: flagged by the freshness check
    assert flags() == (True, True, True)
    _as_of(activity_id, confirmed_days_ago=200)  # old by age alone, as the page says too
    assert flags() == (True, True, True)
