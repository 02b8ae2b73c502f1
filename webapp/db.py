"""Engine and session for both databases: SQLite+SpatiaLite (embedded) and PostgreSQL+PostGIS."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from webapp.config import ConfigError, Settings


class SpatialiteUnavailable(ConfigError):
    pass


def _spatialite_listener(library: str, busy_timeout_ms: int) -> Callable[[Any, Any], None]:
    from geoalchemy2.admin.dialects.sqlite import init_spatialite

    def on_connect(dbapi_conn: sqlite3.Connection, record: Any) -> None:
        if not hasattr(dbapi_conn, "enable_load_extension"):
            raise SpatialiteUnavailable(
                "this Python cannot load SQLite extensions (SpatiaLite); build .venv from /usr/bin/python3"
            )
        dbapi_conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")  # the init below waits too
        dbapi_conn.execute("PRAGMA foreign_keys = ON")
        dbapi_conn.execute("PRAGMA journal_mode = WAL")
        dbapi_conn.execute("PRAGMA synchronous = NORMAL")
        try:
            dbapi_conn.enable_load_extension(True)
            dbapi_conn.load_extension(library)
            dbapi_conn.enable_load_extension(False)
            # The WGS84-only init takes ~0.04 s per new file instead of ~8 s for the full EPSG table.
            init_spatialite(dbapi_conn, init_mode="WGS84", transaction=True)
            # Loading SpatiaLite sets its own busy timeout (5 s), replacing ours: set it again.
            dbapi_conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        except sqlite3.OperationalError as exc:
            raise SpatialiteUnavailable(
                f"cannot load SpatiaLite ({library}): {exc}; install libsqlite3-mod-spatialite"
            ) from None

    return on_connect


def make_engine(settings: Settings, **kwargs: Any) -> Engine:
    url = settings.sqlalchemy_url
    # Bound parameters are residents' names, phone numbers and case notes: an error (an
    # IntegrityError, a lock timeout) must not copy them into the exception text or the error log.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        # pyproj bundles its own libproj; mod_spatialite links Debian's. Loaded in the other order, the
        # two copies' static destructors corrupt the heap at process exit (measured: abort on exit).
        import pyproj  # noqa: F401

        if not url.endswith(":memory:") and "///" in url:
            settings.instance_dir.mkdir(parents=True, exist_ok=True)
            _private_database_file(url.split("///", 1)[1].split("?", 1)[0])
        engine = create_engine(url, connect_args={"timeout": settings.sqlite_busy_timeout_ms / 1000}, **kwargs)
        event.listen(engine, "connect", _spatialite_listener(settings.spatialite_path, settings.sqlite_busy_timeout_ms))
        _use_explicit_sqlite_transactions(engine)
        return engine
    if url.startswith("postgresql"):
        return create_engine(url, pool_pre_ping=True, **kwargs)
    raise ConfigError(f"unsupported database URL {url.split(':', 1)[0]!r}: use postgresql:// or leave it empty")


def _private_database_file(path: str) -> None:
    """Create the SQLite file 0600 before SQLite does (it would use the umask, usually 0644).

    It holds case notes and account data, like the key files.  SQLite gives the -wal, -shm and
    -journal files the permissions of the database file, so they follow.  An existing file
    readable by others is tightened too (best effort: it may belong to another user).
    """
    if not path or path == ":memory:":
        return
    try:
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    except OSError:
        return  # no such directory, read-only place: SQLite will say so in its own words
    try:
        if os.fstat(fd).st_mode & 0o077:
            os.fchmod(fd, 0o600)
    except OSError:
        pass
    finally:
        os.close(fd)
    for suffix in ("-wal", "-shm", "-journal"):
        side = f"{path}{suffix}"
        try:
            if os.stat(side).st_mode & 0o077:
                os.chmod(side, 0o600)
        except OSError:
            pass


def _use_explicit_sqlite_transactions(engine: Engine) -> None:
    # pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT; let SQLAlchemy emit it.
    @event.listens_for(engine, "connect")
    def _no_autobegin(dbapi_conn: sqlite3.Connection, record: Any) -> None:
        dbapi_conn.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if request_will_write() else "BEGIN")


# Set by :func:`writing` (a command that writes, e.g. `odekake import`).
_writing: ContextVar[bool] = ContextVar("odekake_writing", default=False)


@contextmanager
def writing() -> Iterator[None]:
    """SQLite transactions begun inside take the write lock at BEGIN (BEGIN IMMEDIATE).

    For commands that read then write while the site keeps writing: a deferred transaction would
    fail at its first write after any web commit ("database is locked" at once, see
    :func:`request_will_write`); BEGIN IMMEDIATE waits up to busy_timeout for its turn instead.
    """
    token = _writing.set(True)
    try:
        yield
    finally:
        _writing.reset(token)


def is_database_locked(exc: BaseException) -> bool:
    """SQLite's "database is locked" / "busy": another writer held the lock longer than we waited."""
    from sqlalchemy.exc import OperationalError

    if not isinstance(exc, OperationalError):
        return False
    text_ = str(getattr(exc, "orig", exc)).lower()
    return "database is locked" in text_ or "database table is locked" in text_ or "busy" in text_


# Requests that write, or may (signed-in areas: audited reads, session touches, forms).
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_WRITING_AREAS = ("/staff/", "/organizer/", "/auth/")


def request_will_write() -> bool:
    """Whether this request's SQLite transaction should take the write lock at BEGIN.

    In WAL mode a deferred transaction that has read cannot upgrade to a write once another
    worker has committed: SQLite answers "database is locked" at once (SQLITE_BUSY_SNAPSHOT) and
    busy_timeout does not apply (measured with bench/load.py: 6 failed staff writes in 20 s under
    4 gunicorn workers). BEGIN IMMEDIATE makes such a request wait its turn for the lock instead.
    Readers are not blocked (WAL), so anonymous public pages keep a plain deferred BEGIN.
    """
    from flask import has_request_context, request

    if _writing.get():
        return True
    if not has_request_context():
        return False
    return request.method not in _SAFE_METHODS or request.path.startswith(_WRITING_AREAS)


class Database:
    """Holds the engine and a request-scoped session; the request boundary commits once."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.session_factory = sessionmaker(expire_on_commit=False)
        self.session: scoped_session[Session] = scoped_session(self.session_factory)
        self._after_commit: list[Callable[[], None]] = []

    def configure(self, engine: Engine) -> None:
        self.engine = engine
        self.session_factory.configure(bind=engine)

    @property
    def dialect(self) -> str:
        assert self.engine is not None
        return self.engine.dialect.name

    def check_connection(self) -> None:
        assert self.engine is not None
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except ConfigError:
            raise
        except Exception as exc:  # the driver's own message is the useful part
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ConfigError(f"cannot connect to the database: {first}") from None

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """For CLI commands: one transaction, committed at the end or rolled back on error."""
        session = self.session()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            self.session.remove()
