"""Security headers on every response (pages, JSON, static files, errors).

Staff, admin and account pages also get `Cache-Control: no-store` and noindex; so does any page
rendered for a signed-in user, so that a shared proxy or the browser's back button never shows one
person's page (with its CSRF token) to the next. The Server header is dropped here and at the WSGI
server (werkzeug's dev server and gunicorn both add their own).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, abort, request, session
from werkzeug.routing import IntegerConverter

from webapp.config import Settings
from webapp.config import settings as current_settings

STAFF_PREFIXES = ("/staff", "/admin")
NO_STORE_PREFIXES = (*STAFF_PREFIXES, "/auth", "/organizer")
NOINDEX_PREFIXES = (*STAFF_PREFIXES, "/auth", "/organizer")
# Only the resident search page may ask for the browser's location ("near me").
GEOLOCATION_ENDPOINTS = frozenset({"public.index", "public.search"})


def _tile_origin(tile_url: str) -> str:
    parts = urlsplit(tile_url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def content_security_policy(tile_url: str, upgrade: bool = False) -> str:
    tiles = _tile_origin(tile_url)
    img = " ".join(filter(None, ["'self'", "data:", "blob:", tiles]))
    directives = [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        f"img-src {img}",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
    if upgrade:
        directives.append("upgrade-insecure-requests")
    return "; ".join(directives)


def hsts_enabled(settings: Settings) -> bool:
    """The `hsts` setting; unset → on in production only."""
    return settings.is_production if settings.hsts is None else settings.hsts


def hsts_value(settings: Settings) -> str:
    return f"max-age={settings.hsts_max_age}" + ("; includeSubDomains" if settings.hsts_include_subdomains else "")


def set_security_headers(response: Response) -> Response:
    settings: Settings = current_settings()
    headers = response.headers
    hsts = hsts_enabled(settings)
    headers.setdefault("Content-Security-Policy", content_security_policy(settings.tile_url, upgrade=hsts))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    geolocation = "(self)" if request.endpoint in GEOLOCATION_ENDPOINTS else "()"
    headers.setdefault(
        "Permissions-Policy",
        f"geolocation={geolocation}, camera=(), microphone=(), payment=(), usb=(), interest-cohort=()",
    )
    if hsts:
        headers.setdefault("Strict-Transport-Security", hsts_value(settings))
    path = request.path
    if path.startswith(NO_STORE_PREFIXES):
        headers["Cache-Control"] = "no-store"
    elif request.endpoint != "static" and session.get("_user_id"):
        headers["Cache-Control"] = "private, no-store"
    if path.startswith(NOINDEX_PREFIXES):
        headers["X-Robots-Tag"] = "noindex, nofollow"
    headers.pop("Server", None)
    headers.pop("X-Powered-By", None)
    return response


def hide_server_software() -> None:
    """Stop werkzeug's dev server and gunicorn from announcing themselves (and their versions)."""
    from werkzeug.serving import WSGIRequestHandler

    def send_response(self: Any, code: int, message: str | None = None) -> None:
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())

    WSGIRequestHandler.send_response = send_response  # type: ignore[method-assign]
    try:
        from gunicorn.http import wsgi as gunicorn_wsgi
    except ImportError:  # gunicorn is a production dependency, but the app must not need it
        return
    original = gunicorn_wsgi.Response.default_headers
    if getattr(original, "_odekake", False):
        return

    def default_headers(self: Any) -> list[str]:
        return [h for h in original(self) if not h.lower().startswith("server:")]

    default_headers._odekake = True  # type: ignore[attr-defined]
    gunicorn_wsgi.Response.default_headers = default_headers


class BoundedIntConverter(IntegerConverter):
    """`<int:…>` limited to what an id column holds: a bigger id is a 404, not a 500.

    Primary keys are SQLAlchemy `Integer`, i.e. PostgreSQL `integer` (int4): anything above
    2**31 - 1 raises NumericValueOutOfRange there (SQLite: OverflowError above 2**63 - 1).
    A route that really takes bigger numbers can say `<int(max=…):name>`.
    """

    def __init__(self, map: Any, fixed_digits: int = 0, min: int | None = None, max: int | None = None,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=(2**31 - 1) if max is None else max,
                         signed=signed)


def reject_nul_bytes() -> None:
    """before_request: a NUL in a parameter is never legitimate text, and PostgreSQL refuses it in
    a string (an error, i.e. a 500, deep in whatever view passed it on). Refuse it up front: 400."""
    if "\x00" in request.path:
        abort(400)
    sources = [request.args]
    if request.method in ("POST", "PUT", "PATCH", "DELETE") and request.mimetype in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        sources.append(request.form)
    for multi in sources:
        for key, values in multi.lists():
            if "\x00" in key or any("\x00" in v for v in values):
                abort(400)


def init_headers(app: Flask) -> None:
    """Headers on every response. Also request hygiene that no view should have to repeat:
    `<int:…>` URL parts bounded to 64-bit (must run before blueprints), NUL bytes refused."""
    hide_server_software()
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(reject_nul_bytes)
    app.after_request(set_security_headers)
