"""参加の相談 → 受付 (「受付する」): a case opened from the request, prefilled, linked, its consent kept as the
record-keeping consent, off the staff home's 新しい相談, counted once in 相談件数. SpatiaLite and PostGIS."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import Clock
from tests.factories import World
from tests.helpers import csrf_token, login
from webapp import clock as jp
from webapp.cases import services as cases
from webapp.cases.models import IntakeRoute, Person
from webapp.consult import services as svc
from webapp.consult.models import ConsultRequest
from webapp.listings.models.place import District
from webapp.reports.kpis import KpiFilter, compute_kpis, load_rows
from webapp.security.models import AuditEvent


@pytest.fixture()
def request_b(world: World, session: Session, app: Flask, clock: Clock) -> ConsultRequest:
    """A request to office B, sent at 08:30 in Japan on 2026-12-03 (23:30 UTC on the 2nd)."""
    session.add(District(code="t-kita", name="北小学校区"))
    session.flush()
    office_b = world.users["supporter_b"].office
    assert office_b is not None
    clock.set(datetime(2026, 12, 2, 23, 30, tzinfo=UTC))
    with app.app_context():
        svc.set_office_districts(session, office_b, ["t-kita"])
        req = svc.create_request(session, svc.ConsultInput(
            name="さくら", contact_method="mail", contact="sakura@example.jp", district="t-kita",
            wishes=["anxious", "accompany"], message="一人だと心細いです", activity_id=world.activities["go"].id,
            consent=True,
        ), {"t-kita"})  # fmt: skip
    clock.set(datetime(2026, 12, 4, 20, 30, tzinfo=UTC))  # 05:30 on 12-05 in Japan
    session.commit()
    session.refresh(req)  # loaded now: the first request closes this session and detaches it
    return req


def _fresh(session: Session, req: ConsultRequest) -> ConsultRequest:
    """The request as stored now (each request closes the scoped session: earlier objects are detached)."""
    fresh = session.get(ConsultRequest, req.id)
    assert fresh is not None
    return fresh


def _intake(client: FlaskClient, req: ConsultRequest) -> object:
    token = csrf_token(client, f"/staff/consult/{req.id}")
    return client.post(f"/staff/consult/{req.id}/intake", data={"csrf_token": token})


def test_route_for_the_site_is_seeded(session: Session) -> None:
    route = session.scalar(select(IntakeRoute).where(IntakeRoute.code == svc.SITE_ROUTE))
    assert route is not None and route.label == "本人からの相談（サイト）" and route.active


def test_take_up_opens_a_prefilled_case_and_links_it(
    world: World, client: FlaskClient, session: Session, app: Flask, request_b: ConsultRequest
) -> None:
    login(client, "supporter_b@example.jp")
    home = client.get("/staff/").get_data(as_text=True)
    assert "サイトから届いた参加の相談: <strong>1</strong>" in home
    page = client.get(f"/staff/consult/{request_b.id}").get_data(as_text=True)
    assert "受付する（ケースを作成）" in page and "説明の版 consult-2026-12" in page
    response = _intake(client, request_b)
    assert response.status_code == 302  # type: ignore[attr-defined]
    request_b = _fresh(session, request_b)
    person = session.get(Person, request_b.intake_id)
    assert person is not None
    assert response.headers["Location"].endswith(f"/staff/cases/{person.id}")  # type: ignore[attr-defined]
    assert request_b.status == "received" and request_b.received_by_id == world.users["supporter_b"].id
    with app.app_context():
        assert cases.person_name(person) == "さくら" and cases.person_contact(person) == "sakura@example.jp"
        assert person.handover_summary.startswith(f"サイトからの参加の相談 #{request_b.id}（受信 2026-12-03 08:30）")
        assert "囲碁サロン" in person.handover_summary and "一人だと心細いです" in person.handover_summary
    assert (person.office_id, person.district, person.intake_route) == (request_b.office_id, "t-kita", "site_self")
    assert person.received_on == jp.to_jst(request_b.created_at).date() == datetime(2026, 12, 3).date()
    assert (person.solo_worry, person.needs_accompany, person.contact_preference, person.referral_source) == (
        True, True, "mail", "self")  # fmt: skip
    assert [w.user_id for w in person.workers] == [world.users["supporter_b"].id]
    # The form's consent is the case's record-keeping consent, with its version and day; nothing more.
    [consent] = person.consents
    assert (consent.purpose, consent.version, consent.granted_on) == ("record_keeping", "consult-2026-12", person.received_on)
    case_page = client.get(f"/staff/cases/{person.id}").get_data(as_text=True)
    assert person.case_code in case_page and "本人からの相談（サイト）" in case_page
    assert "参加の相談を受付し" in case_page  # the flash says what happened and what to do next
    # Off the home's 新しい相談; the request shows the case instead of the button.
    assert "サイトから届いた参加の相談: <strong>0</strong>" in client.get("/staff/").get_data(as_text=True)
    page = client.get(f"/staff/consult/{request_b.id}").get_data(as_text=True)
    assert person.case_code in page and "受付する（ケースを作成）" not in page
    listing = client.get("/staff/consult/").get_data(as_text=True)
    assert person.case_code in listing
    actions = [e.action for e in session.scalars(select(AuditEvent).where(AuditEvent.object_id == str(request_b.id)))]
    assert "consult.intake" in actions
    detail = session.scalar(select(AuditEvent.detail).where(AuditEvent.action == "consult.intake"))
    assert detail == {"person_id": person.id}


def test_a_second_take_up_is_refused_and_adds_no_case(
    world: World, client: FlaskClient, session: Session, app: Flask, request_b: ConsultRequest
) -> None:
    login(client, "supporter_b@example.jp")
    assert _intake(client, request_b).status_code == 302  # type: ignore[attr-defined]
    before = session.scalar(select(Person.id).order_by(Person.id.desc()).limit(1))
    again = _intake(client, request_b)
    assert again.status_code == 409  # type: ignore[attr-defined]
    body = again.get_data(as_text=True)  # type: ignore[attr-defined]
    assert "この相談はすでに受付されています。" in body and 'role="alert"' in body
    assert session.scalar(select(Person.id).order_by(Person.id.desc()).limit(1)) == before
    # A colleague whose copy of the request is older than the link (read before it was made): the
    # link made meanwhile wins, checked in the UPDATE itself.
    request_b = _fresh(session, request_b)
    session.expunge(request_b)
    request_b.intake_id = None
    with app.app_context():
        lead = session.get(type(world.users["office_lead_b"]), world.users["office_lead_b"].id)
        with pytest.raises(svc.AlreadyTakenUp):
            svc.take_up(session, lead, request_b)


def test_other_office_and_roles_without_case_writing_cannot_take_up(
    world: World, client: FlaskClient, session: Session, request_b: ConsultRequest
) -> None:
    login(client, "supporter_a@example.jp")
    token = csrf_token(client, "/staff/")
    assert client.post(f"/staff/consult/{request_b.id}/intake", data={"csrf_token": token}).status_code == 404
    for user in ("viewer_b", "admin_b"):
        login(client, f"{user}@example.jp")
        token = csrf_token(client, "/staff/")
        assert client.post(f"/staff/consult/{request_b.id}/intake", data={"csrf_token": token}).status_code == 403
    login(client, "supporter_b@example.jp")
    assert client.post(f"/staff/consult/{request_b.id}/intake", data={}).status_code == 400  # no CSRF token
    request_b = _fresh(session, request_b)
    assert request_b.intake_id is None and request_b.status == "new"


def test_consultations_count_once_before_and_after_the_case(
    world: World, client: FlaskClient, session: Session, request_b: ConsultRequest
) -> None:
    office_b = request_b.office_id
    day = datetime(2026, 12, 3).date()

    def counts() -> tuple[int, int]:
        r = compute_kpis(load_rows(session, office_b), KpiFilter(day, day, office_b), as_of=day)
        return r.consultations, r.consultations_site

    # The world's case of office B was received on 12-05 (the clock's Japan day): not on 12-03.
    assert counts() == (1, 1)  # the request, no case yet
    login(client, "supporter_b@example.jp")
    assert _intake(client, request_b).status_code == 302  # type: ignore[attr-defined]
    session.expire_all()
    assert counts() == (1, 1)  # now the case, received the day the request arrived: still one


def test_a_retired_site_route_leaves_the_route_to_staff(
    world: World, client: FlaskClient, session: Session, app: Flask, request_b: ConsultRequest
) -> None:
    with app.app_context():
        cases.edit_intake_route(session, "retire", svc.SITE_ROUTE)
    session.commit()
    login(client, "supporter_b@example.jp")
    assert _intake(client, request_b).status_code == 302  # type: ignore[attr-defined]
    request_b = _fresh(session, request_b)
    person = session.get(Person, request_b.intake_id)
    assert person is not None and person.intake_route == ""
