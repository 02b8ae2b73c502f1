"""Typed address / town name → point, for 「近くで探す」 when the browser's location is denied."""

from __future__ import annotations

from functools import cache

from gis.geocoder import Geocoder
from webapp.config import PROJECT_ROOT

GEOCODER_DIR = PROJECT_ROOT / "data" / "sample" / "geocoder"


@cache
def _geocoder() -> Geocoder | None:
    files = sorted(GEOCODER_DIR.glob("*.csv"))
    if not files:
        return None
    return Geocoder.from_files(files, default_city="生駒市")


def geocode_town(text: str) -> tuple[float, float] | None:
    """(lat, lon) of an address or town; None when it is not found."""
    geocoder = _geocoder()
    if geocoder is None or not text.strip():
        return None
    found = geocoder.geocode(text)
    if found is None and "生駒市" not in text:
        # Residents type the town alone (「東生駒」); the city is implied.
        found = geocoder.geocode("生駒市" + text)
    return (found.lat, found.lon) if found else None
