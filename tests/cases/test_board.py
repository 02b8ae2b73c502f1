"""Permission matrix (every board route × every role × own/other office), ID enumeration, sharing.

Expected outcomes: "ok" (200, or a 302 back into the staff area), "404" (never a hint that another
office's case exists), "403" (the role lacks the permission for every id alike), "login".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.factories import World
from tests.helpers import csrf_token, login
from webapp.accounts.models.user import User
from webapp.cases import placements as flow
from webapp.cases import services as svc
from webapp.cases.models import Person
from webapp.extensions import db


@dataclass
class Target:
    person: Person
    consent_id: int
    note_id: int
    placement_id: int
    followup_id: int
    worker_id: int
    activity_id: int


def _target(session: Session, w: World, person: Person, author_key: str) -> Target:
    author = w.users[author_key]
    consent = svc.grant_consent(session, author, person, "record_keeping", "written")
    note = svc.add_note(session, author, person, "記録")
    placement = next(iter(person.placements), None) or flow.add_placement(
        session, author, person, w.activities["kids"].id
    )
    fu = next(iter(person.followups), None) or flow.add_followup(session, author, person, date(2026, 12, 1))
    session.flush()
    return Target(person, consent.id, note.id, placement.id, fu.id, person.workers[0].user_id, w.activities["go"].id)


# (name, method, url, form data, permission group). Order matters only in that "unassign" is last.
Route = tuple[str, str, Callable[[Target], str], Callable[[Target], dict[str, str]], str]
ROUTES: list[Route] = [
    ("cases_list", "GET", lambda t: "/staff/cases?scope=office", lambda t: {}, "list"),
    ("board", "GET", lambda t: "/staff/board?scope=office", lambda t: {}, "list"),
    ("case_new", "GET", lambda t: "/staff/cases/new", lambda t: {}, "write_any"),
    ("case_view", "GET", lambda t: f"/staff/cases/{t.person.id}", lambda t: {}, "read"),
    ("case_edit", "GET", lambda t: f"/staff/cases/{t.person.id}/edit", lambda t: {}, "write"),
    ("suggestions", "GET", lambda t: f"/staff/cases/{t.person.id}/suggestions", lambda t: {}, "read"),
    ("export", "GET", lambda t: f"/staff/cases/{t.person.id}/export", lambda t: {}, "read"),
    ("note_edit", "GET", lambda t: f"/staff/cases/{t.person.id}/notes/{t.note_id}/edit", lambda t: {}, "write"),
    ("host", "GET", lambda t: f"/staff/activities/{t.activity_id}/people", lambda t: {}, "list"),
    ("audit", "GET", lambda t: "/staff/audit", lambda t: {}, "audit"),
    ("home", "GET", lambda t: "/staff/", lambda t: {}, "staff"),
    ("case_edit", "POST", lambda t: f"/staff/cases/{t.person.id}/edit", lambda t: {"field": "other", "age_band": "unknown", "referral_source": "other", "contact_preference": "phone"}, "write"),
    ("consent_add", "POST", lambda t: f"/staff/cases/{t.person.id}/consents", lambda t: {"purpose": "record_keeping", "method": "oral"}, "write"),
    ("meeting_new", "POST", lambda t: "/staff/meetings", lambda t: {"kind": "support_meeting", "held_on": "2026-11-01", "attendee_orgs": "市"}, "write_any"),
    ("note_add", "POST", lambda t: f"/staff/cases/{t.person.id}/notes", lambda t: {"body": "追記"}, "write"),
    ("note_edit", "POST", lambda t: f"/staff/cases/{t.person.id}/notes/{t.note_id}/edit", lambda t: {"body": "編集"}, "write"),
    ("placement_add", "POST", lambda t: f"/staff/cases/{t.person.id}/placements", lambda t: {"host_name": "地図にない畑"}, "write"),
    ("no_suitable", "POST", lambda t: f"/staff/cases/{t.person.id}/no-suitable", lambda t: {"note": "夜の場がない"}, "write"),
    ("placement_stage", "POST", lambda t: f"/staff/placements/{t.placement_id}/stage", lambda t: {"stage": "paused", "reason": "体調"}, "write"),
    ("followup_add", "POST", lambda t: f"/staff/cases/{t.person.id}/followups", lambda t: {"due_on": "2026-12-24", "target": "host"}, "write"),
    ("baseline", "POST", lambda t: f"/staff/cases/{t.person.id}/baseline", lambda t: {"wellbeing_scale": "who5", "wellbeing_score": "12"}, "write"),
    ("followup_done", "POST", lambda t: f"/staff/followups/{t.followup_id}/done", lambda t: {"note": "済"}, "write"),
    ("export", "POST", lambda t: f"/staff/cases/{t.person.id}/export", lambda t: {"password": "wrong password", "format": "json"}, "read"),
    ("consent_withdraw", "POST", lambda t: f"/staff/cases/{t.person.id}/consents/{t.consent_id}/withdraw", lambda t: {}, "write"),
    ("close", "POST", lambda t: f"/staff/cases/{t.person.id}/close", lambda t: {"closed": "1"}, "write"),
    ("assign", "POST", lambda t: f"/staff/cases/{t.person.id}/assign", lambda t: {"email": "supporter_a2@example.jp"}, "assign"),
    ("share", "POST", lambda t: f"/staff/cases/{t.person.id}/share", lambda t: {"office": "所属B", "reason": "転居"}, "assign"),
    ("legal_hold", "POST", lambda t: f"/staff/cases/{t.person.id}/hold", lambda t: {"hold": "1"}, "assign"),
    ("share_revoke", "POST", lambda t: f"/staff/cases/{t.person.id}/shares/0/revoke", lambda t: {}, "assign"),
    ("unassign", "POST", lambda t: f"/staff/cases/{t.person.id}/unassign/{t.worker_id}", lambda t: {}, "assign"),
]

PERMS = {
    "supporter": {"staff", "list", "read", "write", "write_any"},
    "office_lead": {"staff", "list", "read", "write", "write_any", "assign"},
    "viewer": {"staff"},
    "admin": {"staff", "audit"},
}
# Who can open the target case (case "A" is office A's, "B" office B's): the assigned supporter and
# the lead of the owning office. supporter_a2 is in office A but not assigned; the others are the
# other office for the other case.
SEES = {("supporter_a", "A"), ("office_lead_a", "A"), ("supporter_b", "B"), ("office_lead_b", "B")}


def expected(user_key: str | None, target: str, group: str) -> str:
    if user_key is None:
        return "login"
    role = user_key.rsplit("_", 1)[0]
    if group not in PERMS[role]:
        return "403"
    if group in ("staff", "list", "write_any", "audit"):
        return "ok"
    return "ok" if (user_key, target) in SEES else "404"


def outcome(status: int, location: str, body: str = "") -> str:
    if status == 302 and "/auth/login" in location:
        return "login"
    # A form the service refused comes back (400) with its error summary: allowed, not forbidden.
    if status in (200, 302) or (status == 400 and 'class="error-summary"' in body):
        return "ok"
    return str(status)


USERS = ["supporter_a", "supporter_a2", "office_lead_a", "viewer_a", "admin_a", "supporter_b", "office_lead_b", None]


def test_every_board_route_is_in_the_matrix(app: Flask) -> None:
    board_endpoints = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if getattr(app.view_functions[rule.endpoint], "__module__", "") == "webapp.cases.views"
    }
    covered = {f"cases.{name}" for name, *_ in ROUTES}
    assert board_endpoints <= covered, board_endpoints - covered


@pytest.mark.parametrize("target_key", ["A", "B"])
@pytest.mark.parametrize("user_key", USERS)
def test_permission_matrix(
    world: World, client: FlaskClient, session: Session, app: Flask, user_key: str | None, target_key: str
) -> None:
    with app.app_context():
        own = _target(session, world, world.own_case, "supporter_a")  # type: ignore[arg-type]
        other = _target(session, world, world.other_case, "supporter_b")  # type: ignore[arg-type]
    target = own if target_key == "A" else other
    if user_key is not None:
        login(client, f"{user_key}@example.jp")
    token = csrf_token(client, "/auth/login") if user_key is None else csrf_token(client, "/staff/")
    results = {}
    for name, method, url_fn, data_fn, group in ROUTES:
        url = url_fn(target)
        if method == "GET":
            r = client.get(url)
        else:
            r = client.post(url, data={"csrf_token": token, **data_fn(target)})
        got = outcome(r.status_code, r.headers.get("Location", ""), r.get_data(as_text=True))
        want = expected(user_key, target_key, group)
        results[f"{method} {name}"] = (got, want)
    wrong = {k: v for k, v in results.items() if v[0] != v[1]}
    assert wrong == {}


def test_id_enumeration_gives_identical_404s(world: World, client: FlaskClient, session: Session) -> None:
    other = world.other_case
    assert other is not None
    other_placement = flow_placement_id(session, other)
    login(client, "supporter_a@example.jp")
    missing = max(p.id for p in (world.own_case, world.other_case, world.unassigned_case) if p) + 1000
    for suffix in ("", "/suggestions", "/export", "/edit"):
        bodies = set()
        for pid in (other.id, missing, world.unassigned_case.id if world.unassigned_case else 0):
            r = client.get(f"/staff/cases/{pid}{suffix}")
            assert r.status_code == 404
            # the same page but for the id in the language-switch link and the per-second CSRF token
            bodies.add(_without_csrf(re.sub(r"/cases/\d+", "/cases/N", r.get_data(as_text=True))))
        assert len(bodies) == 1, suffix
    token = csrf_token(client, "/staff/")
    a = client.post(f"/staff/placements/{other_placement}/stage", data={"csrf_token": token, "stage": "ended", "reason": "x"})
    b = client.post("/staff/placements/999999/stage", data={"csrf_token": token, "stage": "ended", "reason": "x"})
    assert a.status_code == b.status_code == 404
    same = [_without_csrf(re.sub(r"/placements/\d+/", "/placements/N/", x.get_data(as_text=True))) for x in (a, b)]
    assert same[0] == same[1]
    # and nothing of the other office leaks into lists
    page = client.get("/staff/cases?scope=office").get_data(as_text=True)
    assert other.case_code not in page


def _without_csrf(html: str) -> str:
    # flask-wtf signs the token with a timestamp, so two pages a second apart differ only there
    return re.sub(r'name="csrf_token"[^>]*value="[^"]+"', 'name="csrf_token" value="T"', html)


def flow_placement_id(session: Session, person: Person) -> int:
    from webapp.cases.models import Placement

    placement = Placement(host_name="x", stage="candidate")
    person.placements.append(placement)
    session.flush()
    return placement.id


def test_sharing_with_another_office_opens_the_case_to_its_lead(
    world: World, client: FlaskClient, session: Session, app: Flask
) -> None:
    p = world.own_case
    assert p is not None
    login(client, "office_lead_b@example.jp")
    assert client.get(f"/staff/cases/{p.id}").status_code == 404
    with app.app_context():
        s = db.session()
        p = s.get(Person, p.id)
        lead_a = s.get(User, world.users["office_lead_a"].id)
        share = svc.share_with_office(s, lead_a, p, "所属B", "転居のため引き継ぎ")
        s.flush()
    assert client.get(f"/staff/cases/{p.id}").status_code == 200
    # the other office's supporter still does not see it unless assigned
    client2 = app.test_client()
    login(client2, "supporter_b@example.jp")
    assert client2.get(f"/staff/cases/{p.id}").status_code == 404
    with app.app_context():
        s = db.session()
        svc.revoke_share(s, s.get(User, lead_a.id), s.get(Person, p.id), share.id)
        s.flush()
    assert client.get(f"/staff/cases/{p.id}").status_code == 404


def test_lead_assigns_a_colleague_who_then_sees_the_case(
    world: World, client: FlaskClient, session: Session
) -> None:
    p = world.own_case
    assert p is not None
    login(client, "supporter_a2@example.jp")
    assert client.get(f"/staff/cases/{p.id}").status_code == 404
    lead = FlaskClient(client.application, use_cookies=True)
    login(lead, "office_lead_a@example.jp")
    token = csrf_token(lead, f"/staff/cases/{p.id}")
    r = lead.post(f"/staff/cases/{p.id}/assign", data={"csrf_token": token, "email": "supporter_b@example.jp"})
    # another office's worker is refused beside the field, the address kept; nothing assigned
    assert r.status_code == 400 and 'value="supporter_b@example.jp"' in r.get_data(as_text=True)
    assert db.session().get(Person, p.id).workers.__len__() == 1  # type: ignore[union-attr]
    lead.post(f"/staff/cases/{p.id}/assign", data={"csrf_token": token, "email": "supporter_a2@example.jp"})
    assert client.get(f"/staff/cases/{p.id}").status_code == 200


def test_host_page_lists_only_visible_people(world: World, client: FlaskClient, session: Session, app: Flask) -> None:
    p, other = world.own_case, world.other_case
    assert p is not None and other is not None
    go = world.activities["go"].id
    with app.app_context():
        for person, key in ((p, "supporter_a"), (other, "supporter_b")):
            user = world.users[key]
            pl = next((x for x in person.placements if x.activity_id == go), None) or flow.add_placement(
                session, user, person, go
            )
            svc.grant_consent(session, user, person, "share_host", "written", activity_id=go)
            flow.move_stage(session, user, pl, "proposed", "打診")
    session.flush()
    login(client, "office_lead_a@example.jp")
    page = client.get(f"/staff/activities/{go}/people").get_data(as_text=True)
    assert p.case_code in page and other.case_code not in page
    assert "打診の件数" in page
