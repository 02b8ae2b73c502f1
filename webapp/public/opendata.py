"""Public open data (オープンデータ): activities per district × category. Aggregate listing counts only.

No case data is read here, so no small-count suppression is needed: every counted listing is
itself public on the map. The CSV is UTF-8 with BOM so that Excel opens it without mojibake.
"""

from __future__ import annotations

import csv
import io
import threading

from flask import Blueprint, Response, current_app, render_template
from flask_babel import gettext as _

from webapp import clock
from webapp.extensions import db, limiter
from webapp.i18n import current_lang
from webapp.listings.taxonomy import taxonomy
from webapp.reports.coverage import UNASSIGNED, CoverageReport, coverage_report, data_version
from webapp.security.permissions import public

bp = Blueprint("opendata", __name__, url_prefix="/open-data")


# Per client address, the page and the CSV together: the figures change when listings do, so an
# honest reader needs a handful of requests; a loop of them is refused before it reaches the DB.
OPEN_DATA_LIMIT = "30 per minute;300 per hour"
_open_data_limit = limiter.shared_limit(OPEN_DATA_LIMIT, scope="open-data")
_compute_lock = threading.Lock()
_CACHE_KEY = "odekake_open_data_coverage"


def _report() -> CoverageReport:
    """The counts, computed once per change of the data (and per day: the page shows its date).

    Keyed by ``data_version`` rather than cleared by a hook, so each worker process notices a
    change made by another one (an import, a moderator) on its next request.
    """
    session = db.session()
    today = clock.today()
    key = (today, data_version(session))
    cache: dict[str, tuple[object, CoverageReport]] = current_app.extensions.setdefault(_CACHE_KEY, {})
    hit = cache.get("report")
    if hit is not None and hit[0] == key:
        return hit[1]
    # One computation at a time: concurrent first requests wait for it instead of each running it.
    with _compute_lock:
        hit = cache.get("report")
        if hit is not None and hit[0] == key:
            return hit[1]
        report = coverage_report(session, with_area=False, with_sessions=False, today=today)
        cache["report"] = (key, report)
        return report


def open_data_rows(report: CoverageReport, lang: str) -> list[list[str | int]]:
    """Long format: one row per district × category (the 自治体標準オープンデータセット style)."""
    cats = taxonomy().categories
    rows: list[list[str | int]] = []
    for d in report.districts:
        for c in report.categories:
            rows.append([d.code, d.name, c, cats[c].label(lang) if c in cats else c, report.cell(d.code, c).activities])
    for c in report.categories:
        n = report.unassigned.get(c, 0)
        if n:
            rows.append([UNASSIGNED, _("地区外・場所未設定"), c, cats[c].label(lang) if c in cats else c, n])
    return rows


@bp.route("/coverage")
@public
@_open_data_limit
def coverage() -> str:
    report = _report()
    return render_template("public/opendata_coverage.html", report=report)


@bp.route("/coverage.csv")
@public
@_open_data_limit
def coverage_csv() -> Response:
    lang = current_lang()
    report = _report()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_("地区コード"), _("地区名"), _("種別コード"), _("種別"), _("活動数")])
    writer.writerows(open_data_rows(report, lang))
    body = "\ufeff" + out.getvalue()
    filename = f"odekake-coverage-{clock.today().isoformat()}.csv"
    return Response(
        body.encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Content-Type": "text/csv; charset=utf-8"},
    )
