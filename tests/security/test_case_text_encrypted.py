"""Encryption at rest: what matters to the person, case notes, consent notes, meeting summaries and
follow-up notes are Fernet tokens in the database (same key and mechanism as the name), shown as text by
the app; search still finds what_matters; the migration encrypts old rows and downgrade decrypts them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.factories import World
from tests.helpers import csrf_token, login
from webapp.accounts.models.user import Office
from webapp.cases import placements as flow
from webapp.cases import services as svc
from webapp.cases.models import Person
from webapp.commands.migrate import alembic_config
from webapp.config import load_settings
from webapp.db import make_engine
from webapp.extensions import db
from webapp.security.crypto import make_cipher

BEFORE = "fa7965fa0216"
TEXTS = {
    ("person", "what_matters"): "孫の運動会を見に行くこと",
    ("case_note", "body"): "初回面談：夜は眠れていない",
    ("consent", "note"): "長女同席で説明",
    ("case_meeting", "summary"): "見守りの方針を確認した",
    ("follow_up", "note"): "電話で近況：足の痛みが続く",
}


def _fill(app: Flask, world: World) -> int:
    with app.app_context():
        s = db.session()
        sup = world.users["supporter_a"]
        p = s.get(Person, world.own_case.id)  # type: ignore[union-attr]
        assert p is not None
        data = svc.person_input(p)
        data.what_matters = TEXTS[("person", "what_matters")]
        svc.update_person(s, sup, p, data)
        svc.add_note(s, sup, p, TEXTS[("case_note", "body")])
        svc.grant_consent(s, sup, p, "record_keeping", "written", note=TEXTS[("consent", "note")])
        svc.record_meeting(s, sup, p, "support_meeting", date(2026, 11, 1), "市・社協", TEXTS[("case_meeting", "summary")])
        flow.complete_followup(s, sup, world.followup, TEXTS[("follow_up", "note")])  # type: ignore[arg-type]
        s.flush()
        return p.id


def test_case_free_text_is_encrypted_in_the_database_and_shown_by_the_app(
    world: World, app: Flask, session: Session, client: FlaskClient
) -> None:
    person_id = _fill(app, world)
    key = app.extensions["odekake_settings"].encryption_key
    for (table, column), plain in TEXTS.items():
        key_col = "id" if table == "person" else "person_id"
        raw = session.execute(text(f"SELECT {column} FROM {table} WHERE {key_col} = :i AND {column} <> ''"),
                              {"i": person_id}).scalars().all()  # fmt: skip
        assert raw, (table, column)
        assert all(plain not in r and r.startswith("gAAAA") for r in raw), (table, column, raw)
        assert plain in [make_cipher(key).decrypt(r.encode()).decode() for r in raw]
    login(client, "supporter_a@example.jp")
    page = client.get(f"/staff/cases/{person_id}").get_data(as_text=True)
    for plain in TEXTS.values():
        assert plain in page
    # search over what matters to the person still works (matched after decrypting)
    found = client.get("/staff/cases", query_string={"q": "運動会"}).get_data(as_text=True)
    assert world.own_case.case_code in found  # type: ignore[union-attr]
    none = client.get("/staff/cases", query_string={"q": "存在しない言葉"}).get_data(as_text=True)
    assert world.own_case.case_code not in none  # type: ignore[union-attr]
    # and the 本人開示 export carries the text
    token = csrf_token(client, f"/staff/cases/{person_id}/export")
    r = client.post(f"/staff/cases/{person_id}/export",
                    data={"csrf_token": token, "password": "correct horse battery", "format": "json"})  # fmt: skip
    body = r.get_data(as_text=True)
    assert r.status_code == 200
    for plain in TEXTS.values():
        assert plain in body




def _plain(table: str, column: str) -> sa.TableClause:
    return sa.table(table, sa.column("id", sa.Integer), sa.column(column, sa.Text))


def test_migration_encrypts_existing_rows_and_downgrade_decrypts(app: Flask, empty_database: str, tmp_path: Path) -> None:
    from webapp.cases.models import CaseMeeting, CaseNote, Consent, FollowUp

    overrides: dict[str, object] = {"instance_dir": tmp_path, "env": "testing"}
    if empty_database:
        overrides["database_url"] = empty_database
    engine = make_engine(load_settings(overrides))
    cfg = alembic_config()
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, BEFORE)
            office_id = conn.execute(sa.insert(Office.__table__).values(name="旧所属").returning(Office.__table__.c.id)).scalar_one()
            # The person table as it was then: the model without the columns later revisions add
            # (the name blind index), keeping the model's defaults for the others.
            later = {"name_index", "name_reading_index"}
            person = sa.Table(
                "person", sa.MetaData(), *(c._copy() for c in Person.__table__.columns if c.name not in later)
            )
            pid = conn.execute(
                sa.insert(person).values(case_code="C-OLD001", office_id=office_id).returning(person.c.id)
            ).scalar_one()
            ids = {("person", "what_matters"): pid}
            for model, extra in ((CaseNote, {"body": ""}), (Consent, {"purpose": "record_keeping"}),
                                 (CaseMeeting, {"kind": "support_meeting", "held_on": date(2026, 1, 1)}),
                                 (FollowUp, {"due_on": date(2026, 1, 1)})):  # fmt: skip
                table = model.__table__
                ids[next(k for k in TEXTS if k[0] == table.name)] = conn.execute(
                    sa.insert(table).values(person_id=pid, **extra).returning(table.c.id)
                ).scalar_one()
            # The rows as the old code wrote them: plain text.
            for (table, column), plain in TEXTS.items():
                t = _plain(table, column)
                conn.execute(t.update().where(t.c.id == ids[(table, column)]).values({column: plain}))
        with app.app_context(), engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        cipher = make_cipher(app.extensions["odekake_settings"].encryption_key)
        with engine.connect() as conn:
            for (table, column), plain in TEXTS.items():
                t = _plain(table, column)
                raw = conn.execute(sa.select(t.c[column]).where(t.c.id == ids[(table, column)])).scalar_one()
                assert plain not in raw and cipher.decrypt(raw.encode()).decode() == plain, (table, column)
        with app.app_context(), engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, BEFORE)
        with engine.connect() as conn:
            for (table, column), plain in TEXTS.items():
                t = _plain(table, column)
                assert conn.execute(sa.select(t.c[column]).where(t.c.id == ids[(table, column)])).scalar_one() == plain
    finally:
        engine.dispose()
