"""odekake web application: create_app() is a list of small init_* steps, nothing at import time."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from webapp.config import PROJECT_ROOT, Settings, load_settings


def create_app(config: dict[str, Any] | Settings | None = None) -> Flask:
    settings = config if isinstance(config, Settings) else load_settings(config)
    app = Flask(
        __name__,
        instance_path=str(settings.instance_dir),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.extensions["odekake_settings"] = settings
    init_flask_config(app, settings)
    init_compression(app)  # before init_security: its headers hook must run first (hooks run in reverse)
    init_database(app, settings)
    init_i18n(app)
    init_security(app, settings)
    init_auth(app)
    init_blueprints(app)
    init_errors(app)
    init_templates(app)
    init_request_boundary(app)
    init_signals()
    init_feature_links()
    init_changefeed(app, settings)
    init_proxy(app, settings)
    return app


COMPRESSED_TYPES = ["text/html", "application/json", "application/geo+json", "text/css", "text/javascript",
                    "application/javascript", "image/svg+xml", "text/calendar", "text/csv", "text/plain"]


def init_compression(app: Flask) -> None:
    """br/gzip of HTML, JSON and GeoJSON by the app (Flask-Compress), so a node answers compactly
    with or without a proxy in front (nginx leaves an already encoded response alone).

    A response carrying a secret that an attacker could make the page reflect (BREACH) is sent
    uncompressed: any page that rendered a CSRF token, and every ``Cache-Control: no-store`` page
    (the staff pages).
    """
    from flask import Response, g
    from flask_compress import Compress

    app.config.update(
        COMPRESS_REGISTER=False, COMPRESS_ALGORITHM=["br", "gzip"], COMPRESS_MIMETYPES=COMPRESSED_TYPES,
        COMPRESS_MIN_SIZE=1024, COMPRESS_BR_LEVEL=4, COMPRESS_LEVEL=6,
        # Streamed responses (static files, send_file) are left to the edge: compressing their
        # chunks here leaves the file open (ResourceWarning) and nginx serves static/ itself.
        COMPRESS_STREAMS=False,
    )
    compress = Compress(app)

    def _compress(response: Response) -> Response:
        if response.direct_passthrough or response.is_streamed:
            return response
        if "csrf_token" in g or "no-store" in (response.headers.get("Cache-Control") or ""):
            return response
        compressed: Response = compress.after_request(response)
        return compressed

    app.after_request(_compress)


def init_changefeed(app: Flask, settings: Settings) -> None:
    """Follow the change log into this node's index (started by the first request of each worker).

    A missing index is built with its place in the change log (webapp.search.index.build_missing),
    so the tailer goes on from there instead of checking every listing after the build."""
    from webapp.changefeed.tailer import build_app_index

    app.extensions["odekake_index_builder"] = build_app_index
    tail = settings.changefeed_tail
    if tail is None:
        tail = settings.env != "testing"
    if not tail:
        return
    from webapp.changefeed.tailer import ensure_started

    app.before_request(lambda: ensure_started(app))


def init_signals() -> None:
    """Receivers of the feature signals (webapp.signals): search keeps its index in step."""
    from webapp.search.sync import subscribe

    subscribe()


def init_proxy(app: Flask, settings: Settings) -> None:
    """Behind the city's reverse proxy: take the client address (login throttle, rate limits,
    session records), scheme and host from the X-Forwarded-* headers of exactly that many proxies."""
    hops = settings.proxy_fix_hops
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]


def init_flask_config(app: Flask, settings: Settings) -> None:
    secure = settings.session_cookie_secure
    if secure is None:
        secure = settings.env == "production"
    app.config.update(
        SECRET_KEY=settings.secret_key,
        TESTING=settings.env == "testing",
        MAX_CONTENT_LENGTH=settings.max_content_length,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=secure,
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_DEFAULT_LOCALE=settings.default_locale,
        BABEL_TRANSLATION_DIRECTORIES=str(PROJECT_ROOT / "translations"),
        RATELIMIT_STORAGE_URI=settings.resolved_ratelimit_storage_uri,
        RATELIMIT_STORAGE_OPTIONS=ratelimit_storage_options(settings),
        RATELIMIT_HEADERS_ENABLED=True,
        # When the shared store (Redis, the database) is down, count in memory per worker rather than answer 500.
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
        # Any other Host header gets 400: nothing the app builds from the Host may be poisoned.
        TRUSTED_HOSTS=list(settings.allowed_hosts),
        JSON_AS_ASCII=False,
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]


#: storage schemes (limits library) that take a key prefix: this site's keys start with its site_key
_PREFIXED_SCHEMES = ("db", "redis", "rediss", "redis+unix", "redis+cluster", "redis+sentinel")


def ratelimit_storage_options(settings: Settings) -> dict[str, Any]:
    """flask-limiter's storage options: the site's key prefix, where the storage takes one (several
    sites on one Redis must not count together). memcached and MongoDB URIs keep their own keys."""
    scheme = settings.resolved_ratelimit_storage_uri.split("://", 1)[0]
    if scheme in _PREFIXED_SCHEMES:
        return {"key_prefix": settings.ratelimit_key_prefix}
    return {}


def init_database(app: Flask, settings: Settings) -> None:
    import webapp.all_models  # noqa: F401  (every table and relationship known before the first query)
    from webapp.db import make_engine
    from webapp.extensions import db
    from webapp.security.crypto import bind_engine_key

    engine = make_engine(settings)
    # Encrypted case columns find the key through their engine too (services run outside requests).
    bind_engine_key(engine, settings.encryption_key)
    # Case names' blind index follows every write of a name (webapp.cases.name_index).
    from webapp.cases.name_index import keep_in_step

    keep_in_step()
    db.configure(engine)


def init_i18n(app: Flask) -> None:
    from webapp.i18n import init_i18n as _init

    _init(app)


def init_security(app: Flask, settings: Settings) -> None:
    import webapp.security.rate_limits  # noqa: F401  (registers the "db://" storage with flask-limiter)
    from webapp.extensions import csrf, limiter
    from webapp.security.headers import init_headers
    from webapp.security.permissions import enforce_declared_access

    csrf.init_app(app)
    limiter.init_app(app)
    if settings.is_production and not settings.rate_limits_shared:
        # gunicorn runs several workers: each would count on its own, multiplying every limit.
        logging.getLogger(__name__).warning(
            "rate limits are counted per worker (ratelimit_storage_uri is memory://); leave it empty to"
            " count in the database (db://) or in Redis (redis_url), shared by every worker and node"
        )
    init_headers(app)
    app.before_request(enforce_declared_access)


def init_auth(app: Flask) -> None:
    from webapp.accounts.login import init_login

    init_login(app)


def init_blueprints(app: Flask) -> None:
    from webapp.accounts.views import bp as auth_bp
    from webapp.cases.views import bp as cases_bp
    from webapp.consult.views import bp as consult_bp
    from webapp.consult.views import staff_bp as consult_staff_bp
    from webapp.hosts.views import bp as hosts_bp
    from webapp.hosts.views import host_bp as host_requests_bp
    from webapp.imports.views import bp as imports_bp
    from webapp.listings.moderation_views import bp as moderation_bp
    from webapp.listings.organizer_views import bp as organizer_bp
    from webapp.listings.signup_views import bp as signup_bp
    from webapp.public.api import bp as api_bp
    from webapp.public.opendata import bp as opendata_bp
    from webapp.public.views import bp as public_bp
    from webapp.reports.views import bp as reports_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(organizer_bp)
    app.register_blueprint(signup_bp)
    app.register_blueprint(cases_bp)
    app.register_blueprint(moderation_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(imports_bp)
    app.register_blueprint(opendata_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(hosts_bp)
    app.register_blueprint(host_requests_bp)
    app.register_blueprint(consult_bp)
    app.register_blueprint(consult_staff_bp)


def init_feature_links() -> None:
    """Features that build on another plug themselves into it here (cases never imports hosts)."""
    from webapp.cases.host_link import plug
    from webapp.hosts.requests import RegisterDirectory

    plug(RegisterDirectory())


def init_errors(app: Flask) -> None:
    from webapp.errors import register_error_handlers

    register_error_handlers(app)


def init_templates(app: Flask) -> None:
    from webapp.templating import register_template_helpers

    register_template_helpers(app)


def init_request_boundary(app: Flask) -> None:
    from webapp.boundary import register_boundary

    register_boundary(app)


__all__ = ["create_app"]
