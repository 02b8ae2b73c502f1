"""The map at any size (issue 22), both databases: markers.geojson answers pins or server-side
clusters by zoom and viewport; the counts always add up to the listing's own total (nothing is
dropped), the filters apply to clusters as to pins, bad zoom/fit/bbox are 400s with translated
messages, and a city of 10k generated listings answers in a few KB."""

from __future__ import annotations

import gzip
import json
import random
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from gis.cluster import fit_zoom
from webapp.public import api
from webapp.search import service

MARKERS = "/api/v1/markers.geojson"
ACTIVITIES = "/api/v1/activities"
CITY = (135.64, 34.62, 135.77, 34.76)  # around the sample city
CATEGORIES = ["salon", "exercise", "parenting", "kids_cafeteria", "consultation", "learning", "ibasho"]


def _located(client: FlaskClient, params: dict[str, Any]) -> dict[int, tuple[float, float]]:
    """Every listed match with a point (the list's own answer, page by page)."""
    out: dict[int, tuple[float, float]] = {}
    page = 1
    while True:
        body = client.get(ACTIVITIES, query_string={**params, "per_page": 100, "page": page}).get_json()
        out.update({i["id"]: (i["lon"], i["lat"]) for i in body["items"] if i["lat"] is not None})
        if page * 100 >= body["total"]:
            return out
        page += 1


def _markers(client: FlaskClient, params: dict[str, Any]) -> dict[str, Any]:
    r = client.get(MARKERS, query_string=params)
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.mimetype == "application/geo+json"
    return dict(r.get_json())


def _pins(data: dict[str, Any]) -> dict[int, list[float]]:
    return {f["id"]: f["geometry"]["coordinates"] for f in data["features"] if "k" not in f["properties"]}


def _bubbles(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in data["features"] if "k" in f["properties"]]


def _random_params(rnd: random.Random) -> dict[str, Any]:
    params: dict[str, Any] = {"zoom": rnd.randrange(8, 19)}
    if rnd.random() < 0.3:
        params["q"] = rnd.choice(["サロン", "体操", "子ども", "カフェ"])
    if rnd.random() < 0.4:
        params["category"] = ",".join(rnd.sample(CATEGORIES, rnd.randrange(1, 4)))
    if rnd.random() < 0.3:
        params["free"] = "1"
    if rnd.random() < 0.3:
        params["day"] = rnd.choice(["mon", "tue", "wed", "thu", "fri", "sat"])
    if rnd.random() < 0.2:
        params["audience"] = "elderly"  # decided by the database rows, not the in-memory facets
    if rnd.random() < 0.6:
        w = rnd.uniform(CITY[0], CITY[2] - 0.01)
        s = rnd.uniform(CITY[1], CITY[3] - 0.01)
        params["bbox"] = f"{w:.5f},{s:.5f},{rnd.uniform(w + 0.005, CITY[2]):.5f},{rnd.uniform(s + 0.005, CITY[3]):.5f}"
    return params


@pytest.mark.parametrize("facets", ["db", "index"])
def test_counts_add_up_to_the_list_for_random_filters_and_views(
    client: FlaskClient, indexed_city: Session, monkeypatch: pytest.MonkeyPatch, facets: str
) -> None:
    # A small pin limit makes the sample city (150 listings) cluster; "index" reads the points
    # from the search index's in-memory facets, as large cities do.
    monkeypatch.setattr(api, "PIN_LIMIT", 8)
    if facets == "index":
        monkeypatch.setattr(service, "FACETS_MIN_DOCS", 1)
    rnd = random.Random(22)
    clustered = 0
    for _ in range(40):
        params = _random_params(rnd)
        expected = _located(client, {k: v for k, v in params.items() if k != "zoom"})
        data = _markers(client, params)
        pins = _pins(data)
        bubbles = _bubbles(data)
        assert set(pins) <= set(expected), params
        assert len(pins) + sum(f["properties"]["k"] for f in bubbles) == len(expected) == data["mapped"], params
        assert data["truncated"] is False and data["zoom"] == params["zoom"]
        for i, (lon, lat) in pins.items():
            assert (lon, lat) == pytest.approx(expected[i], abs=1e-5)
        for f in bubbles:
            assert f["properties"]["k"] >= 2
            w, s, e, n = f["properties"]["b"]
            lon, lat = f["geometry"]["coordinates"]
            assert w - 1e-5 <= lon <= e + 1e-5 and s - 1e-5 <= lat <= n + 1e-5
            inside = [i for i, (x, y) in expected.items() if w - 1e-5 <= x <= e + 1e-5 and s - 1e-5 <= y <= n + 1e-5]
            assert len(inside) >= f["properties"]["k"]  # its extent holds at least its own members
        clustered += bool(data["clustered"])
    assert clustered >= 10  # the random views did exercise the clusters


def test_zoom_and_pin_limit_decide_pins_or_clusters(
    client: FlaskClient, indexed_city: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    everything = _located(client, {})
    # the default limit: a whole sample city is pins at any zoom
    for zoom in (8, 12, 18):
        data = _markers(client, {"zoom": zoom})
        assert data["clustered"] is False and set(_pins(data)) == set(everything)
    monkeypatch.setattr(api, "PIN_LIMIT", 10)
    far = _markers(client, {"zoom": 11})
    assert far["clustered"] is True and len(far["features"]) < len(everything)
    closer = _markers(client, {"zoom": 14})
    assert len(far["features"]) < len(closer["features"])
    # from PIN_ZOOM on: pins (up to MAX_MARKERS)
    near = _markers(client, {"zoom": api.PIN_ZOOM})
    assert near["clustered"] is False and set(_pins(near)) == set(everything)
    monkeypatch.setattr(api, "MAX_MARKERS", 20)
    assert _markers(client, {"zoom": api.PIN_ZOOM})["clustered"] is True
    # a small bbox holding few listings: pins even far out
    lon, lat = next(iter(everything.values()))
    box = f"{lon - 0.002:.5f},{lat - 0.002:.5f},{lon + 0.002:.5f},{lat + 0.002:.5f}"
    small = _markers(client, {"zoom": 9, "bbox": box})
    assert small["clustered"] is False and 1 <= len(_pins(small)) <= 10
    # a silly request (the whole city in cells of a close zoom) is coarsened, not enlarged
    monkeypatch.setattr(api, "MAX_CELLS", 4)
    coarse = _markers(client, {"zoom": 16})
    assert len(coarse["features"]) <= 4 and coarse["mapped"] == len(everything)


def test_filters_apply_to_clusters(client: FlaskClient, indexed_city: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api, "PIN_LIMIT", 2)
    salons = _located(client, {"category": "salon"})
    data = _markers(client, {"category": "salon", "zoom": 12})
    assert data["clustered"] is True and data["mapped"] == len(salons) == data["total"]
    assert {f["properties"]["c"] for f in data["features"]} == {"salon"}
    free = _markers(client, {"free": "1", "zoom": 12})
    assert free["mapped"] == len(_located(client, {"free": "1"})) < _markers(client, {"zoom": 12})["mapped"]


def test_first_view_fits_every_match(client: FlaskClient, indexed_city: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    everything = _located(client, {})
    data = _markers(client, {"fit": "1280,800"})
    w, s, e, n = data["extent"]
    lons = [p[0] for p in everything.values()]
    lats = [p[1] for p in everything.values()]
    assert (w, s, e, n) == pytest.approx((min(lons), min(lats), max(lons), max(lats)), abs=1e-5)
    assert data["zoom"] == fit_zoom((w, s, e, n), 1280, 800, max_zoom=api.FIT_MAX_ZOOM)
    assert data["total"] >= data["mapped"] == len(everything)
    small = _markers(client, {"fit": "200,150"})
    assert small["zoom"] < data["zoom"]
    monkeypatch.setattr(api, "PIN_LIMIT", 10)
    clustered = _markers(client, {"fit": "1280,800"})
    assert clustered["clustered"] is True and clustered["mapped"] == len(everything)
    # nothing found: no extent, an empty collection
    none = _markers(client, {"q": "存在しないことばのならび", "fit": "1280,800"})
    assert none["features"] == [] and none["mapped"] == 0 and "extent" not in none


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({"zoom": "abc"}, "zoom", "not_an_integer"),
        ({"zoom": "-1"}, "zoom", "not_an_integer"),
        ({"zoom": "23"}, "zoom", "out_of_range"),
        ({"zoom": "1.5"}, "zoom", "not_an_integer"),
        ({"fit": "1280"}, "fit", "bad_fit"),
        ({"fit": "0,800"}, "fit", "bad_fit"),
        ({"fit": "5000,800"}, "fit", "bad_fit"),
        ({"fit": "a,b"}, "fit", "bad_fit"),
        ({"zoom": "12", "bbox": "135.7,34.6,135.6,34.7"}, "bbox", "bad_bbox"),
        ({"zoom": "12", "bbox": "1,2,3"}, "bbox", "bad_bbox"),
    ],
)
def test_bad_view_is_a_400_json_error(client: FlaskClient, params: dict[str, str], field: str, code: str) -> None:
    r = client.get(MARKERS, query_string=params)
    assert r.status_code == 400
    error = r.get_json()["error"]
    assert error["field"] == field and error["code"] == code and error["message"]


def test_bad_view_messages_are_translated(app: Flask) -> None:
    ja = app.test_client().get(MARKERS, query_string={"fit": "0,0"}, headers={"Accept-Language": "ja"})
    assert ja.get_json()["error"]["message"] == "fit は地図の幅,高さをピクセルの整数（1〜4096）で指定してください。"
    en = app.test_client().get(MARKERS, query_string={"fit": "0,0", "lang": "en"}, headers={"Accept-Language": "en"})
    assert en.get_json()["error"]["message"] == "fit must be the map's width,height in whole pixels (1 to 4096)."
    en = app.test_client().get(MARKERS, query_string={"zoom": "99", "lang": "en"}, headers={"Accept-Language": "en"})
    assert en.get_json()["error"]["message"] == "zoom must be between 0 and 22."


def _generated_city(session: Session, n: int) -> None:
    """``n`` published listings at random points of the city (Core inserts: seconds, not minutes)."""
    from webapp.listings.models.activity import Activity
    from webapp.listings.models.place import Place
    from webapp.listings.spatial import point_element

    rnd = random.Random(10)
    base = 7_000_000
    places, activities = [], []
    for k in range(n):
        lat, lon = 34.65 + rnd.random() * 0.1, 135.65 + rnd.random() * 0.1
        places.append({"id": base + k, "source": "bench", "source_id": f"p{k}", "name": f"集会所{k}",
                       "lat": lat, "lon": lon, "point": point_element(lat, lon)})  # fmt: skip
        activities.append({"id": base + k, "source": "bench", "source_id": f"a{k}", "name": f"ベンチサロン{k}",
                           "status": "published", "place_id": base + k, "category": rnd.choice(CATEGORIES)})  # fmt: skip
    for i in range(0, n, 2000):
        session.execute(Place.__table__.insert(), places[i : i + 2000])
        session.execute(Activity.__table__.insert(), activities[i : i + 2000])
    session.commit()


def test_ten_thousand_listings_answer_in_a_few_kilobytes(
    client: FlaskClient, session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from webapp.search.index import SearchIndex

    _generated_city(session, 10_000)
    empty = SearchIndex(tmp_path / "index")  # not built: the points come from the database
    monkeypatch.setattr("webapp.search.index.current_index", lambda: empty)
    service.result_cache.clear()
    sizes = {}
    for name, params in {
        "city": {"fit": "1280,800", "per_page": "100"},
        "phone": {"fit": "390,700", "per_page": "100"},
        "detail": {"zoom": "15", "bbox": "135.68000,34.68000,135.71433,34.69800"},
        "street": {"zoom": "17", "bbox": "135.69500,34.69000,135.70358,34.69450"},
    }.items():
        r = client.get(MARKERS, query_string=params, headers={"Accept-Encoding": "gzip"})
        assert r.status_code == 200 and r.mimetype == "application/geo+json"
        assert r.headers["Content-Encoding"] == "gzip"
        assert r.headers["Cache-Control"].startswith("public") and r.headers["ETag"]
        raw = gzip.decompress(r.get_data())
        data = json.loads(raw)
        sizes[name] = (len(raw), len(r.get_data()))
        if "bbox" not in params:
            assert data["mapped"] == data["total"] == 10_000 and data["clustered"] is True
        assert data["mapped"] == len(_pins(data)) + sum(f["properties"]["k"] for f in _bubbles(data))
        # slim: short keys, coordinates to 5 decimals (≈ 1 m)
        for f in data["features"]:
            assert set(f["properties"]) <= {"n", "c", "k", "b"}
        assert not re.search(rb"\d\.\d{6,}", raw)
        assert len(r.get_data()) < 150_000
    assert sizes["city"][1] < 5_000 and sizes["detail"][1] < 20_000, sizes
    street = client.get(MARKERS, query_string={"zoom": "17", "bbox": "135.69500,34.69000,135.70358,34.69450"}).get_json()
    assert street["clustered"] is False and 0 < len(street["features"]) <= api.MAX_MARKERS
