"""The sample city loads, is labelled サンプル, and a duplicate load changes nothing."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.listings.demo import SAMPLE_FILE, load_sample_city
from webapp.listings.models.activity import Activity
from webapp.listings.models.place import Place
from webapp.service_error import ServiceError


def test_sample_city_loads_with_points(session: Session) -> None:
    counts = load_sample_city(session)
    assert counts["activities"] >= 140
    assert session.scalar(select(func.count()).select_from(Activity).where(Activity.source == "sample")) == counts[
        "activities"
    ]
    assert session.scalar(select(func.count()).select_from(Place).where(Place.point.is_(None))) == 0


def test_duplicate_load_rejected_and_nothing_changed(session: Session) -> None:
    load_sample_city(session)
    before = session.scalar(select(func.count()).select_from(Activity))
    with pytest.raises(ServiceError, match="already loaded"):
        load_sample_city(session)
    assert session.scalar(select(func.count()).select_from(Activity)) == before


def test_duplicate_source_id_inside_file_rejected(session: Session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(SAMPLE_FILE.read_text(encoding="utf-8"))
    data["activities"][1]["source_id"] = data["activities"][0]["source_id"]
    bad = tmp_path / "city.json"
    bad.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ServiceError, match="duplicate source_id"):
        load_sample_city(session, bad)
    assert session.scalar(select(func.count()).select_from(Activity)) == 0


def test_index_lists_sample_and_says_sample(client: FlaskClient, session: Session) -> None:
    load_sample_city(session)
    session.commit()
    body = client.get("/").get_data(as_text=True)
    assert "サンプルデータ" in body
    name = session.scalar(select(Activity.name).where(Activity.status == "published").order_by(Activity.name_kana))
    assert name in body
    en = client.get("/?lang=en").get_data(as_text=True)
    assert "Sample data" in en
