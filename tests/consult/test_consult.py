"""参加の相談 from the public site: routing to the office covering the district, consent version,
honeypot, CSRF, rate limit, the staff list scoped to one office, 受付済み. SpatiaLite and PostGIS."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from tests.conftest import Clock
from tests.factories import World
from tests.helpers import csrf_token, login
from webapp.accounts.models.user import User
from webapp.consult import services as svc
from webapp.consult.models import ConsultRequest
from webapp.listings.models.place import District
from webapp.security.models import AuditEvent


@pytest.fixture()
def covered(world: World, session: Session, app: Flask) -> dict[str, int]:
    """Districts t-kita (office B covers it) and t-minami (nobody covers it)."""
    session.add_all([District(code="t-kita", name="北小学校区"), District(code="t-minami", name="南小学校区")])
    session.flush()
    office_b = world.users["supporter_b"].office
    assert office_b is not None
    with app.app_context():
        svc.set_office_districts(session, office_b, ["t-kita"])
    return {"a": int(world.users["supporter_a"].office_id or 0), "b": office_b.id}


def _send(client: FlaskClient, query: str = "", **fields: str | list[str]) -> object:
    token = csrf_token(client, "/consult/request" + query)
    data: dict[str, str | list[str]] = {
        "csrf_token": token, "name": "さくら", "contact_method": "phone", "contact": "090-0000-0000",
        "office_id": "", "district": "t-kita", "wishes": ["accompany"], "message": "一人だと心細いです",
        "consent": "y", "website": "", "activity": "",
    }
    data.update(fields)
    return client.post("/consult/request", data=data)


def test_request_goes_to_office_covering_district_with_consent_version(
    world: World, client: FlaskClient, session: Session, covered: dict[str, int], clock: Clock
) -> None:
    go = world.activities["go"]
    page = client.get(f"/activities/{go.id}").get_data(as_text=True)
    assert f"/consult/request?activity={go.id}&amp;wish=anxious" in page
    assert f"/consult/request?activity={go.id}&amp;wish=accompany" in page
    form = client.get(f"/consult/request?activity={go.id}&wish=accompany").get_data(as_text=True)
    assert "囲碁サロン" in form and svc.CONSENT_VERSION in form
    assert '<div hidden>' in form  # the honeypot is hidden from people without CSS or JavaScript

    response = _send(client, activity=str(go.id))
    assert response.status_code == 302  # type: ignore[attr-defined]
    sent = client.get(response.headers["Location"]).get_data(as_text=True)  # type: ignore[attr-defined]
    assert "所属Bの参加支援の担当者から、3開庁日以内に電話でご連絡します。" in sent
    req = session.scalars(select(ConsultRequest)).one()
    assert (req.office_id, req.district, req.activity_id, req.status) == (covered["b"], "t-kita", go.id, "new")
    assert req.consent_version == svc.CONSENT_VERSION and req.wishes == ["accompany"]
    raw = session.execute(text("SELECT name, contact, message FROM consult_request")).one()
    assert "さくら" not in raw[0] and "090" not in raw[1] and "心細い" not in raw[2]  # encrypted at rest
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "consult.create")).one()
    assert "さくら" not in str(event.detail)


def test_chosen_office_wins_and_uncovered_district_goes_to_first_office(
    world: World, client: FlaskClient, session: Session, covered: dict[str, int]
) -> None:
    assert _send(client, office_id=str(covered["a"]), district="t-kita").status_code == 302  # type: ignore[attr-defined]
    assert _send(client, district="t-minami").status_code == 302  # type: ignore[attr-defined]
    offices = [r.office_id for r in session.scalars(select(ConsultRequest).order_by(ConsultRequest.id))]
    assert offices == [covered["a"], min(covered.values())]


def test_errors_translated_beside_fields_nothing_lost(world: World, client: FlaskClient, covered: dict[str, int]) -> None:
    response = _send(client, name="", consent="", message="行けるか心配\n二行目")
    assert response.status_code == 400  # type: ignore[attr-defined]
    page = response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert 'class="error-summary"' in page
    assert "お名前かニックネームを入力してください。" in page and "同意していただける場合はチェックを入れてください。" in page
    assert "行けるか心配\n二行目" in page and 'value="090-0000-0000"' in page
    en = _send(client, "?lang=en", name="", consent="")
    body = en.get_data(as_text=True)  # type: ignore[attr-defined]
    assert "Enter your name or a nickname." in body and "Tick the box if you agree." in body


def test_honeypot_stores_nothing_csrf_required_rate_limited(
    world: World, client: FlaskClient, session: Session, covered: dict[str, int]
) -> None:
    assert _send(client, website="http://spam.example").status_code == 302  # type: ignore[attr-defined]
    assert session.scalars(select(ConsultRequest)).all() == []
    no_token = client.post("/consult/request", data={"name": "x", "contact": "y", "consent": "y"})
    assert no_token.status_code == 400 and session.scalars(select(ConsultRequest)).all() == []
    statuses = [_send(client).status_code for _ in range(5)]  # type: ignore[attr-defined]
    assert statuses[-1] == 429  # 5 per hour, the honeypot post and the tokenless one counted too


def _logout(client: FlaskClient) -> None:
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/staff/")})


def test_staff_see_only_their_office_and_mark_received(
    world: World, client: FlaskClient, session: Session, covered: dict[str, int], app: Flask
) -> None:
    _send(client)  # → office B
    req = session.scalars(select(ConsultRequest)).one()
    login(client, "supporter_a@example.jp")
    assert "さくら" not in client.get("/staff/consult/").get_data(as_text=True)
    assert client.get(f"/staff/consult/{req.id}").status_code == 404
    token = csrf_token(client, "/staff/")
    assert client.post(f"/staff/consult/{req.id}/receive", data={"csrf_token": token}).status_code == 404
    _logout(client)

    login(client, "supporter_b@example.jp")
    home = client.get("/staff/").get_data(as_text=True)
    assert "サイトから届いた参加の相談: <strong>1</strong>" in home
    listing = client.get("/staff/consult/").get_data(as_text=True)
    assert "新しい相談" in listing and "一緒に行ってほしい" in listing
    page = client.get(f"/staff/consult/{req.id}").get_data(as_text=True)
    assert "さくら" in page and "090-0000-0000" in page
    token = csrf_token(client, f"/staff/consult/{req.id}")
    assert client.post(f"/staff/consult/{req.id}/receive", data={"csrf_token": token}).status_code == 302
    session.refresh(req)
    assert req.status == "received" and req.received_by_id == world.users["supporter_b"].id and req.intake_id is None
    assert "<strong>0</strong>" in client.get("/staff/").get_data(as_text=True)
    actions = [e.action for e in session.scalars(select(AuditEvent).where(AuditEvent.object_type == "consult_request"))]
    assert actions.count("consult.read") >= 2 and "consult.receive" in actions
    with app.app_context():
        user_b = session.get(User, world.users["supporter_b"].id)
        assert user_b is not None and svc.new_count(session, user_b) == 0


@pytest.mark.parametrize(("user", "status"), [("viewer_b", 403), ("admin_b", 403), ("office_lead_b", 200)])
def test_consult_list_permission_matrix(world: World, client: FlaskClient, user: str, status: int) -> None:
    login(client, f"{user}@example.jp")
    assert client.get("/staff/consult/").status_code == status


def test_admin_sets_the_office_of_each_district(
    world: World, client: FlaskClient, session: Session, covered: dict[str, int]
) -> None:
    login(client, "supporter_a@example.jp")
    assert client.get("/staff/consult/areas").status_code == 403
    _logout(client)
    login(client, "admin_a@example.jp")
    page = client.get("/staff/consult/areas").get_data(as_text=True)
    assert "北小学校区" in page and "南小学校区" in page
    token = csrf_token(client, "/staff/consult/areas")
    bad = client.post("/staff/consult/areas", data={"csrf_token": token, "office-t-kita": "999999", "office-t-minami": ""})
    assert bad.status_code == 400 and "一覧から選んでください。" in bad.get_data(as_text=True)
    ok = client.post("/staff/consult/areas", data={"csrf_token": token, "office-t-kita": "",
                                                   "office-t-minami": str(covered["a"])})
    assert ok.status_code == 302
    with client.application.app_context():
        assert svc.office_of_districts(session) == {"t-minami": covered["a"]}
    _logout(client)
    assert _send(client, district="t-minami").status_code == 302  # type: ignore[attr-defined]
    assert session.scalars(select(ConsultRequest)).one().office_id == covered["a"]
