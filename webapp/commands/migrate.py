"""Alembic, driven from the app's engine (init-db, tests)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from webapp.config import PROJECT_ROOT


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    return cfg


def upgrade_to_head() -> None:
    from webapp.extensions import db

    assert db.engine is not None
    db.check_connection()
    cfg = alembic_config()
    with db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")
