"""Organizer accounts and listings: sign-up → verify → submit → moderation → public, on both databases."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import (
    PASSWORD,
    approve,
    listing_form,
    logout,
    new_listing,
    outbox_links,
    pending_revision_id,
    post_listing,
    sign_up,
    sign_up_and_verify,
    verify,
)
from tests.helpers import csrf_token, login
from webapp.accounts.models.user import User
from webapp.listings.models.activity import Activity
from webapp.listings.models.organization import Organization
from webapp.listings.models.organizer import ActivityRevision
from webapp.mail.models import OutboxMessage
from webapp.security.models import AuditEvent

# ------------------------------------------------------------------------------------------------
# helpers
























# ------------------------------------------------------------------------------------------------
# accounts


def test_signup_verify_login(client: FlaskClient, session: Session) -> None:
    sign_up(client, "Hana@Example.org")
    user = session.scalar(select(User).where(User.email == "hana@example.org"))
    assert user is not None and not user.active and user.roles == {"organizer"}
    # not verified yet: login refused
    token = csrf_token(client, "/auth/login")
    r = client.post("/auth/login", data={"csrf_token": token, "email": "hana@example.org", "password": PASSWORD})
    assert r.status_code != 302 or "/organizer" not in r.headers.get("Location", "")
    links = outbox_links(client, "hana@example.org", "/auth/verify/")
    assert len(links) == 1
    assert verify(client, links[0]).status_code == 302
    login(client, "hana@example.org")
    page = client.get("/organizer/").get_data(as_text=True)
    assert "ひまわりサロンの会" in page
    # a tampered link does nothing
    assert client.get(links[0][:-3] + "xyz").status_code == 400


def test_signup_does_not_reveal_existing_accounts(client: FlaskClient, make_user: Any) -> None:
    make_user("taken@example.org", "organizer")
    token = csrf_token(client, "/auth/signup")
    r = client.post(
        "/auth/signup",
        data={"csrf_token": token, "email": "taken@example.org", "password": PASSWORD, "organization_name": "X"},
    )
    assert r.status_code == 302 and r.headers["Location"].endswith("/auth/signup/sent")
    page = client.get("/organizer/dev/outbox?to=taken@example.org").get_data(as_text=True)
    assert "/auth/verify/" not in page and "すでに登録" in page


def test_signup_is_rate_limited(client: FlaskClient) -> None:
    codes = []
    for i in range(12):
        token = csrf_token(client, "/auth/signup")
        r = client.post(
            "/auth/signup",
            data={"csrf_token": token, "email": f"u{i}@example.org", "password": PASSWORD, "organization_name": "X"},
        )
        codes.append(r.status_code)
    assert codes[:10] == [302] * 10
    assert codes[-1] == 429


def test_password_reset_once(client: FlaskClient, make_user: Any) -> None:
    make_user("reset@example.org", "organizer")
    token = csrf_token(client, "/auth/password/forgot")
    r = client.post("/auth/password/forgot", data={"csrf_token": token, "email": "reset@example.org"})
    assert r.status_code == 200
    # an unknown address gets the same page and no mail
    token = csrf_token(client, "/auth/password/forgot")
    r2 = client.post("/auth/password/forgot", data={"csrf_token": token, "email": "nobody@example.org"})
    assert r2.get_data(as_text=True) == r.get_data(as_text=True)
    link = outbox_links(client, "reset@example.org", "/auth/password/reset/")[0]
    new = "a much better passphrase"
    token = csrf_token(client, link)
    r = client.post(link, data={"csrf_token": token, "password": new, "confirm": new})
    assert r.status_code == 302
    login(client, "reset@example.org", new)
    # used once: the hash changed, the link is dead
    assert client.get(link).status_code == 400


def test_admin_invites_organizer(client: FlaskClient, session: Session, make_user: Any) -> None:
    make_user("admin@example.org", "admin")
    org = Organization(source="manual", source_id="inv-1", name="東新町自治会")
    session.add(org)
    session.flush()
    login(client, "admin@example.org")
    token = csrf_token(client, "/organizer/invite")
    r = client.post(
        "/organizer/invite", data={"csrf_token": token, "email": "new@example.org", "organization_id": org.id}
    )
    assert r.status_code == 302
    logout(client)
    link = outbox_links(client, "new@example.org", "/auth/invite/")[0]
    token = csrf_token(client, link)
    r = client.post(link, data={"csrf_token": token, "password": PASSWORD, "display_name": "佐藤"})
    assert r.status_code == 302
    login(client, "new@example.org")
    assert "東新町自治会" in client.get("/organizer/").get_data(as_text=True)


# ------------------------------------------------------------------------------------------------
# listings and moderation


def test_submit_moderate_publish_and_edit(client: FlaskClient, session: Session, moderator: Any) -> None:
    sign_up_and_verify(client, "org@example.org")
    activity_id = new_listing(client)
    # a plain save keeps a draft even when incomplete
    r = post_listing(client, activity_id, action="save", category="")
    assert r.status_code == 302
    r = post_listing(client, activity_id)
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    activity = session.get(Activity, activity_id)
    assert activity is not None and activity.status == "pending"
    assert "ひまわりサロン" not in client.get("/").get_data(as_text=True)

    logout(client)
    login(client, "mod@example.org")
    queue = client.get("/staff/moderation").get_data(as_text=True)
    assert "ひまわりサロン" in queue
    rid = pending_revision_id(session, activity_id)
    detail = client.get(f"/staff/moderation/revisions/{rid}").get_data(as_text=True)
    assert "毎月第1・第3火曜日 10:00〜11:30（祝日はお休み）" in detail
    assert approve(client, rid).status_code == 302
    session.expire_all()
    activity = session.get(Activity, activity_id)
    assert activity is not None and activity.status == "published"
    assert activity.schedule_rrule == "FREQ=MONTHLY;BYDAY=1TU,3TU" and activity.skip_holidays
    assert activity.place is not None and activity.place.geocode_level == "gaiku"
    assert activity.place.lat == pytest.approx(34.692278)
    assert activity.last_confirmed_at is not None
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "moderation.approve")) is not None
    assert "ひまわりサロン" in client.get("/").get_data(as_text=True)

    # an edit by the organizer waits for moderation; the public keeps the approved version
    logout(client)
    login(client, "org@example.org")
    place_id = activity.place.id
    r = post_listing(client, activity_id, name="ひまわり健康サロン", place_mode="existing", place_id=str(place_id))
    assert r.status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert "ひまわりサロン" in home and "ひまわり健康サロン" not in home
    logout(client)
    login(client, "mod@example.org")
    rid = pending_revision_id(session, activity_id)
    detail = client.get(f"/staff/moderation/revisions/{rid}").get_data(as_text=True)
    assert re.search(r"diff--changed.*?ひまわりサロン.*?<ins>ひまわり健康サロン</ins>", detail, re.S)
    assert re.search(r'diff--same">\s*<th scope="row">開催日時', detail)
    # request changes: the organizer is told why, nothing is published
    r = approve(client, rid, "request_changes", "名前に「健康」を入れた理由を教えてください")
    assert r.status_code == 302
    mails = session.scalars(select(OutboxMessage).where(OutboxMessage.to == "org@example.org")).all()
    assert any("理由を教えてください" in m.body for m in mails)
    session.expire_all()
    assert session.get(Activity, activity_id).name == "ひまわりサロン"  # type: ignore[union-attr]


def test_trusted_organization_publishes_at_once(client: FlaskClient, session: Session) -> None:
    sign_up_and_verify(client, "trusted@example.org", org="市社協")
    org = session.scalar(select(Organization).where(Organization.name == "市社協"))
    assert org is not None
    org.trusted = True
    session.flush()
    activity_id = new_listing(client)
    assert post_listing(client, activity_id, name="いきいき百歳体操", category="exercise").status_code == 302
    session.expire_all()
    assert session.get(Activity, activity_id).status == "published"  # type: ignore[union-attr]
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "moderation.auto_approve"))
    assert event is not None


def test_submit_shows_field_errors_and_keeps_draft(client: FlaskClient, session: Session) -> None:
    sign_up_and_verify(client, "err@example.org")
    activity_id = new_listing(client)
    r = post_listing(client, activity_id, weekdays=[], address="どこにもない住所", contact_phone="")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert "曜日" in page and "地図をタップ" in page and "電話番号かメールアドレス" in page
    session.expire_all()
    revision = session.scalar(select(ActivityRevision).where(ActivityRevision.activity_id == activity_id))
    assert revision is not None and revision.status == "draft" and revision.data["name"] == "ひまわりサロン"


def test_weekly_schedule_and_dates(client: FlaskClient, session: Session, moderator: Any) -> None:
    sign_up_and_verify(client, "sched@example.org")
    activity_id = new_listing(client)
    r = post_listing(client, activity_id, action="save", schedule_kind="weekly", weekdays=["MO", "TH"], interval="1")
    assert r.status_code == 302
    page = client.get(f"/organizer/activities/{activity_id}/edit").get_data(as_text=True)
    assert "毎週月・木曜日 10:00〜11:30（祝日はお休み）" in page
    r = post_listing(client, activity_id, action="save", schedule_kind="dates", dates="2026-12-05\n2027/01/09")
    page = client.get(f"/organizer/activities/{activity_id}/edit").get_data(as_text=True)
    assert "12月5日(土)、1月9日(土) 10:00〜11:30" in page


def test_autosave_needs_csrf_and_saves(client: FlaskClient, session: Session) -> None:
    sign_up_and_verify(client, "auto@example.org")
    activity_id = new_listing(client)
    url = f"/organizer/activities/{activity_id}/autosave"
    data = listing_form(name="自動保存テスト")
    assert client.post(url, data=data).status_code == 400  # no CSRF token
    token = csrf_token(client, f"/organizer/activities/{activity_id}/edit")
    r = client.post(url, data=data, headers={"X-CSRFToken": token})
    assert r.status_code == 200 and r.json["ok"]  # type: ignore[index]
    assert r.json["sentence"].startswith("毎月第1・第3火曜日")  # type: ignore[index]
    session.expire_all()
    revision = session.scalar(select(ActivityRevision).where(ActivityRevision.activity_id == activity_id))
    assert revision is not None and revision.data["name"] == "自動保存テスト"


def test_other_organizations_drafts_are_invisible(client: FlaskClient, session: Session, app: Flask) -> None:
    sign_up_and_verify(client, "a@example.org", org="Aの会")
    a_id = new_listing(client)
    post_listing(client, a_id, action="save")
    logout(client)
    other = app.test_client()
    sign_up_and_verify(other, "b@example.org", org="Bの会")
    own = new_listing(other)
    token = csrf_token(other, f"/organizer/activities/{own}/edit")
    # every stored listing but our own, and ids that do not exist; not range(1, max): PostgreSQL
    # sequences are not rolled back between tests, so that range grows with the suite
    stored = set(session.scalars(select(Activity.id))) - {own}
    max_id = max(stored | {own})
    assert a_id in stored
    for activity_id in [*sorted(stored), max_id + 1, max_id + 1000]:
        assert other.get(f"/organizer/activities/{activity_id}/edit").status_code == 404, activity_id
        headers = {"X-CSRFToken": token}
        assert other.post(f"/organizer/activities/{activity_id}/autosave", data={}, headers=headers).status_code == 404
        assert other.post(f"/organizer/activities/{activity_id}/archive", data={}, headers=headers).status_code == 404
        assert other.post(f"/organizer/activities/{activity_id}/photos", data={}, headers=headers).status_code == 404
    # creating a listing in another organization is refused the same way
    a_org = session.scalar(select(Organization.id).where(Organization.name == "Aの会"))
    r = other.post("/organizer/activities/new", data={"organization_id": a_org}, headers={"X-CSRFToken": token})
    assert r.status_code == 404
    # moderation is not open to organizers
    assert other.get("/staff/moderation").status_code == 403


XSS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "<svg/onload=alert(1)>",
    "javascript:alert(1)",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<<script>script>alert(1)<</script>/script>",
    "<a href='javascript:alert(1)'>x</a>",
    "<iframe src=//evil.example>",
    "{{ 7*7 }}",
    "<style>body{display:none}</style>",
]


@pytest.mark.parametrize("payload", XSS)
def test_xss_corpus_is_neutralised(client: FlaskClient, session: Session, make_user: Any, payload: str) -> None:
    make_user("mod@example.org", "moderator")
    sign_up_and_verify(client, "xss@example.org")
    activity_id = new_listing(client)
    r = post_listing(
        client,
        activity_id,
        name=f"サロン{payload}",
        description=f"紹介{payload}",
        place_name=f"会館{payload}",
        cost_text=payload,
        contact_name=payload,
    )
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    revision = session.scalar(select(ActivityRevision).where(ActivityRevision.activity_id == activity_id))
    assert revision is not None
    stored = " ".join(str(v) for v in revision.data.values()) + str(revision.data["place"])
    assert not re.search(r"<\s*(script|img|svg|iframe|a|style)\b", stored, re.I), stored
    logout(client)
    login(client, "mod@example.org")
    rid = pending_revision_id(session, activity_id)
    pages = [client.get(f"/staff/moderation/revisions/{rid}").get_data(as_text=True)]
    approve(client, rid)
    pages.append(client.get("/").get_data(as_text=True))
    for page in pages:
        assert "<script>alert" not in page
        assert "onerror=alert" not in page.replace("onerror=alert(1)&gt;", "")
        assert not re.search(r"<(img|svg|iframe)[^>]*(onerror|onload|evil)", page, re.I)
        assert "49" not in re.findall(r"サロン(\d+)", page)


def test_organizer_archives_listing(client: FlaskClient, session: Session) -> None:
    sign_up_and_verify(client, "arch@example.org", org="終わる会")
    org = session.scalar(select(Organization).where(Organization.name == "終わる会"))
    org.trusted = True  # type: ignore[union-attr]
    session.flush()
    activity_id = new_listing(client)
    post_listing(client, activity_id, name="終了予定サロン")
    assert "終了予定サロン" in client.get("/").get_data(as_text=True)
    token = csrf_token(client, f"/organizer/activities/{activity_id}/edit")
    assert client.post(f"/organizer/activities/{activity_id}/archive", data={"csrf_token": token}).status_code == 302
    assert "終了予定サロン" not in client.get("/").get_data(as_text=True)


# ------------------------------------------------------------------------------------------------
# freshness


def test_reconfirmation_mail_and_one_click_link(client: FlaskClient, session: Session, app: Flask) -> None:
    from webapp.listings.freshness import flagged_activities, is_flagged, send_reconfirmations
    from webapp.orm import utcnow

    sign_up_and_verify(client, "fresh@example.org", org="確認の会")
    org = session.scalar(select(Organization).where(Organization.name == "確認の会"))
    org.trusted = True  # type: ignore[union-attr]
    session.flush()
    activity_id = new_listing(client)
    post_listing(client, activity_id, name="確認サロン")
    settings = app.extensions["odekake_settings"]
    activity = session.get(Activity, activity_id)
    assert activity is not None
    long_ago = utcnow() - timedelta(days=30 * settings.reconfirm_months + 1)
    activity.last_confirmed_at = long_ago
    session.flush()
    with app.test_request_context():
        from webapp.mail import mail_link

        sent = send_reconfirmations(session, settings, lambda t: mail_link(settings, "organizer.reconfirm", token=t))
        again = send_reconfirmations(session, settings, lambda t: "x")
    assert sent >= 1 and again == 0  # one mail per period
    session.flush()
    assert not is_flagged(session, settings, activity)
    later = utcnow() + timedelta(days=settings.reconfirm_grace_days + 1)
    assert is_flagged(session, settings, activity, now=later)
    assert activity_id in [f.activity.id for f in flagged_activities(session, settings, now=later)]

    link = outbox_links(client, "fresh@example.org", "/organizer/reconfirm/")[0]
    logout(client)
    page = client.get(link)
    assert page.status_code == 200 and "確認サロン" in page.get_data(as_text=True)
    session.expire_all()
    assert session.get(Activity, activity_id).last_confirmed_at == long_ago  # type: ignore[union-attr]
    token = csrf_token(client, link)
    r = client.post(link, data={"csrf_token": token})
    assert r.status_code == 200 and "確認しました" in r.get_data(as_text=True)
    session.expire_all()
    activity = session.get(Activity, activity_id)
    assert activity is not None and activity.last_confirmed_at > long_ago  # type: ignore[operator]
    assert not is_flagged(session, settings, activity, now=later)
    assert client.get(link[:-4] + "AAAA").status_code == 404


def test_moderation_queue_lists_error_reports(client: FlaskClient, session: Session, moderator: Any) -> None:
    from webapp.listings.models.report import ErrorReport

    activity = Activity(source="manual", source_id="er-1", name="報告されたサロン", status="published")
    session.add(activity)
    session.flush()
    report = ErrorReport(activity_id=activity.id, message="曜日が変わっています", status="open")
    session.add(report)
    session.flush()
    login(client, "mod@example.org")
    page = client.get("/staff/moderation").get_data(as_text=True)
    assert "曜日が変わっています" in page
    token = csrf_token(client, "/staff/moderation")
    r = client.post(f"/staff/moderation/reports/{report.id}", data={"csrf_token": token, "status": "resolved"})
    assert r.status_code == 302
    session.expire_all()
    assert session.get(ErrorReport, report.id).status == "resolved"  # type: ignore[union-attr]
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "moderation.report_resolved")) is not None


def test_dev_outbox_and_geocode_endpoint(client: FlaskClient) -> None:
    sign_up_and_verify(client, "geo@example.org")
    r = client.get("/organizer/geocode", query_string={"address": "生駒市元町一丁目3-5"})
    assert r.json == {  # type: ignore[comparison-overlap]
        "found": True,
        "lat": 34.692278,
        "lon": 135.700199,
        "level": "gaiku",
        "matched": "奈良県生駒市元町1丁目3番",
    }
    assert client.get("/organizer/geocode", query_string={"address": "火星1-1"}).json == {"found": False}


def test_pages_render_in_english(client: FlaskClient, moderator: Any) -> None:
    sign_up_and_verify(client, "en@example.org")
    activity_id = new_listing(client)
    page = client.get(f"/organizer/activities/{activity_id}/edit?lang=en").get_data(as_text=True)
    assert "Save draft" in page and "Send for review" in page and "Closed on public holidays" in page
    assert "Your activities" in client.get("/organizer/?lang=en").get_data(as_text=True)
    logout(client)
    assert "Organizer registration" in client.get("/auth/signup?lang=en").get_data(as_text=True)
    login(client, "mod@example.org")
    assert "Listing review" in client.get("/staff/moderation?lang=en").get_data(as_text=True)


def test_moderator_marks_organization_trusted(client: FlaskClient, session: Session, moderator: Any) -> None:
    sign_up_and_verify(client, "tr@example.org", org="信頼の会")
    first = new_listing(client)
    assert post_listing(client, first, name="一つ目").status_code == 302
    logout(client)
    login(client, "mod@example.org")
    rid = pending_revision_id(session, first)
    url = f"/staff/moderation/revisions/{rid}"
    org_id = session.scalar(select(Organization.id).where(Organization.name == "信頼の会"))
    token = csrf_token(client, url)
    r = client.post(
        f"/staff/moderation/organizations/{org_id}/trust",
        data={"csrf_token": token, "trusted": "1", "revision_id": str(rid)},
    )
    assert r.status_code == 302 and r.headers["Location"].endswith(url)
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "moderation.trust")) is not None
    logout(client)
    login(client, "tr@example.org")
    second = new_listing(client)
    assert post_listing(client, second, name="二つ目").status_code == 302
    session.expire_all()
    assert session.get(Activity, second).status == "published"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("rrule", "text", "expected"),
    [
        ("FREQ=MONTHLY;BYMONTHDAY=15", "", "毎月15日 10:00〜12:00"),
        # issue 19: the form's text is cleaned for display, full-width brackets kept as typed
        (None, "月に一度（日程はお問い合わせください）", "月に一度（日程はお問い合わせください）"),
    ],
)
def test_invited_organizer_edits_an_imported_listing(
    client: FlaskClient, session: Session, make_user: Any, rrule: str | None, text: str, expected: str
) -> None:
    """Open-data listings keep schedules the builder cannot express; an edit leaves them intact."""
    from datetime import time

    from webapp.listings.models.place import Place
    from webapp.listings.organizer import add_member
    from webapp.listings.spatial import set_location

    org = Organization(source="opendata", source_id="o-1", name="北新町自治会")
    place = Place(source="opendata", source_id="p-1", name="北新町集会所", address="生駒市北新町")
    set_location(place, 34.6962, 135.7012)
    session.add_all([org, place])
    session.flush()
    activity = Activity(
        source="opendata", source_id="a-1", name="北新町いきいき体操", category="exercise", audiences=["elderly"],
        organization_id=org.id, place_id=place.id, status="published", schedule_rrule=rrule,
        start_time=time(10) if rrule else None, end_time=time(12) if rrule else None, schedule_text=text,
        contact_phone="0743-00-9999",
    )
    session.add(activity)
    session.flush()
    user = make_user("kita@example.org", "organizer")
    add_member(session, user, org)
    make_user("mod@example.org", "moderator")
    login(client, "kita@example.org")
    page = client.get(f"/organizer/activities/{activity.id}/edit").get_data(as_text=True)
    assert 'value="keep" checked' in page and 'name="place_id"' in page
    url = f"/organizer/activities/{activity.id}/edit"
    token = csrf_token(client, url)
    form = {
        "csrf_token": token, "action": "submit", "name": "北新町いきいき百歳体操", "category": "exercise",
        "audiences": ["elderly"], "schedule_kind": "keep", "start": "10:00" if rrule else "", "end": "12:00" if rrule else "",
        "schedule_note": "" if rrule else text, "place_mode": "existing", "place_id": str(place.id),
        "contact_phone": "0743-00-9999",
    }
    assert client.post(url, data=form).status_code == 302
    logout(client)
    login(client, "mod@example.org")
    rid = pending_revision_id(session, activity.id)
    detail = client.get(f"/staff/moderation/revisions/{rid}").get_data(as_text=True)
    assert re.search(r'diff--same">\s*<th scope="row">開催日時', detail), detail
    assert approve(client, rid).status_code == 302
    session.expire_all()
    done = session.get(Activity, activity.id)
    assert done is not None and done.name == "北新町いきいき百歳体操" and done.place_id == place.id
    assert done.schedule_rrule == rrule and done.schedule_text == expected


def test_year_end_closure_box_sets_the_yearly_rule(client: FlaskClient, session: Session) -> None:
    sign_up_and_verify(client, "yearend@example.org")
    activity_id = new_listing(client)
    r = post_listing(client, activity_id, action="save", schedule_kind="weekly", weekdays=["MO"], year_end="1")
    assert r.status_code == 302
    page = client.get(f"/organizer/activities/{activity_id}/edit").get_data(as_text=True)
    assert "毎週月曜日 10:00〜11:30（祝日・年末年始（12月29日〜1月3日）はお休み）" in page
    assert re.search(r'name="year_end" value="1" checked', page)
    post_listing(client, activity_id, action="save", schedule_kind="weekly", weekdays=["MO"])
    page = client.get(f"/organizer/activities/{activity_id}/edit").get_data(as_text=True)
    assert "毎週月曜日 10:00〜11:30（祝日はお休み）" in page and not re.search(r'name="year_end" value="1" checked', page)
