"""Fixtures for the probes: the app with rate limits off (probes send thousands of requests),
and one signed-in client per role."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.helpers import login
from webapp.accounts.models.user import ROLES


@pytest.fixture()
def probe_app(app: Flask) -> Iterator[Flask]:
    from webapp.extensions import limiter

    limiter.enabled = False
    try:
        yield app
    finally:
        limiter.enabled = True


@pytest.fixture()
def role_clients(probe_app: Flask, make_user) -> dict[str, FlaskClient]:  # type: ignore[no-untyped-def]
    clients = {}
    for role in ROLES:
        make_user(f"{role}@example.jp", role, office="生駒市社協")
        client = probe_app.test_client()
        login(client, f"{role}@example.jp")
        clients[role] = client
    return clients
