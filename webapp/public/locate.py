"""Typed address / town name / landmark → point, for 「近くで探す」 when the browser's location is denied.

In order: a landmark named exactly (生駒駅, 生駒小: webapp.public.landmarks); a place of the city's
own list named exactly (鹿ノ台ふれあいホール); the project geocoder (webapp.listings.geocoding: the
imported 位置参照情報, else the sample); then, for what it cannot read (a town typed in hiragana,
「しかのだい」, or part of a town name, 「鹿ノ台」), the middle of the listed places whose address or
name (or its reading) contains the text.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from jatext.normalize import fold
from webapp.config import settings
from webapp.listings.geocoding import get_geocoder
from webapp.listings.models.place import Place
from webapp.public.landmarks import find_landmark

MIN_FALLBACK_CHARS = 2


def _key(value: str | None) -> str:
    return fold(value).replace(" ", "")


def _places() -> list[Any]:
    from webapp.extensions import db

    return list(
        db.session().execute(
            select(Place.lat, Place.lon, Place.address, Place.name, Place.name_kana).where(
                Place.lat.is_not(None), Place.lon.is_not(None)
            )
        )
    )


def _exact_place(key: str, rows: list[Any]) -> tuple[float, float] | None:
    for lat, lon, _address, name, kana in rows:
        if key in (_key(name), _key(kana)):
            return float(lat), float(lon)
    return None


def _from_places(key: str, rows: list[Any]) -> tuple[float, float] | None:
    points = [(lat, lon) for lat, lon, address, name, kana in rows if any(key in _key(v) for v in (address, name, kana))]
    if not points:
        return None
    return sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)


def geocode_town(text: str) -> tuple[float, float] | None:
    """(lat, lon) of a landmark, place, address or town; None when it is not found."""
    if not text.strip():
        return None
    config = settings()
    landmark = find_landmark(config, text)
    if landmark is not None:
        return landmark.lat, landmark.lon
    key = _key(text)
    rows = _places() if len(key) >= MIN_FALLBACK_CHARS else []
    exact = _exact_place(key, rows)
    if exact is not None:
        return exact
    geocoder = get_geocoder(config)
    found = geocoder.geocode(text)
    if found is None and config.city_name not in text:
        # Residents type the town alone (「東生駒」); the city is implied.
        found = geocoder.geocode(config.city_name + text)
    if found is not None:
        return found.lat, found.lon
    return _from_places(key, rows) if rows else None
