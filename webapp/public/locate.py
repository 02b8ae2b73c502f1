"""Typed address / town name → point, for 「近くで探す」 when the browser's location is denied.

First the 位置参照情報 geocoder (addresses, 町丁目); then, for what it cannot read (a town
typed in hiragana, 「しかのだい」, or part of a town name, 「鹿ノ台」), the middle of the listed
places whose address or name (or its reading) contains the text.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import select

from gis.geocoder import Geocoder
from jatext.normalize import fold
from webapp.config import PROJECT_ROOT
from webapp.listings.models.place import Place

GEOCODER_DIR = PROJECT_ROOT / "data" / "sample" / "geocoder"
MIN_FALLBACK_CHARS = 2


@cache
def _geocoder() -> Geocoder | None:
    files = sorted(GEOCODER_DIR.glob("*.csv"))
    if not files:
        return None
    return Geocoder.from_files(files, default_city="生駒市")


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
        if any(key in fold(v).replace(" ", "") for v in (address, name, kana))
    ]
    if not points:
        return None
    return sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)


def geocode_town(text: str) -> tuple[float, float] | None:
    """(lat, lon) of an address or town; None when it is not found."""
    if not text.strip():
        return None
    geocoder = _geocoder()
    found = geocoder.geocode(text) if geocoder else None
    if found is None and geocoder and "生駒市" not in text:
        # Residents type the town alone (「東生駒」); the city is implied.
        found = geocoder.geocode("生駒市" + text)
    if found is not None:
        return found.lat, found.lon
    return _from_places(text)
