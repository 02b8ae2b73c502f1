"""F4: an office a case is shared with may read it (per the share) but never act as its owner.

Before the fix a shared office's lead could re-share to a third office, unassign the owner's
supporter, set a legal hold and export name and contact. Each is now 403 with nothing changed; the
owner office revokes a share from the case page, after which the other office gets 404.
"""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import World, make_staff
from tests.helpers import csrf_token, login
from webapp.accounts.models.user import User
from webapp.cases import services as svc
from webapp.cases.models import CaseShare, Person
from webapp.extensions import db
from webapp.security.models import AuditEvent


def _shared_case(world: World, app: Flask) -> tuple[int, int]:
    """Office A's case shared with office B; a third office C exists. Returns (person id, share id)."""
    p = world.own_case
    assert p is not None
    with app.app_context():
        s = db.session()
        make_staff(s, "office_lead_c@example.jp", "office_lead", "所属C")
        share = svc.share_with_office(s, s.get(User, world.users["office_lead_a"].id), s.get(Person, p.id), "所属B", "転居")
        s.flush()
        return p.id, share.id


def _state(person_id: int) -> tuple[list[int], list[tuple[int, bool]], bool]:
    s = db.session()
    s.expire_all()
    person = s.get(Person, person_id)
    assert person is not None
    return (
        sorted(w.user_id for w in person.workers),
        sorted((sh.office_id, sh.revoked_at is None) for sh in person.shares),
        person.legal_hold,
    )


def test_shared_office_cannot_act_as_owner(world: World, client: FlaskClient, app: Flask, session: Session) -> None:
    person_id, share_id = _shared_case(world, app)
    supporter_a = world.users["supporter_a"].id
    login(client, "office_lead_b@example.jp")
    page = client.get(f"/staff/cases/{person_id}")
    assert page.status_code == 200  # the share still lets office B read
    html = page.get_data(as_text=True)
    assert f"/unassign/{supporter_a}" not in html and "/share\"" not in html and "/hold\"" not in html
    assert f"/shares/{share_id}/revoke" not in html and f"/cases/{person_id}/export" not in html
    token = csrf_token(client, f"/staff/cases/{person_id}")
    before = _state(person_id)
    attempts = [
        (f"/staff/cases/{person_id}/share", {"office": "所属C", "reason": "転送"}),
        (f"/staff/cases/{person_id}/unassign/{supporter_a}", {}),
        (f"/staff/cases/{person_id}/assign", {"email": "supporter_b@example.jp"}),
        (f"/staff/cases/{person_id}/hold", {"hold": "1"}),
        (f"/staff/cases/{person_id}/shares/{share_id}/revoke", {}),
        (f"/staff/cases/{person_id}/export", {"password": "correct horse battery", "format": "json"}),
    ]
    for url, data in attempts:
        r = client.post(url, data={"csrf_token": token, **data})
        assert r.status_code == 403, (url, r.status_code)
        assert "山田" not in r.get_data(as_text=True) and "0743" not in r.get_data(as_text=True)
    assert client.get(f"/staff/cases/{person_id}/export").status_code == 403
    assert _state(person_id) == before
    assert not list(db.session().scalars(select(AuditEvent).where(AuditEvent.action.in_(
        ["case.share", "case.unassign", "case.assign", "case.legal_hold", "case.unshare", "case.export"]
    ), AuditEvent.user_id == world.users["office_lead_b"].id)))
    # the third office never got the case
    third = app.test_client()
    login(third, "office_lead_c@example.jp")
    assert third.get(f"/staff/cases/{person_id}").status_code == 404


def test_owner_revokes_a_share_from_the_case_page(world: World, client: FlaskClient, app: Flask, session: Session) -> None:
    person_id, share_id = _shared_case(world, app)
    other = app.test_client()
    login(other, "office_lead_b@example.jp")
    assert other.get(f"/staff/cases/{person_id}").status_code == 200
    login(client, "office_lead_a@example.jp")
    html = client.get(f"/staff/cases/{person_id}").get_data(as_text=True)
    form = re.search(rf'<form[^>]*action="/staff/cases/{person_id}/shares/{share_id}/revoke"[^>]*>(.*?)</form>', html, re.S)
    assert form is not None and 'name="csrf_token"' in form.group(1)
    assert "共有を取り消します" in form.group(1)  # the confirmation text sits beside the button
    token = csrf_token(client, f"/staff/cases/{person_id}")
    assert client.post(f"/staff/cases/{person_id}/shares/{share_id}/revoke", data={}).status_code == 400  # no CSRF
    r = client.post(f"/staff/cases/{person_id}/shares/{share_id}/revoke", data={"csrf_token": token})
    assert r.status_code == 302
    db.session().expire_all()
    share = db.session().get(CaseShare, share_id)
    assert share is not None and share.revoked_at is not None
    events = list(db.session().scalars(select(AuditEvent).where(AuditEvent.action == "case.unshare")))
    assert [(e.object_id, e.user_id) for e in events] == [(str(person_id), world.users["office_lead_a"].id)]
    assert other.get(f"/staff/cases/{person_id}").status_code == 404
    assert f"/shares/{share_id}/revoke" not in client.get(f"/staff/cases/{person_id}").get_data(as_text=True)


def test_revoke_confirmation_is_translated(world: World, client: FlaskClient, app: Flask, session: Session) -> None:
    person_id, _share_id = _shared_case(world, app)
    login(client, "office_lead_a@example.jp")
    html = client.get(f"/staff/cases/{person_id}?lang=en").get_data(as_text=True)
    assert "Revoke sharing" in html and "will no longer be able to open this case" in html


def test_sharing_again_with_the_same_office_keeps_one_live_share(world: World, app: Flask) -> None:
    person_id, share_id = _shared_case(world, app)
    with app.app_context():
        s = db.session()
        lead = s.get(User, world.users["office_lead_a"].id)
        again = svc.share_with_office(s, lead, s.get(Person, person_id), "所属B", "（架空）理由を更新")
        assert again.id == share_id
        live = s.scalars(select(CaseShare).where(CaseShare.person_id == person_id, CaseShare.revoked_at.is_(None))).all()
        assert [(x.id, x.reason) for x in live] == [(share_id, "（架空）理由を更新")]
