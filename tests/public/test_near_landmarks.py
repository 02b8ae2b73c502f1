"""near= names a landmark (issue 20): stations, 小学校, the city hall and the city's own places
resolve as residents write them (生駒駅 as well as 東生駒駅), on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from gis.distance import geodesic_m
from webapp.public import landmarks
from webapp.public.landmarks import SAMPLE_FILE, landmark_key, load_landmarks
from webapp.public.locate import geocode_town

TABLE = load_landmarks(SAMPLE_FILE)


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("生駒駅", "生駒駅"),
        ("東生駒駅", "東生駒駅"),
        ("いこまえき", "生駒駅"),
        ("近鉄生駒駅", "生駒駅"),
        ("生駒駅前", "生駒駅"),
        ("生駒駅の近く", "生駒駅"),
        ("白庭台駅", "白庭台駅"),
        ("生駒小", "生駒小学校"),
        ("生駒小学校", "生駒小学校"),
        ("鹿ノ台小学校", "鹿ノ台小学校"),
        ("鹿の台小", "鹿ノ台小学校"),
        ("生駒市役所", "生駒市役所"),
    ],
)
def test_a_landmark_resolves_to_its_own_point(app: Flask, indexed_city: Session, typed: str, name: str) -> None:
    expected = TABLE[landmark_key(name)]
    with app.app_context():
        point = geocode_town(typed)
    assert point == (expected.lat, expected.lon)


def test_station_and_town_are_different_points(app: Flask, indexed_city: Session) -> None:
    # 東生駒駅 used to resolve to the middle of the town 東生駒 (the geocoder read 東生駒 + 駅).
    with app.app_context():
        station, town = geocode_town("東生駒駅"), geocode_town("東生駒")
    assert station is not None and town is not None and station != town


def test_a_place_of_the_city_list_named_exactly(app: Flask, indexed_city: Session) -> None:
    with app.app_context():
        point = geocode_town("鹿ノ台ふれあいホール")
    assert point is not None
    # The place itself (not the middle of every place whose name holds the text).
    from sqlalchemy import select

    from webapp.listings.models.place import Place

    place = indexed_city.scalars(select(Place).where(Place.name == "鹿ノ台ふれあいホール")).one()
    assert point == (place.lat, place.lon)


@pytest.mark.parametrize("near", ["生駒駅", "生駒小", "いこまえき"])
def test_results_page_near_a_landmark(client: FlaskClient, indexed_city: Session, near: str) -> None:
    body = client.get(f"/?near={near}&radius=1000").get_data(as_text=True)
    assert "見つかりませんでした" not in body
    assert f"{near}から近い順" in body


def test_unknown_landmark_is_still_not_found(client: FlaskClient, indexed_city: Session) -> None:
    body = client.get("/?near=どこでもない駅").get_data(as_text=True)
    assert "見つかりませんでした" in body


def test_the_citys_own_list_replaces_the_sample(app: Flask, indexed_city: Session, tmp_path: Path) -> None:
    own = app.extensions["odekake_settings"].instance_dir / "landmarks.csv"
    own.write_text("# 架空\nname,kana,kind,lat,lon\n架空公民館,かくうこうみんかん,kominkan,34.7,135.71\nbroken,,x,abc,1\n", encoding="utf-8")
    landmarks.clear_cache()
    try:
        with app.app_context():
            assert geocode_town("架空公民館") == (34.7, 135.71)
            assert geocode_town("かくうこうみんかん") == (34.7, 135.71)
    finally:
        own.unlink()
        landmarks.clear_cache()


def test_sample_landmarks_lie_in_the_city() -> None:
    assert len({lm.name for lm in TABLE.values()}) >= 20
    centre = TABLE[landmark_key("生駒駅")]
    for lm in TABLE.values():
        assert geodesic_m(centre.lat, centre.lon, lm.lat, lm.lon) < 12_000, lm.name
