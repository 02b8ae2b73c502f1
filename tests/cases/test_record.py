"""The 参加支援 record of issue 17: true dates, intake and assessment, 支援プラン, meetings and their consent
rules, 見守り after closing, the stage order, Japanese labels, the intake-route list and the demo history.

The `world` case (supporter_a, office A) was received on 2025-10-01 and its 囲碁サロン candidate dates
from that day.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from tests.factories import World
from tests.helpers import csrf_token, login
from webapp import clock
from webapp.cases import meetings as mtg
from webapp.cases import placements as flow
from webapp.cases import plans
from webapp.cases import services as svc
from webapp.cases.models import IntakeRoute, Person
from webapp.security.models import AuditEvent
from webapp.service_error import ServiceError

INTAKE = date(2025, 10, 1)


def _actions(session: Session, person: Person) -> list[str]:
    rows = session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_type == "person", AuditEvent.object_id == str(person.id))
    )
    return list(rows)


# ── true dates ──────────────────────────────────────────────────────────────────────────────────


def test_event_dates_default_today_never_before_intake_nor_future(world: World, session: Session, app_ctx: Flask) -> None:
    sup, p, pl = world.users["supporter_a"], world.own_case, world.placement
    assert p is not None and pl is not None
    today = clock.today()
    assert svc.add_note(session, sup, p, "電話").occurred_on == today
    for bad, code in ((INTAKE - timedelta(days=1), "before_intake"), (today + timedelta(days=1), "future_date")):
        with pytest.raises(ServiceError) as err:
            svc.add_note(session, sup, p, "面談", occurred_on=bad)
        assert (err.value.code, err.value.field) == (code, "occurred_on")
        with pytest.raises(ServiceError):
            svc.grant_consent(session, sup, p, "record_keeping", "written", granted_on=bad)
    svc.grant_consent(session, sup, p, "share_host", "written", activity_id=pl.activity_id, granted_on=date(2025, 10, 2))
    flow.move_stage(session, sup, pl, "proposed", "打診", occurred_on=date(2025, 10, 10))
    with pytest.raises(ServiceError) as err:  # before the previous move
        flow.move_stage(session, sup, pl, "accompanied_visit", "見学", occurred_on=date(2025, 10, 5))
    assert err.value.code == "before_last_move"
    flow.move_stage(session, sup, pl, "participating", "開始", occurred_on=date(2025, 10, 20))
    assert [e.day for e in pl.events] == [INTAKE, date(2025, 10, 10), date(2025, 10, 20)]
    # follow-ups are scheduled from the day participation began, not the day it was typed
    dues = sorted(f.due_on for f in p.followups if f.placement_id == pl.id and f.target == "person")
    assert dues == [date(2025, 10, 27), date(2025, 11, 19), date(2026, 1, 18)]
    fu = next(f for f in p.followups if f.due_on == date(2025, 10, 27))
    flow.complete_followup(session, sup, fu, "電話で確認", done_on=date(2025, 10, 26))
    assert fu.done_on == date(2025, 10, 26)
    with pytest.raises(ServiceError) as err:  # 受付日 cannot move after the first record
        data = svc.person_input(p)
        data.received_on = date(2025, 10, 15)
        svc.update_person(session, sup, p, data)
    assert err.value.code == "after_events"


def test_bad_date_is_shown_beside_the_field_translated_and_typing_kept(world: World, client: FlaskClient) -> None:
    p = world.own_case
    assert p is not None
    login(client, "supporter_a@example.jp")
    url = f"/staff/cases/{p.id}"
    token = csrf_token(client, url)
    r = client.post(f"{url}/notes", data={"csrf_token": token, "body": "家族と来所した", "occurred_on": "2025-09-30"})
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert '<p class="field__error" id="note-occurred_on-error">受付日（2025-10-01）より前の日付は入力できません。</p>' in page
    assert re.search(r'id="note-occurred_on"[^>]*value="2025-09-30"[^>]*aria-invalid="true"', page)
    assert "家族と来所した" in page and 'href="#note-occurred_on"' in page  # kept, and in the summary
    r = client.post(f"{url}/notes", data={"csrf_token": token, "body": "x", "occurred_on": "2025-13-01"})
    assert r.status_code == 400 and "日付を選んでください（例: 2026-04-01）。" in r.get_data(as_text=True)
    client.get("/?lang=en")
    r = client.post(f"{url}/notes", data={"csrf_token": token, "body": "x", "occurred_on": "2025-09-30"})
    assert "Enter a date on or after the date received (2025-10-01)." in r.get_data(as_text=True)


def test_stage_order_needs_a_reason_to_skip_and_labels_are_japanese(
    world: World, session: Session, client: FlaskClient, app: Flask
) -> None:
    sup, p, pl = world.users["supporter_a"], world.own_case, world.placement
    assert p is not None and pl is not None
    with app.app_context():
        svc.grant_consent(session, sup, p, "share_host", "written", activity_id=pl.activity_id)
        with pytest.raises(ServiceError) as err:
            flow.move_stage(session, sup, pl, "participating", "本人の希望")
        assert err.value.code == "skip_reason_required" and "候補 → 参加中" in err.value.message
        flow.move_stage(session, sup, pl, "participating", "本人の希望", skip_reason="世話人が以前からの知り合い")
        assert "世話人が以前からの知り合い" in pl.events[-1].reason
        flow.record_baseline(session, sup, p, "who5", 12)
    session.commit()
    login(client, "supporter_a@example.jp")
    page = client.get(f"/staff/cases/{p.id}").get_data(as_text=True)
    assert "参加開始の7日後" in page and "ベースライン" in page
    assert "+7d" not in page and "+30d" not in page


# ── intake, assessment, households, the route list ─────────────────────────────────────────────


def test_intake_and_assessment_form_encrypted_and_routes_editable(
    world: World, client: FlaskClient, session: Session, app: Flask
) -> None:
    login(client, "supporter_a@example.jp")
    token = csrf_token(client, "/staff/cases/new")
    form = {
        "csrf_token": token, "age_band": "40s", "field": "hikikomori", "referral_source": "other",
        "contact_preference": "phone", "received_on": "2026-11-20", "intake_route": "minsei",
        "referring_org": "民生委員（架空）", "handover_summary": "つなぐシート：昼夜逆転", "fields": ["hikikomori", "poverty"],
        "outside_existing_services": "y", "strengths": "絵が得意", "roles_wanted": ["use_skills", "friends"],
        "goals_own_words": "週に一度は外に出たい",
    }  # fmt: skip
    r = client.post("/staff/cases/new", data={**form, "received_on": "2099-01-01"})
    page = r.get_data(as_text=True)
    assert "未来の日付は入力できません" in page and "週に一度は外に出たい" in page  # beside the field, kept
    r = client.post("/staff/cases/new", data=form)
    assert r.status_code == 302
    person = session.scalar(select(Person).where(Person.referring_org == "民生委員（架空）"))
    assert person is not None and person.received_on == date(2026, 11, 20) and person.fields == ["hikikomori", "poverty"]
    assert person.outside_existing_services and person.roles_wanted == ["friends", "use_skills"]
    for column, plain in (("handover_summary", "昼夜逆転"), ("strengths", "絵が得意"), ("goals_own_words", "外に出たい")):
        raw = session.execute(text(f"SELECT {column} FROM person WHERE id = :i"), {"i": person.id}).scalar_one()
        assert plain not in raw and raw.startswith("gAAAA"), column
    page = client.get(f"/staff/cases/{person.id}").get_data(as_text=True)
    assert "民生委員・児童委員" in page and "絵が得意" in page and "仲間がほしい" in page
    # the city edits the list without code: a new route is offered, a retired one no longer
    with app.app_context():
        svc.edit_intake_route(session, "add", "school_sc", "スクールソーシャルワーカー")
        svc.edit_intake_route(session, "retire", "minsei")
        session.commit()
    form_page = client.get("/staff/cases/new").get_data(as_text=True)
    assert "スクールソーシャルワーカー" in form_page and "民生委員・児童委員" not in form_page
    edit = client.get(f"/staff/cases/{person.id}/edit").get_data(as_text=True)
    assert "民生委員・児童委員" in edit  # still shown where it is the stored value
    assert session.scalar(select(IntakeRoute.active).where(IntakeRoute.code == "minsei")) is False


def test_household_link(world: World, session: Session, app_ctx: Flask) -> None:
    lead = world.users["office_lead_a"]
    p, other = world.own_case, world.unassigned_case
    assert p is not None and other is not None
    svc.link_household(session, lead, p, other.case_code.lower())
    assert p.household_key == other.household_key == other.case_code
    assert svc.household(session, lead, p) == [other]
    with pytest.raises(ServiceError):  # a case of another office is not found
        svc.link_household(session, lead, p, world.other_case.case_code)  # type: ignore[union-attr]


# ── plans and meetings ──────────────────────────────────────────────────────────────────────────


def test_plan_versions_meeting_confirms_placement_from_plan_review_evaluation(
    world: World, session: Session, app_ctx: Flask
) -> None:
    sup, lead, p = world.users["supporter_a"], world.users["office_lead_a"], world.own_case
    assert p is not None
    go = world.activities["far"]
    plan = plans.make_plan(session, sup, p, plans.PlanInput(
        made_on=date(2026, 11, 2), goals="週1回の外出", supports="参加支援・定着支援", activity_id=go.id,
        review_on=date(2027, 2, 1),
    ))  # fmt: skip
    assert (plan.version, plan.includes_participation) == (1, True)
    with pytest.raises(ServiceError) as err:
        plans.make_plan(session, sup, p, plans.PlanInput(made_on=date(2026, 11, 1), goals="x"))
    assert err.value.code == "before_last_plan"
    meeting = mtg.create_meeting(session, lead, mtg.MeetingInput(
        kind="multiagency_meeting", held_on=date(2026, 11, 5), attendee_orgs=["市", "社協", "市"], theme="男性の居場所"))  # fmt: skip
    assert meeting.attendee_orgs == ["市", "社協"]
    with pytest.raises(ServiceError) as err:  # 重層的支援会議 needs the person's consent
        mtg.link_case(session, lead, meeting, p, "プラン確認", confirms_plan=True)
    assert err.value.code == "consent_required"
    svc.grant_consent(session, sup, p, "multiagency_meeting", "written", recipient="重層的支援会議", granted_on=date(2026, 11, 3))
    link = mtg.link_case(session, lead, meeting, p, "プラン確認", confirms_plan=True)
    assert not link.without_consent and plan.confirmed_by_meeting_id == meeting.id
    placement = plans.placement_from_plan(session, sup, p, plan, date(2026, 11, 6))
    assert placement.plan_id == plan.id and placement.activity_id == go.id and placement.events[0].day == date(2026, 11, 6)
    plans.review_plan(session, sup, p, plan, date(2026, 11, 20), "通えている", date(2027, 3, 1))
    plans.evaluate_plan(session, sup, p, plan, "partly", "週1回は達成、仲間づくりは途中", date(2026, 11, 30))
    assert (plan.reviewed_on, plan.review_on, plan.evaluation) == (date(2026, 11, 20), date(2027, 3, 1), "partly")
    v2 = plans.make_plan(session, sup, p, plans.PlanInput(made_on=date(2026, 12, 1), goals="仲間づくり"))
    assert v2.version == 2 and p.current_plan is v2 and not v2.includes_participation
    actions = _actions(session, p)
    for action in ("plan.make", "case.meeting", "placement.add", "plan.review", "plan.evaluate"):
        assert action in actions
    raw = session.execute(text("SELECT goals FROM support_plan WHERE id = :i"), {"i": plan.id}).scalar_one()
    assert raw.startswith("gAAAA") and "外出" not in raw
    raw = session.execute(text("SELECT case_part FROM meeting_case WHERE id = :i"), {"i": link.id}).scalar_one()
    assert raw.startswith("gAAAA")


def test_meeting_kinds_and_consent_rules_and_office_scope(world: World, session: Session, client: FlaskClient, app: Flask) -> None:
    lead, p = world.users["office_lead_a"], world.own_case
    assert p is not None
    with app.app_context():
        team = mtg.create_meeting(session, lead, mtg.MeetingInput(kind="team_meeting", attendee_orgs=["包括"]))
        with pytest.raises(ServiceError):
            mtg.link_case(session, lead, team, p, "")
        support = mtg.create_meeting(session, lead, mtg.MeetingInput(kind="support_meeting", regular=False, attendee_orgs=["市", "包括"]))
        link = mtg.link_case(session, lead, support, p, "見守りの分担")
        assert link.without_consent is True
        mtg.add_output(session, lead, support, "develop_host", "生駒地区で料理の受け入れ先を開拓", "ikoma")
        with pytest.raises(ServiceError):
            mtg.create_meeting(session, lead, mtg.MeetingInput(kind="coffee", attendee_orgs=["市"]))
        with pytest.raises(ServiceError) as err:
            mtg.create_meeting(session, lead, mtg.MeetingInput(kind="case_review", attendee_orgs=[" "]))
        assert err.value.field == "attendee_orgs"
        session.commit()
    login(client, "supporter_a@example.jp")
    page = client.get(f"/staff/meetings/{support.id}").get_data(as_text=True)
    assert "守秘義務" in page and p.case_code in page and "見守りの分担" in page and "受け入れ先を開拓" in page
    listing = client.get("/staff/meetings").get_data(as_text=True)
    assert "チーム会議" in listing and "随時" in listing
    login(client, "supporter_b@example.jp")  # another office: the meeting does not exist for them
    assert client.get(f"/staff/meetings/{support.id}").status_code == 404


def test_meeting_form_errors_beside_fields(world: World, client: FlaskClient) -> None:
    login(client, "office_lead_a@example.jp")
    token = csrf_token(client, "/staff/meetings")
    r = client.post("/staff/meetings", data={"csrf_token": token, "kind": "case_review", "held_on": "2099-01-01",
                                             "attendee_orgs": "社協\n包括", "theme": "事例検討の主題"})  # fmt: skip
    page = r.get_data(as_text=True)
    assert r.status_code == 400 and 'id="meeting-held_on-error"' in page and "事例検討の主題" in page
    r = client.post("/staff/meetings", data={"csrf_token": token, "kind": "case_review", "held_on": "2026-11-01",
                                             "attendee_orgs": "社協、包括", "theme": ""})  # fmt: skip
    assert r.status_code == 302


# ── closing with 見守り ─────────────────────────────────────────────────────────────────────────


def test_closing_schedules_light_watch(world: World, session: Session, client: FlaskClient) -> None:
    p = world.own_case
    assert p is not None
    login(client, "supporter_a@example.jp")
    url = f"/staff/cases/{p.id}"
    token = csrf_token(client, url)
    r = client.post(f"{url}/close", data={"csrf_token": token, "closed": "1", "closed_on": "2026-11-30",
                                          "watch_days": ["30", "90"]})  # fmt: skip
    assert r.status_code == 302
    watch = sorted((f.due_on, f.label) for f in session.get(Person, p.id).followups if f.is_watch)  # type: ignore[union-attr]
    assert watch == [(date(2026, 12, 30), "watch+30d"), (date(2027, 2, 28), "watch+90d")]
    page = client.get(url).get_data(as_text=True)
    assert "見守り（終結の30日後）" in page and "終結" in page


# ── the demo loader's history ───────────────────────────────────────────────────────────────────


def test_demo_history_is_consistent(session: Session, app_ctx: Flask) -> None:
    """Everything `odekake load-demo-staff` loads: cases, demo hosts and 参加の相談 (all 架空)."""
    from webapp.cases.demo import load_staff_demo
    from webapp.consult.demo import load_consult_demo
    from webapp.consult.models import ConsultRequest, OfficeDistrict
    from webapp.hosts.counts import host_counts
    from webapp.hosts.demo import load_host_demo
    from webapp.hosts.models import Host
    from webapp.listings.demo import load_sample_city
    from webapp.listings.models.place import District
    from webapp.reports.kpis import KpiFilter, compute_kpis, load_rows

    load_sample_city(session)
    load_staff_demo(session, "correct horse battery")
    assert load_host_demo(session) == 7
    assert load_consult_demo(session) == {"office_districts": 12, "consultations": 2, "cases": 1}
    today = clock.today()
    now = clock.now()
    # Hosts: labelled サンプル/架空, several kinds, no step before the host was registered, none in the
    # future, steps in order; contacts and support notes inside the same span.
    hosts = list(session.scalars(select(Host)))
    assert {h.kind for h in hosts} >= {"farm", "company", "business", "temple", "npo", "listing_org"}
    assert {h.stage for h in hosts} == {"candidate", "approached", "agreed", "receiving", "declined"}
    for h in hosts:
        assert "サンプル" in h.name or "架空" in h.name, h.name
        born = clock.to_jst(h.created_at).date()
        assert h.created_at <= now
        days = [e.on for e in h.events]
        assert days == sorted(days) and days[0] == born and all(born <= d <= today for d in days), (h.name, born, days)
        assert h.events[-1].stage == h.stage and h.stage_on == days[-1]
        assert all(born <= c.on <= today for c in h.contacts) and all(born <= n.on <= today for n in h.support_notes)
        assert all("架空" in c.note for c in h.contacts) and all("架空" in n.note for n in h.support_notes)
        assert all(e.recorded_at <= now for e in h.events)
    # Every 小学校区 of the sample city has an office for 参加の相談.
    districts = set(session.scalars(select(District.code).where(District.kind != "city")))
    assert set(session.scalars(select(OfficeDistrict.district_code))) == districts
    # Two 参加の相談: one new (on the home), one taken up as a case received the day it arrived.
    requests = sorted(session.scalars(select(ConsultRequest)), key=lambda r: r.created_at)
    assert [r.status for r in requests] == ["received", "new"]
    taken, waiting = requests
    assert waiting.intake_id is None and all(r.created_at <= now for r in requests)
    case = session.get(Person, taken.intake_id)
    assert case is not None and case.intake_route == "site_self"
    assert case.received_on == clock.to_jst(taken.created_at).date() and taken.received_at >= taken.created_at
    assert [(c.purpose, c.version) for c in case.consents] == [("record_keeping", taken.consent_version)]
    people = list(session.scalars(select(Person)))
    assert people
    for p in people:
        start = p.intake_day
        days = [e.day for pl in p.placements for e in pl.events] + [pl.made_on for pl in p.plans]
        days += [c.granted_on for c in p.consents if c.granted_on] + [n.occurred_on for n in p.notes if n.occurred_on]
        days += [f.done_on for f in p.followups if f.done_on] + [link.meeting.held_on for link in p.meeting_links]
        assert all(start <= d <= today for d in days), (p.case_code, start, days)
        for pl in p.placements:
            assert [e.day for e in pl.events] == sorted(e.day for e in pl.events)
    report = compute_kpis(load_rows(session), KpiFilter(date(2000, 1, 1), today), as_of=today)
    assert report.median_days_to_participation is not None and report.median_days_to_participation >= 0
    assert report.plans_made == 2 and report.meetings_held == 3 and report.plan_participating.numerator == 1
    # 相談件数: the 4 demo cases and the one taken up from the site (counted once), and the new request.
    assert (report.consultations, report.consultations_site) == (6, 2)
    year = host_counts(session, today - timedelta(days=365), today)
    # Agreed: the farm, the shop, the care business, the salon; cooperating: the first three (the salon is on
    # the map, the temple declined before agreeing); new places: the farm, the care business, the salon.
    assert (year.agreed, year.cooperating, year.places_set_up) == (4, 3, 3)
