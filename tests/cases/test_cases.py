"""Case records: consent gating per purpose, the stage ladder, follow-ups, notes, audit, export, retention.

The `world` fixture (two offices, every role, a few activities and cases) is shared with
test_board*.py.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from tests.factories import PASSWORD, World
from tests.helpers import csrf_token, login
from webapp.accounts.models.security import UserSession
from webapp.accounts.models.user import User
from webapp.cases import placements as flow
from webapp.cases import services as svc
from webapp.cases.models import CaseNote, Person, Placement
from webapp.security.models import AuditEvent
from webapp.service_error import ServiceError


def audit_rows(session: Session, action: str | None = None, person: Person | None = None) -> list[AuditEvent]:
    q = select(AuditEvent)
    if action:
        q = q.where(AuditEvent.action == action)
    if person is not None:
        q = q.where(AuditEvent.object_type == "person", AuditEvent.object_id == str(person.id))
    return list(session.scalars(q.order_by(AuditEvent.id)))


# ── encryption ──────────────────────────────────────────────────────────────────────────────────


def test_name_and_contact_encrypted_at_rest(world: World, session: Session, app: Flask) -> None:
    p = world.own_case
    assert p is not None
    raw = session.execute(text("SELECT name_enc, contact_enc FROM person WHERE id = :i"), {"i": p.id}).one()
    assert "山田" not in raw[0] and raw[0].startswith("gAAAA")
    assert "0743" not in raw[1]
    with app.app_context():
        assert svc.person_name(p) == "山田 太郎"
        assert svc.person_contact(p) == "0743-00-0000"
    assert world.other_case is not None and world.other_case.name_enc == ""


# ── consent gating, each purpose ───────────────────────────────────────────────────────────────


def test_share_with_host_needs_live_consent_for_that_host(world: World, session: Session) -> None:
    sup = world.users["supporter_a"]
    p, pl = world.own_case, world.placement
    assert p is not None and pl is not None
    with pytest.raises(ServiceError) as err:
        flow.move_stage(session, sup, pl, "proposed", "打診したい")
    assert err.value.code == "consent_required"
    # consent for a different host does not count
    svc.grant_consent(session, sup, p, "share_host", "written", recipient="別の団体")
    with pytest.raises(ServiceError, match="同意"):
        flow.move_stage(session, sup, pl, "proposed", "打診したい")
    consent = svc.grant_consent(session, sup, p, "share_host", "written", activity_id=pl.activity_id)
    flow.move_stage(session, sup, pl, "proposed", "打診した")
    assert pl.stage == "proposed" and pl.proposed_at is not None
    # withdrawn consent blocks further sharing
    svc.withdraw_consent(session, sup, p, consent.id)
    with pytest.raises(ServiceError, match="同意"):
        flow.move_stage(session, sup, pl, "accompanied_visit", "見学")
    # stepping back (pausing) needs no sharing
    flow.move_stage(session, sup, pl, "paused", "本人の体調", outcome="declined_by_person")
    assert pl.stage == "paused"


def test_host_consent_matches_named_host_not_on_map(world: World, session: Session) -> None:
    sup = world.users["supporter_a"]
    p = world.own_case
    assert p is not None
    pl = flow.add_placement(session, sup, p, host_name="ＮＰＯ法人 はたけ")
    svc.grant_consent(session, sup, p, "share_host", "oral", recipient="NPO法人 はたけ")
    flow.move_stage(session, sup, pl, "proposed", "打診")  # the same name after normalisation
    assert pl.stage == "proposed"


def test_multiagency_meeting_needs_consent_support_meeting_does_not(world: World, session: Session) -> None:
    sup = world.users["supporter_a"]
    p = world.own_case
    assert p is not None
    with pytest.raises(ServiceError) as err:
        svc.record_meeting(session, sup, p, "multiagency_meeting", date(2026, 11, 1), "市・社協", "")
    assert err.value.code == "consent_required"
    m = svc.record_meeting(session, sup, p, "support_meeting", date(2026, 11, 1), "市・社協・包括", "見守り方針")
    assert m.without_consent is True
    with pytest.raises(ServiceError) as err:
        svc.record_meeting(session, sup, p, "support_meeting", date(2026, 11, 1), " ", "")
    assert err.value.code == "attendees_required" and "守秘義務" in err.value.message
    c = svc.grant_consent(session, sup, p, "multiagency_meeting", "written", recipient="重層的支援会議")
    m2 = svc.record_meeting(session, sup, p, "multiagency_meeting", date(2026, 11, 2), "市・社協", "")
    assert m2.consent_id == c.id and not m2.without_consent


def test_record_keeping_consent_recorded_with_method_version_and_recorder(world: World, session: Session) -> None:
    sup = world.users["supporter_a"]
    p = world.own_case
    assert p is not None
    c = svc.grant_consent(session, sup, p, "record_keeping", "written", version="2026-04")
    assert (c.method, c.version, c.recorded_by_id, c.withdrawn_at) == ("written", "2026-04", sup.id, None)
    with pytest.raises(ServiceError):
        svc.grant_consent(session, sup, p, "advertising", "written")
    with pytest.raises(ServiceError) as err:
        svc.grant_consent(session, sup, p, "share_host", "written")
    assert err.value.code == "recipient_required" and "受け入れ先" in err.value.message


def test_support_meeting_page_shows_confidentiality(world: World, client: FlaskClient, session: Session) -> None:
    p = world.own_case
    assert p is not None
    svc.record_meeting(session, world.users["supporter_a"], p, "support_meeting", date(2026, 11, 1), "市・包括", "")
    session.flush()
    login(client, "supporter_a@example.jp")
    page = client.get(f"/staff/cases/{p.id}").get_data(as_text=True)
    assert "守秘義務" in page and "市・包括" in page


# ── ladder, outcomes, follow-ups ───────────────────────────────────────────────────────────────


def test_ladder_records_who_why_when_and_schedules_followups(world: World, session: Session) -> None:
    sup = world.users["supporter_a"]
    p, pl = world.own_case, world.placement
    assert p is not None and pl is not None
    svc.grant_consent(session, sup, p, "share_host", "written", activity_id=pl.activity_id)
    start = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
    for i, stage in enumerate(("proposed", "accompanied_visit", "trial", "participating")):
        flow.move_stage(session, sup, pl, stage, f"理由{i}", now=start + timedelta(days=i))
    assert [e.to_stage for e in pl.events] == ["candidate", "proposed", "accompanied_visit", "trial", "participating"]
    assert all(e.by_id == sup.id and e.reason for e in pl.events)
    assert pl.host_accepted is True and pl.answered_at == start + timedelta(days=1)
    dues = sorted((f.target, (f.due_on - date(2026, 11, 5)).days) for f in p.followups if f.placement_id == pl.id)
    assert dues == [("host", 30), ("host", 90), ("person", 7), ("person", 30), ("person", 90)]
    with pytest.raises(ServiceError, match="理由"):
        flow.move_stage(session, sup, pl, "settled", "  ")


def test_outcomes_are_queryable_evidence(world: World, session: Session) -> None:
    sup = world.users["supporter_a"]
    p, pl = world.own_case, world.placement
    assert p is not None and pl is not None
    flow.record_no_suitable(session, sup, p, "平日夜に通える男性向けの場がない")
    svc.grant_consent(session, sup, p, "share_host", "written", activity_id=pl.activity_id)
    flow.move_stage(session, sup, pl, "proposed", "打診")
    flow.move_stage(session, sup, pl, "ended", "定員いっぱい", outcome="host_no_capacity")
    assert pl.host_accepted is False and pl.answered_at is not None
    counts = flow.outcome_counts(session)
    assert counts["no_suitable_activity"] == 1 and counts["host_no_capacity"] == 1
    assert flow.host_figures(session, pl.activity_id or 0).answered == 1


def test_unanswered_proposal_becomes_overdue(world: World, session: Session) -> None:
    sup = world.users["supporter_a"]
    p, pl = world.own_case, world.placement
    assert p is not None and pl is not None
    svc.grant_consent(session, sup, p, "share_host", "written", activity_id=pl.activity_id)
    long_ago = datetime.now(UTC) - timedelta(days=15)
    flow.move_stage(session, sup, pl, "proposed", "打診", now=long_ago)
    assert flow.proposal_overdue(pl)
    assert not flow.proposal_overdue(pl, now=long_ago + timedelta(days=13))
    figures = flow.host_figures(session, pl.activity_id or 0)
    assert figures.proposals == 1 and figures.open_overdue == 1
    overdue = svc.list_cases(session, sup, svc.CaseFilter(overdue=True))
    assert p in overdue
    assert svc.overdue_ids(session, [p.id]) == {p.id}


def test_followup_wellbeing_ranges(world: World, session: Session) -> None:
    sup = world.users["supporter_a"]
    fu = world.followup
    assert fu is not None and world.own_case is not None
    with pytest.raises(ServiceError, match="WHO-5 のスコアは 0〜25"):
        flow.complete_followup(session, sup, fu, "", "who5", 26)
    with pytest.raises(ServiceError, match="SWEMWBS のスコアは 7〜35"):
        flow.record_baseline(session, sup, world.own_case, "swemwbs", 6)
    flow.record_baseline(session, sup, world.own_case, "swemwbs", 20)
    flow.complete_followup(session, sup, fu, "元気そう", "who5", 14)
    assert fu.done_at is not None and fu.wellbeing_score == 14


def test_home_lists_overdue_and_due_this_week(world: World, client: FlaskClient, session: Session) -> None:
    p = world.own_case
    assert p is not None
    today = flow.tokyo_today()
    flow.add_followup(session, world.users["supporter_a"], p, today + timedelta(days=3), label="今週の電話")
    session.flush()
    login(client, "supporter_a@example.jp")
    page = client.get("/staff/").get_data(as_text=True)
    overdue_part, week_part = page.split("今週のフォローアップ")
    assert "2026-01-01" in overdue_part and p.case_code in overdue_part
    assert (today + timedelta(days=3)).isoformat() in week_part


# ── notes ───────────────────────────────────────────────────────────────────────────────────────


def test_note_editable_by_author_for_24h_then_corrections_only(world: World, session: Session) -> None:
    sup, other = world.users["supporter_a"], world.users["supporter_a2"]
    p = world.own_case
    assert p is not None
    note = svc.add_note(session, sup, p, "初回面談")
    svc.edit_note(session, sup, p, note.id, "初回面談（訂正）")
    with pytest.raises(ServiceError, match="24"):
        svc.edit_note(session, other, p, note.id, "他人の編集")
    later = note.created_at + timedelta(hours=25)
    with pytest.raises(ServiceError) as err:
        svc.edit_note(session, sup, p, note.id, "遅い編集", now=later)
    assert err.value.code == "note_locked"
    fix = svc.add_note(session, sup, p, "日付の訂正", corrects_id=note.id)
    assert fix.corrects_id == note.id
    assert session.scalar(select(func.count()).select_from(CaseNote).where(CaseNote.person_id == p.id)) == 2


# ── audit ───────────────────────────────────────────────────────────────────────────────────────


def test_every_case_page_read_is_audited(world: World, client: FlaskClient, session: Session) -> None:
    p = world.own_case
    assert p is not None
    login(client, "supporter_a@example.jp")
    for url in (f"/staff/cases/{p.id}", f"/staff/cases/{p.id}/suggestions", f"/staff/cases/{p.id}/edit",
                f"/staff/cases/{p.id}/export"):  # fmt: skip
        before = len(audit_rows(session, "case.read", p))
        assert client.get(url).status_code == 200, url
        rows = audit_rows(session, "case.read", p)
        assert len(rows) == before + 1, url
        assert rows[-1].user_id == world.users["supporter_a"].id and rows[-1].ip
    before = len(audit_rows(session, "case.list"))
    assert client.get("/staff/cases").status_code == 200
    listed = audit_rows(session, "case.list")
    assert len(listed) == before + 1 and p.id in listed[-1].detail["ids"]
    assert client.get("/staff/board").status_code == 200
    assert p.id in audit_rows(session, "case.list")[-1].detail["ids"]


def test_audit_details_never_hold_content(world: World, session: Session) -> None:
    p = world.own_case
    assert p is not None
    svc.add_note(session, world.users["supporter_a"], p, "秘密の内容")
    dumped = json.dumps([a.detail for a in audit_rows(session)], ensure_ascii=False)
    assert "秘密" not in dumped and "山田" not in dumped


def test_audit_is_append_only(world: World, session: Session) -> None:
    event = audit_rows(session)[0]
    with pytest.raises(Exception, match="append-only"), session.begin_nested():
        session.execute(text("UPDATE audit_event SET action = 'x' WHERE id = :i"), {"i": event.id})
    with pytest.raises(Exception, match="append-only"), session.begin_nested():
        session.execute(text("DELETE FROM audit_event WHERE id = :i"), {"i": event.id})
    # a removed user account leaves its audit rows, anonymised by the foreign key
    with session.begin_nested():
        session.execute(text("UPDATE audit_event SET user_id = NULL WHERE id = :i"), {"i": event.id})


def test_admin_sees_audit_page_but_no_case(world: World, client: FlaskClient) -> None:
    p = world.own_case
    assert p is not None
    login(client, "admin_a@example.jp")
    page = client.get(f"/staff/audit?person={p.id}")
    assert page.status_code == 200 and "case.create" in page.get_data(as_text=True)
    assert "山田" not in page.get_data(as_text=True)
    assert client.get(f"/staff/cases/{p.id}").status_code == 403


# ── export, retention ───────────────────────────────────────────────────────────────────────────


def test_export_needs_password_again_and_holds_everything(world: World, client: FlaskClient, session: Session) -> None:
    p = world.own_case
    assert p is not None
    svc.add_note(session, world.users["supporter_a"], p, "面談記録")
    session.flush()
    login(client, "supporter_a@example.jp")
    url = f"/staff/cases/{p.id}/export"
    token = csrf_token(client, url)
    wrong = client.post(url, data={"csrf_token": token, "password": "nope", "format": "json"})
    assert wrong.status_code == 200 and "application/json" not in wrong.content_type
    assert audit_rows(session, "auth.reauth_failed")
    ok = client.post(url, data={"csrf_token": token, "password": PASSWORD, "format": "json"})
    assert ok.status_code == 200 and ok.is_json
    data = ok.get_json()
    assert data["person"]["name"] == "山田 太郎"
    assert data["notes"][0]["body"] == "面談記録"
    assert data["placements"][0]["events"][0]["to"] == "candidate"
    assert any(a["action"] == "case.read" for a in data["access_log"])
    html = client.post(url, data={"csrf_token": token, "password": PASSWORD, "format": "html"})
    assert "面談記録" in html.get_data(as_text=True)
    assert audit_rows(session, "case.export", p)


def test_purge_after_retention_respects_legal_hold(world: World, session: Session) -> None:
    lead = world.users["office_lead_a"]
    p, q = world.own_case, world.unassigned_case
    assert p is not None and q is not None
    svc.set_closed(session, lead, p, True)
    svc.set_closed(session, lead, q, True)
    svc.set_legal_hold(session, lead, q, True)
    assert svc.purge_expired(session, retention_days=30) == 0  # not yet expired
    later = datetime.now(UTC) + timedelta(days=31)
    assert svc.purge_expired(session, now=later, retention_days=30) == 1
    session.expire_all()
    assert session.get(Person, p.id) is None and session.get(Person, q.id) is not None
    assert session.scalar(select(func.count()).select_from(Placement).where(Placement.person_id == p.id)) == 0
    assert audit_rows(session, "case.purge")


# ── session limits ──────────────────────────────────────────────────────────────────────────────


def _age_sessions(session: Session, user: User, *, idle: timedelta = timedelta(0), age: timedelta = timedelta(0)) -> None:
    for row in session.scalars(select(UserSession).where(UserSession.user_id == user.id)):
        row.last_seen_at -= idle
        row.created_at -= age
    session.flush()


def test_idle_and_absolute_timeouts(world: World, client: FlaskClient, session: Session) -> None:
    """One mechanism (accounts.sessions) for every staff page; the board has no limits of its own."""
    supporter = world.users["supporter_a"]
    login(client, "supporter_a@example.jp")
    assert client.get("/staff/cases").status_code == 200
    _age_sessions(session, supporter, idle=timedelta(minutes=31))
    r = client.get("/staff/cases")
    assert r.status_code == 302 and "/auth/login" in r.headers["Location"]
    assert "一定時間操作がなかったため" in client.get(r.headers["Location"]).get_data(as_text=True)
    login(client, "supporter_a@example.jp")
    assert client.get("/staff/cases").status_code == 200
    _age_sessions(session, supporter, age=timedelta(hours=13))
    r = client.get("/staff/cases")
    assert r.status_code == 302 and "/auth/login" in r.headers["Location"]


# ── fictional demo data ─────────────────────────────────────────────────────────────────────────


def test_staff_demo_loads_is_fictional_and_refuses_twice(app: Flask, session: Session) -> None:
    from webapp.cases.demo import STAFF_DEMO_FILE, load_staff_demo
    from webapp.listings.demo import load_sample_city

    assert "架空" in json.loads(STAFF_DEMO_FILE.read_text(encoding="utf-8"))["notice"]
    with app.app_context():
        load_sample_city(session)
        counts = load_staff_demo(session, PASSWORD)
        assert counts == {"users": 6, "people": 4, "placements": 2}  # issue 19: + a moderator
        notes = list(session.scalars(select(CaseNote)))
        assert notes and all("架空" in n.body for n in notes)
        assert flow.outcome_counts(session)["no_suitable_activity"] == 1
        with pytest.raises(ServiceError, match="already loaded"):
            load_staff_demo(session, PASSWORD)


def test_load_demo_staff_command(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os
    import subprocess
    import sys
    from pathlib import Path

    odekake = str(Path(sys.executable).parent / "odekake")
    env = {**os.environ, "ODEKAKE_INSTANCE_DIR": str(tmp_path), "ODEKAKE_ENV": "development"}
    env.pop("ODEKAKE_DATABASE_URL", None)
    for args in (["init-db"], ["load-demo"]):
        done = subprocess.run([odekake, *args], capture_output=True, text=True, env=env, timeout=300)
        assert done.returncode == 0, done.stderr
    done = subprocess.run(
        [odekake, "load-demo-staff", "--password-stdin"], input=PASSWORD + "\n", capture_output=True, text=True,
        env=env, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "架空" in done.stdout
    again = subprocess.run(
        [odekake, "load-demo-staff", "--password-stdin"], input=PASSWORD + "\n", capture_output=True, text=True,
        env=env, timeout=300,
    )  # fmt: skip
    assert again.returncode == 1 and "already loaded" in again.stderr
    purge = subprocess.run([odekake, "purge-cases", "--dry-run"], capture_output=True, text=True, env=env, timeout=300)
    assert purge.returncode == 0 and "0 closed cases" in purge.stdout, purge.stderr
    purge = subprocess.run([odekake, "purge-cases"], capture_output=True, text=True, env=env, timeout=300)
    assert purge.returncode == 0 and "deleted 0" in purge.stdout, purge.stderr


def test_overdue_proposal_reminder_on_home(world: World, client: FlaskClient, session: Session, app: Flask) -> None:
    sup = world.users["supporter_a"]
    p, pl = world.own_case, world.placement
    assert p is not None and pl is not None
    with app.app_context():
        svc.grant_consent(session, sup, p, "share_host", "written", activity_id=pl.activity_id)
        flow.move_stage(session, sup, pl, "proposed", "打診", now=datetime.now(UTC) - timedelta(days=20))
    session.flush()
    login(client, "supporter_a@example.jp")
    page = client.get("/staff/").get_data(as_text=True)
    reminder = page.split("返答のない打診")[1]
    assert p.case_code in reminder and "囲碁サロン" in reminder


def test_case_page_renders_in_english(world: World, client: FlaskClient) -> None:
    p = world.own_case
    assert p is not None
    login(client, "supporter_a@example.jp")
    page = client.get(f"/staff/cases/{p.id}?lang=en").get_data(as_text=True)
    for label in ("Profile", "Consent", "Follow-ups", "Change stage", "Suggested activities"):
        assert label in page, label
    assert "プロフィール" not in page
