"""Builders that several test modules use: users, cases, listings, organizer flows, processes.

Fixtures built on them (world, moderator) are in tests/conftest.py.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pyotp
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from schedule import TZ
from tests.helpers import csrf_token, login
from webapp.accounts import totp
from webapp.accounts.models.user import User
from webapp.cases import placements as flow
from webapp.cases import services as svc
from webapp.cases.models import FollowUp, Person, Placement
from webapp.listings.models.activity import Activity
from webapp.listings.models.organizer import ActivityRevision
from webapp.listings.models.place import Place
from webapp.listings.spatial import set_location

PASSWORD = "correct horse battery"
POSTGIS_URL = os.environ.get("ODEKAKE_TEST_POSTGIS_URL", "")
IKOMA, MAYUMI, ICHIBU = "B129220900011", "B129220900071", "B129220900110"  # SAMPLE 生駒/真弓/壱分小学校


@dataclass
class World:
    users: dict[str, User] = field(default_factory=dict)
    activities: dict[str, Activity] = field(default_factory=dict)
    own_case: Person | None = None  # office A, assigned to supporter_a
    other_case: Person | None = None  # office B
    unassigned_case: Person | None = None  # office A, nobody but lead_a sees it
    placement: Placement | None = None  # on own_case
    followup: FollowUp | None = None  # on own_case


def make_activity(session: Session, key: str, lat: float, lon: float, **kw: Any) -> Activity:
    place = Place(source="test", source_id=f"place-{key}", name=f"会場{key}")
    set_location(place, lat, lon)
    session.add(place)
    values: dict[str, Any] = {
        "source": "test", "source_id": key, "name": kw.pop("name", f"活動{key}"), "status": "published",
        "place": place, "schedule_rrule": "FREQ=WEEKLY;BYDAY=TU", "start_time": time(10), "end_time": time(12),
        "schedule_text": "毎週火曜 10:00〜12:00", "cost_yen": 0,
    }  # fmt: skip
    values.update(kw)
    activity = Activity(**values)
    session.add(activity)
    session.flush()
    return activity


@functools.cache
def _password_hash() -> str:
    from webapp.accounts.passwords import hash_password

    return hash_password(PASSWORD)


def make_staff(session: Session, email: str, role: str, office: str) -> User:
    """Like conftest's make_user, but hashing the shared password once: Argon2 per user is slow."""
    from webapp.accounts.models.user import RoleMembership
    from webapp.accounts.services import get_or_create_office

    user = User(email=email, display_name=email.split("@")[0], password_hash=_password_hash())
    user.office = get_or_create_office(session, office)
    user.memberships.append(RoleMembership(role=role))
    session.add(user)
    session.flush()
    return user


def _build_world(session: Session) -> World:
    w = World()
    make_user = functools.partial(make_staff, session)
    for role in ("supporter", "office_lead", "viewer", "admin"):
        for office in ("A", "B"):
            key = f"{role}_{office.lower()}"
            w.users[key] = make_user(f"{key}@example.jp", role, f"所属{office}")
    w.users["supporter_a2"] = make_user("supporter_a2@example.jp", "supporter", "所属A")
    session.flush()
    w.activities["go"] = make_activity(
        session, "go", 34.6934, 135.6875, name="囲碁サロン", tags=["go"], audiences=["elderly"],
        welcomes_first_timers=True, solo_ok=True, visit_ok=True,
    )  # fmt: skip
    w.activities["kids"] = make_activity(
        session, "kids", 34.6940, 135.6880, name="子育てひろば", tags=["play"], audiences=["parents_children"]
    )
    w.activities["far"] = make_activity(session, "far", 34.80, 135.80, name="遠くの囲碁会", tags=["go"])
    data = svc.PersonInput(
        age_band="60s", district="ikoma", field="elderly", interests=["go"], free_slots=["1am"],
        max_travel_m=2000, name="山田 太郎", contact="0743-00-0000", received_on=date(2025, 10, 1),
    )  # fmt: skip
    w.own_case = svc.create_person(session, w.users["supporter_a"], data)
    w.other_case = svc.create_person(session, w.users["supporter_b"], svc.PersonInput(field="hikikomori"))
    w.unassigned_case = svc.create_person(session, w.users["office_lead_a"], svc.PersonInput(field="poverty"))
    w.placement = flow.add_placement(session, w.users["supporter_a"], w.own_case, w.activities["go"].id, reason="test",
                                 occurred_on=date(2025, 10, 1))  # fmt: skip
    w.followup = flow.add_followup(session, w.users["supporter_a"], w.own_case, date(2026, 1, 1))
    session.flush()
    return w


PASSWORD = "correct horse battery"


ADDRESS = "奈良県生駒市元町1丁目3番5号"


def outbox_links(client: FlaskClient, to: str, path: str) -> list[str]:
    """Links to `path` in the mail sent to `to`, newest first, read from the dev outbox page."""
    page = client.get(f"/organizer/dev/outbox?to={to}").get_data(as_text=True)
    # each link appears twice (the outbox makes it clickable: href and text); keep one of each
    found = re.findall(rf'http://localhost({re.escape(path)}[^\s<"]+)', page)
    return list(dict.fromkeys(m.replace("&amp;", "&") for m in found))


def sign_up(client: FlaskClient, email: str, org: str = "ひまわりサロンの会") -> None:
    token = csrf_token(client, "/auth/signup")
    r = client.post(
        "/auth/signup",
        data={
            "csrf_token": token,
            "email": email,
            "password": PASSWORD,
            "display_name": "山田",
            "organization_name": org,
            "organization_kind": "volunteer_group",
        },
    )
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]


def verify(client: FlaskClient, link: str, password: str = PASSWORD) -> Any:
    """Open the verification link and choose the password there (the sign-up form takes none)."""
    token = csrf_token(client, link)
    return client.post(link, data={"csrf_token": token, "password": password, "confirm": password})


def sign_up_and_verify(client: FlaskClient, email: str, org: str = "ひまわりサロンの会") -> None:
    sign_up(client, email, org)
    links = outbox_links(client, email, "/auth/verify/")
    assert links, "no verification mail"
    r = verify(client, links[0])
    assert r.status_code == 302
    login(client, email)


def new_listing(client: FlaskClient) -> int:
    page = client.get("/organizer/").get_data(as_text=True)
    org_id = re.search(r'name="organization_id" value="(\d+)"', page)
    assert org_id, page[:3000]
    token = csrf_token(client, "/organizer/")
    r = client.post("/organizer/activities/new", data={"csrf_token": token, "organization_id": org_id.group(1)})
    assert r.status_code == 302
    return int(re.search(r"/activities/(\d+)/edit", r.headers["Location"]).group(1))  # type: ignore[union-attr]


def listing_form(**overrides: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "name": "ひまわりサロン",
        "category": "salon",
        "audiences": ["elderly"],
        "schedule_kind": "monthly",
        "weekdays": ["TU"],
        "nths": ["1", "3"],
        "skip_holidays": "1",
        "start": "10:00",
        "end": "11:30",
        "place_mode": "new",
        "place_name": "元町集会所",
        "address": ADDRESS,
        "lat": "",
        "lon": "",
        "cost_yen": "100",
        "cost_text": "お茶代",
        "booking_required": "no",
        "contact_name": "山田",
        "contact_phone": "0743-00-0000",
        "description": "おしゃべりと体操の会です。",
    }
    form.update(overrides)
    return form


def post_listing(client: FlaskClient, activity_id: int, action: str = "submit", **overrides: Any) -> Any:
    url = f"/organizer/activities/{activity_id}/edit"
    data = listing_form(**overrides)
    data["csrf_token"] = csrf_token(client, url)
    data["action"] = action
    return client.post(url, data=data)


def logout(client: FlaskClient) -> None:
    token = csrf_token(client, "/")
    client.post("/auth/logout", data={"csrf_token": token})


def approve(client: FlaskClient, revision_id: int, decision: str = "approve", message: str = "") -> Any:
    url = f"/staff/moderation/revisions/{revision_id}"
    token = csrf_token(client, url)
    return client.post(url, data={"csrf_token": token, "decision": decision, "message": message})


def pending_revision_id(session: Session, activity_id: int) -> int:
    rid = session.scalar(
        select(ActivityRevision.id).where(
            ActivityRevision.activity_id == activity_id, ActivityRevision.status == "pending"
        )
    )
    assert rid is not None
    return rid


PW = "correct horse battery"


def post_login(client: FlaskClient, email: str, password: str, **extra: str):  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/auth/login")
    return client.post("/auth/login", data={"email": email, "password": password, "csrf_token": token, **extra})


def enable_totp(client: FlaskClient, session: Session, user) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    page = client.get("/auth/totp/setup").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page
    with client.application.app_context():  # the secret is decrypted with the app's key
        secret = totp.secret_of(totp.credential(session, user))  # type: ignore[arg-type]
    assert secret in page
    token = csrf_token(client, "/auth/totp/setup")
    r = client.post("/auth/totp/setup", data={"csrf_token": token, "code": pyotp.TOTP(secret).now()})
    assert r.status_code == 200
    codes = re.findall(r"<code>([a-z0-9-]{19})</code>", r.get_data(as_text=True))
    assert len(codes) == totp.RECOVERY_CODE_COUNT
    assert r.headers["Cache-Control"] == "no-store"
    return secret, codes


D = date


# person: (id, office, field, first contact, closed, district, interests)
PEOPLE = [
    (1, 1, "elderly", D(2026, 3, 1), None, IKOMA, ("go", "tea_chat")),
    (2, 1, "elderly", D(2026, 4, 10), None, MAYUMI, ("handicraft",)),
    (3, 1, "hikikomori", D(2026, 5, 1), None, IKOMA, ("go",)),
    (4, 1, "elderly", D(2026, 6, 1), None, MAYUMI, ()),
    (5, 1, "elderly", D(2025, 10, 1), D(2026, 3, 15), IKOMA, ()),
    (6, 1, "elderly", D(2026, 10, 5), None, IKOMA, ()),
    (7, 2, "elderly", D(2026, 4, 1), None, ICHIBU, ()),
    (8, 1, "hikikomori", D(2026, 2, 1), None, "", ("walking",)),
    (9, 1, "elderly", D(2026, 1, 15), None, IKOMA, ("tea_chat",)),
]


# placement: (id, person, [(day, to_stage)…], outcome)  — the outcome is recorded on the last event's day
PLACEMENTS = [
    (1, 1, [(D(2026, 3, 5), "candidate"), (D(2026, 3, 10), "proposed"), (D(2026, 3, 20), "trial"), (D(2026, 4, 1), "participating")], ""),
    (2, 2, [(D(2026, 4, 12), "candidate"), (D(2026, 4, 15), "proposed"), (D(2026, 5, 10), "participating"), (D(2026, 6, 1), "ended")], "declined_by_person"),
    (3, 3, [(D(2026, 5, 20), "ended")], "no_suitable_activity"),
    (4, 3, [(D(2026, 6, 1), "candidate"), (D(2026, 6, 5), "proposed"), (D(2026, 6, 10), "ended")], "host_no_capacity"),
    (5, 4, [(D(2026, 6, 2), "candidate"), (D(2026, 6, 3), "proposed"), (D(2026, 6, 20), "trial"), (D(2026, 7, 15), "participating")], ""),
    (6, 5, [(D(2025, 10, 20), "candidate"), (D(2025, 11, 1), "participating")], ""),
    (7, 7, [(D(2026, 4, 5), "candidate"), (D(2026, 4, 20), "participating")], ""),
    (8, 8, [(D(2026, 3, 30), "ended")], "no_suitable_activity"),
    (9, 9, [(D(2026, 1, 20), "candidate"), (D(2026, 2, 1), "proposed"), (D(2026, 2, 15), "participating"), (D(2026, 5, 15), "settled")], ""),
    (10, 9, [(D(2026, 3, 25), "candidate"), (D(2026, 4, 5), "ended")], "host_no_capacity"),
]


# follow-up: (id, person, target, due, done, scale, score, baseline)
FOLLOWUPS = [
    (1, 1, "person", D(2026, 4, 15), D(2026, 4, 14), "who5", 10, True),
    (2, 1, "person", D(2026, 5, 15), D(2026, 5, 20), "who5", 14, False),
    (3, 1, "person", D(2026, 7, 1), D(2026, 6, 30), "who5", 16, False),
    (4, 2, "person", D(2026, 6, 1), None, "", None, False),
    (5, 2, "host", D(2026, 5, 20), D(2026, 5, 21), "", None, False),
    (6, 4, "host", D(2026, 8, 1), None, "", None, False),
    (7, 4, "person", D(2026, 10, 10), None, "", None, False),
    (8, 9, "person", D(2026, 3, 20), D(2026, 3, 20), "who5", 12, True),
    (9, 9, "person", D(2026, 6, 15), D(2026, 6, 15), "who5", 11, False),
    (10, 2, "person", D(2026, 4, 20), D(2026, 4, 20), "swemwbs", 20, True),
    (11, 4, "person", D(2026, 9, 30), D(2026, 10, 2), "", None, False),
]


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=TZ)


def store_fixed_dataset(session: Session) -> dict[int, int]:
    """Insert PEOPLE/PLACEMENTS/FOLLOWUPS; returns {dataset office number: Office.id}."""
    from webapp.accounts.models.user import Office
    from webapp.cases.models import FollowUp, Person, Placement, PlacementEvent

    offices = {n: Office(name=f"テスト事務所{n}") for n in (1, 2)}
    session.add_all(offices.values())
    session.flush()
    people: dict[int, Person] = {}
    for i, o, f, c, cl, d, it in PEOPLE:
        p = Person(case_code=f"T-{i:03d}", office_id=offices[o].id, field=f, district=d, interests=list(it),
                   created_at=_at(c), closed_at=_at(cl) if cl else None)
        session.add(p)
        people[i] = p
    session.flush()
    placements: dict[int, Placement] = {}
    for i, p, ev, out in PLACEMENTS:
        pl = Placement(person_id=people[p].id, stage=ev[-1][1], outcome=out, host_name="受け入れ先",
                       created_at=_at(ev[0][0]), stage_changed_at=_at(ev[-1][0], 23))  # 23:00 Tokyo = 14:00 UTC
        pl.events = [PlacementEvent(from_stage="", to_stage=st, at=_at(on)) for on, st in ev]
        session.add(pl)
        placements[i] = pl
    for fid, p, target, due, done, scale, score, baseline in FOLLOWUPS:
        session.add(FollowUp(person_id=people[p].id, target=target, due_on=due, done_at=_at(done) if done else None,
                             wellbeing_scale=scale, wellbeing_score=score, is_baseline=baseline, label=f"FU{fid}"))
    session.flush()
    return {n: o.id for n, o in offices.items()}


ODEKAKE = str(Path(sys.executable).parent / "odekake")


def run(instance: Path, *args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ODEKAKE_")}
    environ.update({"ODEKAKE_INSTANCE_DIR": str(instance), **env})
    return subprocess.run([ODEKAKE, *args], input=stdin, capture_output=True, text=True, env=environ, timeout=120)


VENV_BIN = Path(sys.executable).parent


def make_backup_app(instance: Path, database_url: str = "") -> tuple[Flask, Engine]:
    from webapp import create_app
    from webapp.extensions import db

    config: dict[str, Any] = {"instance_dir": instance, "env": "testing"}
    if database_url:
        config["database_url"] = database_url
    app = create_app(config)
    assert db.engine is not None
    return app, db.engine


def _use(engine: Engine) -> None:
    from webapp.extensions import db

    db.configure(engine)
    db.session_factory.configure(bind=engine, join_transaction_mode="conditional_savepoint")


def populate_instance(app: Flask, engine: Engine) -> None:
    from webapp.accounts import totp
    from webapp.accounts.services import create_user, issue_reset_token
    from webapp.commands.migrate import upgrade_to_head
    from webapp.extensions import db
    from webapp.listings.demo import load_sample_city
    from webapp.security import audit

    _use(engine)
    with app.app_context():
        upgrade_to_head()
        with db.transaction() as session:
            load_sample_city(session)
            staff = create_user(session, "staff@example.jp", "correct horse battery", ["supporter"], "生駒市社協")
            create_user(session, "org@example.jp", "correct horse battery", ["organizer"])
            totp.begin_enrolment(session, staff)
            totp.new_recovery_codes(session, staff)
            issue_reset_token(session, staff)
            audit.record(session, "test.backup", "user", staff.id, {"note": "要配慮個人情報のテスト"}, user_id=staff.id)
    settings = app.extensions["odekake_settings"]
    photos = settings.resolved_upload_dir / "photos" / "ab"
    photos.mkdir(parents=True)
    (photos / "original.jpg").write_bytes(os.urandom(50_000))
    (photos / "800.webp").write_bytes(os.urandom(7_000))
    (settings.resolved_upload_dir / "imports").mkdir()
    (settings.resolved_upload_dir / "imports" / "サロン一覧.csv").write_text("名称,緯度,経度\n", encoding="utf-8")


def psql_command(sql: str, database: str = "postgres", *, check: bool = True) -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql],
        check=check, capture_output=True,
    )


@contextmanager
def fresh_postgis_database(name: str) -> Iterator[str]:
    """A new, empty PostGIS database on the suite's server; yields its URL and drops it afterwards."""
    drop = f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    psql_command(drop)
    psql_command(f"CREATE DATABASE {name}")
    try:
        psql_command("CREATE EXTENSION postgis", database=name)
        yield f"{POSTGIS_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        psql_command(drop, check=False)  # best effort: a failed drop must not hide the test's own result
