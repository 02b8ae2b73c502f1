"""The indicators the city reports, by stable code, each with its definition and target.

One list serves the KPI page, `GET /staff/reports/kpis.json` and the CSV/XLSX exports, so the
figures and their wording are the same everywhere. The host figures (協力企業・団体, 企画による場の設定,
new hosts agreed) come from the host register (webapp.hosts.counts). "Flow" indicators count events dated in the
period; "stock" ones describe the people open during the period. Targets come from
settings.kpi_targets (config.toml ``[kpi_targets]``) over DEFAULT_TARGETS; rates are in percent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from webapp.cases.labels import ALL_MEETING_LABELS
from webapp.cases.plan_models import MEETING_KINDS_ALL
from webapp.hosts.counts import HostCounts
from webapp.reports.kpis import SMALL, SUPPRESSED, KpiReport, Rate, suppress_count

# Targets from the city plans (seeds): 門真 50 % and 10 meetings a year; 生駒 30 meetings a year
# (12 → 30); 芦屋 the counts of its 実施計画. None: no target.
DEFAULT_TARGETS: dict[str, float] = {
    "plan_participation_rate": 50,
    "meetings_held": 30,
    "people_connected": 5,
    "partner_hosts": 5,
    "places_created": 1,
    "outside_services_connected": 5,
    "meetings_held.case_review": 6,
    "collaboration_cases": 6,
    "consultations": 10,
}
FLOW, STOCK = "flow", "stock"


@dataclass(frozen=True)
class Indicator:
    code: str
    label: str
    value: float | int | None
    numerator: int | None
    denominator: int | None
    target: float | None
    definition: str
    kind: str  # flow | stock

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code, "label": self.label, "value": self.value, "numerator": self.numerator,
            "denominator": self.denominator, "target": self.target, "definition": self.definition, "kind": self.kind,
        }  # fmt: skip


def targets(configured: Mapping[str, Any] | None = None, placement_target_pct: int | None = None) -> dict[str, float]:
    out = dict(DEFAULT_TARGETS)
    if placement_target_pct is not None:
        out["placement_rate"] = float(placement_target_pct)
    for code, value in (configured or {}).items():
        out[str(code)] = float(value)
    return out


def _rate(code: str, label: Any, rate: Rate, definition: Any, target: dict[str, float], kind: str) -> Indicator:
    return Indicator(code, str(label), rate.percent, rate.numerator, rate.denominator, target.get(code), str(definition), kind)


def _count(code: str, label: Any, n: int, definition: Any, target: dict[str, float], kind: str = FLOW) -> Indicator:
    return Indicator(code, str(label), n, n, None, target.get(code), str(definition), kind)


def indicators(r: KpiReport, target: dict[str, float], hosts: HostCounts) -> list[Indicator]:
    """Every indicator of the report and of the host register, in the order the page shows them.

    A definition says what is counted; whether it is a flow or a stock is ``kind`` (a badge on the
    page, a column in the exports), not repeated in the text."""
    rows = [
        _count("people_supported", _l("支援した人"), r.supported, _l(
            "受付日が期間の末日以前で、期間の初日より前に終結していない人。"), target, STOCK),
        _count("people_proposed", _l("打診まで進んだ人"), r.proposed, _l(
            "支援した人のうち、期間の末日までにつなぎが打診以降に進んだ人。"), target, STOCK),
        _count("consultations", _l("相談件数（受付）"), r.consultations, _l(
            "受付日が期間内のケース（すべての受付の経路）と、期間内にサイトから届いてまだケースになっていない参加の相談"
            "（芦屋: 相談件数）。ケースにした参加の相談はそのケースとして1回だけ数える。分野で絞り込むと、ケースになっていない相談は含まない。"),
            target),
        _count("consultations_site", _l("うちサイトからの参加の相談"), r.consultations_site, _l(
            "上の件数のうち、サイトの参加の相談フォームから届いたもの（ケースにしたものを含む）。"), target),
        _count("plans_made", _l("支援プランを作成した件数"), r.plans_made, _l(
            "第1版の作成日が期間内の支援プラン（見直しによる版は数えない）。"), target),
        _rate("plan_participation_rate", _l("プラン作成件数のうち参加支援につなげた割合（％）"), r.plan_participation, _l(
            "分母: 期間内に作成したプラン。分子: そのうち、プランからのつなぎが期間の末日までに打診以降に進んだもの（門真: 目標50％）。"),
            target, FLOW),
        _rate("plan_participating_rate", _l("プラン作成件数のうち参加中に至った割合（％）"), r.plan_participating, _l(
            "上の割合のより厳しい版: プランからのつなぎが期間の末日までに参加中・定着に至ったもの。"), target, FLOW),
        _count("meetings_held", _l("会議の開催回数（合計）"), r.meetings_held, _l(
            "開催日が期間内の会議（すべての種類。所属で絞り込み、分野では絞り込まない）。生駒: 重層的支援会議・支援会議 年30回、門真: 年10回。"),
            target),
    ]
    for kind in MEETING_KINDS_ALL:
        code = f"meetings_held.{kind}"
        rows.append(_count(code, _l("開催回数: %(kind)s", kind=ALL_MEETING_LABELS[kind]), r.meetings_by_kind.get(kind, 0),
                           _l("この種類の会議で開催日が期間内のもの。"), target))
    rows += [
        _count("people_connected", _l("活動参加の場につながった人数"), r.people_connected, _l(
            "初めて参加中になった日（これまでのすべてのつなぎで最初）が期間内の人。前年度に参加を始めた人は数えない。"),
            target),
        _count("outside_services_connected", _l("既存事業の対象外の人の居場所参加"), r.outside_services_connected, _l(
            "上の人数のうち、受付で「既存事業の対象外」とした人。"), target),
        _count("partner_hosts", _l("協力企業・団体（受け入れ先）"), hosts.cooperating, _l(
            "受け入れ先の台帳で、地図に載っている団体以外（協力企業・団体、事業所、農園、お寺・神社、NPOなど）のうち、"
            "期間中のいずれかの時点で「合意」または「受け入れ中」だったもの（芦屋: 協力企業・団体 5以上）。"
            "所属で絞り込むと、その所属が関わる受け入れ先。分野では絞り込まない。"), target, STOCK),
        _count("hosts_agreed", _l("新たに合意した受け入れ先"), hosts.agreed, _l(
            "受け入れ先の台帳で、初めて「合意」になった日が期間内のもの（種類を問わない）。分野では絞り込まない。"), target),
        _count("places_created", _l("企画による場の設定"), hosts.places_set_up, _l(
            "受け入れ先の台帳で、初めて「受け入れ中」になった日が期間内のもの（開拓によって新しく人を受け入れ始めた場。種類を問わない）。"
            "分野では絞り込まない。"), target),
        _count("hosts_took_in", _l("人を受け入れた受け入れ先"), r.hosts_took_in, _l(
            "期間内に同行見学・体験・参加中・定着のいずれかで人を受け入れた受け入れ先（活動または名称）の数。"),
            target),
        _count("meeting_new_places", _l("会議で決めた新しい場の設定（実施）"), r.meeting_new_places, _l(
            "会議の成果「新しい場の設定」のうち、実施日が期間内のもの。"), target),
        _count("collaboration_cases", _l("支援連携・協働ケース"), r.collaboration_cases, _l(
            "期間内に開催された会議で検討されたケース（人）の数。"), target),
        _rate("placement_rate", _l("参加支援につなげた割合（％）"), r.placement_rate, _l(
            "支援した人のうち、期間の末日までに参加中・定着に至った人。"), target, STOCK),
        Indicator("median_days_to_first_participation", str(_l("受付から初回参加までの日数（中央値）")),
                  r.median_days_to_participation, None, r.days_to_participation_n,
                  target.get("median_days_to_first_participation"),
                  str(_l("支援した人のうち期間の末日までに参加中に至った人について、受付日から最初に参加中になった日までの日数の中央値。")), STOCK),
        _rate("retention_3m_rate", _l("3か月後の定着率（％）"), r.settled_3m, _l(
            "分母: 初回参加から90日が期間の末日（または今日）までに経過した人。分子: そのうち90日後も参加中・定着の人。"),
            target, STOCK),
        _rate("followups_on_time_rate", _l("期限内に実施したフォローアップ（％）"), r.followups_on_time, _l(
            "予定日が期間内（今日まで）の本人フォローアップのうち、予定日までに実施したもの（実施日は入力された日）。見守りは含まない。"),
            target, FLOW),
        _rate("host_followups_done_rate", _l("受け入れ先フォローアップの実施（％）"), r.host_followups_done, _l(
            "予定日が期間内（今日まで）の受け入れ先フォローアップ（受け入れ先支援）のうち、今日までに実施したもの。"),
            target, FLOW),
    ]
    return rows


KIND_LABELS = {FLOW: _l("フロー"), STOCK: _l("ストック")}


def indicator_table(rows: list[Indicator], *, suppressed: bool) -> list[list[Any]]:
    """(code, label, value, numerator, denominator, target, definition, flow/stock) rows for CSV/XLSX. With
    ``suppressed`` (anything that leaves the staff side), counts of 1–4 become "<5", and so does a
    value computed from such a count."""
    out = []
    for i in rows:
        value: Any = i.value
        numerator: Any = i.numerator
        denominator: Any = i.denominator
        if suppressed:
            small = any(n is not None and 0 < n < SMALL for n in (i.numerator, i.denominator))
            value = SUPPRESSED if small and value is not None else value
            numerator = None if i.numerator is None else suppress_count(i.numerator)
            denominator = None if i.denominator is None else suppress_count(i.denominator)
        out.append([i.code, i.label, value, numerator, denominator, i.target, i.definition, str(KIND_LABELS[i.kind])])
    return out


INDICATOR_HEADER = (_l("コード"), _l("指標"), _l("値"), _l("分子"), _l("分母"), _l("目標"), _l("定義"), _l("フロー・ストック"))
