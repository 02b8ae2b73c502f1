"""Backup and restore of one instance: database, uploaded files and settings files.

Layout of a backup directory (created 0700, files 0600, it holds secrets and 要配慮個人情報):

    manifest.json          format, time, dialect, schema revision, row count per table, file digests
                           and the SHA-256 of the database file (checked before a restore)
    database.sqlite3       SQLite: a consistent copy made with the online backup API (WAL-safe,
                           writers are not blocked for long)
    database.pgdump        PostgreSQL: `pg_dump -Fc`, taken in the same snapshot as the row counts
    uploads/…              the upload directory (photo originals and renditions)
    settings/config.toml   instance/config.toml, instance/secret_key and instance/encryption_key (the
                           Fernet key of the case fields: without it no name can be decrypted),
                           when present

Restore goes into an empty instance only (no schema tables yet, empty upload directory); it then
checks every table's row count and every file's digest against the manifest.
Secrets given only as ODEKAKE_* environment variables are not in the backup; the manifest says so.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, inspect, text

from webapp.config import Settings

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
SETTINGS_FILES = ("config.toml", "secret_key", "encryption_key")
ENV_SECRETS = ("ODEKAKE_SECRET_KEY", "ODEKAKE_ENCRYPTION_KEY", "ODEKAKE_DATABASE_URL")


class BackupError(RuntimeError):
    """One line for the operator: what is wrong and nothing was changed (or what was)."""


@dataclass
class Report:
    path: Path
    tables: dict[str, int] = field(default_factory=dict)
    files: int = 0
    bytes: int = 0
    notes: list[str] = field(default_factory=list)


def _app_tables() -> list[str]:
    from webapp.orm import Base

    return [t.name for t in Base.metadata.sorted_tables] + ["alembic_version"]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _libpq_url(settings: Settings) -> str:
    # pg_dump speaks libpq URIs, not SQLAlchemy's driver-qualified ones.
    url = settings.sqlalchemy_url
    return "postgresql://" + url.split("://", 1)[1]


def _sqlite_path(settings: Settings) -> Path:
    return Path(settings.sqlalchemy_url.removeprefix("sqlite:///"))


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _count_rows(conn: Any, tables: list[str], existing: set[str]) -> dict[str, int]:
    counts = {}
    for name in tables:
        if name in existing:
            counts[name] = int(conn.execute(text(f"SELECT count(*) FROM {_quote(name)}")).scalar_one())
    return counts


def _private_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)


def _copy_tree(src: Path, dst: Path) -> dict[str, str]:
    """Copy every regular file (no symlinks followed) and return {relative path: sha256}."""
    digests: dict[str, str] = {}
    for root, dirs, files in os.walk(src, followlinks=False):
        dirs.sort()
        for name in sorted(files):
            source = Path(root) / name
            if source.is_symlink() or not source.is_file():
                continue
            rel = source.relative_to(src)
            target = dst / rel
            _private_dir(target.parent)
            shutil.copy2(source, target)
            digests[rel.as_posix()] = _sha256(target)
    return digests


def _sqlite_copy(source: Path, target: Path) -> None:
    """SQLite online backup API: a consistent copy even while the app writes (WAL included)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o600))  # never readable by others, even briefly
        dst = sqlite3.connect(target)
        try:
            src.backup(dst, pages=1024)
            dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
            ok = dst.execute("PRAGMA quick_check").fetchone()[0]
            if ok != "ok":
                raise BackupError(f"the copied database fails its integrity check: {ok}")
        finally:
            dst.close()
    finally:
        src.close()


def backup(settings: Settings, engine: Engine, dest: Path, log: Callable[[str], None] = lambda _: None) -> Report:
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"{dest} is not empty; give a new directory")
    _private_dir(dest)
    report = Report(dest)
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "dialect": engine.dialect.name,
    }
    tables = _app_tables()
    if engine.dialect.name == "sqlite":
        source = _sqlite_path(settings)
        if not source.exists():
            raise BackupError(f"no database at {source}; run `odekake init-db` first")
        _sqlite_copy(source, dest / SQLITE_FILE)
        # Counts come from the copy itself: exactly what the backup holds.
        check = create_engine(f"sqlite:///{dest / SQLITE_FILE}", hide_parameters=True)
        try:
            with check.connect() as conn:
                existing = set(inspect(conn).get_table_names())
                report.tables = _count_rows(conn, tables, existing)
                manifest["revision"] = _revision(conn, existing)
        finally:
            check.dispose()
        manifest["database"] = SQLITE_FILE
    elif engine.dialect.name == "postgresql":
        _pg_backup(settings, engine, dest / PG_FILE, tables, report, manifest)
        manifest["database"] = PG_FILE
    else:  # pragma: no cover - make_engine refuses other URLs
        raise BackupError(f"cannot back up a {engine.dialect.name} database")
    (dest / manifest["database"]).chmod(0o600)
    # An edited or truncated dump must be refused before anything is restored from it.
    manifest["database_sha256"] = _sha256(dest / manifest["database"])
    log(f"database: {sum(report.tables.values())} rows in {len(report.tables)} tables")

    uploads = settings.resolved_upload_dir
    manifest["uploads"] = _copy_tree(uploads, dest / "uploads") if uploads.is_dir() else {}
    report.files = len(manifest["uploads"])
    settings_files = {}
    for name in SETTINGS_FILES:
        source = settings.instance_dir / name
        if source.is_file():
            _private_dir(dest / "settings")
            shutil.copy2(source, dest / "settings" / name)
            settings_files[name] = _sha256(dest / "settings" / name)
    manifest["settings"] = settings_files
    missing = [name for name in ENV_SECRETS if os.environ.get(name)]
    if missing:
        report.notes.append("not in the backup (set in the environment): " + ", ".join(missing))
    manifest["environment_not_included"] = missing
    manifest["tables"] = report.tables
    for path in dest.rglob("*"):
        if path.is_file():
            path.chmod(0o600)
            report.bytes += path.stat().st_size
    (dest / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True), encoding="utf-8")
    (dest / MANIFEST).chmod(0o600)
    return report


def _revision(conn: Any, existing: set[str]) -> str | None:
    if "alembic_version" not in existing:
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _run(args: list[str], what: str) -> subprocess.CompletedProcess[str]:
    try:
        done = subprocess.run(args, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BackupError(f"{args[0]} is not installed (Debian: postgresql-client)") from None
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[0]
        raise BackupError(f"{what} failed: {first}")
    return done


def _pg_backup(
    settings: Settings, engine: Engine, target: Path, tables: list[str], report: Report, manifest: dict[str, Any]
) -> None:
    # The counts and pg_dump read one exported snapshot, so the manifest matches the dump exactly
    # even while the site keeps writing.
    with engine.connect() as conn:
        conn.exec_driver_sql("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        snapshot = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
        existing = set(inspect(conn).get_table_names())
        report.tables = _count_rows(conn, tables, existing)
        manifest["revision"] = _revision(conn, existing)
        _run(
            ["pg_dump", "-Fc", "--no-owner", "--no-privileges", f"--snapshot={snapshot}", "-f", str(target),
             "-d", _libpq_url(settings)],
            "pg_dump",
        )
        conn.exec_driver_sql("COMMIT")


def read_manifest(src: Path) -> dict[str, Any]:
    path = Path(src) / MANIFEST
    if not path.is_file():
        raise BackupError(f"{src} is not an odekake backup (no {MANIFEST})")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    return dict(manifest)


def _verify_files(src: Path, manifest: dict[str, Any]) -> None:
    database = manifest.get("database")
    digest = manifest.get("database_sha256")
    if not database or not digest:
        raise BackupError("the backup manifest has no digest of the database file; it cannot be checked")
    if Path(database).name != database or not (src / database).is_file() or _sha256(src / database) != digest:
        raise BackupError(f"backup file {database} is missing or damaged (its SHA-256 differs from the manifest)")
    for rel, digest in manifest.get("uploads", {}).items():
        path = src / "uploads" / rel
        if not path.is_file() or _sha256(path) != digest:
            raise BackupError(f"backup file uploads/{rel} is missing or damaged")
    for name, digest in manifest.get("settings", {}).items():
        path = src / "settings" / name
        if not path.is_file() or _sha256(path) != digest:
            raise BackupError(f"backup file settings/{name} is missing or damaged")


def _has_app_tables(conn: Any) -> bool:
    existing = set(inspect(conn).get_table_names())
    return bool(existing & set(_app_tables()))


def restore(settings: Settings, engine: Engine, src: Path, log: Callable[[str], None] = lambda _: None) -> Report:
    """Restore a backup into this (empty) instance; the engine is disposed and reopens afterwards."""
    src = Path(src)
    manifest = read_manifest(src)
    _verify_files(src, manifest)
    dialect = engine.dialect.name
    if manifest["dialect"] != dialect:
        raise BackupError(f"the backup is of a {manifest['dialect']} database; this instance uses {dialect}")
    with engine.connect() as conn:
        if _has_app_tables(conn):
            raise BackupError("the database of this instance is not empty; restore only into a new instance")
    uploads = settings.resolved_upload_dir
    if uploads.exists() and any(p.is_file() for p in uploads.rglob("*")):
        raise BackupError(f"the upload directory {uploads} is not empty")
    engine.dispose()

    if dialect == "sqlite":
        target = _sqlite_path(settings)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        _sqlite_copy(src / SQLITE_FILE, target)
        target.chmod(0o600)
    else:
        _pg_restore(settings, src / PG_FILE)

    report = Report(src)
    for rel in manifest.get("uploads", {}):
        _private_dir((uploads / rel).parent)
        shutil.copy2(src / "uploads" / rel, uploads / rel)
        report.files += 1
    for name in manifest.get("settings", {}):
        settings.instance_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src / "settings" / name, settings.instance_dir / name)
        (settings.instance_dir / name).chmod(0o600)
        log(f"restored settings file {settings.instance_dir / name}")
    for name in manifest.get("environment_not_included", []):
        report.notes.append(f"{name} was set in the environment of the backed-up instance: set it here too")

    with engine.connect() as conn:
        existing = set(inspect(conn).get_table_names())
        report.tables = _count_rows(conn, list(manifest["tables"]), existing)
    if report.tables != manifest["tables"]:
        wrong = sorted(k for k in manifest["tables"] if report.tables.get(k) != manifest["tables"][k])
        raise BackupError(f"restored row counts differ from the backup in: {', '.join(wrong)}")
    log(f"database: {sum(report.tables.values())} rows in {len(report.tables)} tables; {report.files} files")
    return report


def _pg_restore(settings: Settings, dump: Path) -> None:
    url = _libpq_url(settings)
    listing = _run(["pg_restore", "-l", str(dump)], "pg_restore -l").stdout
    with engine_for(url) as conn:
        installed = {row[0] for row in conn.execute(text("SELECT extname FROM pg_extension"))}
    # Extensions the target already has (postgis from prepare-postgis, plpgsql) would make
    # pg_restore stop at "already exists"; leave those entries out of the restore list.
    keep = []
    for line in listing.splitlines():
        parts = line.split()
        if " EXTENSION " in f" {line} " and any(ext in parts for ext in installed):
            continue
        keep.append(line)
    with tempfile.NamedTemporaryFile("w", suffix=".list", delete=False) as f:
        f.write("\n".join(keep) + "\n")
        list_path = f.name
    try:
        _run(
            ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
             "-L", list_path, "-d", url, str(dump)],
            "pg_restore",
        )
    finally:
        os.unlink(list_path)


@contextmanager
def engine_for(url: str) -> Iterator[Connection]:
    """A short-lived connection to a libpq URL (closed and disposed on exit)."""
    engine = create_engine("postgresql+psycopg://" + url.split("://", 1)[1], hide_parameters=True)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()
