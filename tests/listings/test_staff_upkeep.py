"""Issue 19 (staff upkeep): moderators edit a listing, archive it and mark 「電話で確認済み」, audited.

2SC and 社協 keep resident-run 通いの場 current for organizers without e-mail.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import listing_form
from tests.helpers import csrf_token, login
from webapp.config import settings
from webapp.listings.freshness import flagged_activities
from webapp.listings.models.activity import Activity
from webapp.listings.models.place import Place
from webapp.listings.spatial import set_location
from webapp.security.models import AuditEvent

LONG_AGO = datetime(2025, 1, 10, 1, 0, tzinfo=UTC)


def _imported_listing(session: Session) -> Activity:
    place = Place(source="opendata", source_id="up-p1", name="北新町集会所", address="生駒市北新町")
    set_location(place, 34.6962, 135.7012)
    session.add(place)
    session.flush()
    activity = Activity(
        source="opendata", source_id="up-a1", name="北新町いきいき体操", name_kana="きたしんまちいきいきたいそう",
        category="exercise", audiences=["elderly"], place_id=place.id, status="published",
        schedule_rrule="FREQ=WEEKLY;BYDAY=TU", contact_phone="0743-00-9999",
        published_at=LONG_AGO, last_confirmed_at=LONG_AGO,
    )  # fmt: skip
    session.add(activity)
    session.flush()
    return activity


def _events(session: Session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_phone_confirmation_resets_freshness(
    client: FlaskClient, session: Session, app: Flask, moderator: Any
) -> None:
    activity = _imported_listing(session)
    with app.app_context():
        assert activity.id in {f.activity.id for f in flagged_activities(session, settings())}
    login(client, "mod@example.org")
    queue = client.get("/staff/moderation").get_data(as_text=True)
    assert f"/staff/listings/{activity.id}/confirm" in queue
    url = f"/staff/listings/{activity.id}/edit"
    r = client.post(
        f"/staff/listings/{activity.id}/confirm",
        data={"csrf_token": csrf_token(client, url), "note": "世話人の佐藤さん（電話）"},
    )
    assert r.status_code == 302 and r.headers["Location"].endswith(url)
    session.expire_all()
    done = session.get(Activity, activity.id)
    assert done is not None and done.last_confirmed_at is not None
    assert done.last_confirmed_at.replace(tzinfo=UTC) > datetime.now(UTC) - timedelta(minutes=5)
    with app.app_context():
        assert activity.id not in {f.activity.id for f in flagged_activities(session, settings())}
    [event] = _events(session, "moderation.listing.phone_confirm")
    assert event.detail == {"note": "世話人の佐藤さん（電話）"}


def test_a_too_long_confirmation_note_is_refused_not_cut(client: FlaskClient, session: Session, moderator: Any) -> None:
    activity = _imported_listing(session)
    login(client, "mod@example.org")
    url = f"/staff/listings/{activity.id}/edit"
    typed = "世話人の佐藤さん（電話）" + "あ" * 500
    r = client.post(f"/staff/listings/{activity.id}/confirm", data={"csrf_token": csrf_token(client, url), "note": typed})
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and typed in page and 'href="#note"' in page
    assert 'aria-invalid="true" aria-describedby="note-error"' in page
    assert _events(session, "moderation.listing.phone_confirm") == []
    session.expire_all()
    still = session.get(Activity, activity.id)
    assert still is not None and still.last_confirmed_at is not None
    assert still.last_confirmed_at.replace(tzinfo=UTC) == LONG_AGO


def test_moderator_edits_an_imported_listing_and_it_is_published(
    client: FlaskClient, session: Session, moderator: Any
) -> None:
    activity = _imported_listing(session)
    login(client, "mod@example.org")
    url = f"/staff/listings/{activity.id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert 'id="listing-form"' in page and "data-autosave-url" not in page
    form = listing_form(
        name="北新町いきいき百歳体操", category="exercise", place_mode="existing", place_id=str(activity.place_id),
        contact_name="佐藤（世話人）", welcomes_first_timers="1",
    )  # fmt: skip
    form["csrf_token"] = csrf_token(client, url)
    r = client.post(url, data=form)
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    session.expire_all()
    done = session.get(Activity, activity.id)
    assert done is not None and done.name == "北新町いきいき百歳体操" and done.status == "published"
    assert done.contact_name == "佐藤（世話人）" and done.welcomes_first_timers is True
    assert done.place_id == activity.place_id
    [event] = _events(session, "moderation.listing.edit")
    assert event.object_id == str(activity.id) and "name" in event.detail["fields"]


def test_staff_edit_errors_keep_what_was_typed(client: FlaskClient, session: Session, moderator: Any) -> None:
    activity = _imported_listing(session)
    login(client, "mod@example.org")
    url = f"/staff/listings/{activity.id}/edit"
    form = listing_form(
        name="直した名前", audiences=[], place_mode="existing", place_id=str(activity.place_id)
    )
    form["csrf_token"] = csrf_token(client, url)
    r = client.post(url, data=form)
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "error-summary" in page and "対象を1つ以上選んでください" in page
    assert 'value="直した名前"' in page
    session.expire_all()
    assert session.get(Activity, activity.id).name == "北新町いきいき体操"  # type: ignore[union-attr]
    assert _events(session, "moderation.listing.edit") == []


def test_moderator_archives_with_a_reason(client: FlaskClient, session: Session, moderator: Any) -> None:
    activity = _imported_listing(session)
    login(client, "mod@example.org")
    url = f"/staff/listings/{activity.id}/archive"
    token = csrf_token(client, f"/staff/listings/{activity.id}/edit")
    r = client.post(url, data={"csrf_token": token, "reason": ""})
    assert r.status_code == 200 and "掲載を終了する理由を書いてください" in r.get_data(as_text=True)
    r = client.post(url, data={"csrf_token": token, "reason": "3月で終了と電話あり"})
    assert r.status_code == 302
    session.expire_all()
    assert session.get(Activity, activity.id).status == "archived"  # type: ignore[union-attr]
    [event] = _events(session, "moderation.listing.archive")
    assert event.detail == {"reason": "3月で終了と電話あり"}


def test_staff_listing_search_by_reading(client: FlaskClient, session: Session, moderator: Any) -> None:
    _imported_listing(session)
    login(client, "mod@example.org")
    page = client.get("/staff/listings?q=キタシンマチ").get_data(as_text=True)
    assert "北新町いきいき体操" in page and "要確認" in page
    page = client.get("/staff/listings?q=みなみ").get_data(as_text=True)
    assert "北新町いきいき体操" not in page


def test_upkeep_needs_the_permission(client: FlaskClient, session: Session, make_user: Any) -> None:
    activity = _imported_listing(session)
    make_user("sup@example.org", "supporter", office="東包括")
    make_user("org@example.org", "organizer")
    for email in ("sup@example.org", "org@example.org"):
        login(client, email)
        assert client.get(f"/staff/listings/{activity.id}/edit").status_code == 403
        token = csrf_token(client, "/")
        r = client.post(f"/staff/listings/{activity.id}/confirm", data={"csrf_token": token})
        assert r.status_code == 403
        client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/")})
