"""Rate-limit counters in the database: flask-limiter's storage for ``ratelimit_storage_uri = "db://"``.

The production default when no ``redis_url`` is set (webapp.config): every gunicorn worker of every
node counts against one limit, so "5 per hour" means five, not five per worker.

* Fixed window, flask-limiter's default strategy: one row per key (``rate_limit_hit``) holds the
  count and the end of its window. One statement counts a hit and returns the new count,
  atomically on both databases: ``INSERT … ON CONFLICT (key) DO UPDATE … RETURNING``, restarting
  the window in the same statement when it has passed.
* Each hit is a short transaction of its own, on a connection of its own, committed at once: a
  request that fails afterwards (and rolls its own transaction back) is still counted, as with
  Redis.
* On SQLite the counters are kept in a file of their own beside the database
  (``odekake.sqlite3`` → ``odekake.ratelimit.sqlite3``): a signed-in POST already holds the
  database's write lock (BEGIN IMMEDIATE, webapp.db) when its route's limit is counted, and a
  second connection to the same file would wait for it until busy_timeout. The main database's
  ``rate_limit_hit`` table stays empty there.
* Times come from webapp.clock (tests set it); every node's clock is the same to well under a
  second (NTP), which is all a window of minutes or hours needs.
* If the database cannot be reached, flask-limiter counts in each worker's memory until it can
  (RATELIMIT_IN_MEMORY_FALLBACK_ENABLED), as it does for Redis.

Expired rows are reused by the next hit of their key; the others are deleted by
``odekake purge-login-attempts`` (the daily purge timer): :func:`purge_expired`.
"""

from __future__ import annotations

import hashlib
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from limits.storage import Storage
from sqlalchemy import Engine, case, create_engine, delete, event, literal, select, text, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from webapp import clock
from webapp.orm import UTCDateTime
from webapp.security.models import RateLimitHit

SCHEME = "db"
_TABLE = RateLimitHit.__table__
_KEY_MAX = 255

_side_engines: dict[str, Engine] = {}
_side_lock = threading.Lock()


def counter_file(database: str) -> Path:
    """The SQLite file holding the counters of the SQLite database at ``database``."""
    path = Path(database)
    return path.with_name(f"{path.stem}.ratelimit.sqlite3")


def counter_engine(main: Engine) -> Engine:
    """Where the counters of the database behind ``main`` are kept (itself, except on SQLite)."""
    if main.dialect.name != "sqlite":
        return main
    database = main.url.database or ""
    if not database or database == ":memory:":
        return main  # a database of one process: nothing to share, nothing to lock against
    path = counter_file(database)
    with _side_lock:
        found = _side_engines.get(str(path))
        if found is None:
            found = _side_engines[str(path)] = _sqlite_counter_engine(path)
        return found


def _sqlite_counter_engine(path: Path) -> Engine:
    from webapp.db import _private_database_file

    _private_database_file(str(path))  # client addresses are in the keys: 0600, like the database
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 10}, hide_parameters=True)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute("PRAGMA journal_mode = WAL")
        dbapi_conn.execute("PRAGMA synchronous = NORMAL")

    _TABLE.create(engine, checkfirst=True)
    return engine


def _stored_key(prefix: str, key: str) -> str:
    full = f"{prefix}:{key}" if prefix else key
    if len(full) <= _KEY_MAX:
        return full
    # An IPv6 address and a long shared scope can pass the column's length: keep it unique.
    return f"{full[:190]}#{hashlib.sha256(full.encode('utf-8')).hexdigest()}"


class DatabaseStorage(Storage):
    """limits' Storage interface over ``rate_limit_hit``, for the fixed-window strategy (flask-limiter's default).

    ``engine``: the database to count in; by default the app's (webapp.extensions.db), looked up
    at each call, so the one storage object flask-limiter keeps per process follows the app.
    """

    STORAGE_SCHEME = [SCHEME]  # noqa: RUF012  (the attribute limits' storage registry reads)

    def __init__(
        self, uri: str | None = None, wrap_exceptions: bool = False, key_prefix: str = "", engine: Engine | None = None,
        **_options: Any,
    ) -> None:
        self.key_prefix = key_prefix
        self._engine = engine
        super().__init__(uri, wrap_exceptions=wrap_exceptions)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    def engine(self) -> Engine:
        main = self._engine
        if main is None:
            from webapp.extensions import db

            main = db.engine
        if main is None:
            raise SQLAlchemyError("no database configured for the rate-limit counters")
        return counter_engine(main)

    def _key(self, key: str) -> str:
        return _stored_key(self.key_prefix, key)

    def incr(self, key: str, expiry: int | float, amount: int = 1) -> int:
        """Count ``amount`` hits; the count in the current window (a new window when it has passed)."""
        now = clock.now()
        until = now + timedelta(seconds=float(expiry))
        engine = self.engine()
        dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(_TABLE).values(key=self._key(key), hits=amount, expires_at=until)
        over = _TABLE.c.expires_at <= literal(now, UTCDateTime())
        stmt = stmt.on_conflict_do_update(
            index_elements=[_TABLE.c.key],
            # Both expressions read the row as it was (SQL evaluates SET from the old values).
            set_={
                "hits": case((over, stmt.excluded.hits), else_=_TABLE.c.hits + stmt.excluded.hits),
                "expires_at": case((over, stmt.excluded.expires_at), else_=_TABLE.c.expires_at),
            },
        ).returning(_TABLE.c.hits)
        with engine.begin() as conn:
            return int(conn.execute(stmt).scalar_one())

    def get(self, key: str) -> int:
        with self.engine().connect() as conn:
            hits = conn.scalar(
                select(_TABLE.c.hits).where(_TABLE.c.key == self._key(key), _TABLE.c.expires_at > clock.now())
            )
        return int(hits or 0)

    def get_expiry(self, key: str) -> float:
        """When the key's window ends (epoch seconds); now when it has none."""
        now = clock.now()
        with self.engine().connect() as conn:
            until: datetime | None = conn.scalar(
                select(_TABLE.c.expires_at).where(_TABLE.c.key == self._key(key), _TABLE.c.expires_at > now)
            )
        return (until or now).timestamp()

    def check(self) -> bool:
        try:
            with self.engine().connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        """Clear every counter of this site (its key prefix); how many there were."""
        where = _TABLE.c.key.startswith(f"{self.key_prefix}:", autoescape=True) if self.key_prefix else true()
        with self.engine().begin() as conn:
            return int(conn.execute(delete(_TABLE).where(where)).rowcount or 0)

    def clear(self, key: str) -> None:
        with self.engine().begin() as conn:
            conn.execute(delete(_TABLE).where(_TABLE.c.key == self._key(key)))


def purge_expired(main: Engine, now: datetime | None = None) -> int:
    """Delete the counters whose window has ended (any site's: they count nothing any more)."""
    with counter_engine(main).begin() as conn:
        result = conn.execute(delete(_TABLE).where(_TABLE.c.expires_at <= (now or clock.now())))
        return int(result.rowcount or 0)


__all__ = ["SCHEME", "DatabaseStorage", "counter_engine", "counter_file", "purge_expired"]
