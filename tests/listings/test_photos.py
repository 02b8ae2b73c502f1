"""Photo uploads with real crafted files: bombs, EXIF GPS, polyglots, truncation, CMYK, 16-bit."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import approve, new_listing, pending_revision_id, post_listing, sign_up_and_verify
from tests.helpers import csrf_token, login
from webapp.config import Settings
from webapp.listings.models.organizer import Photo
from webapp.listings.photos import PhotoRejected, clean_image

FIXTURES = Path(__file__).parent.parent / "fixtures" / "photos"
SETTINGS = Settings()


def read(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def decoded(blob: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(blob))
    image.load()
    return image


def test_gps_exif_is_stripped_and_orientation_applied() -> None:
    with Image.open(FIXTURES / "gps_rotated.jpg") as source:
        assert source.getexif().get_ifd(0x8825), "fixture must carry GPS"
    result = clean_image(read("gps_rotated.jpg"), SETTINGS)
    # stored 64×32 with orientation 6 → shown 32×64
    assert (result.width, result.height) == (32, 64)
    for blob in result.renditions.values():
        image = decoded(blob)
        assert image.format == "WEBP"
        assert not image.getexif()
        assert not set(image.info) & {"exif", "icc_profile", "xmp"}
        assert b"Exif" not in blob and b"OdekakePhone" not in blob and b"GPS" not in blob


@pytest.mark.parametrize("name", ["bomb_400mp.png", "bomb_64mp.png"])
def test_decompression_bombs_are_refused_before_decoding(name: str) -> None:
    with pytest.raises(PhotoRejected) as exc:
        clean_image(read(name), SETTINGS)
    assert exc.value.code == "too_many_pixels"


def test_pixel_cap_is_configurable() -> None:
    with pytest.raises(PhotoRejected, match="pixels"):
        clean_image(read("plain.webp"), replace(SETTINGS, max_photo_pixels=100))


def test_byte_cap() -> None:
    with pytest.raises(PhotoRejected) as exc:
        clean_image(read("gps_rotated.jpg"), replace(SETTINGS, max_photo_bytes=100))
    assert exc.value.code == "too_large"


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("polyglot_zip.jpg", "polyglot"),
        ("polyglot_comment.jpg", "polyglot"),
        ("truncated.jpg", "truncated"),
        ("svg_renamed.jpg", "unsupported_type"),
        ("html_renamed.png", "unsupported_type"),
    ],
)
def test_hostile_files_are_refused(name: str, code: str) -> None:
    with pytest.raises(PhotoRejected) as exc:
        clean_image(read(name), SETTINGS)
    assert exc.value.code == code


def test_cmyk_16bit_and_alpha_become_8bit_webp() -> None:
    cmyk = decoded(clean_image(read("cmyk.jpg"), SETTINGS).renditions["detail"])
    assert cmyk.mode == "RGB"
    gray = clean_image(read("gray16.png"), SETTINGS)
    image = decoded(gray.renditions["detail"]).convert("L")
    # a full 0..65535 ramp stays a ramp (not clipped to white)
    left, right = image.getpixel((0, 10)), image.getpixel((39, 10))
    assert left < 30 and right > 225  # type: ignore[operator]
    rgba = decoded(clean_image(read("rgba.png"), SETTINGS).renditions["list"])
    assert rgba.mode == "RGBA"
    webp = clean_image(read("plain.webp"), SETTINGS)
    assert (webp.width, webp.height) == (50, 40)


def test_large_photo_is_resized_for_list_and_detail() -> None:
    out = io.BytesIO()
    Image.new("RGB", (3000, 2000), (200, 100, 50)).save(out, "JPEG")
    result = clean_image(out.getvalue(), SETTINGS)
    assert decoded(result.renditions["list"]).size == (480, 320)
    assert decoded(result.renditions["detail"]).size == (1280, 853)


# ------------------------------------------------------------------------------------------------
# through the web: upload, alt text, served as image/webp with nosniff, visible after approval


def _upload(client: FlaskClient, activity_id: int, name: str, alt: str) -> str:
    url = f"/organizer/activities/{activity_id}/edit"
    token = csrf_token(client, url)
    r = client.post(
        f"/organizer/activities/{activity_id}/photos",
        data={"csrf_token": token, "alt_text": alt, "photo": (io.BytesIO(read(name)), name)},
        content_type="multipart/form-data",
    )
    assert r.status_code == 302
    return client.get(url).get_data(as_text=True)


def test_upload_serve_and_publish(client: FlaskClient, session: Session, app: Flask, make_user: object) -> None:
    make_user("mod@example.org", "moderator")  # type: ignore[operator]
    sign_up_and_verify(client, "photo@example.org")
    activity_id = new_listing(client)
    page = _upload(client, activity_id, "gps_rotated.jpg", "")
    assert "写真の説明" in page and "<img" not in page.split('id="photos"')[1].split("<form")[0]
    page = _upload(client, activity_id, "polyglot_zip.jpg", "体操の様子")
    assert "この写真は受け付けられません" in page
    page = _upload(client, activity_id, "gps_rotated.jpg", "体操の様子 <script>x</script>")
    match = re.search(r'src="(/organizer/photos/([0-9a-f]{32})/list\.webp)" alt="([^"]*)"', page)
    assert match, page
    src, token, alt = match.groups()
    assert alt == "体操の様子"
    photo = session.scalar(select(Photo).where(Photo.token == token))
    assert photo is not None and photo.status == "pending"
    files = sorted(p.name for p in (app.extensions["odekake_settings"].resolved_upload_dir / "photos").rglob(f"{token}*"))
    assert files == [f"{token}-detail.webp", f"{token}-list.webp"]

    r = client.get(src)
    assert r.status_code == 200 and r.mimetype == "image/webp"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in r.headers["Cache-Control"]
    # before approval nobody else sees it
    stranger = app.test_client()
    assert stranger.get(src).status_code == 404
    assert stranger.get(src.replace("list", "original")).status_code == 404
    assert stranger.get("/organizer/photos/../../etc/passwd/list.webp").status_code == 404

    assert post_listing(client, activity_id).status_code == 302
    login(stranger, "mod@example.org")
    rid = pending_revision_id(session, activity_id)
    assert token in stranger.get(f"/staff/moderation/revisions/{rid}").get_data(as_text=True)
    assert stranger.get(src).status_code == 200  # moderators see unreviewed photos
    approve(stranger, rid)
    session.expire_all()
    assert session.get(Photo, photo.id).status == "published"  # type: ignore[union-attr]
    anonymous = app.test_client()
    r = anonymous.get(src)
    assert r.status_code == 200 and r.headers["X-Content-Type-Options"] == "nosniff"

    from webapp.listings.photos import published_photos

    assert [p.id for p in published_photos(session, activity_id)] == [photo.id]
