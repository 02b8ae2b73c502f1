"""F14: /open-data/coverage (and its CSV) recomputed every listing on every anonymous request.

Now the report is computed once per change of the data (listings, places, districts) and the two
URLs share a per-client rate limit that answers the translated 429 page.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.listings.models.activity import Activity
from webapp.listings.models.place import Place


@pytest.fixture()
def counted(app: Flask, indexed_city: Session, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    from webapp.public import opendata
    from webapp.reports.coverage import coverage_report

    calls: list[int] = []

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return coverage_report(*args, **kwargs)

    monkeypatch.setattr(opendata, "coverage_report", counting)
    app.extensions.pop("odekake_open_data_coverage", None)  # the app outlives each test's data
    yield calls
    app.extensions.pop("odekake_open_data_coverage", None)


def _salon_total(client: Any) -> int:
    csv = client.get("/open-data/coverage.csv").get_data(as_text=True)
    return sum(int(line.rsplit(",", 1)[1]) for line in csv.splitlines()[1:] if ",salon," in line)


def test_coverage_is_computed_once_until_the_data_changes(app: Flask, indexed_city: Session,
                                                         counted: list[int]) -> None:
    client = app.test_client()
    assert client.get("/open-data/coverage").status_code == 200
    assert client.get("/open-data/coverage").status_code == 200
    before = _salon_total(client)
    assert len(counted) == 1

    # A listing changes category: the next request recomputes, and shows it.
    salon = indexed_city.scalars(
        select(Activity).where(Activity.status == "published", Activity.category == "salon").order_by(Activity.id)
    ).first()
    assert salon is not None
    salon.category = "exercise"
    indexed_city.commit()
    assert _salon_total(client) == before - 1
    assert len(counted) == 2
    assert client.get("/open-data/coverage").status_code == 200
    assert len(counted) == 2

    # A listing is archived.
    other = indexed_city.scalars(
        select(Activity).where(Activity.status == "published", Activity.category == "salon").order_by(Activity.id)
    ).first()
    assert other is not None
    other.status = "archived"
    indexed_city.commit()
    assert _salon_total(client) == before - 2
    assert len(counted) == 3

    # A place moves to another district (a change that touches no listing row).
    place = indexed_city.scalars(select(Place).where(Place.district_id.is_not(None)).order_by(Place.id)).first()
    assert place is not None
    place.district_id = None
    indexed_city.commit()
    client.get("/open-data/coverage")
    assert len(counted) == 4


def test_coverage_is_rate_limited_with_the_translated_page(app: Flask, indexed_city: Session,
                                                          counted: list[int]) -> None:
    from webapp.public import opendata

    per_minute = int(getattr(opendata, "OPEN_DATA_LIMIT", "30 per minute").split(" per minute")[0])
    client = app.test_client()
    for i in range(per_minute):
        url = "/open-data/coverage.csv" if i % 2 else "/open-data/coverage"
        assert client.get(url).status_code == 200, i
    for url, lang, text in [
        ("/open-data/coverage", "ja", "アクセスが集中しています"),
        ("/open-data/coverage.csv", "en", "Too many requests"),
    ]:
        r = client.get(url, headers={"Accept-Language": lang})
        assert r.status_code == 429
        assert text in r.get_data(as_text=True)
        assert r.headers.get("X-Content-Type-Options") == "nosniff"
    # Another client is not affected.
    other = app.test_client()
    assert other.get("/open-data/coverage", environ_base={"REMOTE_ADDR": "192.0.2.9"}).status_code == 200
    assert len(counted) == 1
