"""Hostile input through every GET parameter: reflected and stored XSS, SQL-ish and oversized
values, huge ids in paths, open redirects through next=. Never a 500, never a raw payload in HTML."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.helpers import csrf_token, login
from tests.security.routes import Route, form_fields, get_routes
from tests.security.routes import new_problems as _new

# Parameters the public pages and API document (DESIGN.md) plus the cross-cutting ones.
KNOWN_PARAMS = {
    "q", "lat", "lon", "radius", "bbox", "category", "audience", "day", "open_now", "free", "district",
    "page", "per_page", "next", "lang", "ruby", "flags", "accessibility", "format", "sort", "status", "office",
}
XSS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg/onload=alert(1)>",
    "</title><script>alert(1)</script>",
    "</textarea><script>alert(1)</script>",
    '" autofocus onfocus="alert(1)',
]
HOSTILE = [
    "' OR '1'='1' --",
    "1; DROP TABLE user_account; --",
    "1 UNION SELECT password_hash FROM user_account",
    "%' AND 1=1 AND '%'='",
    "\x00",
    "-1",
    "1e309",
    "NaN",
    "99999999999999999999999999",
    "../../../../etc/passwd",
    "‮ｎａｍｅ",
    "x" * 20_000,
]
# The few that break parsers most often, sent to each parameter on its own; the rest go to all at once.
PER_PARAM = ["' OR '1'='1' --\x00", "9" * 30 + "x" * 20_000]
HUGE_ID = 2**64
INT4_EDGE = 2**31 - 1



def _params_for(client: FlaskClient, route: Route) -> set[str]:
    page = client.get(route.url())
    names = set(KNOWN_PARAMS) if route.is_public else {"q", "page", "next"}
    if page.mimetype == "text/html":
        names |= form_fields(page.get_data(as_text=True))
    return names


def _reachable_get_routes(app: Flask, role: str | None, protected_only: bool = False) -> list[Route]:
    """Public routes for anonymous; for a role, what it may open (only the non-public ones when
    `protected_only`: the public ones are already probed anonymously)."""
    if role is None:
        return [r for r in get_routes(app) if r.is_public]
    return [r for r in get_routes(app) if r.allowed_for(role) and not (protected_only and r.is_public)]


@pytest.fixture()
def sample_city(session: Session) -> None:
    from webapp.listings.demo import load_sample_city

    load_sample_city(session)


def _unsafe_echo(html: str, payload: str) -> bool:
    return payload in html


@pytest.mark.usefixtures("sample_city")
def test_reflected_xss_through_every_parameter_of_public_pages(probe_app: Flask) -> None:
    client = probe_app.test_client()
    problems = []
    for route in _reachable_get_routes(probe_app, None):
        url = route.url()
        names = sorted(_params_for(client, route))
        # each parameter alone with the three breakouts (element, attribute, quote), then the whole
        # corpus in every parameter at once
        attempts = [({name: p}, p) for name in names for p in XSS[:3]] + [({n: p for n in names}, p) for p in XSS]
        for query, payload in attempts:
            r = client.get(url, query_string=query)
            shown = next(iter(query)) if len(query) == 1 else "<all>"
            if r.status_code >= 500:
                problems.append(f"{url}?{shown}=…: {r.status_code}")
            elif r.mimetype == "text/html" and _unsafe_echo(r.get_data(as_text=True), payload):
                problems.append(f"{url}?{shown}={payload!r} echoed raw")
    assert _new(problems) == [], "\n".join(_new(problems)[:60])


@pytest.mark.parametrize("role", [None, "admin", "office_lead", "organizer"])
@pytest.mark.usefixtures("sample_city")
def test_hostile_and_oversized_parameters_never_500(  # each role reaches different pages
    probe_app: Flask, role_clients: dict[str, FlaskClient], role: str | None
) -> None:
    client = probe_app.test_client() if role is None else role_clients[role]
    problems = []
    for route in _reachable_get_routes(probe_app, role, protected_only=True):
        url = route.url()
        names = sorted(_params_for(client, route))
        for payload in PER_PARAM:
            # one parameter at a time: a view that stops at the first bad parameter still sees each
            for name in names:
                r = client.get(url, query_string={name: payload})
                if r.status_code >= 500:
                    problems.append(f"{role} {url}?{name}={payload[:30]!r}: {r.status_code}")
        for payload in HOSTILE + XSS[:1]:
            r = client.get(url, query_string={n: payload for n in names})
            if r.status_code >= 500:
                problems.append(f"{role} {url}?<all>={payload[:30]!r}: {r.status_code}")
        if route.has_args:
            for bad in (route.url(int_value=HUGE_ID), route.url(int_value=INT4_EDGE), route.url(int_value=0), route.url(str_value="%00" + "x" * 3000)):
                r = client.get(bad)
                if r.status_code >= 500:
                    problems.append(f"{role} {bad[:80]}: {r.status_code}")
    assert _new(problems) == [], "\n".join(_new(problems)[:60])


@pytest.mark.usefixtures("sample_city")
def test_stored_xss_in_listing_text_is_escaped(probe_app: Flask, session: Session) -> None:
    from webapp.listings.models.activity import Activity
    from webapp.listings.models.organization import Organization
    from webapp.listings.models.place import Place

    payload = XSS[1]
    activity = session.scalars(
        select(Activity).where(Activity.status == "published", Activity.place_id.is_not(None)).order_by(Activity.id)
    ).first()
    assert activity is not None
    activity.name = f"サロン{payload}"
    activity.description = f"説明 {XSS[0]} {XSS[3]}"
    activity.schedule_text = f"毎週{XSS[2]}"
    activity.contact_name = payload
    activity.url = "javascript:alert(1)"
    if activity.place is not None:
        place: Place = activity.place
        place.name = f"集会所{payload}"
        place.address = f"生駒市{XSS[2]}"
    if activity.organization is not None:
        org: Organization = activity.organization
        org.name = f"自治会{payload}"
    session.flush()
    client = probe_app.test_client()
    problems = []
    for route in _reachable_get_routes(probe_app, None):
        url = route.url(int_value=activity.id)
        r = client.get(url)
        if r.status_code >= 500:
            problems.append(f"{url}: {r.status_code}")
            continue
        if r.mimetype != "text/html":
            continue
        html = r.get_data(as_text=True)
        for p in XSS:
            if p in html:
                problems.append(f"{url}: raw {p!r}")
        if re.search(r'href="\s*javascript:', html, re.I):
            problems.append(f"{url}: javascript: link")
    assert _new(problems) == [], "\n".join(_new(problems)[:60])


OPEN_REDIRECTS = [
    "https://evil.example/",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "https:evil.example",
    "/%09/evil.example",
    "/\t/evil.example",
    " //evil.example",
    "http://127.0.0.1@evil.example",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "/\r\nLocation: https://evil.example",
]


def _is_offsite(location: str) -> bool:
    """Would a browser following this Location leave the site? (It drops tabs and newlines and
    treats a backslash like a slash.)"""
    cleaned = "".join(c for c in location if c not in "\t\r\n").strip().replace("\\", "/")
    parts = urlsplit(cleaned)
    if parts.scheme not in ("", "http", "https"):
        return True
    if parts.netloc and parts.netloc != "localhost":
        return True
    return not parts.netloc and cleaned.startswith("//")


def test_login_next_never_leaves_the_site(probe_app: Flask, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("staff@example.jp", "supporter")
    problems = []
    for target in OPEN_REDIRECTS:
        client = probe_app.test_client()
        page = client.get("/auth/login", query_string={"next": target})
        if page.status_code != 200:
            problems.append(f"GET next={target!r}: {page.status_code}")
        token = csrf_token(client, "/auth/login")
        r = client.post(
            "/auth/login",
            data={"email": "staff@example.jp", "password": "correct horse battery", "csrf_token": token, "next": target},
        )
        location = r.headers.get("Location", "")
        if r.status_code != 302 or _is_offsite(location):
            problems.append(f"next={target!r}: {r.status_code} → {location!r}")
    assert _new(problems) == [], "\n".join(_new(problems)[:60])


@pytest.mark.parametrize("role", [None, "admin"])
def test_no_get_route_redirects_off_site(probe_app: Flask, role_clients: dict[str, FlaskClient], role: str | None) -> None:
    client = probe_app.test_client() if role is None else role_clients[role]
    problems = []
    for route in _reachable_get_routes(probe_app, role):
        for target in OPEN_REDIRECTS[:6]:
            r = client.get(route.url(), query_string={"next": target, "return_to": target, "url": target})
            location = r.headers.get("Location", "")
            if r.status_code in (301, 302, 303, 307, 308) and _is_offsite(location):
                problems.append(f"{route.rule.rule} next={target!r} → {location!r}")
    assert _new(problems) == [], "\n".join(_new(problems)[:60])


def test_staff_login_redirect_keeps_next_on_site(probe_app: Flask, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("staff@example.jp", "supporter")
    client = probe_app.test_client()
    r = client.get("/staff/")
    assert r.status_code == 302
    login(client, "staff@example.jp")
    assert client.get("/staff/").status_code == 200


@pytest.mark.usefixtures("sample_city")
def test_javascript_url_is_not_a_link_on_detail_page(probe_app: Flask, session: Session) -> None:
    from webapp.listings.models.activity import Activity

    activity = session.scalars(select(Activity).where(Activity.status == "published").order_by(Activity.id)).first()
    assert activity is not None
    activity.url = "javascript:alert(1)"
    session.flush()
    html = probe_app.test_client().get(f"/activities/{activity.id}").get_data(as_text=True)
    assert not re.search(r'href="\s*javascript:', html, re.I)
