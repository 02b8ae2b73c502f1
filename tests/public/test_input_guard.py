"""NUL characters in input are a 400 on both databases, never a 500 (security.headers.reject_nul_bytes)."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.helpers import csrf_token


def test_nul_in_query_is_400(client: FlaskClient) -> None:
    for url in ["/?q=%00", "/?q=abc%00def", "/api/v1/activities?q=%00", "/consult?x%00=1"]:
        assert client.get(url).status_code == 400, url


def test_nul_in_form_is_400_and_stores_nothing(client: FlaskClient) -> None:
    token = csrf_token(client, "/auth/login")
    r = client.post("/auth/login", data={"email": "a\x00@example.jp", "password": "x", "csrf_token": token})
    assert r.status_code == 400


def test_ordinary_input_passes(client: FlaskClient) -> None:
    assert client.get("/?q=サロン").status_code == 200
