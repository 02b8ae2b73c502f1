"""Issue 19 (staff): find a case by name without decrypting, through a blind index on Person.

Keyed HMACs of the normalised name and of its reading (jatext), kept in step on create and update;
the staff case list's search box uses them.
"""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from tests.factories import World
from tests.helpers import login
from webapp.cases import name_index
from webapp.cases import services as svc
from webapp.cases.models import Person
from webapp.security.crypto import generate_key


def _codes(client: FlaskClient, q: str) -> set[str]:
    page = client.get("/staff/cases", query_string={"q": q}).get_data(as_text=True)
    return set(re.findall(r"C-[A-Z2-9]{6}", page))


def test_index_is_keyed_and_never_the_name(world: World, session: Session, app: Flask) -> None:
    p = world.own_case
    assert p is not None
    row = session.execute(
        text("SELECT name_index, name_reading_index FROM person WHERE id = :i"), {"i": p.id}
    ).one()
    assert len(row[0]) == 64 and len(row[1]) == 64 and row[0] != row[1]
    with app.app_context():
        key = app.extensions["odekake_settings"].encryption_key
        assert name_index.name_keys("山田 太郎", key) == tuple(row)
        # another key, other hashes: without the key nobody can test guessed names
        assert name_index.name_keys("山田 太郎", generate_key())[0] != row[0]
    # no name, no hash (an empty name is not a secret, and equal empties would group cases)
    assert world.other_case is not None and world.other_case.name_index == ""


def test_staff_find_a_case_by_name_or_reading(world: World, client: FlaskClient) -> None:
    assert world.own_case is not None
    code = world.own_case.case_code
    login(client, "supporter_a@example.jp")
    for q in ("山田太郎", "山田　太郎", "やまだ たろう", "ヤマダタロウ", "ﾔﾏﾀﾞﾀﾛｳ"):
        assert code in _codes(client, q), q
    # whole names only, on purpose: a surname key would show which cases share a family name
    assert code not in _codes(client, "山田")
    assert code not in _codes(client, "山田花子")
    page = client.get("/staff/cases").get_data(as_text=True)
    assert "検索（ケース番号・氏名・記述）" in page


def test_the_index_follows_a_name_change(world: World, session: Session, app: Flask) -> None:
    p = world.own_case
    assert p is not None
    with app.app_context():
        data = svc.person_input(p)
        data.name = "佐藤 花子"
        svc.update_person(session, world.users["supporter_a"], p, data)
        session.expire_all()
        again = session.get(Person, p.id)
        assert again is not None
        assert name_index.matches(again, "さとうはなこ") and not name_index.matches(again, "山田太郎")
        found = session.scalars(select(Person.id).where(name_index.name_condition("佐藤花子"))).all()
        assert found == [p.id]
        # in step: a rebuild finds nothing to change
        assert name_index.rebuild(session) == 0


def test_migration_indexes_existing_names_and_keeps_child_rows(
    app: Flask, empty_database: str, tmp_path: Path
) -> None:
    from datetime import date

    import sqlalchemy as sa
    from alembic import command
    from alembic.script import ScriptDirectory

    from webapp.commands.migrate import alembic_config
    from webapp.config import load_settings
    from webapp.db import make_engine
    from webapp.security.crypto import make_cipher

    # The revision just before the blind index (whatever the merges chained it onto).
    before = ScriptDirectory.from_config(alembic_config()).get_revision("b7e4a2c91d35").down_revision
    assert isinstance(before, str)
    overrides: dict[str, object] = {"instance_dir": tmp_path, "env": "testing"}
    if empty_database:
        overrides["database_url"] = empty_database
    engine = make_engine(load_settings(overrides))
    cfg = alembic_config()
    key = app.extensions["odekake_settings"].encryption_key
    later = {"name_index", "name_reading_index"}
    person = sa.Table("person", sa.MetaData(), *(c._copy() for c in Person.__table__.columns if c.name not in later))
    followup = sa.table("follow_up", sa.column("id", sa.Integer), sa.column("person_id", sa.Integer),
                        sa.column("due_on", sa.Date), sa.column("target", sa.String), sa.column("note", sa.Text),
                        sa.column("done", sa.Boolean), sa.column("is_baseline", sa.Boolean))  # fmt: skip
    try:
        with app.app_context(), engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, before)
            office = sa.table("office", sa.column("id", sa.Integer), sa.column("name", sa.String))
            office_id = conn.execute(sa.insert(office).values(name="旧所属").returning(office.c.id)).scalar_one()
            token = make_cipher(key).encrypt("山田 花子".encode()).decode()
            pid = conn.execute(
                sa.insert(person).values(case_code="C-OLD002", office_id=office_id, name_enc=token)
                .returning(person.c.id)
            ).scalar_one()  # fmt: skip
            conn.execute(sa.insert(Person.__table__.metadata.tables["follow_up"]).values(person_id=pid, due_on=date(2026, 1, 1)))
        with app.app_context(), engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        with engine.connect() as conn:
            row = conn.execute(text("SELECT name_index, name_reading_index FROM person WHERE id = :i"), {"i": pid}).one()
            assert tuple(row) == name_index.name_keys("山田 花子", key)
            assert conn.execute(sa.select(sa.func.count()).select_from(followup)).scalar_one() == 1
        with app.app_context(), engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, before)
        with engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(followup)).scalar_one() == 1
    finally:
        engine.dispose()
