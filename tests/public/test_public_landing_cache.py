"""The page with no query is rendered once per index generation, language and minute (anonymous)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.listings.demo import load_sample_city
from webapp.listings.models.activity import Activity
from webapp.public import views
from webapp.search import sync
from webapp.search.index import SearchIndex, index_at


@pytest.fixture()
def indexed(app: Flask, session: Session) -> Iterator[SearchIndex]:
    load_sample_city(session)
    session.commit()
    with app.app_context():
        from webapp.config import settings

        index = index_at(settings().resolved_index_dir)
    sync.rebuild(session, index)
    views._landing_pages.clear()
    yield index
    views._landing_pages.clear()
    index.reset()
    shutil.rmtree(index.path, ignore_errors=True)


def test_landing_is_rendered_once_per_generation(
    client: FlaskClient, session: Session, indexed: SearchIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    renders: list[int] = []
    original = views._index_page

    def counting() -> tuple[str, int] | str:
        renders.append(1)
        return original()

    monkeypatch.setattr(views, "_index_page", counting)
    first = client.get("/")
    second = client.get("/")
    assert first.status_code == second.status_code == 200
    assert first.data == second.data and len(renders) == 1
    assert client.get("/?q=サロン").status_code == 200 and len(renders) == 2  # a query is never cached
    assert client.get("/", headers={"Accept-Language": "en"}).status_code == 200

    activity = session.scalars(select(Activity).where(Activity.status == "published").order_by(Activity.id)).first()
    assert activity is not None
    activity.name, activity.name_kana = "ああああ一番の会", "アアアアイチバンノカイ"
    session.commit()
    sync.index_activities(session, indexed, [activity.id])
    before = len(renders)
    fresh = client.get("/")
    assert len(renders) == before + 1  # the index changed: rendered again
    assert "ああああ一番の会" in fresh.get_data(as_text=True)
