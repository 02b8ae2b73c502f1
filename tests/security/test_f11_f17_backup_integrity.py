"""F11: a backup carries instance/encryption_key (0600) and restore puts it back, so the restored
case names decrypt.  F17: the manifest holds the SHA-256 of the database file and a restore
checks it before anything is restored (an edited dump is refused)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect

from tests.conftest import POSTGIS_URL
from tests.factories import fresh_postgis_database, make_backup_app, populate_instance
from webapp.commands.backup_service import BackupError, backup, read_manifest, restore


@pytest.fixture()
def made() -> Iterator[list[Engine]]:
    engines: list[Engine] = []
    yield engines
    for engine in engines:
        engine.dispose()


def _source(tmp_path: Path, made: list[Engine], url: str = "") -> tuple[object, Path]:
    app, engine = make_backup_app(tmp_path / "a", url)
    made.append(engine)
    populate_instance(app, engine)
    settings = app.extensions["odekake_settings"]
    backup(settings, engine, tmp_path / "bk")
    return settings, tmp_path / "bk"


def test_encryption_key_is_backed_up_and_restored(tmp_path: Path, made: list[Engine]) -> None:
    from webapp.config import load_settings
    from webapp.security.crypto import decrypt, encrypt, make_cipher

    settings_a, bk = _source(tmp_path, made)
    assert (tmp_path / "a" / "encryption_key").is_file()
    token = encrypt("生駒 花子（精神科通院中）", make_cipher(settings_a.encryption_key))  # type: ignore[attr-defined]
    manifest = read_manifest(bk)
    assert "encryption_key" in manifest["settings"]
    assert (bk / "settings" / "encryption_key").stat().st_mode & 0o777 == 0o600

    # The new instance made its own key on start; the restore replaces it with the backed-up one.
    app_b, engine_b = make_backup_app(tmp_path / "b")
    made.append(engine_b)
    restore(app_b.extensions["odekake_settings"], engine_b, bk)
    restored = tmp_path / "b" / "encryption_key"
    assert restored.read_bytes() == (tmp_path / "a" / "encryption_key").read_bytes()
    assert restored.stat().st_mode & 0o777 == 0o600
    settings_b = load_settings({"instance_dir": tmp_path / "b", "env": "testing"}, environ={})
    assert decrypt(token, make_cipher(settings_b.encryption_key)) == "生駒 花子（精神科通院中）"


def _assert_nothing_restored(engine: Engine) -> None:
    with engine.connect() as conn:
        assert "activity" not in inspect(conn).get_table_names()


def test_edited_sqlite_dump_is_refused_before_restoring(tmp_path: Path, made: list[Engine]) -> None:
    _, bk = _source(tmp_path, made)
    manifest = read_manifest(bk)
    assert len(manifest["database_sha256"]) == 64
    # An edit that keeps every row count: only the digest can tell.
    conn = sqlite3.connect(bk / "database.sqlite3")
    conn.execute("UPDATE office SET name = name || ' (edited)'")
    conn.commit()
    conn.close()
    app_b, engine_b = make_backup_app(tmp_path / "b")
    made.append(engine_b)
    with pytest.raises(BackupError, match=r"database\.sqlite3 is missing or damaged"):
        restore(app_b.extensions["odekake_settings"], engine_b, bk)
    _assert_nothing_restored(engine_b)
    assert not (tmp_path / "b" / "uploads").exists()


def test_manifest_without_database_digest_is_refused(tmp_path: Path, made: list[Engine]) -> None:
    _, bk = _source(tmp_path, made)
    manifest = read_manifest(bk)
    del manifest["database_sha256"]
    (bk / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    app_b, engine_b = make_backup_app(tmp_path / "b")
    made.append(engine_b)
    with pytest.raises(BackupError, match="no digest of the database"):
        restore(app_b.extensions["odekake_settings"], engine_b, bk)
    _assert_nothing_restored(engine_b)


@pytest.mark.postgis
@pytest.mark.skipif(not POSTGIS_URL, reason="set ODEKAKE_TEST_POSTGIS_URL (make test does)")
@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed")
def test_edited_pg_dump_is_refused_and_the_key_travels(tmp_path: Path, made: list[Engine]) -> None:
    with ExitStack() as databases:
        src_url, dst_url = (
            databases.enter_context(fresh_postgis_database(f"odekake_f17_{role}_{os.getpid()}")) for role in ("src", "dst")
        )
        # Engines are closed before the databases are dropped (ExitStack runs this first).
        databases.callback(lambda: [engine.dispose() for engine in made])
        _, bk = _source(tmp_path, made, src_url)
        assert "encryption_key" in read_manifest(bk)["settings"]
        dump = bk / "database.pgdump"
        data = bytearray(dump.read_bytes())
        data[-10] ^= 0xFF
        dump.write_bytes(bytes(data))
        app_b, engine_b = make_backup_app(tmp_path / "b", dst_url)
        made.append(engine_b)
        with pytest.raises(BackupError, match=r"database\.pgdump is missing or damaged"):
            restore(app_b.extensions["odekake_settings"], engine_b, bk)
        _assert_nothing_restored(engine_b)
