"""Resident pages (no login). The full search UI builds on the search service."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from webapp.extensions import db
from webapp.models import Activity
from webapp.security.permissions import public

bp = Blueprint("public", __name__)

PER_PAGE = 50


@bp.route("/")
@public
def index() -> str:
    page = request.args.get("page", "1")
    if not page.isdigit() or int(page) < 1:
        abort(400)
    page_no = int(page)
    session = db.session()
    published = select(Activity).where(Activity.status == "published")
    total = session.scalar(select(func.count()).select_from(published.subquery())) or 0
    activities = session.scalars(
        published.options(selectinload(Activity.place))
        .order_by(Activity.name_kana, Activity.id)
        .limit(PER_PAGE)
        .offset((page_no - 1) * PER_PAGE)
    ).all()
    return render_template(
        "public/index.html", activities=activities, total=total, page=page_no, per_page=PER_PAGE
    )


@bp.route("/healthz")
@public
def healthz() -> dict[str, str]:
    db.session().execute(select(1))
    return {"status": "ok"}
