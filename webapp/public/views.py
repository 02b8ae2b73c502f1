"""Resident pages (no login): search, activity pages, calendar files, print list, help desks.

Views stay thin: parse the request, call the finder / services, render.
"""

from __future__ import annotations

import threading
import time

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_limiter import RequestLimit
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.routing import BuildError

from schedule import describe, next_occurrences
from schedule.ical import calendar, vevent
from webapp import clock, display
from webapp.config import settings
from webapp.extensions import db, limiter
from webapp.listings import freshness
from webapp.listings.error_reports import create_error_report
from webapp.listings.models.activity import Activity
from webapp.listings.models.place import Place
from webapp.public import finder
from webapp.public.forms import ErrorReportForm
from webapp.public.locate import geocode_town
from webapp.public.qr import qr_data_uri
from webapp.security.permissions import public
from webapp.service_error import ServiceError

bp = Blueprint("public", __name__)

PER_PAGE = finder.PER_PAGE


def _search_context(filters: finder.Filters) -> dict[str, object]:
    now = finder.tokyo_now()
    days = finder.day_options(now)
    districts = finder.district_options(db.session())
    return {
        "filters": filters,
        "active": finder.active_labels(filters, days, {d.code: d.name for d in districts}),
        "day_options": days,
        "districts": districts,
        "radii": finder.RADII,
    }


def _map_urls(filters: finder.Filters) -> dict[str, str | None]:
    """The map's sources (the public API: slim pins, the fallback base layer, one item's details),
    or None when the API is not installed (the map then reads the pins from the list)."""
    try:
        return {
            "markers_url": url_for("api.markers_geojson") + "?" + filters.api_query(),
            "basemap_url": url_for("api.basemap_geojson"),
            "item_base": url_for("api.activity", activity_id=0)[:-1],
        }
    except BuildError:
        return {"markers_url": None, "basemap_url": None, "item_base": None}


# The page with no query (2 % of requests, most of the server time when every listing was sorted
# per request): the rendered page for anonymous visitors, kept per index generation (every change
# the index sees renews it), language and minute (next dates, freshness).
_LANDING_TTL_S = 60.0
_landing_pages: dict[tuple[object, ...], tuple[float, str]] = {}
_landing_lock = threading.Lock()


def _landing_key() -> tuple[object, ...] | None:
    from flask import session
    from flask_babel import get_locale
    from flask_login import current_user

    from webapp.search.index import current_index

    if request.args or not current_user.is_anonymous or "_flashes" in session:
        return None
    index = current_index()
    if not index.exists():
        return None
    minute = finder.tokyo_now().replace(second=0, microsecond=0)
    return (str(index.path), index.generation(), str(get_locale()), minute)


@bp.route("/")
@public
def index() -> tuple[str, int] | str:
    key = _landing_key()
    if key is not None:
        with _landing_lock:
            hit = _landing_pages.get(key)
        if hit is not None and time.monotonic() - hit[0] < _LANDING_TTL_S:
            return hit[1]
    body = _index_page()
    if key is not None and isinstance(body, str):
        with _landing_lock:
            if len(_landing_pages) > 16:
                _landing_pages.clear()
            _landing_pages[key] = (time.monotonic(), body)
    return body


def _index_page() -> tuple[str, int] | str:
    filters = finder.parse_filters(request.args, geocode=geocode_town)
    results = finder.search(db.session(), filters)
    body = render_template(
        "public/index.html",
        results=results,
        **_map_urls(filters),
        print_url=url_for("public.print_list", **filters.link_args()),
        **_search_context(filters),
    )
    # A tampered filter still renders the page (errors beside the fields), as a 400.
    return (body, 400) if filters.errors else body


def _activity_or_404(activity_id: int) -> Activity:
    activity = db.session().scalar(
        select(Activity)
        .where(Activity.id == activity_id)
        .options(selectinload(Activity.place).selectinload(Place.district), selectinload(Activity.organization))
    )
    if activity is None or not was_public(activity):
        abort(404)
    return activity


def was_public(activity: Activity) -> bool:
    """Published now, or archived after having been published (the 410 「掲載を終了しました」 page).

    ``published_at`` is set on the first publication (moderation, import, sample data) and never
    cleared; a draft, a pending listing or one refused before it was ever shown has none, and is
    answered exactly like an id that does not exist (ids are sequential: a 410 would show its name).
    """
    if activity.status == "published":
        return True
    return activity.status == "archived" and activity.published_at is not None


def _photos(activity: Activity) -> list[object]:
    from webapp.listings.photos import published_photos

    return list(published_photos(db.session(), activity.id))


def _render_detail(activity: Activity, form: ErrorReportForm, status: int = 200) -> tuple[str, int]:
    schedule = activity.schedule
    detail_url = url_for("public.activity", activity_id=activity.id, _external=True)
    body = render_template(
        "public/activity.html",
        a=activity,
        category=finder.taxonomy().categories.get(activity.category or ""),
        schedule_sentence=display.describe_schedule(activity),
        next_dates=next_occurrences(schedule, finder.tokyo_now(), 5),
        stale=freshness.is_stale(settings(), activity),
        flagged=freshness.is_flagged(db.session(), settings(), activity),
        form=form,
        qr=qr_data_uri(detail_url),
        detail_url=detail_url,
        has_ics=bool(schedule.rrule or schedule.rdates),
        photos=_photos(activity),
    )
    return body, status


@bp.route("/activities/<int:activity_id>")
@public
def activity(activity_id: int) -> tuple[str, int]:
    a = _activity_or_404(activity_id)
    if a.status == "archived":
        nearby = finder.similar_nearby(db.session(), a)
        return render_template("public/gone.html", a=a, nearby=nearby), 410
    return _render_detail(a, ErrorReportForm())


def _report_limited(_limit: RequestLimit) -> Response:
    """Too many reports from this address: the form comes back with the text typed in it and an
    honest message beside it, instead of a bare 「アクセスが集中しています」 page that loses the text."""
    a = _activity_or_404(int((request.view_args or {}).get("activity_id", 0)))
    form = ErrorReportForm()
    form.message.errors = [_("お知らせが多すぎるため、いまは受け付けられません。書いた内容は残っています。1時間ほどたってから、もう一度送信してください。")]
    body, _status = _render_detail(a, form, 429)
    return make_response(body, 429)


@bp.route("/activities/<int:activity_id>/report", methods=["POST"])
@public
@limiter.limit("5 per hour;20 per day", methods=["POST"], on_breach=_report_limited)
def report(activity_id: int) -> ResponseReturnValue:
    a = _activity_or_404(activity_id)
    if a.status != "published":
        abort(410)
    form = ErrorReportForm()
    if not form.validate_on_submit():
        return _render_detail(a, form, 400)
    try:
        create_error_report(db.session(), a, form.message.data or "", form.contact.data or "")
    except ServiceError as exc:
        getattr(form, exc.field or "message").errors = [_("内容を確かめてください。")]
        return _render_detail(a, form, 400)
    flash(_("お知らせありがとうございました。担当者が確認します。"), "success")
    # No #report anchor: the thank-you message is at the top of the page.
    return redirect(url_for("public.activity", activity_id=a.id))


@bp.route("/activities/<int:activity_id>.ics")
@public
def activity_ics(activity_id: int) -> Response:
    a = _activity_or_404(activity_id)
    if a.status != "published":
        abort(410)
    place = a.place
    url = url_for("public.activity", activity_id=a.id, _external=True)
    try:
        event = vevent(
            uid=f"activity-{a.id}@{request.host.split(':')[0]}",
            summary=a.name,
            schedule=a.schedule,
            location=" ".join(p for p in (place.name, place.address) if p) if place else None,
            description=describe(a.schedule, "ja") + (f"\n{a.contact_phone}" if a.contact_phone else ""),
            url=url,
            lat=place.lat if place else None,
            lon=place.lon if place else None,
            dtstamp=clock.now(),
        )
    except ValueError:
        abort(404)
    body = calendar([event], name=a.name)
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="odekake-{a.id}.ics"'
    return response


@bp.route("/print")
@public
def print_list() -> tuple[str, int] | str:
    filters = finder.parse_filters(request.args, geocode=geocode_town)
    results = finder.search(db.session(), filters, limit=finder.PRINT_LIMIT)
    qrs = {h.activity.id: qr_data_uri(url_for("public.activity", activity_id=h.activity.id, _external=True))
           for h in results.hits}
    body = render_template(
        "public/print.html",
        results=results,
        qrs=qrs,
        printed_on=finder.tokyo_now(),
        back_url=url_for("public.index", **filters.link_args()),
        **_search_context(filters),
    )
    return (body, 400) if filters.errors else body


@bp.route("/consult")
@public
def consult() -> str:
    desks = db.session().scalars(
        select(Activity)
        .where(Activity.status == "published", Activity.category == "consultation")
        .options(selectinload(Activity.place), selectinload(Activity.organization))
        .order_by(Activity.name_kana, Activity.id)
    ).all()
    return render_template("public/consult.html", desks=desks)


@bp.route("/about")
@public
def about() -> str:
    return render_template("public/about.html")


@bp.route("/for-organizers")
@public
def organizers() -> str:
    return render_template("public/organizers.html")


@bp.route("/healthz")
@public
def healthz() -> tuple[dict[str, str], int, dict[str, str]]:
    # A load balancer or monitor reads the status: the database being unreachable is "unavailable"
    # (503, try later), not an error of this code (500).
    from flask import current_app
    from sqlalchemy.exc import SQLAlchemyError

    try:
        db.session().execute(select(1))
    except SQLAlchemyError as exc:
        db.session().rollback()
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        current_app.logger.warning("healthz: database unavailable: %s", first)
        return {"status": "unavailable", "database": "unreachable"}, 503, {"Retry-After": "30"}
    return {"status": "ok"}, 200, {}
