"""Every POST route: a form sent with one invalid value comes back (GOV.UK pattern) as a page — not a
redirect that loses what was typed — with an error summary (role=alert, focused, linking to the
field) at the top of that form, aria-invalid on the field, every typed value still there, and no
untranslated English on the Japanese page.

The list of routes is read from app.url_map: a new POST route fails
``test_every_post_route_is_classified`` until it is added to FORMS (with an invalid submission) or
to NOT_FORMS (with the reason it does not apply).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.factories import World, new_listing, pending_revision_id, post_listing, sign_up_and_verify
from tests.helpers import csrf_token, login
from tests.security.routes import post_routes

# Routes with no typed input to keep, or that are not HTML forms, and why.
NOT_FORMS: dict[str, str] = {
    "auth.logout": "a button; nothing typed",
    "auth.revoke_others": "a button; nothing typed",
    "auth.revoke_session": "a button per session; nothing typed",
    "auth.admin_revoke_sessions": "an admin button; nothing typed",
    "auth.totp_disable": "a button; nothing typed",
    "auth.totp_recovery_codes": "a button; nothing typed",
    "auth.second_factor": "reachable only between password and code during a login (tests/accounts cover its errors)",
    "auth.verify_email": "needs a mailed token; an invalid token shows a message, not a form",
    "auth.password_reset": "needs a mailed token; an invalid token shows a message, not a form",
    "signup.accept_invitation": "needs a mailed invitation token; an invalid token shows a message, not a form",
    "organizer.reconfirm": "needs a mailed token; one button, nothing typed",
    "organizer.archive": "a button; nothing typed",
    "organizer.autosave": "JSON API for the listing form's script (errors are JSON)",
    "organizer.upload_photo": "a file input: browsers never let a page refill one",
    "organizer.remove_photo": "a button; nothing typed",
    "organizer.new_activity": "a button; nothing typed",
    "cases.close": "a button; nothing typed",
    "cases.legal_hold": "a button; nothing typed",
    "cases.consent_withdraw": "a button; nothing typed",
    "cases.share_revoke": "a confirmation button; nothing typed",
    "cases.unassign": "a button; nothing typed",
    "imports.import_confirm": "a confirmation button for an uploaded preview; nothing typed",
    "imports.import_choices": "lists and radio buttons only, no text field: every offered choice is valid, and the preview drawn again shows each one",
    "moderation.moderation_trust": "a button; nothing typed",
    "moderation.moderation_report": "buttons with fixed values; nothing typed",
    "consult_staff.consult_receive": "a button; nothing typed",
    "consult_staff.consult_intake": "a button (受付する); nothing typed: the case is made from the request",
    "consult_staff.consult_areas": "one select per district, no text field: every offered office (or none) is valid",
    "hosts.host_add_office": "one select of offices and a button, no text field: every offered office is valid",
    "hosts.host_listing": "a button; nothing typed",
}

# English that may stand on a Japanese page: names of scales, formats and the like.
ALLOWED_LATIN = {"WHO-5", "SWEMWBS", "manual", "CSV", "Excel", "xlsx", "JSON", "GeoJSON", "KML", "KMZ", "ZIP", "TSV", "TXT"}


@dataclass
class Case:
    """One invalid submission: who sends it, where, what, which field is wrong, what must come back."""

    user: str | None
    url: Callable[[World, dict[str, Any]], str]
    data: Callable[[World, dict[str, Any]], dict[str, Any]]
    invalid: str  # the name of the field that must be marked
    kept: tuple[str, ...] = ()  # typed values that must be in the page again
    page: Callable[[World, dict[str, Any]], str] | None = None  # where the form is (for the token)
    setup: list[str] = field(default_factory=list)


LONG = "あ" * 2001


def _case(w: World) -> int:
    assert w.own_case is not None
    return w.own_case.id


FORMS: dict[str, Case] = {
    "public.report": Case(
        None, lambda w, x: f"/activities/{x['activity']}/report",
        lambda w, x: {"message": "", "contact": "0743-12-3456"}, "message", ("0743-12-3456",),
        page=lambda w, x: f"/activities/{x['activity']}",
    ),
    "auth.login": Case(None, lambda w, x: "/auth/login", lambda w, x: {"email": "yamada＠example", "password": ""}, "email", ("yamada＠example",)),
    "auth.password_forgot": Case(None, lambda w, x: "/auth/password/forgot", lambda w, x: {"email": "not-an-address"}, "email", ("not-an-address",)),
    "auth.signup_sent": Case(None, lambda w, x: "/auth/signup/sent", lambda w, x: {"email": "not-an-address"}, "email", ("not-an-address",)),
    "signup.signup": Case(
        None, lambda w, x: "/auth/signup",
        lambda w, x: {"email": "not-an-address", "display_name": "山田 花子", "organization_name": "ひまわりサロンの会", "organization_kind": "volunteer_group"},
        "email", ("not-an-address", "山田 花子", "ひまわりサロンの会"),
    ),
    "auth.password_change": Case(
        "supporter_a", lambda w, x: "/auth/password/change", lambda w, x: {"current": "", "password": "", "confirm": ""}, "current"
    ),
    "auth.totp_setup": Case("supporter_a", lambda w, x: "/auth/totp/setup", lambda w, x: {"code": "12ab"}, "code", ("12ab",)),
    "organizer.invite": Case(
        "admin_a", lambda w, x: "/organizer/invite", lambda w, x: {"email": "not-an-address", "organization_id": str(x["organization"])},
        "email", ("not-an-address",),
    ),
    "organizer.edit": Case(
        "organizer", lambda w, x: f"/organizer/activities/{x['listing']}/edit",
        lambda w, x: {**x["listing_form"], "name": "", "description": "朝の体操とおしゃべり", "action": "submit"},
        "name", ("朝の体操とおしゃべり", "元町集会所"),
    ),
    "imports.import_upload": Case("admin_a", lambda w, x: "/staff/import", lambda w, x: {"format": "csv", "source": "市のデータ"}, "file", ("市のデータ",)),
    "moderation.moderation_revision": Case(
        "moderator", lambda w, x: f"/staff/moderation/revisions/{x['revision']}",
        lambda w, x: {"decision": "request_changes", "message": "  "}, "message",
    ),
    "cases.case_new": Case(
        "supporter_a", lambda w, x: "/staff/cases/new",
        lambda w, x: {"name": "佐藤 花子", "field": "elderly", "age_band": "70s", "max_travel_m": "-5", "interests_text": "囲碁と散歩"},
        "max_travel_m", ("佐藤 花子", "囲碁と散歩", "-5"),
    ),
    "cases.case_edit": Case(
        "supporter_a", lambda w, x: f"/staff/cases/{_case(w)}/edit",
        lambda w, x: {"name": "山田 太郎", "field": "elderly", "age_band": "60s", "max_travel_m": "-5", "what_matters": "朝の散歩"},
        "max_travel_m", ("朝の散歩", "-5"),
    ),
    "cases.export": Case(
        "supporter_a", lambda w, x: f"/staff/cases/{_case(w)}/export", lambda w, x: {"password": "wrong password", "format": "html"}, "password"
    ),
    "cases.assign": Case(
        "office_lead_a", lambda w, x: f"/staff/cases/{_case(w)}/assign", lambda w, x: {"email": "supporter_b@example.jp"},
        "email", ("supporter_b@example.jp",), page=lambda w, x: f"/staff/cases/{_case(w)}",
    ),
    "cases.share": Case(
        "office_lead_a", lambda w, x: f"/staff/cases/{_case(w)}/share", lambda w, x: {"office": "存在しない所属", "reason": "転居のため"},
        "office", ("存在しない所属", "転居のため"), page=lambda w, x: f"/staff/cases/{_case(w)}",
    ),
    "cases.consent_add": Case(
        "supporter_a", lambda w, x: f"/staff/cases/{_case(w)}/consents",
        lambda w, x: {"purpose": "share_host", "method": "written", "recipient": "", "note": "電話で口頭確認のうえ書面"},
        "recipient", ("電話で口頭確認のうえ書面",), page=lambda w, x: f"/staff/cases/{_case(w)}",
    ),
    "cases.note_add": Case(
        "supporter_a", lambda w, x: f"/staff/cases/{_case(w)}/notes", lambda w, x: {"body": "本人から電話。" + "あ" * 20000},
        "body", ("本人から電話。",), page=lambda w, x: f"/staff/cases/{_case(w)}",
    ),
    "cases.note_edit": Case(
        "supporter_a", lambda w, x: f"/staff/cases/{_case(w)}/notes/{x['note']}/edit", lambda w, x: {"body": "訂正します。" + "あ" * 20000},
        "body", ("訂正します。",),
    ),
    "cases.placement_add": Case(
        "supporter_a", lambda w, x: f"/staff/cases/{_case(w)}/placements", lambda w, x: {"host_name": "", "reason": "近所で通いやすい"},
        "host_name", ("近所で通いやすい",), page=lambda w, x: f"/staff/cases/{_case(w)}",
    ),
    "cases.no_suitable": Case(
        "supporter_a", lambda w, x: f"/staff/cases/{_case(w)}/no-suitable", lambda w, x: {"note": "夜の居場所。" + LONG},
        "note", ("夜の居場所。",), page=lambda w, x: f"/staff/cases/{_case(w)}",
    ),
    "cases.followup_add": Case(
        "supporter_a", lambda w, x: f"/staff/cases/{_case(w)}/followups",
        lambda w, x: {"due_on": "来週", "target": "person", "label": "見学のあと"},
        "due_on", ("来週", "見学のあと"), page=lambda w, x: f"/staff/cases/{_case(w)}",
    ),
    "cases.baseline": Case(
        "supporter_a", lambda w, x: f"/staff/cases/{_case(w)}/baseline",
        lambda w, x: {"wellbeing_scale": "who5", "wellbeing_score": "40", "note": "初回面談で記入"},
        "wellbeing_score", ("40", "初回面談で記入"), page=lambda w, x: f"/staff/cases/{_case(w)}",
    ),
    "cases.placement_stage": Case(
        "supporter_a", lambda w, x: f"/staff/placements/{w.placement.id}/stage",  # type: ignore[union-attr]
        lambda w, x: {"stage": "proposed", "reason": "本人が見学を希望", "outcome": ""},
        "stage", ("本人が見学を希望",), page=lambda w, x: f"/staff/cases/{_case(w)}",
    ),
    "cases.followup_done": Case(
        "supporter_a", lambda w, x: f"/staff/followups/{w.followup.id}/done",  # type: ignore[union-attr]
        lambda w, x: {"note": "表情が明るくなった", "wellbeing_scale": "", "wellbeing_score": "18"},
        "wellbeing_scale", ("表情が明るくなった", "18"), page=lambda w, x: f"/staff/cases/{_case(w)}",
    ),
    "cases.household_link": Case(
        "supporter_a", lambda w, x: f"/staff/cases/{_case(w)}/household", lambda w, x: {"household": "C-NOPE99"},
        "household", ("C-NOPE99",), page=lambda w, x: f"/staff/cases/{_case(w)}",
    ),
    "cases.plan_add": Case(
        "supporter_a", lambda w, x: f"/staff/cases/{_case(w)}/plans",
        lambda w, x: {"made_on": "2026-13-45", "goals": "朝の散歩を続ける", "supports": "週1回の電話", "includes_participation": "1",
                      "host_name": "ひまわりサロン", "review_on": ""},
        "made_on", ("2026-13-45", "朝の散歩を続ける", "週1回の電話", "ひまわりサロン"), page=lambda w, x: f"/staff/cases/{_case(w)}",
    ),
    "cases.plan_review": Case(
        "supporter_a", lambda w, x: f"/staff/cases/{_case(w)}/plans/{x['plan']}/review",
        lambda w, x: {"reviewed_on": "2020-01-01", "review_note": "サロンに月2回通えている", "review_on": "2027-04-01"},
        "reviewed_on", ("2020-01-01", "サロンに月2回通えている", "2027-04-01"), page=lambda w, x: f"/staff/cases/{_case(w)}",
    ),
    "cases.plan_evaluate": Case(
        "supporter_a", lambda w, x: f"/staff/cases/{_case(w)}/plans/{x['plan']}/evaluate",
        lambda w, x: {"evaluation": "", "evaluation_note": "外出の回数が増えた", "evaluated_on": "2027-03-31"},
        "evaluation", ("外出の回数が増えた", "2027-03-31"), page=lambda w, x: f"/staff/cases/{_case(w)}",
    ),
    "cases.plan_placement": Case(
        "supporter_a", lambda w, x: f"/staff/cases/{_case(w)}/plans/{x['plan']}/placement", lambda w, x: {"occurred_on": "2026-13-45"},
        "occurred_on", ("2026-13-45",), page=lambda w, x: f"/staff/cases/{_case(w)}",
    ),
    "cases.meeting_new": Case(
        "supporter_a", lambda w, x: "/staff/meetings",
        lambda w, x: {"kind": "support_meeting", "regular": "1", "held_on": "2026-13-45", "attendee_orgs": "地域包括支援センター\n社会福祉協議会",
                      "theme": "見守りの分担"},
        "held_on", ("2026-13-45", "地域包括支援センター", "社会福祉協議会", "見守りの分担"),
    ),
    "cases.meeting_case": Case(
        "supporter_a", lambda w, x: f"/staff/meetings/{x['meeting']}/cases",
        lambda w, x: {"case_code": "C-NOPE99", "case_part": "家族の状況を共有した"},
        "case_code", ("C-NOPE99", "家族の状況を共有した"), page=lambda w, x: f"/staff/meetings/{x['meeting']}",
    ),
    "cases.meeting_output": Case(
        "supporter_a", lambda w, x: f"/staff/meetings/{x['meeting']}/outputs",
        lambda w, x: {"output_kind": "new_place", "output_text": "送迎ボランティアを探す", "district": "", "done_on": "2026-13-45"},
        "done_on", ("送迎ボランティアを探す", "2026-13-45"), page=lambda w, x: f"/staff/meetings/{x['meeting']}",
    ),
    "moderation.listing_edit": Case(
        "moderator", lambda w, x: f"/staff/listings/{x['listing']}/edit",
        lambda w, x: {**x["listing_form"], "name": "", "description": "朝の体操とおしゃべり"},
        "name", ("朝の体操とおしゃべり", "元町集会所"),
    ),
    "moderation.listing_archive": Case(
        "moderator", lambda w, x: f"/staff/listings/{x['listing']}/archive", lambda w, x: {"reason": "  "},
        "reason", page=lambda w, x: f"/staff/listings/{x['listing']}/edit",
    ),
    "moderation.listing_confirm": Case(
        "moderator", lambda w, x: f"/staff/listings/{x['listing']}/confirm", lambda w, x: {"note": "世話人の田中さんに電話" + "あ" * 500},
        "note", ("世話人の田中さんに電話",), page=lambda w, x: f"/staff/listings/{x['listing']}/edit",
    ),
    "consult.consult_form": Case(
        None, lambda w, x: "/consult/request",
        lambda w, x: {"name": "", "contact_method": "phone", "contact": "0743-12-3456", "message": "近くのサロンを知りたい", "consent": "y"},
        "name", ("0743-12-3456", "近くのサロンを知りたい"),
    ),
    "hosts.host_new": Case(
        "supporter_a", lambda w, x: "/staff/hosts/new",
        lambda w, x: {"name": "", "kind": "company", "organization_id": "", "contact": "総務 田中 0743-00-1111", "capacity": "3",
                      "accommodations": "車いすで入れる"},
        "name", ("総務 田中 0743-00-1111", "車いすで入れる"),
    ),
    "hosts.host_edit": Case(
        "supporter_a", lambda w, x: f"/staff/hosts/{x['host']}/edit",
        lambda w, x: {"name": "", "kind": "company", "organization_id": "", "contact": "総務 田中 0743-00-1111", "capacity": "3",
                      "accommodations": "車いすで入れる"},
        "name", ("総務 田中 0743-00-1111", "車いすで入れる"),
    ),
    "hosts.host_stage": Case(
        "supporter_a", lambda w, x: f"/staff/hosts/{x['host']}/stage",
        lambda w, x: {"stage-stage": "contacted", "stage-on": "2026-13-45", "stage-reason": "電話で担当者と話した"},
        "stage-on", ("2026-13-45", "電話で担当者と話した"), page=lambda w, x: f"/staff/hosts/{x['host']}",
    ),
    "hosts.host_contact": Case(
        "supporter_a", lambda w, x: f"/staff/hosts/{x['host']}/contacts",
        lambda w, x: {"contact-on": "2026-13-45", "contact-channel": "phone", "contact-note": "見学日を相談した"},
        "contact-on", ("2026-13-45", "見学日を相談した"), page=lambda w, x: f"/staff/hosts/{x['host']}",
    ),
    "hosts.host_note": Case(
        "supporter_a", lambda w, x: f"/staff/hosts/{x['host']}/notes",
        lambda w, x: {"support-on": "2026-13-45", "support-need": "other", "support-note": "受け入れの手引きがほしい"},
        "support-on", ("2026-13-45", "受け入れの手引きがほしい"), page=lambda w, x: f"/staff/hosts/{x['host']}",
    ),
    "host_requests.request_answer": Case(
        "organizer", lambda w, x: f"/organizer/requests/{x['host_request']}/answer",
        lambda w, x: {"answer": "not_now", "reason": "other", "reason_text": "", "message": "来月なら相談できます"},
        "reason_text", ("来月なら相談できます",), page=lambda w, x: f"/organizer/requests/{x['host_request']}",
    ),
    "host_requests.request_message": Case(
        "organizer", lambda w, x: f"/organizer/requests/{x['host_request']}/messages", lambda w, x: {"body": LONG},
        "body", (LONG,), page=lambda w, x: f"/organizer/requests/{x['host_request']}",
    ),
    "hosts.staff_message": Case(
        "supporter_a", lambda w, x: f"/staff/hosts/requests/{x['host_request']}/messages", lambda w, x: {"body": LONG},
        "body", (LONG,), page=lambda w, x: f"/staff/hosts/requests/{x['host_request']}",
    ),
}


def _host_request(world: World, session: Session, make_user: Any) -> int:
    """A 打診 sent to a host whose organizer account is organizer@example.org."""
    from datetime import date

    from webapp.cases import services as svc
    from webapp.hosts.models import Host, HostRequest
    from webapp.listings.models.organization import Organization
    from webapp.listings.models.organizer import OrganizationMembership

    assert world.own_case is not None and world.placement is not None
    org = Organization(source_id="host-request-form", name="こども広場の会（架空）", kind="volunteer_group")
    session.add(org)
    session.flush()
    organizer = make_user("organizer@example.org", "organizer")
    session.add(OrganizationMembership(user_id=organizer.id, organization_id=org.id))
    host = Host(name=org.name, kind="listing_org", organization_id=org.id, stage="agreed", stage_on=date(2026, 11, 1))
    session.add(host)
    session.flush()
    world.placement.host_id = host.id
    consent = svc.grant_consent(session, world.users["supporter_a"], world.own_case, "share_host", "written",
                                activity_id=world.placement.activity_id, share_fields=["age_band"])  # fmt: skip
    request = HostRequest(host_id=host.id, placement_id=world.placement.id, consent_id=consent.id,
                          office_id=world.own_case.office_id, sent_by_id=world.users["supporter_a"].id)  # fmt: skip
    session.add(request)
    session.commit()
    return request.id


def test_every_post_route_is_classified(app: Flask) -> None:
    endpoints = {r.endpoint for r in post_routes(app)}
    assert endpoints - FORMS.keys() - NOT_FORMS.keys() == set(), "add the new POST route to FORMS or NOT_FORMS"
    assert (FORMS.keys() | NOT_FORMS.keys()) - endpoints == set(), "a listed route no longer exists"
    assert not FORMS.keys() & NOT_FORMS.keys()


def _extras(name: str, world: World, client: FlaskClient, session: Session, make_user: Any) -> dict[str, Any]:
    """What some forms need first: a listing, a revision to moderate, a note to edit."""
    from tests.factories import listing_form, make_activity
    from webapp.cases import services as svc

    extra: dict[str, Any] = {}
    if name == "public.report":
        extra["activity"] = make_activity(session, "report-form", 34.69, 135.70).id
        session.commit()
    if name == "organizer.edit" or name == "moderation.moderation_revision":
        sign_up_and_verify(client, "organizer@example.org")
        listing = new_listing(client)
        extra["listing"], extra["listing_form"] = listing, listing_form()
        if name == "moderation.moderation_revision":
            assert post_listing(client, listing).status_code == 302
            extra["revision"] = pending_revision_id(session, listing)
            make_user("moderator@example.jp", "moderator")
            session.commit()
        client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/")})
    if name.startswith("cases.plan_") and name != "cases.plan_add":
        from webapp.cases import plans

        assert world.own_case is not None
        data = plans.PlanInput(goals="外に出る機会を増やす", includes_participation=True, host_name="ひまわりサロン")
        extra["plan"] = plans.make_plan(session, world.users["supporter_a"], world.own_case, data).id
        session.commit()
    if name in ("cases.meeting_case", "cases.meeting_output"):
        from webapp.cases import meetings as mtg

        meeting = mtg.MeetingInput(attendee_orgs=["地域包括支援センター"], theme="見守り")
        extra["meeting"] = mtg.create_meeting(session, world.users["supporter_a"], meeting).id
        session.commit()
    if name.startswith("moderation.listing_"):
        make_user("moderator@example.jp", "moderator")
        activity = next(iter(world.activities.values()))
        session.commit()
        extra["listing"], extra["listing_form"] = activity.id, listing_form()
    if name.startswith("hosts.") and name != "hosts.host_new":
        from webapp.hosts import services as hosts

        extra["host"] = hosts.create_host(session, world.users["supporter_a"], hosts.HostInput(name="サンプル商店（架空）", kind="company")).id
        session.commit()
    if name.startswith("host_requests.") or name == "hosts.staff_message":
        extra["host_request"] = _host_request(world, session, make_user)
    if name == "organizer.invite":
        from webapp.listings.models.organization import Organization

        organization = Organization(source_id="invite-form", name="ひまわりサロンの会", kind="volunteer_group")
        session.add(organization)
        session.commit()
        extra["organization"] = organization.id
    if name == "cases.note_edit":
        assert world.own_case is not None
        extra["note"] = svc.add_note(session, world.users["supporter_a"], world.own_case, "最初の記録").id
        session.commit()
    return extra


_SUMMARY = re.compile(r'<div class="error-summary"[^>]*>(.*?)</div>', re.S)


def _latin_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[A-Za-z][A-Za-z0-9'-]{2,}", text) if w not in ALLOWED_LATIN}


@pytest.mark.parametrize("name", sorted(FORMS))
def test_invalid_submission_comes_back_with_summary_and_everything_typed(
    name: str, world: World, client: FlaskClient, session: Session, make_user: Any
) -> None:
    case = FORMS[name]
    extra = _extras(name, world, client, session, make_user)
    if case.user == "organizer":
        login(client, "organizer@example.org")
    elif case.user == "moderator":
        login(client, "moderator@example.jp")
    elif case.user is not None:
        login(client, f"{case.user}@example.jp")
    url = case.url(world, extra)
    token = csrf_token(client, case.page(world, extra) if case.page else url)
    response = client.post(url, data={"csrf_token": token, **case.data(world, extra)}, headers={"Accept-Language": "ja"})
    body = response.get_data(as_text=True)
    assert response.status_code in (200, 400, 422), (response.status_code, response.headers.get("Location"))
    summary = _SUMMARY.search(body)
    assert summary, f"{name}: no error summary on the page"
    assert 'role="alert"' in summary.group(0) and "autofocus" in summary.group(0)
    links = re.findall(r'href="#([^"]+)"', summary.group(1))
    assert links, f"{name}: the summary links to no field"
    for target in links:
        assert f'id="{target}"' in body, f"{name}: the summary links to #{target}, which is not on the page"
    fields = re.findall(rf'<(?:input|select|textarea)\b[^>]*\bname="{re.escape(case.invalid)}"[^>]*>', body)
    assert fields, f"{name}: no field {case.invalid!r} on the page"
    # (A page may hold several forms with a field of that name: the one sent is marked.)
    assert any('aria-invalid="true"' in f for f in fields), f"{name}: {case.invalid} is not marked aria-invalid"
    text = html.unescape(body)
    for value in case.kept:
        assert value in text, f"{name}: what was typed ({value!r}) is lost"
    english = _latin_words(html.unescape(re.sub(r"<[^>]+>", " ", summary.group(1))))
    assert not english, f"{name}: untranslated English in the error summary: {english}"


def test_rate_limited_error_report_keeps_the_text_and_says_why(client: FlaskClient, session: Session) -> None:
    from tests.factories import make_activity

    activity_id = make_activity(session, "report-limit", 34.69, 135.70).id
    session.commit()
    token = csrf_token(client, f"/activities/{activity_id}")
    for i in range(5):
        sent = client.post(f"/activities/{activity_id}/report", data={"csrf_token": token, "message": f"誤り {i}"})
        assert sent.status_code == 302
    typed = "開始は10時ではなく10時半です。駐車場はありません。"
    r = client.post(f"/activities/{activity_id}/report", data={"csrf_token": token, "message": typed, "contact": "0743-99-0000"})
    body = html.unescape(r.get_data(as_text=True))
    assert r.status_code == 429
    assert "アクセスが集中しています" not in body
    assert typed in body and "0743-99-0000" in body
    summary = _SUMMARY.search(body)
    assert summary and "お知らせが多すぎるため" in summary.group(1) and 'href="#message"' in summary.group(1)
    assert re.search(r'<textarea[^>]*name="message"[^>]*aria-invalid="true"', body) or re.search(
        r'<textarea[^>]*aria-invalid="true"[^>]*name="message"', body
    )
