"""Test helpers shared across suites: a real CSRF token, login through the form."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client: FlaskClient, url: str) -> str:
    """Fetch a page the way a browser does and read the CSRF token from its form."""
    response = client.get(url)
    match = _CSRF.search(response.get_data(as_text=True))
    assert match, f"no csrf_token on {url}"
    return match.group(1)


def login(client: FlaskClient, email: str, password: str = "correct horse battery") -> None:
    token = csrf_token(client, "/auth/login")
    response = client.post("/auth/login", data={"email": email, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
