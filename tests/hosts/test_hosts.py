"""Host register (受け入れ先): pages, the 開拓 pipeline, office-only parts, listing proposal, counts.

Runs on SpatiaLite and PostGIS (the `world` fixture: offices A and B, every role). The clock is set
where UTC and Japan disagree on the date (2026-12-04 20:30 UTC = 12-05 05:30 in Japan).
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import Clock
from tests.factories import World
from tests.helpers import csrf_token, login
from webapp.hosts import services as svc
from webapp.hosts.counts import host_counts
from webapp.hosts.models import Host, HostSupportNote
from webapp.listings.models.activity import Activity
from webapp.listings.models.place import District
from webapp.security.models import AuditEvent
from webapp.service_error import ServiceError

JAPAN_TODAY = date(2026, 12, 5)


@pytest.fixture()
def districts(session: Session) -> list[str]:
    session.add_all([District(code="t-kita", name="北小学校区"), District(code="t-minami", name="南小学校区")])
    session.flush()
    return ["t-kita", "t-minami"]


def _actions(session: Session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def _new_host(client: FlaskClient, **extra: str | list[str]) -> int:
    token = csrf_token(client, "/staff/hosts/new")
    data: dict[str, str | list[str]] = {"csrf_token": token, "name": "サンプル農園（架空）", "kind": "farm",
                                        "organization_id": "", "offers": ["experience", "work_experience"],
                                        "districts": ["t-kita"], "capacity": "2", "weekdays": ["1", "3"],
                                        "accommodations": "車いすで畑まで行けます"}  # fmt: skip
    data.update(extra)
    response = client.post("/staff/hosts/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    match = re.search(r"/staff/hosts/(\d+)$", response.headers["Location"])
    assert match
    return int(match.group(1))


def test_register_from_unmet_needs_row_prefills_and_audits(
    world: World, client: FlaskClient, session: Session, districts: list[str], clock: Clock
) -> None:
    login(client, "supporter_a@example.jp")
    page = client.get("/staff/hosts/new?district=t-kita&interest=go").get_data(as_text=True)
    assert "社会資源の不足（北小学校区 × 囲碁" in page
    assert re.search(r'value="t-kita"[^>]*checked|checked[^>]*value="t-kita"', page)
    host_id = _new_host(client, origin_district="t-kita", origin_interest="go")
    host = session.get(Host, host_id)
    assert host is not None
    assert (host.stage, host.stage_on) == ("candidate", JAPAN_TODAY)
    assert (host.origin_district, host.origin_interest) == ("t-kita", "go")
    assert host.offers == ["experience", "work_experience"] and host.weekdays == ["1", "3"]
    assert host.office_ids == {world.users["supporter_a"].office_id}
    assert [e.object_id for e in _actions(session, "host.create")] == [str(host_id)]
    listing = client.get("/staff/hosts/").get_data(as_text=True)
    assert "サンプル農園（架空）" in listing and "候補" in listing


def test_form_errors_beside_fields_summary_and_nothing_lost(
    world: World, client: FlaskClient, districts: list[str]
) -> None:
    login(client, "supporter_a@example.jp")
    token = csrf_token(client, "/staff/hosts/new")
    response = client.post("/staff/hosts/new", data={
        "csrf_token": token, "name": "", "kind": "company", "organization_id": "", "capacity": "abc",
        "accommodations": "段差があります\n二行目", "contact": "担当 山田",
    })  # fmt: skip
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'class="error-summary"' in page and 'href="#name"' in page
    assert 'aria-invalid="true"' in page and "入力してください。" in page
    assert "段差があります\n二行目" in page and 'value="担当 山田"' in page
    en = client.post("/staff/hosts/new?lang=en", data={"csrf_token": token, "name": "", "kind": "company",
                                                       "organization_id": ""}).get_data(as_text=True)
    assert "Enter this." in en


def test_pipeline_dated_steps_rules_and_audit(
    world: World, client: FlaskClient, session: Session, districts: list[str], clock: Clock
) -> None:
    login(client, "supporter_a@example.jp")
    host_id = _new_host(client)
    url = f"/staff/hosts/{host_id}"
    token = csrf_token(client, url)

    # A date in the future (Japan's today is 12-05 although UTC's is 12-04) is refused beside the field.
    r = client.post(f"{url}/stage", data={"csrf_token": token, "stage-stage": "approached", "stage-on": "2026-12-06"})
    assert r.status_code == 400 and "今日より後の日付は選べません。" in r.get_data(as_text=True)
    # Japan's today is accepted even though it is tomorrow in UTC.
    r = client.post(f"{url}/stage", data={"csrf_token": token, "stage-stage": "approached", "stage-on": "2026-12-05"})
    assert r.status_code == 302
    # Skipping 合意 is not a move the pipeline offers.
    r = client.post(f"{url}/stage", data={"csrf_token": token, "stage-stage": "receiving", "stage-on": "2026-12-05"})
    assert r.status_code == 400 and "この段階からは、その段階に進めません。" in r.get_data(as_text=True)
    # 見送り needs a reason; the typed reason of a failed post is kept.
    r = client.post(f"{url}/stage", data={"csrf_token": token, "stage-stage": "declined", "stage-on": "2026-12-05"})
    assert r.status_code == 400 and "見送りの理由を入力してください。" in r.get_data(as_text=True)
    for stage in ("agreed", "receiving"):
        r = client.post(f"{url}/stage", data={"csrf_token": token, "stage-stage": stage, "stage-on": "2026-12-05"})
        assert r.status_code == 302, stage
    host = session.get(Host, host_id)
    assert host is not None
    session.refresh(host)
    assert host.stage == "receiving"
    assert [e.stage for e in host.events] == ["candidate", "approached", "agreed", "receiving"]
    moves = [(e.detail["from"], e.detail["to"]) for e in _actions(session, "host.stage")]
    assert moves == [("candidate", "approached"), ("approached", "agreed"), ("agreed", "receiving")]


def test_move_stage_service_rules(world: World, session: Session, app, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    sup = world.users["supporter_a"]
    with app.app_context():
        host = svc.create_host(session, sup, svc.HostInput(name="サンプル寺（架空）", kind="temple"))
        with pytest.raises(ServiceError) as err:
            svc.move_stage(session, sup, host, "declined", JAPAN_TODAY, "")
        assert err.value.code == "reason_required"
        with pytest.raises(ServiceError) as err:
            svc.move_stage(session, sup, host, "approached", date(2026, 12, 6))
        assert err.value.code == "future_date"
        svc.move_stage(session, sup, host, "approached", JAPAN_TODAY)
        with pytest.raises(ServiceError) as err:
            svc.move_stage(session, sup, host, "agreed", date(2026, 12, 1))
        assert err.value.code == "before_last_step"
        svc.move_stage(session, sup, host, "declined", JAPAN_TODAY, "定員がいっぱい")
        assert host.declined_reason == "定員がいっぱい"
        svc.move_stage(session, sup, host, "candidate", JAPAN_TODAY)
        assert host.declined_reason == ""


def test_support_notes_only_for_offices_working_with_the_host(
    world: World, client: FlaskClient, session: Session, districts: list[str], clock: Clock
) -> None:
    login(client, "supporter_a@example.jp")
    host_id = _new_host(client)
    url = f"/staff/hosts/{host_id}"
    token = csrf_token(client, url)
    r = client.post(f"{url}/notes", data={"csrf_token": token, "support-on": "2026-12-05", "support-need": "training",
                                          "support-note": "認知症サポーター養成講座を希望"})
    assert r.status_code == 302
    r = client.post(f"{url}/contacts", data={"csrf_token": token, "contact-on": "2026-12-04",
                                             "contact-channel": "visit", "contact-note": "園主と面談"})
    assert r.status_code == 302
    own = client.get(url).get_data(as_text=True)
    assert "認知症サポーター養成講座を希望" in own and "園主と面談" in own
    note = session.scalars(select(HostSupportNote)).one()
    from sqlalchemy import text

    raw = session.execute(text("SELECT note FROM host_support_note WHERE id = :i"), {"i": note.id}).scalar_one()
    assert "認知症" not in raw  # encrypted at rest

    client.post("/auth/logout", data={"csrf_token": csrf_token(client, url)})
    login(client, "supporter_b@example.jp")
    other = client.get(url)
    assert other.status_code == 200
    body = other.get_data(as_text=True)
    assert "サンプル農園（架空）" in body  # the register is shared
    assert "認知症サポーター養成講座を希望" not in body and "園主と面談" not in body
    token_b = csrf_token(client, url)
    assert client.post(f"{url}/notes", data={"csrf_token": token_b, "support-on": "2026-12-05",
                                             "support-need": "other", "support-note": "x"}).status_code == 403
    office_b = str(world.users["supporter_b"].office_id)
    # Another office can neither change the host nor give itself access to the notes.
    assert client.post(f"{url}/stage", data={"csrf_token": token_b, "stage-stage": "approached",
                                             "stage-on": "2026-12-05"}).status_code == 403
    assert client.get(f"{url}/edit").status_code == 403
    client.post("/auth/logout", data={"csrf_token": token_b})
    login(client, "office_lead_b@example.jp")
    token_lb = csrf_token(client, url)
    assert "認知症サポーター養成講座を希望" not in client.get(url).get_data(as_text=True)
    assert client.post(f"{url}/offices", data={"csrf_token": token_lb, "office_id": office_b}).status_code == 403
    client.post("/auth/logout", data={"csrf_token": token_lb})

    # The lead of an office that works with the host shares it with office B.
    login(client, "office_lead_a@example.jp")
    token_la = csrf_token(client, url)
    assert client.post(f"{url}/offices", data={"csrf_token": token_la, "office_id": office_b}).status_code == 302
    client.post("/auth/logout", data={"csrf_token": token_la})
    login(client, "supporter_b@example.jp")
    assert "認知症サポーター養成講座を希望" in client.get(url).get_data(as_text=True)
    assert _actions(session, "host.office.add") and _actions(session, "host.notes.read")


@pytest.mark.parametrize(
    ("user", "status"),
    [("viewer_a", 403), ("admin_a", 403), ("supporter_a", 200), ("office_lead_b", 200)],
)
def test_register_permission_matrix(world: World, client: FlaskClient, user: str, status: int) -> None:
    login(client, f"{user}@example.jp")
    assert client.get("/staff/hosts/").status_code == status
    assert client.get("/staff/hosts/new").status_code == status


def test_agreed_host_proposed_as_draft_listing_never_published(
    world: World, client: FlaskClient, session: Session, districts: list[str], clock: Clock
) -> None:
    login(client, "supporter_a@example.jp")
    host_id = _new_host(client, kind="company", name="サンプル商店（架空）")
    url = f"/staff/hosts/{host_id}"
    token = csrf_token(client, url)
    assert client.post(f"{url}/listing", data={"csrf_token": token}).status_code == 302
    host = session.get(Host, host_id)
    assert host is not None and host.listing_activity_id is None  # not agreed yet: refused
    for stage in ("approached", "agreed"):
        client.post(f"{url}/stage", data={"csrf_token": token, "stage-stage": stage, "stage-on": "2026-12-05"})
    assert client.post(f"{url}/listing", data={"csrf_token": token}).status_code == 302
    session.refresh(host)
    activity = session.get(Activity, host.listing_activity_id)
    assert activity is not None and activity.status == "draft" and activity.name == "サンプル商店（架空）"
    assert host.organization is not None and not host.organization.trusted
    assert client.get(f"/activities/{activity.id}").status_code == 404


def test_counts_for_reports(world: World, session: Session, app, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    sup_a, sup_b = world.users["supporter_a"], world.users["supporter_b"]
    with app.app_context():
        def agreed(name: str, kind: str, districts: list[str], user=sup_a, receiving: bool = False) -> Host:  # type: ignore[no-untyped-def]
            h = svc.create_host(session, user, svc.HostInput(name=name, kind=kind, districts=districts))
            h.stage_on = date(2026, 4, 1)
            h.events[0].on = date(2026, 4, 1)
            svc.move_stage(session, user, h, "approached", date(2026, 4, 10))
            svc.move_stage(session, user, h, "agreed", date(2026, 5, 1))
            if receiving:
                svc.move_stage(session, user, h, "receiving", date(2026, 6, 1))
            return h

        agreed("協力企業1", "company", ["t-kita"], receiving=True)
        agreed("協力企業2", "company", ["t-kita", "t-minami"])
        declined = agreed("協力企業3", "company", [])
        svc.move_stage(session, sup_a, declined, "declined", date(2026, 7, 1), "事業縮小")
        agreed("農園", "farm", ["t-minami"], user=sup_b)
        still = svc.create_host(session, sup_a, svc.HostInput(name="候補のまま", kind="company"))
        assert still.stage == "candidate"

        fy = host_counts(session, date(2026, 4, 1), date(2027, 3, 31))
        assert (fy.agreed, fy.places_set_up) == (4, 1)
        # 協力企業・団体: every kind not on the map, at 合意/受け入れ中 at some time in the period — the
        # declined one too (agreed May–June), and the farm.
        assert fy.cooperating == 4
        assert fy.agreed_by_district == {"": 1, "t-kita": 2, "t-minami": 2}
        assert fy.places_by_district == {"t-kita": 1}
        june = host_counts(session, date(2026, 6, 1), date(2026, 6, 30))
        assert (june.agreed, june.places_set_up, june.cooperating) == (0, 1, 4)
        august = host_counts(session, date(2026, 8, 1), date(2026, 8, 31))
        assert august.cooperating == 3  # declined on 07-01: no longer cooperating in August
        office_b = host_counts(session, date(2026, 4, 1), date(2027, 3, 31), office_id=sup_b.office_id)
        assert (office_b.agreed, office_b.cooperating) == (1, 1)  # the farm
