"""Route inventory × roles: every route in app.url_map, as anonymous and as each role.

Anonymous: a non-public route answers with the login redirect, 401, 403 or 404, never content.
Each role: a route whose declared permissions the role lacks answers 403, whatever the method;
one it may use never answers 500 (and, without object ids in the URL, never 403).
"""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.helpers import csrf_token
from tests.security.routes import SIGNS_OUT, get_routes, new_problems, post_routes, routes
from webapp.accounts.models.user import ROLES


def test_inventory_is_complete_and_nonempty(probe_app: Flask) -> None:
    found = list(routes(probe_app))
    assert len(found) >= 10
    assert {"public.index", "auth.login", "cases.home"} <= {r.endpoint for r in found}


def test_anonymous_gets_no_protected_content(probe_app: Flask) -> None:
    client = probe_app.test_client()
    problems = []
    for route in get_routes(probe_app):
        r = client.get(route.url())
        if route.is_public:
            if r.status_code >= 500:
                problems.append(f"{route.rule.rule}: {r.status_code}")
            continue
        if r.status_code == 302:
            if "/auth/login" not in r.headers["Location"]:
                problems.append(f"{route.rule.rule}: redirects to {r.headers['Location']}")
        elif r.status_code not in (401, 403, 404):
            problems.append(f"{route.rule.rule}: anonymous got {r.status_code}")
    assert new_problems(problems) == [], "\n".join(new_problems(problems)[:60])


def test_anonymous_posts_with_a_token_are_refused(probe_app: Flask) -> None:
    client = probe_app.test_client()
    token = csrf_token(client, "/auth/login")
    problems = []
    for route in post_routes(probe_app):
        if route.is_public:
            continue
        r = client.post(route.url(), data={"csrf_token": token})
        ok = r.status_code in (401, 403, 404) or (r.status_code == 302 and "/auth/login" in r.headers["Location"])
        if not ok:
            problems.append(f"POST {route.rule.rule}: anonymous got {r.status_code}")
    assert new_problems(problems) == [], "\n".join(new_problems(problems)[:60])


def _probe_role(role: str, client: FlaskClient, app: Flask) -> list[str]:
    problems = []
    for route in get_routes(app):
        r = client.get(route.url())
        if not route.allowed_for(role):
            if r.status_code != 403:
                problems.append(f"{role} GET {route.rule.rule}: {r.status_code}, expected 403")
        elif r.status_code >= 500:
            problems.append(f"{role} GET {route.rule.rule}: {r.status_code}")
        elif r.status_code == 403 and not route.has_args:
            problems.append(f"{role} GET {route.rule.rule}: 403 though {route.access} is granted")
    for route in post_routes(app):
        if route.endpoint in SIGNS_OUT and route.allowed_for(role):
            continue
        token = csrf_token(client, "/auth/security")
        r = client.post(route.url(), data={"csrf_token": token})
        if not route.allowed_for(role):
            if r.status_code != 403:
                problems.append(f"{role} POST {route.rule.rule}: {r.status_code}, expected 403")
        elif r.status_code >= 500:
            problems.append(f"{role} POST {route.rule.rule}: {r.status_code}")
    return problems


def test_each_role_gets_exactly_what_its_permissions_grant(probe_app: Flask, role_clients: dict[str, FlaskClient]) -> None:
    problems = []
    for role in ROLES:
        problems += _probe_role(role, role_clients[role], probe_app)
    assert new_problems(problems) == [], "\n".join(new_problems(problems)[:60])
