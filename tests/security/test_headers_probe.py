"""Response headers on every response type, cookie flags, 413, and files that must never be served."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from flask.testing import FlaskClient

from tests.helpers import csrf_token, login
from tests.security.routes import get_routes
from webapp.security.headers import GEOLOCATION_ENDPOINTS

REQUIRED = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def _check(r, where: str) -> list[str]:  # type: ignore[no-untyped-def]
    problems = []
    csp = r.headers.get("Content-Security-Policy", "")
    if "frame-ancestors 'none'" not in csp or "default-src 'self'" not in csp:
        problems.append(f"{where}: CSP {csp!r}")
    if "unsafe-inline" in csp or "unsafe-eval" in csp:
        problems.append(f"{where}: CSP allows unsafe-*")
    for name, value in REQUIRED.items():
        if r.headers.get(name) != value:
            problems.append(f"{where}: {name}={r.headers.get(name)!r}")
    if "geolocation=" not in r.headers.get("Permissions-Policy", ""):
        problems.append(f"{where}: no Permissions-Policy")
    for leak in ("Server", "X-Powered-By"):
        if leak in r.headers:
            problems.append(f"{where}: {leak} header {r.headers[leak]!r}")
    return problems


def test_headers_on_every_response_type(probe_app: Flask) -> None:
    client = probe_app.test_client()
    samples = {
        "html page": client.get("/"),
        "login page": client.get("/auth/login"),
        "static css": client.get("/static/css/site.css"),
        "404 html": client.get("/no-such-page"),
        "404 json": client.get("/api/v1/no-such"),
        "405": client.delete("/"),
        "400 csrf": client.post("/auth/login", data={}),
        "413": client.post("/auth/login", data={"x": "a" * (probe_app.config["MAX_CONTENT_LENGTH"] + 10)}),
        "redirect": client.get("/staff/"),
    }
    for route in get_routes(probe_app):
        if route.is_public and not route.has_args:
            samples[f"GET {route.rule.rule}"] = client.get(route.url())
    for r in samples.values():
        r.get_data()
        r.close()
    assert samples["static css"].status_code == 200
    assert samples["413"].status_code == 413
    assert any(r.mimetype == "application/json" for r in samples.values())
    problems = []
    for where, r in samples.items():
        problems += _check(r, where)
    assert problems == []


def test_500_page_is_generic_and_has_headers(tmp_path: Path) -> None:
    from webapp import create_app
    from webapp.security.permissions import public

    fresh = create_app({"instance_dir": tmp_path, "env": "testing"})

    @public
    def boom() -> str:
        raise RuntimeError("secret detail /work/main/webapp password_hash")

    fresh.add_url_rule("/__boom", "boom", boom)
    fresh.add_url_rule("/api/__boom", "api_boom", boom)
    fresh.logger.disabled = True
    from webapp.extensions import db

    try:
        for url in ("/__boom", "/api/__boom"):
            r = fresh.test_client().get(url, headers={"Accept-Language": "ja"})
            assert r.status_code == 500
            body = r.get_data(as_text=True)
            assert "secret detail" not in body and "Traceback" not in body and "password_hash" not in body
            assert _check(r, url) == []
    finally:
        assert db.engine is not None
        db.engine.dispose()


def test_413_page_is_translated(probe_app: Flask) -> None:
    client = probe_app.test_client()
    big = "a" * (probe_app.config["MAX_CONTENT_LENGTH"] + 1)
    r = client.post("/auth/login?lang=en", data={"x": big})
    assert r.status_code == 413
    assert "too large" in r.get_data(as_text=True).lower()


def test_geolocation_only_on_the_search_page(probe_app: Flask) -> None:
    client = probe_app.test_client()
    problems = []
    for route in get_routes(probe_app):
        if not route.is_public or route.has_args:
            continue
        policy = client.get(route.url()).headers.get("Permissions-Policy", "")
        wanted = "geolocation=(self)" if route.endpoint in GEOLOCATION_ENDPOINTS else "geolocation=()"
        if wanted not in policy:
            problems.append(f"{route.rule.rule}: {policy}")
    assert problems == []


def test_signed_in_pages_are_not_cached(probe_app: Flask, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("staff@example.jp", "supporter")
    client = probe_app.test_client()
    assert client.get("/").headers.get("Cache-Control", "") != "no-store"
    login(client, "staff@example.jp")
    for url in ("/", "/staff/", "/auth/security"):
        assert "no-store" in client.get(url).headers.get("Cache-Control", ""), url
    static = client.get("/static/css/site.css")
    static.close()
    assert "no-store" not in static.headers.get("Cache-Control", "")


FORBIDDEN = [
    "/.git/config",
    "/.git/HEAD",
    "/.env",
    "/instance/odekake.sqlite3",
    "/instance/secret_key",
    "/instance/config.toml",
    "/instance/index/",
    "/instance/uploads/",
    "/odekake.sqlite3",
    "/secret_key",
    "/static/../instance/secret_key",
    "/static/..%2finstance%2fsecret_key",
    "/static/%2e%2e/instance/secret_key",
    "/static/%2e%2e/%2e%2e/etc/passwd",
    "/static/../.git/config",
    "/static/..%5c..%5cinstance%5csecret_key",
    "/static//work/main/instance/secret_key",
    "/uploads/photos/",
    "/pyproject.toml",
    "/webapp/config.py",
    "/migrations/env.py",
    "/data/common-passwords.txt",
]


def test_private_files_are_never_served(probe_app: Flask) -> None:
    settings = probe_app.extensions["odekake_settings"]
    secret = settings.secret_key
    client = probe_app.test_client()
    problems = []
    for url in FORBIDDEN:
        r = client.get(url, follow_redirects=True)
        body = r.get_data()
        if r.status_code not in (400, 403, 404) or secret.encode() in body or b"SQLite format" in body or b"[core]" in body:
            problems.append(f"{url}: {r.status_code}")
    assert problems == []


def test_photo_originals_are_not_served(probe_app: Flask) -> None:
    """Only renditions (metadata stripped) are served; the uploaded original never is."""
    client = probe_app.test_client()
    for size in ("original", "orig", "..", "raw", "source"):
        for ext in ("webp", "jpg"):
            r = client.get(f"/organizer/photos/anything/{size}.{ext}")
            assert r.status_code in (400, 403, 404), (size, ext, r.status_code)


def test_session_cookie_flags(probe_app: Flask, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("staff@example.jp", "supporter")
    client = probe_app.test_client()
    login(client, "staff@example.jp")
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
    assert probe_app.config["SESSION_COOKIE_HTTPONLY"] and probe_app.config["REMEMBER_COOKIE_HTTPONLY"]


def test_production_cookies_are_secure_and_hsts_is_on(tmp_path: Path) -> None:
    from webapp import create_app
    from webapp.commands.migrate import upgrade_to_head
    from webapp.extensions import db

    prod = create_app(
        {
            "instance_dir": tmp_path,
            "env": "production",
            "secret_key": "s" * 48,
            "encryption_key": Fernet.generate_key().decode(),
            "database_url": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
            "base_url": "https://localhost",
        }
    )
    try:
        with prod.app_context():
            upgrade_to_head()
        client: FlaskClient = prod.test_client()
        r = client.get("/auth/login", base_url="https://localhost")
        assert r.headers["Strict-Transport-Security"].startswith("max-age=63072000")
        assert "upgrade-insecure-requests" in r.headers["Content-Security-Policy"]
        token = csrf_token(client, "/auth/login")
        r = client.post("/auth/login", data={"email": "x@example.jp", "password": "y" * 12, "csrf_token": token},
                        base_url="https://localhost")
        cookie = client.get_cookie("session", domain="localhost")
        assert cookie is not None and cookie.secure and cookie.http_only
    finally:
        assert db.engine is not None
        db.engine.dispose()


@pytest.mark.parametrize(("value", "on"), [("false", False), ("true", True), ("off", False), ("1", True)])
def test_hsts_is_a_typed_setting_from_env(tmp_path: Path, value: str, on: bool) -> None:
    from webapp.config import load_settings
    from webapp.security.headers import hsts_enabled

    env = {"ODEKAKE_HSTS": value}
    assert load_settings({"instance_dir": tmp_path, "env": "testing"}, env).hsts is on
    assert hsts_enabled(load_settings({"instance_dir": tmp_path, "env": "testing"}, env)) is on
    assert hsts_enabled(load_settings({"instance_dir": tmp_path, "env": "testing"}, {})) is False  # unset: off


def test_hsts_settings_layering_and_header(tmp_path: Path) -> None:
    from webapp.config import Settings, load_settings
    from webapp.security.headers import hsts_enabled, hsts_value

    assert hsts_enabled(Settings(env="production")) is True  # unset: on in production
    assert hsts_value(Settings()) == "max-age=63072000; includeSubDomains"
    (tmp_path / "config.toml").write_text("hsts = true\nhsts_max_age = 300\nhsts_include_subdomains = false\n")
    from_file = load_settings({"instance_dir": tmp_path, "env": "testing"}, {})
    assert (from_file.hsts, from_file.hsts_max_age, from_file.hsts_include_subdomains) == (True, 300, False)
    assert hsts_value(from_file) == "max-age=300"
    over = load_settings({"instance_dir": tmp_path, "env": "testing"}, {"ODEKAKE_HSTS_MAX_AGE": "600"})
    assert over.hsts_max_age == 600  # env over file


def test_header_settings_left_in_extra_or_bad_are_one_clear_error(tmp_path: Path) -> None:
    from webapp.config import ConfigError, load_settings

    (tmp_path / "config.toml").write_text("[extra]\nhsts = false\n")
    with pytest.raises(ConfigError, match="'hsts' is a setting of its own"):
        load_settings({"instance_dir": tmp_path, "env": "testing"}, {})
    (tmp_path / "config.toml").write_text("")
    with pytest.raises(ConfigError, match="proxy_fix_hops"):
        load_settings({"instance_dir": tmp_path, "env": "testing"}, {"ODEKAKE_PROXY_FIX_HOPS": "-1"})
    with pytest.raises(ConfigError, match="invalid value"):
        load_settings({"instance_dir": tmp_path, "env": "testing"}, {"ODEKAKE_PROXY_FIX_HOPS": "one"})


def test_nul_bytes_and_out_of_range_ids_are_refused_early(probe_app: Flask) -> None:
    client = probe_app.test_client()
    assert client.get("/", query_string={"q": "a\x00b"}).status_code == 400
    assert client.get("/", query_string={"a\x00": "1"}).status_code == 400
    token = csrf_token(client, "/auth/login")
    r = client.post("/auth/login", data={"email": "a\x00@example.jp", "password": "x" * 12, "csrf_token": token})
    assert r.status_code == 400
    for big in (2**31 - 1, 2**31, 2**63, 2**64):
        assert client.get(f"/activities/{big}").status_code == 404, big
