"""The map's data (issue 20), both databases: slim pins for every match (by viewport when asked),
and the fallback base layer drawn from the district data."""

from __future__ import annotations

import gzip
import json

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

API = "/api/v1"


def test_markers_are_slim_and_cover_every_match(client: FlaskClient, indexed_city: Session) -> None:
    listing = client.get(f"{API}/activities?q=サロン&per_page=100").get_json()
    markers = client.get(f"{API}/markers.geojson?q=サロン")
    assert markers.status_code == 200 and markers.mimetype == "application/geo+json"
    data = markers.get_json()
    assert data["total"] == listing["total"] and data["truncated"] is False
    located = {i["id"] for i in listing["items"] if i["lat"] is not None}
    assert {f["id"] for f in data["features"]} == located
    for f in data["features"]:
        assert set(f["properties"]) == {"n", "c"}  # name and category; the id is the feature's
        assert f["geometry"]["type"] == "Point"


def test_markers_payload_is_a_fraction_of_the_full_items(client: FlaskClient, indexed_city: Session) -> None:
    slim = client.get(f"{API}/markers.geojson").get_data()
    full = b"".join(client.get(f"{API}/activities.geojson?per_page=100&page={p}").get_data() for p in (1, 2))
    assert len(gzip.compress(slim)) * 3 < len(gzip.compress(full))


def test_markers_by_viewport(client: FlaskClient, indexed_city: Session) -> None:
    everything = client.get(f"{API}/markers.geojson").get_json()
    box = (135.69, 34.68, 135.71, 34.70)
    inside = client.get(f"{API}/markers.geojson?bbox={','.join(map(str, box))}").get_json()
    assert 0 < len(inside["features"]) < len(everything["features"])
    for f in inside["features"]:
        lon, lat = f["geometry"]["coordinates"]
        assert box[0] <= lon <= box[2] and box[1] <= lat <= box[3]
    expected = {f["id"] for f in everything["features"]
                if box[0] <= f["geometry"]["coordinates"][0] <= box[2] and box[1] <= f["geometry"]["coordinates"][1] <= box[3]}
    assert {f["id"] for f in inside["features"]} == expected


def test_markers_refuse_bad_parameters(client: FlaskClient, indexed_city: Session) -> None:
    r = client.get(f"{API}/markers.geojson?bbox=1,2,3")
    assert r.status_code == 400 and r.get_json()["error"]["field"] == "bbox"


def test_basemap_has_outline_districts_and_labels(client: FlaskClient, indexed_city: Session) -> None:
    r = client.get(f"{API}/basemap.geojson")
    assert r.status_code == 200
    kinds: dict[str, int] = {}
    for f in r.get_json()["features"]:
        kinds[f["properties"]["kind"]] = kinds.get(f["properties"]["kind"], 0) + 1
    assert kinds.get("city") == 1 and kinds.get("district", 0) >= 10
    assert kinds["district_label"] == kinds["district"] and kinds.get("town", 0) >= 20
    assert len(gzip.compress(json.dumps(r.get_json()).encode())) < 30_000
