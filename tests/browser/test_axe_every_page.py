"""axe-core (vendored under static/vendor/axe-core) on every HTML page the app serves — public,
organizer and staff — in chromium, at desktop and phone size, and on the forms' error states.

The pages come from app.url_map: a new GET route is checked without editing this file (routes
whose arguments cannot be filled from the seeded data fail ``test_every_get_route_is_visited``).
A colour-contrast violation of any impact fails, and so does every other serious or critical one.
Screenshots of the screens changed by issue 19 go to test-artifacts/issue-19/.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import DESKTOP, PHONE, LiveServer
from tests.browser.pages import axe_violations

PASSWORD = "correct horse battery"
STAFF = "axe-staff@example.jp"
ORGANIZER = "axe-organizer@example.jp"
AXE = "/static/vendor/axe-core/axe.min.js"
DOWNLOADS = (".csv", ".xlsx", ".geojson", ".ics", ".webp", ".json")  # files, not pages
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

# GET routes that are not HTML pages, or not pages a person reads, and why.
NOT_PAGES = {
    "hosts.placement_request": "a redirect: to the request's page (visited as hosts.staff_request) or, when none was sent, to the host or case page",
    "public.activity_ics": "a calendar file",
    "public.healthz": "a health check for the load balancer",
    "api.activities": "JSON API",
    "api.activities_geojson": "GeoJSON API",
    "api.activity": "JSON API",
    "opendata.coverage_csv": "CSV download",
    "reports.coverage_csv": "CSV download",
    "reports.coverage_geojson": "GeoJSON download",
    "reports.coverage_xlsx": "Excel download",
    "reports.kpis_csv": "CSV download",
    "reports.kpis_xlsx": "Excel download",
    "reports.unmet_csv": "CSV download",
    "reports.unmet_geojson": "GeoJSON download",
    "organizer.photo": "an image",
    "organizer.geocode": "JSON for the listing form's script",
    "auth.logout": "POST only",
    "auth.verify_email": "needs a mailed token",
    "auth.password_reset": "needs a mailed token",
    "signup.accept_invitation": "needs a mailed invitation token",
    "organizer.reconfirm": "needs a mailed token",
    "auth.second_factor": "only between password and code during a login",
    "auth.totp_setup": "a QR code page reached from the security page (its form is checked in the error states)",
}


@dataclass
class Seeded:
    person: int
    placement: int
    followup: int
    note: int
    activity: int
    listing: int
    revision: int
    organization: int
    meeting: int
    host: int
    consult: int
    run: int
    host_request: int


def _seed(live_server: LiveServer) -> Seeded:
    from sqlalchemy import select

    from webapp import clock
    from webapp.accounts.models.user import User
    from webapp.accounts.services import create_user
    from webapp.cases import meetings
    from webapp.cases import placements as flow
    from webapp.cases import services as svc
    from webapp.cases.models import Meeting, Person
    from webapp.consult import services as consult_svc
    from webapp.consult.models import ConsultRequest
    from webapp.extensions import db
    from webapp.hosts import services as host_svc
    from webapp.hosts.models import Host, HostRequest
    from webapp.jobs.models import JobRun
    from webapp.jobs.progress import create_run
    from webapp.listings import organizer as listings
    from webapp.listings.models.activity import Activity
    from webapp.listings.models.organization import Organization
    from webapp.listings.models.organizer import ActivityRevision, OrganizationMembership
    from webapp.listings.models.report import ErrorReport

    app = live_server.app
    with app.app_context(), db.transaction() as session:
        staff = session.scalar(select(User).where(User.email == STAFF))
        if staff is None:
            roles = ["admin", "office_lead", "supporter", "moderator", "viewer"]
            staff = create_user(session, STAFF, PASSWORD, roles, "アクセシビリティ試験 参加支援センター")
            organizer = create_user(session, ORGANIZER, PASSWORD, ["organizer"])
            org = Organization(source="manual", source_id="axe-org", name="試験ふれあいサロンの会", kind="volunteer_group")
            session.add(org)
            session.flush()
            session.add(OrganizationMembership(user_id=organizer.id, organization_id=org.id))
            activities = session.scalars(select(Activity).where(Activity.status == "published").order_by(Activity.id)).all()
            listing = activities[1]
            listing.organization_id = org.id
            session.add(ErrorReport(activity_id=activities[0].id, message="曜日が変わっています（試験）", status="open"))
            session.flush()
            revision = listings.editable_revision(session, organizer, listing)
            listings.save_draft(session, organizer, revision, {**revision.data, "description": "体操のあとにお茶の時間があります。"})
            listings.submit(session, app.extensions["odekake_settings"], organizer, revision)
            person = svc.create_person(session, staff, svc.PersonInput(age_band="70s", field="elderly", name="試験 花子", contact="0743-00-0000"))
            flow.add_placement(session, staff, person, activities[0].id, reason="近所で通いやすい")
            flow.add_followup(session, staff, person, clock.today())
            svc.add_note(session, staff, person, "初回面談。散歩が好き。")
            meetings.create_meeting(session, staff, meetings.MeetingInput(
                kind="team_meeting", attendee_orgs=["地域包括支援センター", "社協"], theme="見学先の相談（試験）"))
            host_svc.create_host(session, staff, host_svc.HostInput(name="試験農園", kind="farm"))
            consult_svc.create_request(session, consult_svc.ConsultInput(
                name="試験 太郎", contact="0743-00-0001", office_id=staff.office_id, consent=True), set())
            create_run(session, "import", "試験.csv", staff.id, 10, {"token": "axe"})
            # 受け入れのご相談: the organizer's organization is a host; a 打診 sent to it, with a thread.
            org_host = Host(name="試験ふれあいサロンの会", kind="listing_org", organization_id=org.id, stage="agreed",
                            stage_on=clock.today())  # fmt: skip
            session.add(org_host)
            session.flush()
            sent = flow.add_placement(session, staff, person, host_id=org_host.id, reason="サロンの手伝い")
            svc.grant_consent(session, staff, person, "share_host", "written", recipient=org_host.name,
                              share_fields=["nickname", "age_band", "wishes", "accommodations", "supporter_contact"],
                              nickname="ハナさん")  # fmt: skip
            flow.move_stage(session, staff, sent, "proposed", "打診")
            from webapp.hosts import requests as host_rq

            host_request = session.scalar(select(HostRequest).where(HostRequest.placement_id == sent.id))
            assert host_request is not None
            host_rq.add_message(session, organizer, host_request, "host", "送迎は必要ですか？（試験）")
            session.flush()
        person_id = session.scalar(select(Person.id).order_by(Person.id.desc()))
        person = session.get(Person, person_id)
        assert person is not None
        org_id = session.scalar(select(Organization.id).where(Organization.source_id == "axe-org"))
        listing_id = session.scalar(select(Activity.id).where(Activity.organization_id == org_id))
        revision_id = session.scalar(select(ActivityRevision.id).where(ActivityRevision.activity_id == listing_id))
        newest = {m: session.scalar(select(m.id).order_by(m.id.desc())) or 0
                  for m in (Meeting, Host, ConsultRequest, JobRun, HostRequest)}  # fmt: skip
        return Seeded(
            person=person.id, placement=person.placements[0].id, followup=person.followups[0].id,
            note=person.notes[0].id, activity=person.placements[0].activity_id or 0, listing=listing_id or 0,
            revision=revision_id or 0, organization=org_id or 0, meeting=newest[Meeting], host=newest[Host],
            consult=newest[ConsultRequest], run=newest[JobRun], host_request=newest[HostRequest],
        )  # fmt: skip


def _login(page: Any, live_server: LiveServer, email: str) -> None:
    page.goto(live_server("/auth/login"))
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_load_state()
    assert "/auth/login" not in page.url, page.content()[:2000]




def _pages(live_server: LiveServer, seeded: Seeded) -> tuple[list[tuple[str, str]], list[str]]:
    """(who, path) for every GET page in the url_map; and the routes that could not be filled."""
    from tests.security.routes import get_routes
    from webapp.security.permissions import Permission

    values = {
        "person_id": seeded.person, "placement_id": seeded.placement, "followup_id": seeded.followup,
        "note_id": seeded.note, "revision_id": seeded.revision, "organization_id": seeded.organization,
        "meeting_id": seeded.meeting, "host_id": seeded.host, "request_id": seeded.consult, "run_id": seeded.run,
        "host_request_id": seeded.host_request,
    }  # fmt: skip
    pages, unfilled = [], []
    for route in get_routes(live_server.app):
        if route.endpoint in NOT_PAGES or route.rule.rule.endswith(DOWNLOADS):
            continue
        args: dict[str, Any] = {}
        for name in route.rule.arguments:
            if name == "activity_id":
                args[name] = seeded.listing if route.endpoint.startswith("organizer.") else seeded.activity
            elif name in values:
                args[name] = values[name]
        if set(args) != set(route.rule.arguments):
            unfilled.append(route.endpoint)
            continue
        built = route.rule.build(args, append_unknown=False)
        assert built is not None
        path = built[1]
        if route.is_public:
            who = "anonymous"
        elif Permission.LISTING_WRITE in route.access or Permission.HOST_ANSWER in route.access:
            who = "organizer"
        else:
            who = "staff"
        pages.append((who, path))
    return pages, unfilled


def test_the_check_finds_low_contrast(page: Any, live_server: LiveServer) -> None:
    """The check can fail: a grey-on-white button added to a page is reported as color-contrast."""
    page.goto(live_server("/about"))
    page.evaluate("""() => {
      const b = document.createElement('button'); b.textContent = 'この写真を外す';
      b.style.color = '#ccc'; b.style.background = '#fff'; document.querySelector('main').appendChild(b);
    }""")
    assert "color-contrast" in {v["id"] for v in axe_violations(page, live_server, TAGS)}


def test_every_get_route_is_visited(live_server: LiveServer) -> None:
    _, unfilled = _pages(live_server, _seed(live_server))
    assert unfilled == [], "give these routes' arguments a seeded value, or list them in NOT_PAGES"


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_axe_on_every_page(
    new_context: Callable[..., Any], live_server: LiveServer, artifacts: Path, viewport: str
) -> None:
    seeded = _seed(live_server)
    pages, _ = _pages(live_server, seeded)
    size = DESKTOP if viewport == "desktop" else PHONE
    browsers = {"anonymous": new_context(**size).new_page()}
    for who, email in (("staff", STAFF), ("organizer", ORGANIZER)):
        browsers[who] = new_context(**size).new_page()
        _login(browsers[who], live_server, email)
    found: dict[str, list[dict[str, Any]]] = {}
    visited = []
    for who, path in pages:
        page = browsers[who]
        response = page.goto(live_server(path))
        assert response is not None
        if "text/html" not in (response.headers.get("content-type") or ""):
            continue
        visited.append(path)
        violations = axe_violations(page, live_server, TAGS)
        if violations:
            found[f"{who} {path}"] = violations
    out = artifacts / "issue-19"
    out.mkdir(exist_ok=True)
    (out / f"axe-every-page-{viewport}.json").write_text(json.dumps({"visited": visited, "violations": found}, ensure_ascii=False, indent=1))
    assert len(visited) > 30
    assert found == {}


def _shot(page: Any, out: Path, name: str) -> None:
    page.screenshot(path=str(out / f"{name}.png"), full_page=False)


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_error_states_are_accessible_and_shown_where_the_eye_is(
    new_context: Callable[..., Any], live_server: LiveServer, artifacts: Path, viewport: str
) -> None:
    """The forms' error states: the summary is focused (so it is on screen), axe finds nothing."""
    seeded = _seed(live_server)
    out = artifacts / "issue-19"
    out.mkdir(exist_ok=True)
    size = DESKTOP if viewport == "desktop" else PHONE
    found: dict[str, Any] = {}

    def check(page: Any, name: str) -> None:
        summary = page.locator(".error-summary")
        summary.wait_for()
        # autofocus runs at the next rendering step after load
        page.wait_for_function("() => document.activeElement && document.activeElement.classList.contains('error-summary')")
        box = summary.bounding_box()
        view = page.viewport_size
        assert box is not None and 0 <= box["y"] < view["height"], f"{name}: the summary is out of sight"
        _shot(page, out, f"{name}-{viewport}")
        violations = axe_violations(page, live_server, TAGS)
        if violations:
            found[name] = violations

    # Login with a wrong password: the address stays, the message is beside the password.
    page = new_context(**size).new_page()
    page.goto(live_server("/auth/login"))
    page.get_by_label("メールアドレス").fill(STAFF)
    page.get_by_label("パスワード").fill("wrong password")
    page.get_by_role("button", name="ログイン").click()
    check(page, "login-error")
    assert page.get_by_label("メールアドレス").input_value() == STAFF

    # Staff: consent refused for lack of a host name; the typed note is kept.
    staff = new_context(**size).new_page()
    _login(staff, live_server, STAFF)
    staff.goto(live_server(f"/staff/cases/{seeded.person}"))
    staff.get_by_text("同意を記録する").click()
    staff.locator("#c-purpose").select_option("share_host")
    staff.get_by_label("メモ（暗号化して保存）").fill("電話で口頭確認のうえ書面で")
    staff.get_by_role("button", name="同意を記録").click()
    check(staff, "case-consent-error")
    assert staff.get_by_label("メモ（暗号化して保存）").input_value() == "電話で口頭確認のうえ書面で"

    # Staff: a stage change refused (no consent to share with the host); the reason is kept.
    staff.goto(live_server(f"/staff/cases/{seeded.person}"))
    form = staff.locator(f"#placement-{seeded.placement} form.stage-form")
    form.get_by_label("次の段階").select_option("proposed")
    form.get_by_label("理由（必須）").fill("本人が見学を希望")
    form.get_by_role("button", name="段階を変更").click()
    check(staff, "case-stage-error")
    assert staff.locator(f"#stage-{seeded.placement}-reason").input_value() == "本人が見学を希望"
    assert "同意" in staff.locator(".error-summary").inner_text()

    # Staff: a follow-up score without its scale; the note and the score are kept.
    staff.goto(live_server(f"/staff/cases/{seeded.person}"))
    item = staff.locator(f"#followup-{seeded.followup}")
    item.get_by_text("完了を記録").click()
    item.get_by_label("記録").fill("表情が明るくなった")
    item.get_by_label("スコア").fill("18")
    item.get_by_role("button", name="完了にする").click()
    check(staff, "case-followup-error")
    assert staff.locator(f"#followup-{seeded.followup}-note").input_value() == "表情が明るくなった"
    assert "尺度" in staff.locator(".error-summary").inner_text()

    # Moderator: 「修正を依頼」 without a message.
    staff.goto(live_server(f"/staff/moderation/revisions/{seeded.revision}"))
    staff.get_by_role("button", name="修正を依頼").click()
    check(staff, "moderation-message-error")

    # Reports: an end before the start.
    staff.goto(live_server("/staff/reports?start=2026-10-01&end=2026-04-01"))
    check(staff, "reports-period-error")

    # Public: the error-report form at the bottom of a listing.
    public = new_context(**size).new_page()
    public.goto(live_server(f"/activities/{seeded.activity}"))
    public.get_by_role("button", name="送信する").click()
    check(public, "report-error")

    (out / f"axe-error-states-{viewport}.json").write_text(json.dumps(found, ensure_ascii=False, indent=1))
    assert found == {}


def test_moderation_queue_screenshots(new_context: Callable[..., Any], live_server: LiveServer, artifacts: Path) -> None:
    """The moderation queue as a phone and a desk see it (screenshots for issue 19's Japan time)."""
    _seed(live_server)
    out = artifacts / "issue-19"
    out.mkdir(exist_ok=True)
    for name, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page = new_context(**size).new_page()
        _login(page, live_server, STAFF)
        page.goto(live_server("/staff/moderation"))
        assert re.search(r"\d{4}-\d{2}-\d{2}", page.locator("main").inner_text())
        page.screenshot(path=str(out / f"moderation-queue-{name}.png"), full_page=True)
