"""Typed settings: defaults → instance/config.toml → ODEKAKE_* environment; fail fast."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """A setting is missing or wrong; the message is one line meant for the operator."""


@dataclass(frozen=True)
class Settings:
    env: str = "development"  # development | production | testing
    instance_dir: Path = PROJECT_ROOT / "instance"
    database_url: str = ""  # empty → SQLite+SpatiaLite file in instance_dir
    secret_key: str = ""
    index_dir: Path | None = None
    upload_dir: Path | None = None
    spatialite_path: str = "mod_spatialite"
    sqlite_busy_timeout_ms: int = 10_000
    tile_url: str = "https://cyberjapandata.gsi.go.jp/xyz/pale/{z}/{x}/{y}.png"
    tile_attribution: str = (
        '<a href="https://maps.gsi.go.jp/development/ichiran.html">地理院タイル</a>'
    )
    max_content_length: int = 10 * 1024 * 1024
    # Where flask-limiter counts. Empty → redis_url when that is set; else in production "db://"
    # (a table in the database: webapp.security.rate_limits), so every worker of every node counts
    # against one limit; else (development, tests) "memory://", each process its own count. Any
    # storage URI of the limits library may be given, or "db://" / "memory://" explicitly.
    ratelimit_storage_uri: str = ""
    # Redis (e.g. redis://127.0.0.1:6379/0): jobs go to an RQ queue run by `odekake worker`, and
    # rate limits are counted there. Empty → jobs run inline after the request's commit (embedded).
    redis_url: str = ""
    # This site's name in services several sites may share (one Redis): the prefix of its rate-limit
    # keys and the default name of its job queue. Letters, digits, "-" and "_". Empty → made from
    # base_url's host (and port and path) and the database's name, e.g. "odekake-example-jp_odekake".
    site_key: str = ""
    # RQ queue name (also the start of the ids of jobs a page follows). Empty → site_key.
    job_queue: str = ""
    # Admin-page imports with more rows than this run as a job (with a progress page) when Redis is set.
    import_inline_rows: int = 2000
    session_cookie_secure: bool | None = None  # None → secure outside development/testing
    staff_idle_minutes: int = 30
    staff_absolute_hours: int = 12
    stale_after_days: int = 183
    default_locale: str = "ja"
    locales: tuple[str, ...] = ("ja", "en")
    encryption_key: str = ""  # Fernet key for encrypted case fields (staff side)
    smtp_host: str = ""  # empty → mail is only written to the outbox table (development, tests)
    smtp_port: int = 587
    mail_from: str = "odekake@localhost"
    reconfirm_months: int = 6
    reconfirm_grace_days: int = 30
    # 打診 (a placement proposed to a host) unanswered after this many days: flagged 「回答待ち N日」 on the
    # board and the staff home, and the host reminded once by mail (`odekake remind-hosts`). Was
    # [extra] proposal_overdue_days before it became a setting of its own.
    proposal_overdue_days: int = 14
    max_photo_bytes: int = 8 * 1024 * 1024
    max_photo_pixels: int = 40_000_000
    coverage_walk_m: int = 800  # reports: "within walking distance" of a category (straight line)
    kpi_placement_target_pct: int = 50  # reports: 参加支援につなげた割合 target (門真市 plan: 50 %)
    # reports: targets by indicator code over webapp.reports.indicators.DEFAULT_TARGETS, e.g. in
    # config.toml  [kpi_targets] meetings_held = 30  plan_participation_rate = 50  (rates in %).
    kpi_targets: dict[str, Any] = field(default_factory=dict)
    # Strict-Transport-Security: None → on in production only. Turn it off only when the site is not
    # served over TLS at all: browsers remember it for hsts_max_age seconds.
    hsts: bool | None = None
    hsts_max_age: int = 63_072_000  # 2 years
    hsts_include_subdomains: bool = True
    # Reverse proxies in front of the app that set X-Forwarded-For/-Proto/-Host (the city's proxy: 1).
    # 0 trusts no such header: behind a proxy every client would then share the proxy's address in
    # the login throttle and the rate limits. Never set it higher than the real number of proxies:
    # a client could then forge its address.
    proxy_fix_hops: int = 0
    # The city the site serves: a town typed alone (「東生駒」) is looked up in it (geocoder).
    city_name: str = "生駒市"
    # The site's public address (scheme, host, optional path): every link in a mail is built on it,
    # never on the request's Host header, which a client chooses. Required in production.
    base_url: str = ""
    # Host names accepted besides base_url's (e.g. an internal name the health check uses); any
    # other Host header is refused with 400. A leading dot allows subdomains.
    trusted_hosts: tuple[str, ...] = ()
    # Outgoing mail: "starttls" (required, refuses to send in clear), "ssl" (SMTPS) or "none".
    smtp_tls: str = "starttls"
    # Change feed (webapp.changefeed): follow the change log into this node's index. None → on
    # outside tests. Poll interval: the fallback on PostgreSQL (LISTEN wakes at once), the pace on SQLite.
    changefeed_tail: bool | None = None
    changefeed_poll_ms: int = 1000
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def allowed_hosts(self) -> tuple[str, ...]:
        """Host names the app answers to (Flask's TRUSTED_HOSTS): base_url's, trusted_hosts, and
        outside production the loopback names (the test client asks for "localhost")."""
        hosts = [urlsplit(self.base_url).hostname or "", *self.trusted_hosts]
        if not self.is_production:
            hosts += ["localhost", "127.0.0.1"]
        return tuple(dict.fromkeys(h.lower() for h in hosts if h))

    @property
    def resolved_ratelimit_storage_uri(self) -> str:
        if self.ratelimit_storage_uri:
            return self.ratelimit_storage_uri
        if self.redis_url:
            return self.redis_url
        # Production runs several gunicorn workers (and maybe nodes): counts must be shared. The
        # embedded default (one development server) and the tests count in memory: fast, and a
        # test's count never outlives its app.
        return "db://" if self.is_production else "memory://"

    @property
    def rate_limits_shared(self) -> bool:
        return not self.resolved_ratelimit_storage_uri.startswith("memory://")

    @property
    def ratelimit_key_prefix(self) -> str:
        """Every rate-limit key of this site starts with this (two sites on one Redis never share a count)."""
        return f"{self.site_key}:limits"

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return _normalise_db_url(self.database_url)
        return f"sqlite:///{self.instance_dir / 'odekake.sqlite3'}"

    @property
    def resolved_index_dir(self) -> Path:
        return self.index_dir or self.instance_dir / "index"

    @property
    def resolved_upload_dir(self) -> Path:
        return self.upload_dir or self.instance_dir / "uploads"


SMTP_TLS_MODES = ("starttls", "ssl", "none")


def _checked_base_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(f"base_url must look like https://odekake.example.jp, not {url!r}")
    return url.strip().rstrip("/")


def _normalise_db_url(url: str) -> str:
    # People paste libpq-style URLs; SQLAlchemy needs the driver named to pick psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


_BOOL_TRUE = {"1", "true", "yes", "on"}
_BOOL_FALSE = {"0", "false", "no", "off"}


def _coerce(name: str, raw: Any, target: Any) -> Any:
    """Coerce a value from TOML or the environment into the dataclass field's type."""
    type_text = str(target)
    try:
        if "bool" in type_text:
            if isinstance(raw, bool) or raw is None:
                return raw
            text = str(raw).strip().lower()
            if text in _BOOL_TRUE:
                return True
            if text in _BOOL_FALSE:
                return False
            raise ValueError(text)
        if type_text == "int":
            return int(raw)
        if "Path" in type_text:
            return Path(raw) if raw not in (None, "") else None
        if "tuple" in type_text:
            if isinstance(raw, str):
                return tuple(p.strip() for p in raw.split(",") if p.strip())
            return tuple(raw)
        if "dict" in type_text:
            return dict(raw)
        return str(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"setting {name!r} has an invalid value: {raw!r}") from None


def load_settings(overrides: dict[str, Any] | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Build Settings from defaults, then instance/config.toml, then ODEKAKE_* env, then overrides."""
    environ = dict(os.environ) if environ is None else environ
    known = {f.name: f for f in fields(Settings)}
    values: dict[str, Any] = {}

    instance_dir = Path(
        (overrides or {}).get("instance_dir") or environ.get("ODEKAKE_INSTANCE_DIR") or Settings.instance_dir
    )
    config_file = instance_dir / "config.toml"
    if config_file.exists():
        try:
            data = tomllib.loads(config_file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{config_file}: not valid TOML ({exc})") from None
        for key, raw in data.items():
            if key not in known:
                raise ConfigError(f"{config_file}: unknown setting {key!r}")
            values[key] = _coerce(key, raw, known[key].type)

    for key, f in known.items():
        env_key = "ODEKAKE_" + key.upper()
        if env_key in environ:
            values[key] = _coerce(key, environ[env_key], f.type)

    for key, raw in (overrides or {}).items():
        if key not in known:
            raise ConfigError(f"unknown setting {key!r}")
        values[key] = raw if not isinstance(raw, str) else _coerce(key, raw, known[key].type)

    values["instance_dir"] = instance_dir
    settings = replace(Settings(), **values)
    return _finish(settings)


def _finish(settings: Settings) -> Settings:
    if settings.env not in ("development", "production", "testing"):
        raise ConfigError(f"ODEKAKE_ENV must be development, production or testing, not {settings.env!r}")
    moved = sorted(k for k in settings.extra if k in {f.name for f in fields(Settings)})
    if moved:
        # Once read from [extra]; ignoring it there now would silently drop e.g. an HSTS choice.
        raise ConfigError(f"[extra] {moved[0]!r} is a setting of its own now: write it at the top of config.toml")
    if settings.proposal_overdue_days < 1:
        raise ConfigError("proposal_overdue_days must be 1 or more")
    if settings.proxy_fix_hops < 0 or settings.hsts_max_age < 0:
        raise ConfigError("proxy_fix_hops and hsts_max_age must be 0 or more")
    if settings.smtp_tls not in SMTP_TLS_MODES:
        raise ConfigError(f"smtp_tls must be one of {', '.join(SMTP_TLS_MODES)}, not {settings.smtp_tls!r}")
    if settings.redis_url and urlsplit(settings.redis_url).scheme not in ("redis", "rediss", "unix"):
        raise ConfigError(f"redis_url must look like redis://127.0.0.1:6379/0, not {settings.redis_url!r}")
    if settings.base_url:
        settings = replace(settings, base_url=_checked_base_url(settings.base_url))
    elif not settings.is_production:
        # Links in development mails open the dev server; in tests, the test client's default host.
        default = "http://localhost" if settings.env == "testing" else "http://127.0.0.1:5000"
        settings = replace(settings, base_url=default)
    settings = _with_site_key(settings)
    if settings.is_production:
        if not settings.secret_key:
            raise ConfigError("ODEKAKE_SECRET_KEY is required when ODEKAKE_ENV=production")
        if not settings.database_url:
            raise ConfigError("ODEKAKE_DATABASE_URL is required when ODEKAKE_ENV=production")
        if len(settings.secret_key) < 32:
            raise ConfigError("ODEKAKE_SECRET_KEY must be at least 32 characters")
        if not settings.encryption_key:
            raise ConfigError("ODEKAKE_ENCRYPTION_KEY (a Fernet key) is required when ODEKAKE_ENV=production")
        if not settings.base_url:
            raise ConfigError(
                "ODEKAKE_BASE_URL (the site's public address, e.g. https://odekake.example.jp) is required"
                " when ODEKAKE_ENV=production"
            )
        return settings
    if not settings.secret_key:
        settings = replace(settings, secret_key=_dev_secret(settings.instance_dir))
    if not settings.encryption_key:
        settings = replace(settings, encryption_key=_dev_encryption_key(settings.instance_dir))
    return settings


_SITE_KEY = re.compile(r"[A-Za-z0-9_-]{1,80}")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def derived_site_key(settings: Settings) -> str:
    """The default site_key: base_url's host (port, path) and the database's name.

    The same on every node and the worker (they share one configuration); different for two sites
    (their public addresses differ) and for two databases behind one address (staging, a second
    development checkout). A SQLite file is named by its stem and a hash of its full path.
    """
    from sqlalchemy.engine import make_url

    parts = urlsplit(settings.base_url)
    site = _slug(f"{parts.hostname or ''} {parts.port or ''} {parts.path}") or "odekake"
    url = make_url(settings.sqlalchemy_url)
    database = url.database or ""
    if url.get_backend_name() == "sqlite":
        full = str(Path(database).resolve()) if database and database != ":memory:" else database
        database = f"{Path(database).stem}-{hashlib.sha256(full.encode('utf-8')).hexdigest()[:8]}"
    key = f"{site}_{_slug(database) or 'db'}"
    if len(key) > 64:
        key = f"{key[:55]}-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:8]}"
    return key


def _with_site_key(settings: Settings) -> Settings:
    site_key = settings.site_key.strip() or derived_site_key(settings)
    if not _SITE_KEY.fullmatch(site_key):
        raise ConfigError(f"site_key may hold letters, digits, '-' and '_' (at most 80), not {settings.site_key!r}")
    job_queue = settings.job_queue.strip() or site_key
    if not _SITE_KEY.fullmatch(job_queue):
        # RQ job ids are made from it (webapp.jobs.progress), and RQ accepts only these characters there.
        raise ConfigError(f"job_queue may hold letters, digits, '-' and '_' (at most 80), not {settings.job_queue!r}")
    return replace(settings, site_key=site_key, job_queue=job_queue)


def _dev_secret(instance_dir: Path) -> str:
    """Generate a development secret once and keep it in instance/, so sessions survive restarts."""
    path = instance_dir / "secret_key"
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    instance_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key, encoding="ascii")
    path.chmod(0o600)
    return key


def _dev_encryption_key(instance_dir: Path) -> str:
    """Like the secret key: a Fernet key made once into instance/, so encrypted case fields stay readable."""
    from cryptography.fernet import Fernet

    path = instance_dir / "encryption_key"
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    instance_dir.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key().decode("ascii")
    path.write_text(key, encoding="ascii")
    path.chmod(0o600)
    return key


def settings() -> Settings:
    """The running app's settings (inside an app or request context)."""
    from flask import current_app

    found: Settings = current_app.extensions["odekake_settings"]
    return found
