"""QR codes for handing a listing to a phone (detail and print pages), drawn server-side."""

from __future__ import annotations

from functools import lru_cache

import segno


@lru_cache(maxsize=1024)
def qr_data_uri(text: str, scale: int = 3) -> str:
    """An SVG data: URI (the CSP allows data: images), dark on white for any printer."""
    code = segno.make(text, error="m", micro=False)
    return code.svg_data_uri(scale=scale, border=2, dark="#000", light="#fff")
