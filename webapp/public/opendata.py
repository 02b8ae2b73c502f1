"""Public open data (オープンデータ): activities per district × category. Aggregate listing counts only.

No case data is read here, so no small-count suppression is needed: every counted listing is
itself public on the map. The CSV is UTF-8 with BOM so that Excel opens it without mojibake.
"""

from __future__ import annotations

import csv
import io
from datetime import date

from flask import Blueprint, Response, render_template
from flask_babel import gettext as _

from webapp.extensions import db
from webapp.i18n import current_lang
from webapp.listings.taxonomy import taxonomy
from webapp.reports.coverage import UNASSIGNED, CoverageReport, coverage_report
from webapp.security.permissions import public

bp = Blueprint("opendata", __name__, url_prefix="/open-data")


def _report() -> CoverageReport:
    return coverage_report(db.session(), with_area=False, with_sessions=False)


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
def coverage() -> str:
    report = _report()
    return render_template("public/opendata_coverage.html", report=report)


@bp.route("/coverage.csv")
@public
def coverage_csv() -> Response:
    lang = current_lang()
    report = _report()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_("地区コード"), _("地区名"), _("種別コード"), _("種別"), _("活動数")])
    writer.writerows(open_data_rows(report, lang))
    body = "\ufeff" + out.getvalue()
    filename = f"odekake-coverage-{date.today().isoformat()}.csv"
    return Response(
        body.encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Content-Type": "text/csv; charset=utf-8"},
    )
