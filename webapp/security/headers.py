"""Security headers on every response; staff pages get no-store and noindex on top."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request

STAFF_PREFIXES = ("/staff", "/admin")


def _tile_origin(tile_url: str) -> str:
    parts = urlsplit(tile_url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def content_security_policy(tile_url: str) -> str:
    tiles = _tile_origin(tile_url)
    img = " ".join(filter(None, ["'self'", "data:", "blob:", tiles]))
    return "; ".join(
        [
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
    )


def set_security_headers(response: Response) -> Response:
    settings = current_app.extensions["odekake_settings"]
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy(settings.tile_url))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    geolocation = "(self)" if request.path == "/" else "()"
    headers.setdefault("Permissions-Policy", f"geolocation={geolocation}, camera=(), microphone=(), payment=()")
    if settings.is_production:
        headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
    if request.path.startswith(STAFF_PREFIXES):
        headers["Cache-Control"] = "no-store"
        headers["X-Robots-Tag"] = "noindex, nofollow"
    headers.pop("Server", None)
    return response


def init_headers(app: Flask) -> None:
    app.after_request(set_security_headers)
