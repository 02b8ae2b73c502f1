"""受け入れのご相談 (issue 18, the closed loop): a 打診 sent to a register host's organizer accounts,
answered by the host, with its thread, the reminder after N days and the per-host figures.

Runs on SpatiaLite and PostGIS (the `world` fixture: offices A and B, every staff role; here a host
organization with two organizer accounts, another host with its own, and an organizer of neither).
The clock is set where UTC and Japan disagree on the date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import Clock
from tests.factories import World, logout, make_staff
from tests.helpers import csrf_token, login
from webapp.accounts.models.user import User
from webapp.cases import placements as flow
from webapp.cases import services as svc
from webapp.cases.models import Placement
from webapp.hosts import requests as rq
from webapp.hosts.models import Host, HostOffice, HostRequest
from webapp.listings.models.organization import Organization
from webapp.listings.models.organizer import OrganizationMembership
from webapp.mail.models import OutboxMessage
from webapp.security.models import AuditEvent

START = datetime(2026, 12, 4, 20, 30, tzinfo=UTC)  # 12-05 05:30 in Japan


@dataclass
class Loop:
    host: Host
    other_host: Host
    placement: Placement
    consent_id: int
    placement_id: int = 0
    host_id: int = 0
    other_host_id: int = 0
    other_org_id: int = 0


def _fresh(session: Session, model: type, row_id: int) -> object:
    """The row as the database has it now (requests commit and close the session between them)."""
    return session.get(model, row_id, populate_existing=True)


def _placement(session: Session, loop: Loop) -> Placement:
    found = _fresh(session, Placement, loop.placement_id)
    assert isinstance(found, Placement)
    return found


def _organizer(session: Session, email: str, org: Organization | None) -> User:
    user = make_staff(session, email, "organizer", "主催者")
    user.office = None
    if org is not None:
        session.add(OrganizationMembership(user_id=user.id, organization_id=org.id))
    session.flush()
    return user


def _host(session: Session, name: str, org: Organization, office_id: int | None) -> Host:
    host = Host(name=name, kind="listing_org", organization_id=org.id, stage="agreed", stage_on=date(2026, 11, 1))
    if office_id is not None:
        host.offices.append(HostOffice(office_id=office_id))
    session.add(host)
    session.flush()
    return host


@pytest.fixture()
def loop(world: World, session: Session, app: Flask, clock: Clock) -> Loop:
    """Host 「こども広場の会」 runs 子育てひろば; own_case's placement there, share_host consent given
    for 呼び名・年代・希望すること (not 配慮してほしいこと, not 支援者の連絡先)."""
    with app.app_context():
        org = Organization(source="test", source_id="org-kids", name="こども広場の会")
        other_org = Organization(source="test", source_id="org-farm", name="みどり農園")
        session.add_all([org, other_org])
        session.flush()
        world.activities["kids"].organization_id = org.id
        sup = world.users["supporter_a"]
        host = _host(session, "こども広場の会", org, sup.office_id)
        other_host = _host(session, "みどり農園", other_org, world.users["supporter_b"].office_id)
        _organizer(session, "host1@example.org", org)
        _organizer(session, "host2@example.org", org)
        _organizer(session, "farm@example.org", other_org)
        _organizer(session, "stranger@example.org", None)
        person = world.own_case
        assert person is not None
        person.accessibility_needs = ["wheelchair"]
        person.roles_wanted = ["friends"]
        pl = flow.add_placement(session, sup, person, world.activities["kids"].id, reason="子どもと行ける",
                                occurred_on=date(2026, 12, 1))  # fmt: skip
        consent = svc.grant_consent(
            session, sup, person, "share_host", "written", activity_id=world.activities["kids"].id,
            share_fields=["nickname", "age_band", "wishes"], nickname="タロウさん",
        )  # fmt: skip
        session.flush()
        return Loop(host, other_host, pl, consent.id, pl.id, host.id, other_host.id, other_org.id)


def _propose(client: FlaskClient, placement_id: int, next_page: str = "board") -> object:
    token = csrf_token(client, "/staff/board")
    return client.post(f"/staff/placements/{placement_id}/stage",
                       data={"csrf_token": token, "stage": "proposed", "reason": "先方に打診", "next": next_page})  # fmt: skip


def _requests(session: Session) -> list[HostRequest]:
    return list(session.scalars(select(HostRequest).order_by(HostRequest.id)))


def _mails(session: Session, to: str) -> list[OutboxMessage]:
    return list(session.scalars(select(OutboxMessage).where(OutboxMessage.to == to).order_by(OutboxMessage.id)))


def _relogin(client: FlaskClient, email: str) -> None:
    """Sign out (unless the session has already expired: the clock may have moved days) and in as email."""
    if re.search(r'name="csrf_token"', client.get("/").get_data(as_text=True)):
        logout(client)
    login(client, email)


def test_an_activity_of_a_host_links_the_host_and_a_register_host_can_be_chosen(
    world: World, session: Session, app: Flask, loop: Loop
) -> None:
    assert _placement(session, loop).host_id == loop.host_id
    with app.app_context():
        pl = flow.add_placement(session, world.users["supporter_a"], world.own_case, host_id=loop.other_host_id)  # type: ignore[arg-type]
        assert (pl.host_id, pl.host_name, pl.activity_id) == (loop.other_host_id, "みどり農園", None)
        with pytest.raises(svc.ServiceError) as err:
            flow.add_placement(session, world.users["supporter_a"], world.own_case, host_id=999_999)  # type: ignore[arg-type]
        assert err.value.field == "host_id"


def test_the_closed_loop_send_mail_answer_thread_reminder_figures(
    world: World, client: FlaskClient, session: Session, app: Flask, loop: Loop, clock: Clock
) -> None:
    login(client, "supporter_a@example.jp")
    assert _propose(client, loop.placement_id).status_code == 302  # type: ignore[attr-defined]
    [req] = _requests(session)
    assert (req.host_id, req.placement_id, req.consent_id) == (loop.host_id, loop.placement_id, loop.consent_id)
    # every organizer account of the host gets a mail: a link, and nothing about the person
    for to in ("host1@example.org", "host2@example.org"):
        [mail] = _mails(session, to)
        assert f"/organizer/requests/{req.id}" in mail.body
        for secret in ("山田", "タロウ", "0743", world.own_case.case_code):  # type: ignore[union-attr]
            assert secret not in mail.body and secret not in mail.subject
    assert _mails(session, "farm@example.org") == [] and _mails(session, "stranger@example.org") == []

    # the host's person signs in, sees the request in the list and opens it
    _relogin(client, "host1@example.org")
    listing = client.get("/organizer/requests/").get_data(as_text=True)
    assert f"/organizer/requests/{req.id}" in listing and "未回答" in listing
    assert "受け入れのご相談が1件、ご回答を待っています。" in client.get("/organizer/").get_data(as_text=True)
    page = client.get(f"/organizer/requests/{req.id}").get_data(as_text=True)
    assert "タロウさん" in page and "60代" in page and "仲間がほしい" in page
    for hidden in ("山田", "0743", world.own_case.case_code, "車いす", "supporter_a@example.jp", "配慮してほしいこと"):  # type: ignore[union-attr]
        assert hidden not in page, hidden

    # もう少し知りたい opens the thread; it moves nothing
    token = csrf_token(client, f"/organizer/requests/{req.id}")
    r = client.post(f"/organizer/requests/{req.id}/answer",
                    data={"csrf_token": token, "answer": "more_info", "message": "送迎は必要ですか？"})  # fmt: skip
    assert r.status_code == 302
    pl = _placement(session, loop)
    assert pl.stage == "proposed" and pl.answered_at is None and pl.host_answer == "more_info"
    assert "ご回答を待っています" not in client.get("/organizer/").get_data(as_text=True)  # answered: no panel

    # the supporter sees the badge and the thread, and answers in it
    _relogin(client, "supporter_a@example.jp")
    board = client.get("/staff/board").get_data(as_text=True)
    assert "先方: もう少し知りたい" in board
    staff_page = client.get(f"/staff/hosts/placements/{loop.placement_id}/request", follow_redirects=True)
    assert "送迎は必要ですか？" in staff_page.get_data(as_text=True)
    token = csrf_token(client, f"/staff/hosts/requests/{req.id}")
    r = client.post(f"/staff/hosts/requests/{req.id}/messages", data={"csrf_token": token, "body": "最寄り駅まで同行します"})
    assert r.status_code == 302
    # the host's people hear of it: a link, not the message
    for to in ("host1@example.org", "host2@example.org"):
        [_sent, told_host] = _mails(session, to)
        assert told_host.subject == "おでかけマップ: 担当者からメッセージが届きました"
        assert f"/organizer/requests/{req.id}" in told_host.body and "最寄り駅" not in told_host.body

    # the host answers 見学から: answered_at / host_accepted recorded, the stage still 打診
    clock.set(START + timedelta(days=3))
    _relogin(client, "host2@example.org")
    assert "最寄り駅まで同行します" in client.get(f"/organizer/requests/{req.id}").get_data(as_text=True)
    token = csrf_token(client, f"/organizer/requests/{req.id}")
    r = client.post(f"/organizer/requests/{req.id}/answer", data={"csrf_token": token, "answer": "visit_first"})
    assert r.status_code == 302
    pl = _placement(session, loop)
    assert pl.stage == "proposed" and pl.host_accepted is True
    assert pl.answered_at == START + timedelta(days=3)
    # the supporter who sent it hears of the answers and the host's messages: a link, no content
    told = _mails(session, "supporter_a@example.jp")
    assert [m.subject for m in told] == ["おでかけマップ: 受け入れ先からの連絡"] * 2
    assert all(f"/staff/hosts/requests/{req.id}" in m.body and "送迎" not in m.body for m in told)

    # audited on both sides: the case's and the host's
    actions = {(e.action, e.object_type) for e in session.scalars(select(AuditEvent))}
    for action in ("host.request.send", "host.request.read", "host.request.answer", "host.request.message"):
        assert (action, "person") in actions and (action, "host") in actions, action

    # figures: one answer after 3 days, accepted
    with app.app_context():
        figures = rq.host_figures(session, _fresh(session, Host, loop.host_id))  # type: ignore[arg-type]
    assert (figures.proposals, figures.answered, figures.accepted) == (1, 1, 1)
    assert figures.median_days_to_answer == 3.0 and figures.response_rate == 1.0
    _relogin(client, "supporter_a@example.jp")
    host_page = client.get(f"/staff/hosts/{loop.host_id}").get_data(as_text=True)
    assert "回答率" in host_page and "100%" in host_page and "3.0日" in host_page


def test_reminder_after_n_days_once_and_the_board_flag(
    world: World, client: FlaskClient, session: Session, app: Flask, loop: Loop, clock: Clock
) -> None:
    from webapp.commands.tasks import remind_hosts

    login(client, "supporter_a@example.jp")
    _propose(client, loop.placement_id)
    [req] = _requests(session)
    with app.app_context():
        clock.set(START + timedelta(days=13))
        assert "0 request(s)" in remind_hosts()
        clock.set(START + timedelta(days=15))
        assert "1 request(s)" in remind_hosts()
        assert "0 request(s)" in remind_hosts()  # once
    req = _fresh(session, HostRequest, req.id)  # type: ignore[assignment]
    assert req.reminded_at == START + timedelta(days=15)
    reminders = [m for m in _mails(session, "host1@example.org") if "ご回答のお願い" in m.subject]
    assert len(reminders) == 1 and f"/organizer/requests/{req.id}" in reminders[0].body
    _relogin(client, "supporter_a@example.jp")  # the staff session expired while the clock moved
    board = client.get("/staff/board").get_data(as_text=True)
    assert "回答待ち 15日" in board
    with app.app_context():
        figures = rq.host_figures(session, _fresh(session, Host, loop.host_id))  # type: ignore[arg-type]
    assert figures.response_rate == 0.0 and figures.open_overdue == 1 and figures.median_days_to_answer is None


def test_setting_changes_the_reminder_window(
    world: World, client: FlaskClient, session: Session, app: Flask, loop: Loop, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    from webapp.commands.tasks import remind_hosts

    login(client, "supporter_a@example.jp")
    _propose(client, loop.placement_id)
    monkeypatch.setitem(app.extensions, "odekake_settings", replace(app.extensions["odekake_settings"], proposal_overdue_days=5))
    with app.app_context():
        clock.set(START + timedelta(days=6))
        assert "1 request(s)" in remind_hosts()


def test_no_live_consent_for_that_host_no_request_and_the_error_beside_the_field(
    world: World, client: FlaskClient, session: Session, app: Flask, loop: Loop
) -> None:
    with app.app_context():
        svc.withdraw_consent(session, world.users["supporter_a"], world.own_case, loop.consent_id)  # type: ignore[arg-type]
    login(client, "supporter_a@example.jp")
    r = _propose(client, loop.placement_id)
    assert r.status_code == 400  # type: ignore[attr-defined]
    page = r.get_data(as_text=True)  # type: ignore[attr-defined]
    beside = re.search(rf'id="stage-{loop.placement_id}-stage-error">([^<]*)<', page)
    assert beside and "受け入れ先と情報を共有する本人の同意" in beside.group(1)
    assert re.search(rf'id="stage-{loop.placement_id}-stage"[^>]*aria-invalid="true"', page)
    assert "先方に打診" in page  # what was typed is kept
    assert _requests(session) == []
    assert _mails(session, "host1@example.org") == []


def test_withdrawal_takes_the_request_away_and_closes_the_thread(
    world: World, client: FlaskClient, session: Session, app: Flask, loop: Loop
) -> None:
    login(client, "supporter_a@example.jp")
    _propose(client, loop.placement_id)
    [req] = _requests(session)
    with app.app_context():
        svc.withdraw_consent(session, world.users["supporter_a"], world.own_case, loop.consent_id)  # type: ignore[arg-type]
    req = _fresh(session, HostRequest, req.id)  # type: ignore[assignment]
    assert req.closed_at is not None
    staff = client.get(f"/staff/hosts/requests/{req.id}").get_data(as_text=True)
    assert "この打診は終了しています" in staff and 'name="body"' not in staff
    _relogin(client, "host1@example.org")
    assert client.get(f"/organizer/requests/{req.id}").status_code == 404
    assert f"/organizer/requests/{req.id}" not in client.get("/organizer/requests/").get_data(as_text=True)
    with app.app_context():
        with pytest.raises(rq.RequestNotFound):
            rq.load_for_member(session, session.scalar(select(User).where(User.email == "host1@example.org")), req.id)  # type: ignore[arg-type]
        with pytest.raises(svc.ServiceError):
            rq.add_message(session, world.users["supporter_a"], req, "staff", "まだ見えますか")


def test_answer_errors_are_translated_beside_the_field_and_keep_the_text(
    world: World, client: FlaskClient, session: Session, loop: Loop
) -> None:
    login(client, "supporter_a@example.jp")
    _propose(client, loop.placement_id)
    [req] = _requests(session)
    _relogin(client, "host1@example.org")
    token = csrf_token(client, f"/organizer/requests/{req.id}")
    r = client.post(f"/organizer/requests/{req.id}/answer",
                    data={"csrf_token": token, "answer": "not_now", "reason": "other", "reason_text": ""})  # fmt: skip
    assert r.status_code == 400
    assert "「その他」の内容を書いてください。" in r.get_data(as_text=True)
    r = client.post(f"/organizer/requests/{req.id}/answer?lang=en",
                    data={"csrf_token": token, "answer": "not_now", "message": "来月なら"})  # fmt: skip
    body = r.get_data(as_text=True)
    assert r.status_code == 400 and 'class="error-summary"' in body and "来月なら" in body
    r = client.post(f"/organizer/requests/{req.id}/answer",
                    data={"csrf_token": token, "answer": "not_now", "reason": "capacity"})  # fmt: skip
    assert r.status_code == 302
    pl = _placement(session, loop)
    assert pl.host_accepted is False and pl.host_answer == "not_now"


def test_consent_form_names_what_may_be_shared(world: World, client: FlaskClient, session: Session) -> None:
    person = world.own_case
    assert person is not None
    login(client, "supporter_a@example.jp")
    token = csrf_token(client, f"/staff/cases/{person.id}")
    r = client.post(f"/staff/cases/{person.id}/consents", data={
        "csrf_token": token, "purpose": "share_host", "method": "written", "recipient": "みどり農園",
        "share_fields": ["nickname", "age_band"], "nickname": "", "note": "面談で確認",
    })  # fmt: skip
    page = r.get_data(as_text=True)
    assert r.status_code == 400 and "受け入れ先に伝える呼び名を書いてください。" in page and "面談で確認" in page
    assert re.search(r'value="age_band" checked', page)
    r = client.post(f"/staff/cases/{person.id}/consents", data={
        "csrf_token": token, "purpose": "share_host", "method": "written", "recipient": "みどり農園",
        "share_fields": ["nickname", "age_band"], "nickname": "ハナさん",
    })  # fmt: skip
    assert r.status_code == 302
    person = _fresh(session, type(person), person.id)  # type: ignore[assignment]
    consent = person.consents[-1]
    assert consent.share_fields == ["nickname", "age_band"] and consent.nickname == "ハナさん"


# ── permission matrix ──────────────────────────────────────────────────────────────────────────

# who → (host pages: list shows it / request page / answer / message)
HOST_SIDE = {
    "host1@example.org": "ok",  # a member of the host's organization
    "farm@example.org": "404",  # another host's people
    "stranger@example.org": "404",  # an organizer of no host
    "supporter_a@example.jp": "403",  # staff have no host-side permission
    "office_lead_b@example.jp": "403",
    None: "login",
}


def _outcome(status: int, location: str) -> str:
    if status == 302 and "/auth/login" in location:
        return "login"
    return "ok" if status in (200, 302) else str(status)


@pytest.mark.parametrize("who", list(HOST_SIDE))
def test_host_side_permission_matrix(
    world: World, client: FlaskClient, session: Session, loop: Loop, who: str | None
) -> None:
    login(client, "supporter_a@example.jp")
    _propose(client, loop.placement_id)
    [req] = _requests(session)
    logout(client)
    if who is not None:
        login(client, who)
    token = csrf_token(client, "/auth/login" if who is None else "/organizer/" if "example.org" in who else "/staff/")
    got = {
        "view": _outcome(*(lambda r: (r.status_code, r.headers.get("Location", "")))(client.get(f"/organizer/requests/{req.id}"))),
        "answer": _outcome(*(lambda r: (r.status_code, r.headers.get("Location", "")))(client.post(
            f"/organizer/requests/{req.id}/answer", data={"csrf_token": token, "answer": "accept"}))),
        "message": _outcome(*(lambda r: (r.status_code, r.headers.get("Location", "")))(client.post(
            f"/organizer/requests/{req.id}/messages", data={"csrf_token": token, "body": "こんにちは"}))),
    }  # fmt: skip
    want = HOST_SIDE[who]
    assert got == {"view": want, "answer": want, "message": want}
    listing = client.get("/organizer/requests/")
    if want == "ok":
        assert f"/organizer/requests/{req.id}" in listing.get_data(as_text=True)
    elif who is not None and "example.org" in who:
        assert f"/organizer/requests/{req.id}" not in listing.get_data(as_text=True)
    assert (_placement(session, loop).answered_at is not None) == (want == "ok")


# staff side: (view request, write in the thread)
STAFF_SIDE = {
    "supporter_a": ("ok", "ok"),  # assigned, the case's office
    "office_lead_a": ("ok", "ok"),
    "supporter_a2": ("404", "404"),  # same office, not assigned: no case, no request
    "supporter_b": ("404", "404"),  # another office
    "office_lead_b": ("404", "404"),
    "viewer_a": ("403", "403"),
    "admin_a": ("403", "403"),
}


@pytest.mark.parametrize("who", list(STAFF_SIDE))
def test_staff_side_permission_matrix(world: World, client: FlaskClient, session: Session, loop: Loop, who: str) -> None:
    login(client, "supporter_a@example.jp")
    _propose(client, loop.placement_id)
    [req] = _requests(session)
    _relogin(client, f"{who}@example.jp")
    token = csrf_token(client, "/staff/")
    view = client.get(f"/staff/hosts/requests/{req.id}")
    by_placement = client.get(f"/staff/hosts/placements/{loop.placement_id}/request")
    write = client.post(f"/staff/hosts/requests/{req.id}/messages", data={"csrf_token": token, "body": "ご連絡です"})
    assert (_outcome(view.status_code, ""), _outcome(write.status_code, "")) == STAFF_SIDE[who]
    assert _outcome(by_placement.status_code, "") == STAFF_SIDE[who][0]


def test_staff_of_another_office_with_a_shared_case_read_but_cannot_answer(
    world: World, client: FlaskClient, session: Session, app: Flask, loop: Loop
) -> None:
    login(client, "supporter_a@example.jp")
    _propose(client, loop.placement_id)
    [req] = _requests(session)
    with app.app_context():
        person = _fresh(session, type(world.own_case), _placement(session, loop).person_id)
        lead = _fresh(session, User, world.users["office_lead_a"].id)
        svc.share_with_office(session, lead, person, "所属B", "転居")  # type: ignore[arg-type]
    _relogin(client, "office_lead_b@example.jp")
    assert client.get(f"/staff/hosts/requests/{req.id}").status_code == 200
    token = csrf_token(client, "/staff/")
    r = client.post(f"/staff/hosts/requests/{req.id}/messages", data={"csrf_token": token, "body": "所属Bです"})
    assert r.status_code == 403
    req = _fresh(session, HostRequest, req.id)  # type: ignore[assignment]
    assert req.messages == []


def test_a_host_without_organizer_accounts_gets_no_request(
    world: World, client: FlaskClient, session: Session, app: Flask, loop: Loop
) -> None:
    with app.app_context():
        pl = flow.add_placement(session, world.users["supporter_a"], world.own_case, host_id=loop.other_host_id)  # type: ignore[arg-type]
        session.execute(OrganizationMembership.__table__.delete().where(
            OrganizationMembership.organization_id == loop.other_org_id))  # fmt: skip
        svc.grant_consent(session, world.users["supporter_a"], world.own_case, "share_host", "oral",  # type: ignore[arg-type]
                          recipient="みどり農園", share_fields=["age_band"])  # fmt: skip
    login(client, "supporter_a@example.jp")
    assert _propose(client, pl.id).status_code == 302  # type: ignore[attr-defined]
    assert _requests(session) == []
    r = client.get(f"/staff/hosts/placements/{pl.id}/request")
    assert r.status_code == 302 and f"/staff/hosts/{loop.other_host_id}" in r.headers["Location"]
