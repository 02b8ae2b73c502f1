"""Typed address / town name → point, for 「近くで探す」 when the browser's location is denied.

First the project geocoder (webapp.listings.geocoding: the imported 位置参照情報, else the sample); then, for what it cannot read (a town
typed in hiragana, 「しかのだい」, or part of a town name, 「鹿ノ台」), the middle of the listed
places whose address or name (or its reading) contains the text.
"""

from __future__ import annotations

from sqlalchemy import select

from jatext.normalize import fold
from webapp.config import settings
from webapp.listings.geocoding import get_geocoder
from webapp.listings.models.place import Place

MIN_FALLBACK_CHARS = 2


def _from_places(text: str) -> tuple[float, float] | None:
    from webapp.extensions import db

    key = fold(text).replace(" ", "")
    if len(key) < MIN_FALLBACK_CHARS:
        return None
    points = [
        (lat, lon)
        for lat, lon, address, name, kana in db.session().execute(
            select(Place.lat, Place.lon, Place.address, Place.name, Place.name_kana).where(Place.lat.is_not(None))
        )
        if lat is not None and lon is not None
        and any(key in fold(v).replace(" ", "") for v in (address, name, kana))
    ]
    if not points:
        return None
    return sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)


def geocode_town(text: str) -> tuple[float, float] | None:
    """(lat, lon) of an address or town; None when it is not found."""
    if not text.strip():
        return None
    config = settings()
    geocoder = get_geocoder(config)
    found = geocoder.geocode(text)
    if found is None and config.city_name not in text:
        # Residents type the town alone (「東生駒」); the city is implied.
        found = geocoder.geocode(config.city_name + text)
    if found is not None:
        return found.lat, found.lon
    return _from_places(text)
