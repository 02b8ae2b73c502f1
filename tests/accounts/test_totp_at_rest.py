"""TOTP secrets are stored encrypted (Fernet, settings.encryption_key), on both databases.

The column never holds the base32 secret; login with a code still works; the migration encrypts
secrets stored in plaintext by the earlier schema, and its downgrade gives them back.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import pyotp
import sqlalchemy as sa
from alembic import command
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.factories import enable_totp, post_login
from tests.helpers import csrf_token, login
from webapp.accounts import totp
from webapp.accounts.models.user import User
from webapp.commands.migrate import alembic_config
from webapp.config import load_settings
from webapp.db import make_engine
from webapp.security.crypto import make_cipher

PW = "correct horse battery"
BEFORE = "6934b1f85241"  # the last revision with the plaintext column


def _raw_row(session: Session, user_id: int) -> dict[str, object]:
    row = session.execute(sa.text("SELECT * FROM totp_credential WHERE user_id = :u"), {"u": user_id}).mappings().one()
    return dict(row)


def test_secret_is_not_in_the_database_and_login_still_works(
    app: Flask, client: FlaskClient, make_user, session: Session  # type: ignore[no-untyped-def]
) -> None:
    user = make_user("staff@example.jp", "supporter")
    login(client, "staff@example.jp")
    secret, _codes = enable_totp(client, session, user)

    row = _raw_row(session, user.id)
    assert "secret" not in row  # the plaintext column is gone
    stored = " ".join(str(v) for v in row.values())
    assert secret not in stored and secret.lower() not in stored.lower()
    key = app.extensions["odekake_settings"].encryption_key
    assert make_cipher(key).decrypt(str(row["secret_enc"]).encode()).decode() == secret

    fresh = app.test_client()
    assert post_login(fresh, "staff@example.jp", PW).headers["Location"].endswith("/auth/totp")
    code = pyotp.TOTP(secret).at(time.time() + 30)  # the setup step is spent; the next one works
    r = fresh.post("/auth/totp", data={"csrf_token": csrf_token(fresh, "/auth/totp"), "code": code})
    assert r.status_code == 302
    assert fresh.get("/staff/").status_code == 200


def test_a_secret_under_another_key_is_refused_not_accepted(
    app: Flask, client: FlaskClient, make_user, session: Session  # type: ignore[no-untyped-def]
) -> None:
    """A wrong key (a restore onto another instance) must not turn the second factor off."""
    user = make_user("staff@example.jp", "supporter")
    login(client, "staff@example.jp")
    secret, _codes = enable_totp(client, session, user)
    from cryptography.fernet import Fernet

    other = make_cipher(Fernet.generate_key().decode())
    session.execute(
        sa.text("UPDATE totp_credential SET secret_enc = :t WHERE user_id = :u"),
        {"t": other.encrypt(secret.encode()).decode(), "u": user.id},
    )
    session.flush()
    fresh = app.test_client()
    post_login(fresh, "staff@example.jp", PW)
    code = pyotp.TOTP(secret).at(time.time() + 30)
    r = fresh.post("/auth/totp", data={"csrf_token": csrf_token(fresh, "/auth/totp"), "code": code})
    assert r.status_code == 200 and "確認コードが違います" in r.get_data(as_text=True)
    assert fresh.get("/staff/").status_code == 302  # never signed in


# ── the migration ───────────────────────────────────────────────────────────────────────────────




def test_migration_encrypts_existing_secrets_and_downgrade_restores_them(
    app: Flask, empty_database: str, tmp_path: Path
) -> None:
    overrides: dict[str, object] = {"instance_dir": tmp_path, "env": "testing"}
    if empty_database:
        overrides["database_url"] = empty_database
    settings = load_settings(overrides)
    engine = make_engine(settings)
    cfg = alembic_config()
    secret = pyotp.random_base32()
    old_table = sa.table(
        "totp_credential",
        sa.column("user_id", sa.Integer), sa.column("secret", sa.String),
        sa.column("created_at", sa.DateTime), sa.column("last_step", sa.Integer),
    )  # fmt: skip
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, BEFORE)
            user_id = conn.execute(
                sa.insert(User.__table__).values(email="old@example.jp", password_hash="x").returning(User.__table__.c.id)
            ).scalar_one()
            conn.execute(sa.insert(old_table).values(user_id=user_id, secret=secret, created_at=datetime(2026, 1, 1), last_step=0))
        # The app's key, as `odekake init-db` runs it (inside the app context).
        with app.app_context(), engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        with engine.connect() as conn:
            row = conn.execute(sa.text("SELECT * FROM totp_credential")).mappings().one()
        assert "secret" not in row and secret not in str(dict(row))
        key = app.extensions["odekake_settings"].encryption_key
        assert make_cipher(key).decrypt(str(row["secret_enc"]).encode()).decode() == secret

        with app.app_context(), engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, BEFORE)
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT secret FROM totp_credential")).scalar_one() == secret
    finally:
        engine.dispose()


def test_enrolment_stores_a_token_and_shows_the_secret(app: Flask, make_user, session: Session) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        user = make_user("staff@example.jp", "supporter")
        cred = totp.begin_enrolment(session, user)
        plain = totp.secret_of(cred)
        assert len(plain) == 32 and plain not in cred.secret_enc
        assert cred.secret_enc.startswith("gAAAAA")  # a Fernet token
        assert f"secret={plain}" in totp.provisioning_uri(cred, user)
