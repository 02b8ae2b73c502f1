"""Places made through the organizer flow get their 小学校区 on approval, on both databases."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from gis.districts import DistrictIndex, read_geojson
from tests.factories import (
    approve,
    logout,
    new_listing,
    pending_revision_id,
    post_listing,
    sign_up_and_verify,
)
from tests.helpers import login
from webapp.listings.demo import SAMPLE_DISTRICTS
from webapp.listings.districts import import_district_file, store_districts
from webapp.listings.models.activity import Activity
from webapp.listings.models.organization import Organization

SAMPLE = read_geojson(SAMPLE_DISTRICTS)
INDEX = DistrictIndex(SAMPLE)
IKOMA, SHIKANODAI, MAYUMI = "B129220900011", "B129220900080", "B129220900071"  # 生駒, 鹿ノ台, 真弓小学校


def _inside(key: str) -> tuple[float, float]:
    """A point well inside the sample district ``key`` (lat, lon)."""
    district = next(d for d in SAMPLE if d.code == key)
    point = district.geometry.representative_point()
    found = INDEX.locate(point.y, point.x)
    assert found is not None and found.code == key
    return point.y, point.x


def _district_of(session: Session, activity_id: int) -> str | None:
    session.expire_all()
    activity = session.get(Activity, activity_id)
    assert activity is not None and activity.place is not None
    return activity.place.district.code if activity.place.district else None


def _api_ids(client: FlaskClient, district: str) -> set[int]:
    r = client.get(f"/api/v1/activities?district={district}&per_page=100")
    assert r.status_code == 200, r.get_data(as_text=True)
    return {item["id"] for item in r.get_json()["items"]}


def test_moderated_place_gets_its_district_and_a_moved_place_a_new_one(
    client: FlaskClient, session: Session, moderator: Any
) -> None:
    import_district_file(session, SAMPLE_DISTRICTS, kind="school", source="sample")
    session.flush()
    lat, lon = _inside(IKOMA)
    sign_up_and_verify(client, "district@example.org")
    activity_id = new_listing(client)
    assert post_listing(client, activity_id, lat=str(lat), lon=str(lon)).status_code == 302
    logout(client)
    login(client, "mod@example.org")
    assert approve(client, pending_revision_id(session, activity_id)).status_code == 302
    assert _district_of(session, activity_id) == IKOMA
    assert activity_id in _api_ids(client, IKOMA)

    # The organizer moves the listing to a new place in another 校区: approval moves the district.
    logout(client)
    login(client, "district@example.org")
    lat2, lon2 = _inside(SHIKANODAI)
    r = post_listing(client, activity_id, place_name="鹿ノ台集会所", address="", lat=str(lat2), lon=str(lon2))
    assert r.status_code == 302
    assert _district_of(session, activity_id) == IKOMA  # unchanged until approved
    logout(client)
    login(client, "mod@example.org")
    assert approve(client, pending_revision_id(session, activity_id)).status_code == 302
    assert _district_of(session, activity_id) == SHIKANODAI
    assert activity_id in _api_ids(client, SHIKANODAI)
    assert activity_id not in _api_ids(client, IKOMA)


def test_trusted_organization_place_gets_its_district(client: FlaskClient, session: Session) -> None:
    import_district_file(session, SAMPLE_DISTRICTS, kind="school", source="sample")
    session.flush()
    sign_up_and_verify(client, "trusted-d@example.org", org="市社協")
    org = session.scalar(select(Organization).where(Organization.name == "市社協"))
    assert org is not None
    org.trusted = True
    session.flush()
    activity_id = new_listing(client)
    lat, lon = _inside(MAYUMI)
    assert post_listing(client, activity_id, lat=str(lat), lon=str(lon)).status_code == 302
    assert _district_of(session, activity_id) == MAYUMI
    assert activity_id in _api_ids(client, MAYUMI)


def test_place_outside_every_district_has_none(client: FlaskClient, session: Session, moderator: Any) -> None:
    import_district_file(session, SAMPLE_DISTRICTS, kind="school", source="sample")
    session.flush()
    sign_up_and_verify(client, "far@example.org")
    activity_id = new_listing(client)
    # 奈良市役所: in Japan, outside every sample 校区 of 生駒市.
    assert post_listing(client, activity_id, address="", lat="34.6851", lon="135.8048").status_code == 302
    logout(client)
    login(client, "mod@example.org")
    assert approve(client, pending_revision_id(session, activity_id)).status_code == 302
    assert _district_of(session, activity_id) is None


def test_existing_place_without_district_gets_one_when_reused(
    client: FlaskClient, session: Session, moderator: Any
) -> None:
    lat, lon = _inside(IKOMA)
    sign_up_and_verify(client, "reuse@example.org")
    activity_id = new_listing(client)
    assert post_listing(client, activity_id, lat=str(lat), lon=str(lon)).status_code == 302
    logout(client)
    login(client, "mod@example.org")
    assert approve(client, pending_revision_id(session, activity_id)).status_code == 302
    assert _district_of(session, activity_id) is None  # no districts loaded yet
    # Districts arrive without a re-assignment run: the next approval of a listing there fixes it.
    store_districts(session, SAMPLE, kind="school", source="sample", assign=False)
    session.flush()
    place_id = session.get(Activity, activity_id).place_id  # type: ignore[union-attr]
    logout(client)
    login(client, "reuse@example.org")
    r = post_listing(client, activity_id, name="ひまわり健康サロン", place_mode="existing", place_id=str(place_id))
    assert r.status_code == 302
    logout(client)
    login(client, "mod@example.org")
    assert approve(client, pending_revision_id(session, activity_id)).status_code == 302
    assert _district_of(session, activity_id) == IKOMA
    assert session.get(Activity, activity_id).place_id == place_id  # type: ignore[union-attr]
