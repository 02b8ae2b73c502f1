"""Autogenerate a migration against a fresh SpatiaLite database upgraded to the current head.

Usage: .venv/bin/python scripts/make_migration.py "message"
"""

from __future__ import annotations

import sys
import tempfile

from alembic import command

from webapp import create_app
from webapp.commands.migrate import alembic_config
from webapp.extensions import db


def main() -> None:
    message = sys.argv[1] if len(sys.argv) > 1 else "schema change"
    with tempfile.TemporaryDirectory() as tmp:
        create_app({"instance_dir": tmp, "env": "testing"})
        cfg = alembic_config()
        assert db.engine is not None
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.revision(cfg, message=message, autogenerate=True)


if __name__ == "__main__":
    main()
