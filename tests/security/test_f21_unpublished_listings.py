"""F21: listings that were never public must not show up on public pages or the API.

Ids are sequential, so /activities/<id> was enough to read the name of every draft, pending or
refused listing off the 410 「掲載を終了しました」 page. Only a listing archived after it was
published gets the 410 page; the others answer exactly as an id that does not exist.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from tests.helpers import csrf_token
from webapp.listings.models.activity import Activity

SECRET = "非公開のひみつ講座"


def _listing(session: Session, status: str, published: bool, n: int) -> int:
    activity = Activity(
        source="f21",
        source_id=f"f21-{n}",
        name=f"{SECRET}{n}",
        status=status,
        category="salon",
        schedule_rrule="FREQ=WEEKLY;BYDAY=TU",
        schedule_text="毎週火曜",
        published_at=datetime(2026, 4, 1, tzinfo=UTC) if published else None,
    )
    session.add(activity)
    session.flush()
    return activity.id


@pytest.fixture()
def listings(session: Session) -> dict[str, int]:
    ids = {
        "draft": _listing(session, "draft", False, 1),
        "pending": _listing(session, "pending", False, 2),
        "refused": _listing(session, "archived", False, 3),  # rejected before it was ever published
        "ended": _listing(session, "archived", True, 4),
        "published": _listing(session, "published", True, 5),
    }
    session.commit()
    return ids


def _missing_id(ids: dict[str, int]) -> int:
    return max(ids.values()) + 1000


@pytest.mark.parametrize("kind", ["draft", "pending", "refused"])
def test_never_published_listing_is_a_plain_404(app: Flask, listings: dict[str, int], kind: str) -> None:
    client = app.test_client()
    activity_id = listings[kind]
    unknown = client.get(f"/activities/{_missing_id(listings)}")
    r = client.get(f"/activities/{activity_id}")
    assert r.status_code == 404
    body = r.get_data(as_text=True)
    assert SECRET not in body
    # The same page as for an id that does not exist (only the id in the language links differs).
    assert body.replace(f"/activities/{activity_id}", "/activities/ID") == unknown.get_data(as_text=True).replace(
        f"/activities/{_missing_id(listings)}", "/activities/ID"
    )
    ics = client.get(f"/activities/{activity_id}.ics")
    assert ics.status_code == 404 and SECRET not in ics.get_data(as_text=True)
    token = csrf_token(client, f"/activities/{listings['published']}")
    report = client.post(f"/activities/{activity_id}/report", data={"csrf_token": token, "message": "x"})
    assert report.status_code == 404 and SECRET not in report.get_data(as_text=True)


def test_listing_archived_after_publication_is_a_410(app: Flask, listings: dict[str, int]) -> None:
    r = app.test_client().get(f"/activities/{listings['ended']}")
    assert r.status_code == 410
    assert f"{SECRET}4" in r.get_data(as_text=True)
    assert app.test_client().get(f"/activities/{listings['published']}").status_code == 200


@pytest.mark.parametrize("kind", ["draft", "pending", "refused", "ended"])
def test_api_does_not_reveal_unpublished_listings(app: Flask, listings: dict[str, int], kind: str) -> None:
    client = app.test_client()
    missing = client.get(f"/api/v1/activities/{_missing_id(listings)}")
    r = client.get(f"/api/v1/activities/{listings[kind]}")
    assert r.status_code == 404
    assert SECRET not in r.get_data(as_text=True)
    assert r.get_json() == missing.get_json()
    assert client.get(f"/api/v1/activities/{listings['published']}").status_code == 200


def test_sample_city_archived_listings_were_public(indexed_city: Session) -> None:
    """The sample's archived listings are activities that ended, so they keep their 410 page."""
    from sqlalchemy import select

    archived = indexed_city.scalars(select(Activity).where(Activity.status == "archived")).all()
    assert archived and all(a.published_at is not None for a in archived)
