"""F12: public parameters that answered 500.

- ``day`` far from today (9999-12-31) overflowed the schedule expansion on /, /print and the API:
  now a translated error beside the date field (pages) or HTTP 400 with the API's error shape.
- ``_method``, ``_anchor``, ``_scheme``, ``_external`` in the query string were passed on to
  ``url_for`` by the links built from the current URL (language switch, furigana toggle), so every
  page failed, and its error page with it: a bare 500 without the security headers.
- The 500 handler itself must never lose the security headers, whatever fails inside it.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.security.routes import get_routes
from webapp.listings.models.activity import Activity

RESERVED = ["_method=x", "_anchor=x", "_scheme=javascript", "_external=1", "_anchor=x&_method=POST&_scheme=https"]
FAR_DAYS = ["9999-12-31", "0001-01-01", "2999-01-01"]


def _published_id(session: Session) -> int:
    found = session.scalar(select(Activity.id).where(Activity.status == "published").order_by(Activity.id))
    assert found is not None
    return found


@pytest.mark.parametrize("path", ["/", "/print"])
@pytest.mark.parametrize("day", FAR_DAYS)
def test_far_day_on_pages_is_an_error_beside_the_field(probe_app: Flask, indexed_city: Session, path: str,
                                                       day: str) -> None:
    client = probe_app.test_client()
    r = client.get(f"{path}?q={quote('サロン')}&free=1&day={day}", headers={"Accept-Language": "ja"})
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert "日付は" in html and "までの間で選んでください" in html
    if path == "/":
        # Beside the date field, and the rest of the form kept.
        day_field = html[html.index('id="f-day"'):]
        day_field = day_field[: day_field.index("</div>", day_field.index("field__error"))]
        assert "までの間で選んでください" in day_field
        assert re.search(r'name="q"[^>]*value="サロン"|value="サロン"[^>]*name="q"', html)
        assert re.search(r'name="free"[^>]*checked|checked[^>]*name="free"', html)
    r = client.get(f"{path}?day={day}", headers={"Accept-Language": "en"})
    assert r.status_code == 400
    assert "Choose a date between" in r.get_data(as_text=True)


def test_days_inside_the_window_still_search(probe_app: Flask, indexed_city: Session) -> None:
    client = probe_app.test_client()
    for delta in (0, 1, 30, 365, 2 * 365):
        day = (date.today() + timedelta(days=delta)).isoformat()
        assert client.get(f"/?day={day}").status_code == 200, day
        assert client.get(f"/api/v1/activities?day={day}").status_code == 200, day


@pytest.mark.parametrize("path", ["/api/v1/activities", "/api/v1/activities.geojson"])
@pytest.mark.parametrize("day", FAR_DAYS)
def test_far_day_in_the_api_is_a_400(probe_app: Flask, indexed_city: Session, path: str, day: str) -> None:
    r = probe_app.test_client().get(f"{path}?day={day}", headers={"Accept-Language": "en"})
    assert r.status_code == 400
    error = r.get_json()["error"]
    assert error["code"] == "out_of_range" and error["field"] == "day"
    assert error["message"].startswith("day must be a date from")
    ja = probe_app.test_client().get(f"{path}?day={day}", headers={"Accept-Language": "ja"}).get_json()
    assert "までの日付で指定してください" in ja["error"]["message"]


def test_reserved_url_for_keys_do_not_break_links(probe_app: Flask, indexed_city: Session) -> None:
    client = probe_app.test_client()
    r = client.get("/?q=x&_method=x&_anchor=top&_scheme=javascript&_external=1&ruby=1")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "javascript:" not in html and "_method" not in html and "#top" not in html
    assert 'href="/?q=x&amp;ruby=0"' in html  # the furigana toggle keeps the real parameters


def test_every_public_get_route_survives_reserved_keys_and_far_days(probe_app: Flask, indexed_city: Session) -> None:
    client = probe_app.test_client()
    activity_id = _published_id(indexed_city)
    problems = []
    routes = [r for r in get_routes(probe_app) if r.is_public]
    assert len(routes) > 10
    for route in routes:
        base = route.url(int_value=activity_id)
        for query in [*RESERVED, *(f"day={d}" for d in FAR_DAYS)]:
            url = f"{base}?{query}"
            try:
                r = client.get(url)
            except Exception as exc:  # TESTING propagates what the error handler could not handle
                problems.append(f"{url}: {type(exc).__name__}: {exc}"[:200])
                continue
            if r.status_code >= 500:
                problems.append(f"{url}: {r.status_code}")
            elif r.headers.get("X-Content-Type-Options") != "nosniff" or not r.headers.get("Content-Security-Policy"):
                problems.append(f"{url}: no security headers")
    assert problems == []


def _fresh_app(tmp_path: Path) -> Flask:
    from webapp import create_app
    from webapp.security.permissions import public

    fresh = create_app({"instance_dir": tmp_path, "env": "testing"})

    @public
    def boom() -> str:
        raise RuntimeError("secret detail")

    fresh.add_url_rule("/__boom", "boom", boom)
    fresh.logger.disabled = True
    return fresh


def _assert_safe_500(r) -> None:  # type: ignore[no-untyped-def]
    assert r.status_code == 500
    assert "secret detail" not in r.get_data(as_text=True)
    csp = r.headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert r.headers.get("X-Content-Type-Options") == "nosniff"
    assert r.headers.get("X-Frame-Options") == "DENY"


def test_500_keeps_security_headers_when_the_error_page_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from webapp.extensions import db

    fresh = _fresh_app(tmp_path)

    def broken_template(*args: object, **kwargs: object) -> str:
        raise RuntimeError("the error template failed too")

    try:
        client = fresh.test_client()
        # A view that raises, with an error page that renders.
        _assert_safe_500(client.get("/__boom"))
        # A view that raises, and a link helper of the layout that raises as well.
        _assert_safe_500(client.get("/__boom?_method=x&_anchor=y"))
        # A view that raises, and the error template that raises.
        monkeypatch.setattr("webapp.errors.render_template", broken_template)
        r = client.get("/__boom", headers={"Accept-Language": "ja"})
        _assert_safe_500(r)
        assert "エラーが発生しました" in r.get_data(as_text=True)
        # Any error page (here a 404) that cannot be rendered keeps its status and headers.
        r = client.get("/no-such-page")
        assert r.status_code == 404
        assert r.headers.get("X-Content-Type-Options") == "nosniff"
    finally:
        assert db.engine is not None
        db.engine.dispose()


def test_500_keeps_headers_when_even_the_messages_fail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from webapp.extensions import db

    fresh = _fresh_app(tmp_path)

    def broken_messages() -> dict[int, tuple[str, str]]:
        raise RuntimeError("translations failed")

    monkeypatch.setattr("webapp.errors._messages", broken_messages)
    try:
        _assert_safe_500(fresh.test_client().get("/__boom"))
    finally:
        assert db.engine is not None
        db.engine.dispose()


def test_500_keeps_headers_when_an_after_request_hook_fails(tmp_path: Path) -> None:
    """Flask finishes an error response with its after_request hooks in a try: one that raises
    there (the boundary's commit, say) is logged and the rest, security headers included, skipped."""
    from webapp.extensions import db

    fresh = _fresh_app(tmp_path)
    fresh.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: no test-client re-raise

    @fresh.after_request
    def failing_hook(response):  # type: ignore[no-untyped-def]
        if response.status_code >= 500:
            raise RuntimeError("hook failed")
        return response

    try:
        _assert_safe_500(fresh.test_client().get("/__boom"))
    finally:
        assert db.engine is not None
        db.engine.dispose()


def test_day_window_edges() -> None:
    from webapp.search.activity_query import QueryError, day_window, parse_activity_query

    lo, hi = day_window()
    assert parse_activity_query({"day": lo.isoformat()}).day == lo
    assert parse_activity_query({"day": hi.isoformat()}).day == hi
    for outside in (lo - timedelta(days=1), hi + timedelta(days=1), date.max, date.min):
        with pytest.raises(QueryError) as raised:
            parse_activity_query({"day": outside.isoformat()})
        assert (raised.value.code, raised.value.field) == ("out_of_range", "day")
