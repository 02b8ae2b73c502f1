"""Listing photos: untrusted uploads in, clean WebP out.

Order of checks (cheapest and most dangerous first): byte size; magic bytes (JPEG/PNG/WebP only, so
SVG and HTML never reach Pillow); container walk to the image's real end (bytes appended after it —
a ZIP, a script — make a polyglot and are refused); header-only open with the pixel cap (a
decompression bomb is refused before a single pixel is decoded); verify(); re-open and decode fully
(truncated files fail here). Then EXIF orientation is applied, the pixels are converted to 8-bit
RGB(A), and only those pixels are written as WebP: no EXIF (GPS), ICC or XMP survives. File names are
server-generated tokens.
"""

from __future__ import annotations

import io
import re
import secrets
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.config import Settings
from webapp.listings.models.activity import Activity
from webapp.listings.models.organizer import Photo
from webapp.service_error import ServiceError

SIZES: dict[str, tuple[int, int]] = {"list": (480, 360), "detail": (1280, 960)}
WEBP_QUALITY = 80
ALT_MAX = 300
# Bytes after the image's end that are tolerated: some cameras pad with a few zero bytes.
TRAILING_SLACK = 32
# Markup a browser or an interpreter would act on. Each pattern is 5+ fixed bytes plus a delimiter,
# so random compressed image data matches it far less often than once in ten thousand photos.
_MARKUP = re.compile(rb"<(?:script|html|svg|iframe|body|object|embed|!doctype|\?php)[\s>/]", re.IGNORECASE)


class PhotoRejected(ServiceError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message, "photo")


@dataclass(frozen=True)
class CleanImage:
    width: int
    height: int
    renditions: dict[str, bytes]


# ------------------------------------------------------------------------------------------------
# container checks


def sniff(data: bytes) -> str | None:
    if data[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def _jpeg_end(data: bytes) -> int | None:
    """Offset just after the EOI marker, found by walking segments and entropy-coded data."""
    pos, n = 2, len(data)
    while pos < n:
        if data[pos] != 0xFF:
            return None
        while pos < n and data[pos] == 0xFF:
            pos += 1
        if pos >= n:
            return None
        marker = data[pos]
        pos += 1
        if marker == 0xD9:
            return pos
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:
            continue
        if pos + 2 > n:
            return None
        length = struct.unpack(">H", data[pos : pos + 2])[0]
        pos += length
        if marker == 0xDA:
            # Entropy-coded scan: ends at the first 0xFF not followed by 0x00 or a restart marker.
            while pos < n - 1:
                if data[pos] == 0xFF and data[pos + 1] != 0x00 and not 0xD0 <= data[pos + 1] <= 0xD7:
                    break
                pos += 1
            else:
                return None
    return None


def _png_end(data: bytes) -> int | None:
    pos, n = 8, len(data)
    while pos + 8 <= n:
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        pos += 12 + length
        if kind == b"IEND":
            return pos if pos <= n else None
    return None


def _webp_end(data: bytes) -> int | None:
    size = struct.unpack("<I", data[4:8])[0]
    end = 8 + size + (size & 1)
    return end if end <= len(data) + 1 else None


def _check_container(kind: str, data: bytes) -> None:
    end = {"JPEG": _jpeg_end, "PNG": _png_end, "WEBP": _webp_end}[kind](data)
    if end is None:
        raise PhotoRejected("truncated", "the image file is incomplete")
    trailing = data[end:]
    if len(trailing) > TRAILING_SLACK or trailing.strip(b"\x00"):
        raise PhotoRejected("polyglot", "the file has extra data after the image")
    if _MARKUP.search(data):
        raise PhotoRejected("polyglot", "the file contains markup")


# ------------------------------------------------------------------------------------------------
# decoding


def _open_checked(data: bytes, kind: str, max_pixels: int) -> Image.Image:
    with warnings.catch_warnings():
        # Pillow's own bomb check warns at MAX_IMAGE_PIXELS; ours below is the one that decides.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            probe = Image.open(io.BytesIO(data))
        except Image.DecompressionBombError:
            raise PhotoRejected("too_many_pixels", "the image has too many pixels") from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise PhotoRejected("unreadable", "not a readable image") from None
        if probe.format != kind:
            raise PhotoRejected("type_mismatch", "the file type does not match its content")
        width, height = probe.size
        if width < 1 or height < 1 or width * height > max_pixels:
            raise PhotoRejected("too_many_pixels", "the image has too many pixels")
        if getattr(probe, "n_frames", 1) > 1:
            raise PhotoRejected("animated", "animated images are not accepted")
        try:
            probe.verify()
        except Exception:
            raise PhotoRejected("corrupt", "the image is damaged") from None
        # verify() leaves the object unusable; decode from a fresh one.
        image = Image.open(io.BytesIO(data))
        try:
            image.load()
        except (OSError, SyntaxError, ValueError):
            raise PhotoRejected("truncated", "the image file is incomplete") from None
    return image


def _to_8bit(image: Image.Image) -> Image.Image:
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        # 16-bit greyscale: scale to 0..255 instead of letting convert() clip everything to white.
        # One band, so getextrema() is (min, max), not one pair per band (its other return type).
        scale = (
            1 / 257
            if mode.startswith("I;16")
            else 1 / 256 if cast("tuple[float, float]", image.getextrema())[1] > 255 else 1
        )
        return image.point(lambda v: v * scale).convert("L").convert("RGB")
    if mode == "F":
        return image.convert("L").convert("RGB")
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in image.info):
        return image.convert("RGBA")
    if mode == "RGBa":
        return image.convert("RGBA")
    # CMYK (Pillow undoes Adobe's inverted CMYK), YCbCr, P, L, 1 …
    return image.convert("RGB")


def clean_image(data: bytes, settings: Settings) -> CleanImage:
    """Check an upload and return metadata-free WebP renditions, or raise PhotoRejected."""
    if len(data) > settings.max_photo_bytes:
        raise PhotoRejected("too_large", "the file is too large")
    kind = sniff(data)
    if kind is None:
        raise PhotoRejected("unsupported_type", "only JPEG, PNG and WebP photos are accepted")
    _check_container(kind, data)
    image = _open_checked(data, kind, settings.max_photo_pixels)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        image = ImageOps.exif_transpose(image) or image
        image = _to_8bit(image)
    pixels = Image.new(image.mode, image.size)
    pixels.paste(image)  # a fresh image carries no info dict: no exif, icc_profile or xmp
    renditions = {}
    for name, box in SIZES.items():
        copy = pixels.copy()
        copy.thumbnail(box, Image.Resampling.LANCZOS)
        out = io.BytesIO()
        copy.save(out, "WEBP", quality=WEBP_QUALITY, method=4)
        renditions[name] = out.getvalue()
    return CleanImage(pixels.width, pixels.height, renditions)


# ------------------------------------------------------------------------------------------------
# storage


def photo_dir(settings: Settings) -> Path:
    return settings.resolved_upload_dir / "photos"


def photo_path(settings: Settings, token: str, size: str) -> Path:
    if size not in SIZES or not token.isalnum():
        raise ValueError("bad photo name")
    return photo_dir(settings) / token[:2] / f"{token}-{size}.webp"


def add_photo(
    session: Session,
    settings: Settings,
    activity: Activity,
    uploader_id: int | None,
    data: bytes,
    alt_text: str,
) -> Photo:
    from webapp.listings.organizer import plain_text

    alt = plain_text(alt_text, ALT_MAX)
    if not alt:
        raise PhotoRejected("alt_required", "a short description of the photo is required")
    clean = clean_image(data, settings)
    token = secrets.token_hex(16)
    for size, blob in clean.renditions.items():
        path = photo_path(settings, token, size)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(blob)
    assert activity.organization_id is not None
    photo = Photo(
        token=token,
        activity_id=activity.id,
        organization_id=activity.organization_id,
        uploaded_by_id=uploader_id,
        alt_text=alt,
        width=clean.width,
        height=clean.height,
    )
    session.add(photo)
    session.flush()
    return photo


def photos_by_id(session: Session, activity_id: int, ids: list[int]) -> list[Photo]:
    if not ids:
        return []
    found = {p.id: p for p in session.scalars(select(Photo).where(Photo.activity_id == activity_id, Photo.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def publish_photos(session: Session, activity: Activity, ids: list[int]) -> list[int]:
    """Make exactly these photos public for the activity (in this order); others are withdrawn."""
    chosen = photos_by_id(session, activity.id, ids)
    chosen_ids = {p.id for p in chosen}
    for photo in session.scalars(select(Photo).where(Photo.activity_id == activity.id)):
        if photo.id in chosen_ids:
            photo.status = "published"
        elif photo.status == "published":
            photo.status = "removed"
    session.flush()
    return [p.id for p in chosen]


def published_photos(session: Session, activity_id: int) -> list[Photo]:
    """Photos a resident may see, in the organizer's order (for the public activity page)."""
    activity = session.get(Activity, activity_id)
    if activity is None or activity.status != "published":
        return []
    ids = [int(i) for i in (activity.extra or {}).get("photo_ids", [])]
    return [p for p in photos_by_id(session, activity_id, ids) if p.status == "published"]
