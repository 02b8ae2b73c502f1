"""IDOR enumeration across organizations and offices, over every route with an id in its URL.

Organization B and office B own listings, drafts, photos, revisions, persons, placements, follow-ups,
consents, notes and sessions. An organizer of organization A and the staff of office A then request
every such route (from app.url_map, so routes added later are swept too) with B's ids — alone and
under one of A's own parents — by GET and by POST with a valid CSRF token and B's ids in the body.

Each answer must be 403 or 404 (never a 2xx/3xx for a guarded route), no answer may carry B's
marker strings, and afterwards every row B owns is exactly as it was.
"""

from __future__ import annotations

import functools
import io
import itertools
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from tests.helpers import csrf_token, login
from tests.security.routes import Route, routes
from webapp.accounts.models.security import UserSession
from webapp.accounts.models.user import User
from webapp.cases.models import CaseNote, Consent, FollowUp, Person, Placement
from webapp.listings.models.activity import Activity
from webapp.listings.models.organization import Organization
from webapp.listings.models.organizer import ActivityRevision, OrganizationMembership, Photo
from webapp.listings.models.report import ErrorReport

PASSWORD = "correct horse battery"
SECRET = "IDORB"  # every marker below starts with it; no answer to A may contain it


@functools.cache
def _hash() -> str:
    from webapp.accounts.passwords import hash_password

    return hash_password(PASSWORD)


def _user(session: Session, email: str, role: str, office: str | None = None) -> User:
    from webapp.accounts.models.user import RoleMembership
    from webapp.accounts.services import get_or_create_office

    user = User(email=email, display_name=email.split("@")[0], password_hash=_hash())
    if office:
        user.office = get_or_create_office(session, office)
    user.memberships.append(RoleMembership(role=role))
    session.add(user)
    session.flush()
    return user


def _png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(buf, format="PNG")
    return buf.getvalue()


@dataclass
class Side:
    """One organization and one office, and everything they own."""

    org: Organization
    organizer: User
    lead: User
    supporter: User
    published: Activity
    draft: Activity
    revisions: list[ActivityRevision]
    photo: Photo
    report: ErrorReport
    person: Person
    placement: Placement
    followup: FollowUp
    consent: Consent
    note: CaseNote
    extra: dict[str, Any] = field(default_factory=dict)


def _build_side(session: Session, app: Flask, key: str, marker: str) -> Side:
    from tests.factories import make_activity
    from webapp.cases import placements as flow
    from webapp.cases import services as cases_svc
    from webapp.consult import services as consult_svc
    from webapp.hosts import services as host_svc
    from webapp.listings import organizer as org_svc
    from webapp.listings.photos import add_photo

    settings = app.extensions["odekake_settings"]
    org = Organization(source="test", source_id=f"org-{key}", name=f"{marker}団体")
    session.add(org)
    session.flush()
    organizer = _user(session, f"org_{key.lower()}@example.jp", "organizer")
    session.add(OrganizationMembership(user_id=organizer.id, organization_id=org.id))
    lead = _user(session, f"lead_{key.lower()}@example.jp", "office_lead", f"所属{key}")
    supporter = _user(session, f"sup_{key.lower()}@example.jp", "supporter", f"所属{key}")
    published = make_activity(session, f"pub-{key}", 34.69, 135.69, name=f"公開{key}", organization_id=org.id)
    # An unpublished edit of the published listing, and a listing that was never published.
    edit = org_svc.editable_revision(session, organizer, published)
    org_svc.save_draft(session, organizer, edit, {**edit.data, "name": f"{marker}-edit", "description": f"{marker}-desc"})
    draft, first = org_svc.start_listing(session, organizer, org)
    org_svc.save_draft(session, organizer, first, {**first.data, "name": f"{marker}-draft"})
    photo = add_photo(session, settings, draft, organizer.id, _png(), f"{marker}-alt")
    report = ErrorReport(activity_id=published.id, message=f"{marker}-report")
    session.add(report)
    person = cases_svc.create_person(
        session, supporter, cases_svc.PersonInput(name=f"{marker}-name", what_matters=f"{marker}-matters")
    )
    placement = flow.add_placement(session, supporter, person, published.id, reason=f"{marker}-reason")
    followup = flow.add_followup(session, supporter, person, date(2026, 1, 1), label=f"{marker}-fu")
    consent = cases_svc.grant_consent(session, supporter, person, "record_keeping", "written", note=f"{marker}-consent")
    note = cases_svc.add_note(session, supporter, person, f"{marker}-note")
    from webapp.cases import meetings, plans

    plan = plans.make_plan(session, supporter, person, plans.PlanInput(goals=f"{marker}-goals"))
    meeting = meetings.create_meeting(
        session, lead, meetings.MeetingInput(kind="support_meeting", attendee_orgs=[f"{marker}-org"], theme=f"{marker}-theme")
    )
    meetings.link_case(session, lead, meeting, person, f"{marker}-case-part")
    # The host register is shared by every office (no marker in the name); its notes are office-only.
    host = host_svc.create_host(session, supporter, host_svc.HostInput(name=f"受け入れ先{key}", kind="company"))
    host_svc.add_support_note(session, supporter, host, "training", f"{marker}-host-note")
    host_svc.add_contact(session, supporter, host, "visit", f"{marker}-host-contact")
    office = supporter.office
    assert office is not None
    consult_svc.set_office_districts(session, office, [f"d-{key}"])
    request = consult_svc.create_request(session, consult_svc.ConsultInput(
        name=f"{marker}-consult", contact="090", district=f"d-{key}", consent=True), {f"d-{key}"})  # fmt: skip
    from webapp.jobs.progress import create_run

    run = create_run(session, "import", f"{marker}.csv", lead.id, 10, {"token": f"{marker}-token"})
    # 受け入れのご相談: the organization's own host gets the 打診 (with the marker in what it may see).
    from webapp.hosts import requests as host_rq
    from webapp.hosts.models import Host, HostRequest

    org_host = Host(name=f"受け入れ先{key}団体", kind="listing_org", organization_id=org.id, stage="agreed",
                    stage_on=date(2026, 11, 1))  # fmt: skip
    session.add(org_host)
    session.flush()
    placement.host_id = org_host.id
    cases_svc.grant_consent(session, supporter, person, "share_host", "written", activity_id=published.id,
                            share_fields=["nickname"], nickname=f"{marker}-nick")  # fmt: skip
    flow.move_stage(session, supporter, placement, "proposed", "打診")
    host_request = session.scalar(select(HostRequest).where(HostRequest.placement_id == placement.id))
    assert host_request is not None
    host_rq.add_message(session, organizer, host_request, "host", f"{marker}-thread")
    session.flush()
    return Side(org, organizer, lead, supporter, published, draft, [edit, first], photo, report, person,
                placement, followup, consent, note,
                {"plan": plan, "meeting": meeting, "host": host, "consult": request, "run": run,
                 "host_request": host_request})  # fmt: skip


# ── what B owns, row by row ────────────────────────────────────────────────────────────────────


def _rows(session: Session, model: type, *where: Any) -> list[tuple[Any, ...]]:
    table = inspect(model).local_table
    return [tuple(r) for r in session.execute(select(table).where(*where).order_by(*table.primary_key.columns))]


def snapshot(session: Session, b: Side) -> dict[str, Any]:
    from webapp.cases.models import (
        CaseMeeting,
        CaseShare,
        Meeting,
        MeetingCase,
        PersonWorker,
        PlacementEvent,
        SupportPlan,
    )
    from webapp.consult.models import ConsultRequest
    from webapp.hosts.models import Host, HostContact, HostOffice, HostStageEvent, HostSupportNote

    person_children = [FollowUp, Consent, CaseNote, Placement, PersonWorker, CaseShare, CaseMeeting, SupportPlan, MeetingCase]
    snap: dict[str, Any] = {
        "organization": _rows(session, Organization, Organization.id == b.org.id),
        "activities": _rows(session, Activity, Activity.organization_id == b.org.id),
        "revisions": _rows(session, ActivityRevision, ActivityRevision.organization_id == b.org.id),
        "photos": _rows(session, Photo, Photo.organization_id == b.org.id),
        "reports": _rows(session, ErrorReport, ErrorReport.id == b.report.id),
        "person": _rows(session, Person, Person.id == b.person.id),
        "events": _rows(session, PlacementEvent, PlacementEvent.placement_id == b.placement.id),
        "sessions": _rows(session, UserSession, UserSession.user_id.in_([b.organizer.id, b.lead.id, b.supporter.id])),
        "memberships": _rows(session, OrganizationMembership, OrganizationMembership.organization_id == b.org.id),
        "meetings": _rows(session, Meeting, Meeting.id == b.extra["meeting"].id),
    }
    host_id = b.extra["host"].id
    snap["host"] = _rows(session, Host, Host.id == host_id)
    for host_child in (HostOffice, HostStageEvent, HostContact, HostSupportNote):
        snap[host_child.__name__] = _rows(session, host_child, host_child.host_id == host_id)  # type: ignore[attr-defined]
    snap["consult"] = _rows(session, ConsultRequest, ConsultRequest.id == b.extra["consult"].id)
    from webapp.hosts.models import HostMessage, HostRequest

    request_id = b.extra["host_request"].id
    snap["host_request"] = _rows(session, HostRequest, HostRequest.id == request_id)
    snap["host_messages"] = _rows(session, HostMessage, HostMessage.request_id == request_id)
    for model in person_children:
        snap[model.__name__] = _rows(session, model, model.person_id == b.person.id)  # type: ignore[attr-defined]
    return snap


# ── the URLs to try ─────────────────────────────────────────────────────────────────────────────


def _b_values(b: Side, session_id: int) -> dict[str, list[object]]:
    """B's ids for each URL argument name. Public pages only get B's non-public objects."""
    return {
        "activity_id": [b.published.id, b.draft.id],
        "photo_id": [b.photo.id],
        "revision_id": [r.id for r in b.revisions],
        "organization_id": [b.org.id],
        "report_id": [b.report.id],
        "person_id": [b.person.id],
        "placement_id": [b.placement.id],
        "followup_id": [b.followup.id],
        "consent_id": [b.consent.id],
        "note_id": [b.note.id],
        "plan_id": [b.extra["plan"].id],
        "meeting_id": [b.extra["meeting"].id],
        "share_id": [0],  # B's case has no share: the person id (B's) alone must make it a 404
        "user_id": [b.organizer.id, b.lead.id, b.supporter.id],
        "session_id": [session_id],
        "token": [b.photo.token],
        "size": ["list"],
        "host_id": [b.extra["host"].id],
        "request_id": [b.extra["consult"].id],
        "host_request_id": [b.extra["host_request"].id],
        "run_id": [b.extra["run"].id],
    }


# Parents that A owns, combined with B's children (e.g. A's listing with B's photo).
PARENTS = ("activity_id", "person_id")
# Guarded pages about any published listing (a host page: which of *my* cases are placed there).
READS_PUBLISHED = {"cases.host"}
# The host register is shared by every office on purpose; only its office-only parts must not leak.
SHARED_READS = {"hosts.host_view"}


def urls_for(route: Route, a: Side, b: Side, b_values: dict[str, list[object]]) -> list[tuple[str, bool]]:
    """(url, all_ids_are_b's) for this route; empty when the route has no object id."""
    names = sorted(route.rule.arguments)
    if not any(n.endswith("_id") or n == "token" for n in names):
        return []
    if route.endpoint != "organizer.photo" and "token" in names:
        return []  # mailed tokens (invitations, resets, reconfirmation) are not ids: probed elsewhere
    choices = {n: list(b_values.get(n, ["x"])) for n in names}
    if (route.is_public or route.endpoint in READS_PUBLISHED) and "activity_id" in choices:
        choices["activity_id"] = [b.draft.id]  # B's published listing is public on purpose
    out: list[tuple[str, bool]] = []
    for combo in itertools.product(*(choices[n] for n in names)):
        out.append((route.rule.build(dict(zip(names, combo, strict=True)), append_unknown=False)[1], True))  # type: ignore[index]
    own = {"activity_id": a.published.id, "person_id": a.person.id}
    for parent in PARENTS:
        if parent in names and len(names) > 1:
            rest = [n for n in names if n != parent]
            for combo in itertools.product(*(choices[n] for n in rest)):
                values = {parent: own[parent], **dict(zip(rest, combo, strict=True))}
                out.append((route.rule.build(values, append_unknown=False)[1], False))  # type: ignore[index]
    return out


def _body(b: Side, token: str) -> dict[str, Any]:
    """A plausible form with B's ids wherever a form takes one."""
    return {
        "csrf_token": token,
        "organization_id": str(b.org.id),
        "placement_id": str(b.placement.id),
        "corrects_id": str(b.note.id),
        "photo_id": str(b.photo.id),
        "consent_id": str(b.consent.id),
        "stage": "trial",
        "reason": "x",
        "note": "x",
        "body": "x",
        "due_on": "2026-02-01",
        "target": "host",
        "decision": "approve",
        "message": "x",
        "trusted": "1",
        "closed": "1",
        "hold": "1",
        "email": b.supporter.email,
        "office": "所属A",
        "action": "save",
        "name": "x",
        "alt_text": "x",
        "status": "resolved",
        "password": PASSWORD,
        "format": "json",
    }


def _leaks(text: str) -> bool:
    return SECRET in text


def sweep(client: FlaskClient, who: str, app: Flask, a: Side, b: Side, b_values: dict[str, list[object]]) -> list[str]:
    problems: list[str] = []
    token = csrf_token(client, "/auth/security")
    for route in routes(app):
        for url, all_b in urls_for(route, a, b, b_values):
            for method in sorted(route.methods):
                if method == "GET":
                    r = client.get(url)
                else:
                    r = client.open(url, method=method, data=_body(b, token))
                body = r.get_data().decode("utf-8", "replace")
                if _leaks(body) or _leaks(r.headers.get("Location", "")):
                    at = (body + r.headers.get("Location", "")).find(SECRET)
                    problems.append(f"{who} {method} {url}: answer carries B's data ({r.status_code}): {(body + r.headers.get('Location', ''))[max(0, at - 60):at + 30]!r}")
                if all_b and r.status_code not in (403, 404) and not (method == "GET" and route.endpoint in SHARED_READS):
                    problems.append(f"{who} {method} {url}: {r.status_code}, expected 403/404")
                elif not all_b and r.status_code >= 500:
                    problems.append(f"{who} {method} {url}: {r.status_code}")
    return problems


def test_idor_sweep_across_organizations_and_offices(probe_app: Flask, session: Session) -> None:
    app = probe_app
    with app.app_context():
        a = _build_side(session, app, "A", "ownA")
        b = _build_side(session, app, "B", SECRET)
    # B is signed in somewhere: its session rows are targets too.
    b_client = app.test_client()
    login(b_client, b.organizer.email)
    session_id = session.scalar(select(UserSession.id).where(UserSession.user_id == b.organizer.id))
    assert session_id is not None
    b_values = _b_values(b, session_id)

    before = snapshot(session, b)
    problems: list[str] = []
    for who, user in (("organizer A", a.organizer), ("lead A", a.lead), ("supporter A", a.supporter)):
        client = app.test_client()
        login(client, user.email)
        problems += sweep(client, who, app, a, b, b_values)
    session.expire_all()
    after = snapshot(session, b)

    assert problems == [], "\n".join(problems[:80])
    changed = {k for k in before if before[k] != after[k]}
    assert not changed, f"B's rows changed: {changed}"
    # The sweep really covered the id routes of both areas (not an empty loop).
    endpoints = {r.endpoint for r in routes(app) if urls_for(r, a, b, b_values)}
    assert {"organizer.edit", "organizer.remove_photo", "organizer.photo", "cases.case_view",
            "cases.placement_stage", "cases.followup_done", "cases.consent_withdraw",
            "auth.revoke_session", "hosts.host_stage", "hosts.host_note", "consult_staff.consult_view",
            "consult_staff.consult_receive", "consult_staff.consult_intake", "host_requests.request_view",
            "host_requests.request_answer", "host_requests.request_message", "hosts.staff_request",
            "hosts.staff_message", "hosts.placement_request"} <= endpoints  # fmt: skip
    # B still works with what it owns: the sweep did not pass by breaking everything.
    assert b_client.get(f"/organizer/activities/{b.draft.id}/edit").status_code == 200


def test_sweep_detects_a_leak(probe_app: Flask, session: Session) -> None:
    """The checker itself: run as B's own staff member, the same sweep reports B's case pages."""
    app = probe_app
    with app.app_context():
        a = _build_side(session, app, "A", "ownA")
        b = _build_side(session, app, "B", SECRET)
    client = app.test_client()
    login(client, b.supporter.email)
    problems = sweep(client, "supporter B", app, a, b, _b_values(b, 0))
    case = f"GET /staff/cases/{b.person.id}:"
    assert any(case in p and "carries B's data" in p for p in problems), problems
    assert any(case in p and "200, expected 403/404" in p for p in problems), problems
