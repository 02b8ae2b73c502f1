"""Responses are compressed by the app (br/gzip), except pages holding a secret (BREACH)."""

from __future__ import annotations

import gzip
import json

import brotli
import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from webapp.listings.demo import load_sample_city


@pytest.fixture()
def city(session: Session) -> None:
    load_sample_city(session)
    session.commit()


@pytest.mark.parametrize("path", ["/api/v1/activities?per_page=50", "/api/v1/activities.geojson?per_page=50"])
def test_api_answers_are_compressed(client: FlaskClient, city: None, path: str) -> None:
    plain = client.get(path)
    zipped = client.get(path, headers={"Accept-Encoding": "gzip"})
    br = client.get(path, headers={"Accept-Encoding": "br, gzip"})
    assert plain.status_code == zipped.status_code == br.status_code == 200
    assert "Content-Encoding" not in plain.headers
    assert zipped.headers["Content-Encoding"] == "gzip" and br.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert json.loads(gzip.decompress(zipped.data)) == json.loads(plain.data)
    assert json.loads(brotli.decompress(br.data)) == json.loads(plain.data)
    assert len(zipped.data) < len(plain.data) / 3


def test_public_pages_are_compressed_but_not_pages_with_a_csrf_token(client: FlaskClient, city: None) -> None:
    about = client.get("/about", headers={"Accept-Encoding": "gzip"})
    assert about.headers.get("Content-Encoding") == "gzip"
    assert "おでかけ" in gzip.decompress(about.data).decode()
    login = client.get("/auth/login", headers={"Accept-Encoding": "gzip"})
    assert login.status_code == 200 and b"csrf_token" in login.data
    assert "Content-Encoding" not in login.headers


def test_static_files_are_left_to_the_edge(client: FlaskClient) -> None:
    response = client.get("/static/css/site.css", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200 and "Content-Encoding" not in response.headers
    response.close()
