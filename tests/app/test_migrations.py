"""Alembic head equals the models on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from geoalchemy2 import alembic_helpers

from webapp.extensions import db
from webapp.orm import Base


def _include(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    if type_ == "table" and reflected and compare_to is None:
        return False
    return alembic_helpers.include_object(obj, name, type_, reflected, compare_to)


def test_head_matches_models(app: Flask) -> None:
    conn = db.session().connection()
    ctx = MigrationContext.configure(
        conn, opts={"include_object": _include, "compare_type": True, "target_metadata": Base.metadata}
    )
    diff = compare_metadata(ctx, Base.metadata)
    assert diff == []


def test_single_head() -> None:
    from alembic.script import ScriptDirectory

    from webapp.commands.migrate import alembic_config

    assert len(ScriptDirectory.from_config(alembic_config()).get_heads()) == 1
