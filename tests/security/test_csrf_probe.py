"""Every state-changing route refuses a request without a valid CSRF token with 400, signed in or not."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.helpers import csrf_token
from tests.security.routes import post_routes


def _bad_tokens(client: FlaskClient) -> list[dict[str, str]]:
    real = csrf_token(client, "/auth/login")
    other = csrf_token(client.application.test_client(), "/auth/login")  # another browser's token
    return [{}, {"csrf_token": ""}, {"csrf_token": "forged"}, {"csrf_token": real[:-4] + "AAAA"}, {"csrf_token": other}]


def test_post_routes_exist(probe_app: Flask) -> None:
    assert {"auth.login", "auth.logout"} <= {r.endpoint for r in post_routes(probe_app)}


def test_every_post_without_valid_token_is_400(probe_app: Flask, role_clients: dict[str, FlaskClient]) -> None:
    problems = []
    for who, client in [("anonymous", probe_app.test_client()), ("admin", role_clients["admin"]),
                        ("office_lead", role_clients["office_lead"]), ("organizer", role_clients["organizer"])]:
        bad = _bad_tokens(client)
        for route in post_routes(probe_app):
            for method in sorted(route.methods & {"POST", "PUT", "PATCH", "DELETE"}):
                for data in bad:
                    r = client.open(route.url(), method=method, data={**data, "email": "a@example.jp"})
                    if r.status_code != 400:
                        problems.append(f"{who} {method} {route.rule.rule} {sorted(data)}: {r.status_code}")
    assert problems == []


def test_json_posts_need_the_header_token_too(probe_app: Flask, role_clients: dict[str, FlaskClient]) -> None:
    client = role_clients["organizer"]
    problems = []
    for route in post_routes(probe_app):
        r = client.post(route.url(), json={"name": "x"})
        if r.status_code != 400:
            problems.append(f"JSON POST {route.rule.rule}: {r.status_code}")
    assert problems == []
