"""App factory, settings, headers, errors, locale, deny-by-default and login."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.helpers import csrf_token, login
from webapp.config import ConfigError, load_settings
from webapp.security.permissions import PUBLIC, access_of


def test_production_requires_secret_and_database(tmp_path) -> None:
    with pytest.raises(ConfigError, match="ODEKAKE_SECRET_KEY is required"):
        load_settings(environ={"ODEKAKE_ENV": "production", "ODEKAKE_INSTANCE_DIR": str(tmp_path)})
    with pytest.raises(ConfigError, match="ODEKAKE_DATABASE_URL is required"):
        load_settings(
            environ={"ODEKAKE_ENV": "production", "ODEKAKE_SECRET_KEY": "x" * 40, "ODEKAKE_INSTANCE_DIR": str(tmp_path)}
        )


def test_settings_layering_env_over_file(tmp_path) -> None:
    (tmp_path / "config.toml").write_text('stale_after_days = 90\ntile_url = "https://tiles.example/{z}/{x}/{y}.png"\n')
    s = load_settings(environ={"ODEKAKE_INSTANCE_DIR": str(tmp_path), "ODEKAKE_STALE_AFTER_DAYS": "30"})
    assert s.stale_after_days == 30
    assert s.tile_url.startswith("https://tiles.example")
    # development generates a secret once and keeps it
    assert s.secret_key and (tmp_path / "secret_key").read_text() == s.secret_key
    assert load_settings(environ={"ODEKAKE_INSTANCE_DIR": str(tmp_path)}).secret_key == s.secret_key


def test_bad_config_is_one_clear_error(tmp_path) -> None:
    (tmp_path / "config.toml").write_text("nonsense = 1\n")
    with pytest.raises(ConfigError, match="unknown setting 'nonsense'"):
        load_settings(environ={"ODEKAKE_INSTANCE_DIR": str(tmp_path)})
    with pytest.raises(ConfigError, match="invalid value"):
        load_settings(environ={"ODEKAKE_INSTANCE_DIR": str(tmp_path / "x"), "ODEKAKE_STALE_AFTER_DAYS": "soon"})
    with pytest.raises(ConfigError, match="ODEKAKE_ENV must be"):
        load_settings(environ={"ODEKAKE_INSTANCE_DIR": str(tmp_path / "y"), "ODEKAKE_ENV": "prod"})


def test_postgres_url_gets_psycopg_driver(tmp_path) -> None:
    s = load_settings(environ={"ODEKAKE_INSTANCE_DIR": str(tmp_path), "ODEKAKE_DATABASE_URL": "postgres://u@h/db"})
    assert s.sqlalchemy_url == "postgresql+psycopg://u@h/db"


def test_every_route_declares_access(app: Flask) -> None:
    """Deny by default: a new route without @public or @require fails here."""
    undeclared = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        if access_of(app.view_functions[rule.endpoint]) is None:
            undeclared.append(f"{rule.rule} -> {rule.endpoint}")
    assert undeclared == []


def test_undeclared_route_is_denied_at_runtime(tmp_path) -> None:
    from webapp import create_app

    fresh = create_app({"instance_dir": tmp_path, "env": "testing"})
    # the deny-by-default check runs before any database access, so no schema is needed
    fresh.add_url_rule("/__sneaky", "sneaky", lambda: "secret")
    assert fresh.test_client().get("/__sneaky").status_code == 403


def test_public_routes_are_listed(app: Flask) -> None:
    public_endpoints = {ep for ep, view in app.view_functions.items() if access_of(view) == PUBLIC}
    assert {"public.index", "auth.login"} <= public_endpoints
    assert "cases.home" not in public_endpoints


def test_security_headers(client: FlaskClient) -> None:
    r = client.get("/")
    assert r.status_code == 200
    csp = r.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Server" not in r.headers


def test_staff_pages_no_store_and_login_redirect(client: FlaskClient) -> None:
    r = client.get("/staff/")
    assert r.status_code == 302 and "/auth/login" in r.headers["Location"]
    assert r.headers["Cache-Control"] == "no-store"
    assert "noindex" in r.headers["X-Robots-Tag"]


@pytest.mark.parametrize(
    ("lang", "text"), [("ja", "ページが見つかりません"), ("en", "Page not found")]
)
def test_404_translated(client: FlaskClient, lang: str, text: str) -> None:
    r = client.get(f"/no-such-page?lang={lang}")
    assert r.status_code == 404
    assert text in r.get_data(as_text=True)


def test_locale_cookie_then_accept_language(client: FlaskClient) -> None:
    client.get("/?lang=en")
    assert "Page not found" in client.get("/nothing").get_data(as_text=True)
    fresh = client.application.test_client()
    r = fresh.get("/nothing", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "Page not found" in r.get_data(as_text=True)
    r = fresh.get("/nothing", headers={"Accept-Language": "fr"})
    assert "ページが見つかりません" in r.get_data(as_text=True)


def test_login_requires_csrf(client: FlaskClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("staff@example.jp", "supporter", office="生駒市社協")
    r = client.post("/auth/login", data={"email": "staff@example.jp", "password": "correct horse battery"})
    assert r.status_code == 400


def test_login_logout_roundtrip(client: FlaskClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("staff@example.jp", "supporter", office="生駒市社協")
    login(client, "staff@example.jp")
    assert client.get("/staff/").status_code == 200
    token = csrf_token(client, "/staff/")
    assert client.post("/auth/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/staff/").status_code == 302


def test_wrong_password_and_unknown_user_look_the_same(client: FlaskClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("staff@example.jp", "supporter")
    bodies = []
    for email, pw in [("staff@example.jp", "wrong password!"), ("nobody@example.jp", "wrong password!")]:
        token = csrf_token(client, "/auth/login")
        r = client.post("/auth/login", data={"email": email, "password": pw, "csrf_token": token})
        assert r.status_code == 200
        body = r.get_data(as_text=True)
        # The re-rendered form signs a fresh CSRF token with the current second: not a difference.
        body, signed = re.subn(r'(name="csrf_token"[^>]*value=")[^"]+"', r'\1TOKEN"', body)
        assert signed == 1
        bodies.append(body.replace(email, "EMAIL"))
    assert "パスワードが違います" in bodies[0]
    assert bodies[0] == bodies[1]


def test_organizer_cannot_open_staff(client: FlaskClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("org@example.jp", "organizer")
    login(client, "org@example.jp")
    assert client.get("/staff/").status_code == 403


def test_open_redirect_blocked(client: FlaskClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("staff@example.jp", "supporter")
    for target in ["https://evil.example/", "//evil.example", "/\\evil.example"]:
        token = csrf_token(client, "/auth/login")
        r = client.post(
            "/auth/login",
            data={"email": "staff@example.jp", "password": "correct horse battery", "csrf_token": token, "next": target},
        )
        assert r.status_code == 302
        assert "evil" not in r.headers["Location"]
        client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/")})


def test_session_cookie_flags(client: FlaskClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("staff@example.jp", "supporter")
    login(client, "staff@example.jp")
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
