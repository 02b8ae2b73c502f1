"""Staff area: reports (参加支援 KPIs, coverage of social resources, exports).

KPI pages read aggregate case data: every view and export is audited. Exports leave the staff side,
so their counts go through the small-count suppression of services.kpis; the screen shows exact
figures to staff who may read them. Coverage figures are about public listings only.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, Response, abort, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from webapp import clock
from webapp.accounts.models.user import Office
from webapp.cases.labels import FIELD_LABELS, SCALE_LABELS, board_labels
from webapp.cases.models import FIELDS
from webapp.config import settings
from webapp.extensions import db
from webapp.hosts.counts import HostCounts, host_counts
from webapp.i18n import current_lang
from webapp.imports.exports import escape_cell
from webapp.listings.models.place import District
from webapp.listings.taxonomy import taxonomy
from webapp.reports.coverage import CoverageReport, coverage_geojson, coverage_report
from webapp.reports.indicators import INDICATOR_HEADER, Indicator, indicator_table, indicators, targets
from webapp.reports.kpis import (
    KpiFilter,
    KpiReport,
    by_field,
    compute_kpis,
    load_rows,
    suppress_count,
    suppress_rate,
    suppress_stat,
)
from webapp.security.audit import record
from webapp.security.permissions import Permission, has_permission, require

bp = Blueprint("reports", __name__, url_prefix="/staff")
bp.context_processor(board_labels)

MIN_WALK_M, MAX_WALK_M = 100, 5000
Table = list[list[Any]]



def _today() -> date:
    return clock.today()


def fiscal_year_start(day: date) -> date:
    """日本の年度 (April to March) that ``day`` is in: its first day (webapp.clock says which)."""
    return clock.fiscal_year_bounds(clock.fiscal_year(day))[0]


# ── KPI form (GET parameters) ───────────────────────────────────────────────────────────────────


@dataclass
class KpiForm:
    start: date
    end: date
    office_id: int | None
    field: str
    errors: dict[str, str]
    offices: list[Office]
    all_offices: bool

    @property
    def filter(self) -> KpiFilter:
        return KpiFilter(self.start, self.end, self.office_id, self.field or None)

    def args(self, **extra: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        if self.office_id is not None:
            out["office"] = self.office_id
        if self.field:
            out["field"] = self.field
        return {**out, **extra}

    @property
    def office_name(self) -> str:
        for o in self.offices:
            if o.id == self.office_id:
                return o.name
        return _("すべての所属")


def _parse_date(raw: str | None, default: date, name: str, errors: dict[str, str]) -> date:
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = _("日付は 2026-04-01 の形で入力してください。")
        return default


def parse_kpi_form(start_key: str = "start", end_key: str = "end") -> KpiForm:
    """Period, office and 分野 from the query string; a user without all-office rights sees their own."""
    today = _today()
    errors: dict[str, str] = {}
    start = _parse_date(request.args.get(start_key), fiscal_year_start(today), "start", errors)
    end = _parse_date(request.args.get(end_key), today, "end", errors)
    if end < start:
        errors["end"] = _("終了日は開始日より後にしてください。")
        start, end = fiscal_year_start(today), today
    all_offices = has_permission(current_user, Permission.REPORTS_ALL_OFFICES)
    session = db.session()
    if all_offices:
        offices = list(session.scalars(select(Office).order_by(Office.name)))
        raw = request.args.get("office", "")
        office_id = int(raw) if raw.isascii() and raw.isdigit() and any(o.id == int(raw) for o in offices) else None
        if raw and office_id is None:
            errors["office"] = _("選べない所属です。")
    else:
        if current_user.office_id is None:
            abort(403)
        offices = [o for o in [session.get(Office, current_user.office_id)] if o is not None]
        office_id = current_user.office_id
    fld = request.args.get("field", "")
    if fld and fld not in FIELDS:
        errors["field"] = _("選べない分野です。")
        fld = ""
    return KpiForm(start, end, office_id, fld, errors, offices, all_offices)


def _indicators(report: KpiReport, hosts: HostCounts) -> list[Indicator]:
    cfg = settings()
    return indicators(report, targets(cfg.kpi_targets, cfg.kpi_placement_target_pct), hosts)


def _kpis(form: KpiForm) -> tuple[KpiReport, dict[str, KpiReport]]:
    session = db.session()
    rows = load_rows(session, form.office_id)
    target = settings().kpi_placement_target_pct / 100
    as_of = _today()
    report = compute_kpis(rows, form.filter, target=target, as_of=as_of)
    fields = by_field(rows, form.filter, [f for f in FIELDS], target=target, as_of=as_of)
    return report, fields


def _hosts(form: KpiForm) -> HostCounts:
    """The host register's figures for the period and office (hosts have no 分野)."""
    return host_counts(db.session(), form.start, form.end, form.office_id)


def _district_names() -> dict[str, str]:
    return {code: name for code, name in db.session().execute(select(District.code, District.name))}


def _interest_label(code: str, lang: str) -> str:
    if not code:
        return _("（未記入）")
    term = taxonomy().interests.get(code)
    return term.label(lang) if term else code


# ── tables shared by the page and the exports ───────────────────────────────────────────────────


def _pct(rate_value: float | None) -> str:
    return "—" if rate_value is None else f"{rate_value:.1f}%"


def kpi_table(r: KpiReport, *, suppressed: bool) -> Table:
    """(指標, 値, 分子, 分母, 注記) rows. ``suppressed`` for anything that leaves the staff side."""
    count = suppress_count if suppressed else (lambda n: n)
    rate = suppress_rate if suppressed else (lambda x: x.percent)
    stat = suppress_stat if suppressed else (lambda v, n: v)
    target = round(r.target * 100)
    rows: Table = [
        [_("支援した人"), count(r.supported), "", "", ""],
        [_("打診まで進んだ人"), count(r.proposed), "", "", ""],
        [_("参加中に至った人"), count(r.participating), "", "", ""],
        [_("参加支援につなげた割合（％）"), rate(r.placement_rate), count(r.placement_rate.numerator),
         count(r.placement_rate.denominator), _("目標 %(n)s%%", n=target)],
        [_("3か月後の定着率（％）"), rate(r.settled_3m), count(r.settled_3m.numerator), count(r.settled_3m.denominator),
         _("初回参加から90日後も参加中・定着")],
        [_("初回相談から初回参加までの日数（中央値）"), stat(r.median_days_to_participation, r.days_to_participation_n),
         "", count(r.days_to_participation_n), ""],
        [_("期限内に実施したフォローアップ（％）"), rate(r.followups_on_time), count(r.followups_on_time.numerator),
         count(r.followups_on_time.denominator),
         _("遅れて実施 %(late)s、未実施 %(open)s", late=count(r.followups_late), open=count(r.followups_open))],
        [_("受け入れ先フォローアップの実施（％）"), rate(r.host_followups_done), count(r.host_followups_done.numerator),
         count(r.host_followups_done.denominator), ""],
    ]
    for w in r.wellbeing:
        rows.append([
            _("幸福度の変化（%(scale)s、平均）", scale=SCALE_LABELS.get(w.scale, w.scale)),
            stat(w.mean_change, w.pairs), stat(w.mean_baseline, w.pairs), stat(w.mean_latest, w.pairs),
            _("初回と最新の組 %(n)s 人", n=count(w.pairs)),
        ])
    return rows


KPI_HEADER = (_l("指標"), _l("値"), _l("分子"), _l("分母"), _l("注記"))
KPI_HEADER_WELLBEING_NOTE = _l("幸福度の行は 値=変化、分子=初回の平均、分母=最新の平均")


def field_table(fields: dict[str, KpiReport], *, suppressed: bool) -> Table:
    count = suppress_count if suppressed else (lambda n: n)
    rate = suppress_rate if suppressed else (lambda x: x.percent)
    return [
        [str(FIELD_LABELS.get(name, name)), count(r.supported), count(r.participating), rate(r.placement_rate)]
        for name, r in fields.items()
    ]


FIELD_HEADER = (_l("分野"), _l("支援した人"), _l("参加中に至った人"), _l("参加支援につなげた割合（％）"))


def unmet_table(r: KpiReport, lang: str, *, suppressed: bool) -> Table:
    count = suppress_count if suppressed else (lambda n: n)
    names = _district_names()
    return [
        [names.get(u.district, u.district) or _("（未記入）"), _interest_label(u.interest, lang),
         count(u.no_suitable_activity), count(u.host_no_capacity)]
        for u in r.unmet
    ]


UNMET_HEADER = (_l("地区"), _l("興味・関心"), _l("適当な活動が見つからない"), _l("受け入れ先に余裕がない"))


def host_district_table(hosts: HostCounts, *, suppressed: bool) -> Table:
    """(district code, district, new hosts agreed, 協力企業・団体, 企画による場の設定) per district served."""
    count = suppress_count if suppressed else (lambda n: n)
    names = _district_names()
    return [
        [code, (names.get(code, code) if code else _("（地区の記入なし）")), count(a), count(c), count(p)]
        for code, a, c, p in hosts.by_district()
    ]


HOST_DISTRICT_HEADER = (_l("地区コード"), _l("地区"), _l("新たに合意した受け入れ先"), _l("協力企業・団体（受け入れ先）"),
                        _l("企画による場の設定"))


def coverage_table(report: CoverageReport, lang: str) -> Table:
    cats = taxonomy().categories
    rows: Table = []
    for d in report.districts:
        for c in report.categories:
            cell = report.cell(d.code, c)
            share = None if cell.covered_share is None else round(100 * cell.covered_share, 1)
            rows.append([d.code, d.name, c, cats[c].label(lang) if c in cats else c, cell.activities,
                         cell.sessions_per_week, share])
    return rows


COVERAGE_HEADER = (_l("地区コード"), _l("地区名"), _l("種別コード"), _l("種別"), _l("活動数"), _l("週あたり開催回数"),
                   _l("徒歩圏の面積割合（％）"))


# ── file writers ────────────────────────────────────────────────────────────────────────────────


def _filename(stem: str, ext: str) -> str:
    return f"odekake-{stem}-{_today().isoformat()}.{ext}"


def csv_response(header: Sequence[Any], rows: Table, stem: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    # Every cell, header included, goes through the one escaping helper of the municipal export:
    # free text (a district typed by staff, a label) must never reach Excel as a live formula.
    writer.writerow([escape_cell(str(h)) for h in header])
    writer.writerows([[escape_cell(v) for v in row] for row in rows])
    # The BOM makes Excel read the file as UTF-8 (without it, Japanese text turns to mojibake).
    return Response(
        ("\ufeff" + out.getvalue()).encode("utf-8"),
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{_filename(stem, "csv")}"',
        },
    )


def xlsx_response(sheets: Sequence[tuple[str, Sequence[Any], Table]], stem: str, notes: Sequence[str] = ()) -> Response:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    for title, header, rows in sheets:
        ws = wb.create_sheet(title=str(title)[:31])
        ws.append([escape_cell(str(h)) for h in header])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append([escape_cell(v) for v in row])
        ws.freeze_panes = "A2"
        for i, h in enumerate(header, start=1):
            width = max([len(str(h))] + [len(str(r[i - 1])) for r in rows if len(r) >= i]) + 2
            ws.column_dimensions[get_column_letter(i)].width = min(60, max(8, width * 1.6))
    if notes:
        ws = wb.create_sheet(title=str(_("注記"))[:31])
        for n in notes:
            ws.append([escape_cell(str(n))])
    buf = io.BytesIO()
    wb.save(buf)
    return Response(
        buf.getvalue(),
        headers={
            "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "Content-Disposition": f'attachment; filename="{_filename(stem, "xlsx")}"',
        },
    )


def _export_notes(form: KpiForm) -> list[str]:
    return [
        _("期間: %(start)s 〜 %(end)s", start=form.start.isoformat(), end=form.end.isoformat()),
        _("所属: %(office)s", office=form.office_name),
        _("分野: %(field)s", field=str(FIELD_LABELS.get(form.field, _("すべて")))),
        _("1〜4 の人数は「<5」と表示しています（個人の特定を防ぐため）。"),
        str(KPI_HEADER_WELLBEING_NOTE),
    ]


# ── views ───────────────────────────────────────────────────────────────────────────────────────


def _audit(action: str, form: KpiForm, **extra: Any) -> None:
    record(db.session(), action, "report", "kpi", {
        "start": form.start.isoformat(), "end": form.end.isoformat(), "office_id": form.office_id,
        "field": form.field, **extra,
    })


@bp.route("/reports")
@require(Permission.REPORTS_READ)
def reports() -> str:
    form = parse_kpi_form()
    report, fields = _kpis(form)
    hosts = _hosts(form)
    _audit("reports.kpi.view", form)
    lang = current_lang()
    names = _district_names()
    return render_template(
        "reports/index.html",
        unmet_url=url_for("reports.reports_unmet_geojson", **form.args()),
        form=form,
        r=report,
        fields=fields,
        indicators=_indicators(report, hosts),
        host_rows=[(names.get(code, code) if code else _("（地区の記入なし）"), a, c, p) for code, a, c, p in hosts.by_district()],
        json_url=url_for("reports.reports_kpis_json", **_json_args(form)),
        field_rows=field_table(fields, suppressed=False),
        unmet_rows=unmet_table(report, lang, suppressed=False),
        unmet_codes=[(u.district, u.interest) for u in report.unmet],
        field_names=FIELD_LABELS,
        scale_names=SCALE_LABELS,
    )


@bp.route("/reports/unmet.geojson")
@require(Permission.REPORTS_READ)
def reports_unmet_geojson() -> Response:
    """Districts with the number of people for whom nothing suitable (or no room) was found."""
    from shapely.geometry import mapping

    from webapp.listings.districts import load_districts

    form = parse_kpi_form()
    report, _fields = _kpis(form)
    _audit("reports.kpi.view", form, table="unmet_map")
    features = []
    known = set()
    for d in load_districts(db.session()):
        known.add(d.code)
        u = report.unmet_by_district.get(d.code)
        features.append({
            "type": "Feature",
            "geometry": mapping(d.geometry),
            "properties": {
                "kind": "district", "code": d.code, "name": d.name,
                "no_suitable_activity": u.no_suitable_activity if u else 0,
                "host_no_capacity": u.host_no_capacity if u else 0,
                "unmet": u.people if u else 0,
            },
        })
    elsewhere = sum(u.people for code, u in report.unmet_by_district.items() if code not in known)
    return jsonify({"type": "FeatureCollection", "features": features, "unmet_without_district": elsewhere})


def _json_args(form: KpiForm) -> dict[str, Any]:
    out: dict[str, Any] = {"from": form.start.isoformat(), "to": form.end.isoformat()}
    if form.office_id is not None and form.all_offices:
        out["office"] = form.office_id
    return out


@bp.route("/reports/kpis.json")
@require(Permission.REPORTS_READ)
def reports_kpis_json() -> Response | tuple[Response, int]:
    """The indicators, machine-readable: ?from=YYYY-MM-DD&to=YYYY-MM-DD[&office=ID] (exact figures,
    for staff with the report permission, like the page; audited)."""
    form = parse_kpi_form("from", "to")
    asked = request.args.get("office", "")
    if asked and not form.all_offices and asked != str(form.office_id):
        abort(403)
    if form.errors:
        return jsonify({"errors": form.errors}), 400
    report, _fields = _kpis(form)
    hosts = _hosts(form)
    _audit("reports.kpi.view", form, format="json")
    return jsonify({
        "from": form.start.isoformat(),
        "to": form.end.isoformat(),
        "office": form.office_id,
        "indicators": [i.as_json() for i in _indicators(report, hosts)],
        "hosts_by_district": [
            {"district": code, "hosts_agreed": a, "partner_hosts": c, "places_created": p}
            for code, a, c, p in hosts.by_district()
        ],
    })


@bp.route("/reports/kpis.csv")
@require(Permission.REPORTS_READ)
def reports_kpis_csv() -> Response:
    form = parse_kpi_form()
    report, _fields = _kpis(form)
    _audit("reports.kpi.export", form, format="csv")
    return csv_response(INDICATOR_HEADER, indicator_table(_indicators(report, _hosts(form)), suppressed=True), "kpis")


@bp.route("/reports/unmet.csv")
@require(Permission.REPORTS_READ)
def reports_unmet_csv() -> Response:
    form = parse_kpi_form()
    report, _fields = _kpis(form)
    _audit("reports.kpi.export", form, format="csv", table="unmet")
    return csv_response(UNMET_HEADER, unmet_table(report, current_lang(), suppressed=True), "unmet-needs")


@bp.route("/reports/kpis.xlsx")
@require(Permission.REPORTS_READ)
def reports_kpis_xlsx() -> Response:
    form = parse_kpi_form()
    report, fields = _kpis(form)
    hosts = _hosts(form)
    _audit("reports.kpi.export", form, format="xlsx")
    lang = current_lang()
    return xlsx_response(
        [
            (_("指標"), INDICATOR_HEADER, indicator_table(_indicators(report, hosts), suppressed=True)),
            (_("KPI"), KPI_HEADER, kpi_table(report, suppressed=True)),
            (_("分野別"), FIELD_HEADER, field_table(fields, suppressed=True)),
            (_("未充足ニーズ"), UNMET_HEADER, unmet_table(report, lang, suppressed=True)),
            (_("受け入れ先（地区別）"), HOST_DISTRICT_HEADER, host_district_table(hosts, suppressed=True)),
        ],
        "kpis",
        _export_notes(form),
    )


def _walk_m() -> int:
    raw = request.args.get("walk", "")
    if raw.isascii() and raw.isdigit() and MIN_WALK_M <= int(raw) <= MAX_WALK_M:
        return int(raw)
    return int(settings().coverage_walk_m)


def _category() -> str:
    cats = taxonomy().categories
    raw = request.args.get("category", "")
    return raw if raw in cats else next(iter(cats))


@bp.route("/reports/coverage")
@require(Permission.REPORTS_READ)
def reports_coverage() -> str:
    walk = _walk_m()
    category = _category()
    report = coverage_report(db.session(), walk, today=_today())
    return render_template(
        "reports/coverage.html", report=report, walk=walk, category=category, walk_choices=(300, 500, 800, 1000, 1500)
    )


@bp.route("/reports/coverage.geojson")
@require(Permission.REPORTS_READ)
def reports_coverage_geojson() -> Response:
    walk = _walk_m()
    category = _category()
    data = coverage_geojson(db.session(), category, walk)
    return jsonify(data)


@bp.route("/reports/coverage.csv")
@require(Permission.REPORTS_READ)
def reports_coverage_csv() -> Response:
    report = coverage_report(db.session(), _walk_m(), today=_today())
    return csv_response(COVERAGE_HEADER, coverage_table(report, current_lang()), "coverage")


@bp.route("/reports/coverage.xlsx")
@require(Permission.REPORTS_READ)
def reports_coverage_xlsx() -> Response:
    walk = _walk_m()
    report = coverage_report(db.session(), walk, today=_today())
    notes = [
        _("徒歩圏: 直線 %(m)s m 以内", m=walk),
        _("週あたり開催回数: 今後4週間の開催回数 ÷ 4"),
        _("集計日: %(d)s", d=report.as_of.isoformat()),
    ]
    return xlsx_response([(_("カバー率"), COVERAGE_HEADER, coverage_table(report, current_lang()))], "coverage", notes)


def period_presets(today: date) -> list[tuple[str, date, date]]:
    fy = fiscal_year_start(today)
    return [
        (_("今年度"), fy, today),
        (_("前年度"), date(fy.year - 1, 4, 1), fy - timedelta(days=1)),
        (_("直近90日"), today - timedelta(days=89), today),
    ]


@bp.app_template_global("report_period_presets")
def _report_period_presets() -> list[tuple[str, date, date]]:
    return period_presets(_today())
