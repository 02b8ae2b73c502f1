"""Coverage by district × category on both databases, and the public open-data page and CSV.

The expected shares are worked out by hand from circle and circular-segment areas, in metres of
the same plane (EPSG:6674) that gis.coverage uses.
"""

from __future__ import annotations

import csv
import io
import math
from datetime import date

import pytest
from flask.testing import FlaskClient
from pyproj import Transformer
from shapely.geometry import box
from sqlalchemy.orm import Session

from gis.districts import District as GisDistrict
from webapp.listings.demo import load_sample_city
from webapp.listings.districts import assign_districts, store_districts
from webapp.listings.models.activity import Activity
from webapp.listings.models.place import Place
from webapp.listings.spatial import set_location
from webapp.reports.coverage import UNASSIGNED, coverage_geojson, coverage_report

WEST = GisDistrict("T-A", "西地区", box(135.69, 34.69, 135.70, 34.70))
EAST = GisDistrict("T-B", "東地区", box(135.70, 34.69, 135.71, 34.70))
TODAY = date(2026, 12, 7)  # a Monday; the next four weeks are 12/7 … 1/3 (Mondays 7, 14, 21, 28)
WALK = 300.0


def _metres(lat: float, lon: float) -> tuple[float, float]:
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:6674", always_xy=True).transform(lon, lat)
    return float(x), float(y)


def _area_m2(d: GisDistrict) -> float:
    # The lon/lat box is a slightly skewed quadrilateral in the plane: shoelace over its corners
    # (its edges curve by well under a millimetre at this size).
    w, s, e, n = d.geometry.bounds
    pts = [_metres(lat, lon) for lat, lon in ((s, w), (s, e), (n, e), (n, w))]
    return abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(pts, pts[1:] + pts[:1], strict=True))) / 2


def _place(session: Session, key: str, lat: float | None, lon: float | None) -> Place:
    p = Place(source="test", source_id=key, name=key)
    set_location(p, lat, lon)
    session.add(p)
    session.flush()
    return p


def _activity(session: Session, key: str, category: str, place: Place | None, rrule: str | None,
              status: str = "published") -> Activity:
    a = Activity(source="test", source_id=key, name=key, category=category, place=place, status=status,
                 schedule_rrule=rrule, schedule_dtstart=date(2026, 1, 1))
    session.add(a)
    session.flush()
    return a


@pytest.fixture()
def small_city(session: Session) -> Session:
    store_districts(session, [WEST, EAST], source="test")
    centre_w = _place(session, "centre-w", 34.695, 135.695)
    near_edge_e = _place(session, "edge-e", 34.695, 135.7005)  # ≈ 46 m east of the shared edge
    outside = _place(session, "outside", 34.80, 135.80)
    _activity(session, "salon-weekly", "salon", centre_w, "FREQ=WEEKLY;BYDAY=MO")
    _activity(session, "salon-monthly", "salon", centre_w, "FREQ=MONTHLY;BYDAY=1MO")
    _activity(session, "salon-archived", "salon", centre_w, "FREQ=WEEKLY;BYDAY=TU", status="archived")
    _activity(session, "exercise-twice", "exercise", near_edge_e, "FREQ=WEEKLY;BYDAY=TU,FR")
    _activity(session, "exercise-far", "exercise", outside, "FREQ=WEEKLY;BYDAY=WE")
    _activity(session, "exercise-noplace", "exercise", None, None)
    assign_districts(session)  # as every importer does after an upsert
    return session


def test_counts_sessions_and_walk_share(small_city: Session, backend: str) -> None:
    report = coverage_report(small_city, WALK, categories=["salon", "exercise", "parenting"], today=TODAY)
    area_w, area_e = _area_m2(WEST), _area_m2(EAST)
    circle = math.pi * WALK**2

    salon_w = report.cell("T-A", "salon")
    assert salon_w.activities == 2  # archived does not count
    assert salon_w.sessions_per_week == pytest.approx((4 + 1) / 4)  # 4 Mondays + one 第1月曜 in 4 weeks
    assert salon_w.covered_share == pytest.approx(circle / area_w, rel=1e-3)
    assert report.cell("T-B", "salon").covered_share == 0.0
    assert report.cell("T-B", "salon").activities == 0

    # The exercise place is in the east district, 46 m from the edge: its 300 m circle covers a
    # circular segment of the west district without being counted there.
    x_edge, _ = _metres(34.695, 135.70)
    x_place, _ = _metres(34.695, 135.7005)
    d = x_place - x_edge
    segment = WALK**2 * math.acos(d / WALK) - d * math.sqrt(WALK**2 - d**2)
    ex_w, ex_e = report.cell("T-A", "exercise"), report.cell("T-B", "exercise")
    assert (ex_w.activities, ex_e.activities) == (0, 1)
    assert ex_e.sessions_per_week == pytest.approx(2.0)  # Tue+Fri, 8 sessions in 4 weeks
    assert ex_w.covered_share == pytest.approx(segment / area_w, rel=5e-3)
    assert ex_e.covered_share == pytest.approx((circle - segment) / area_e, rel=5e-3)
    # The far place and the place-less activity are counted apart, not dropped.
    assert report.unassigned == {"exercise": 2}
    assert report.total("exercise") == 3
    assert report.cell("T-A", "parenting").activities == 0 and report.cell("T-A", "parenting").covered_share == 0.0
    assert [d.code for d in report.gaps("salon", below=0.5)] == ["T-A", "T-B"]
    assert report.districts[0].area_km2 == pytest.approx(area_w / 1e6, rel=1e-3)


def test_wider_walk_covers_more(small_city: Session, backend: str) -> None:
    near = coverage_report(small_city, 300, categories=["salon"], today=TODAY).cell("T-A", "salon").covered_share
    far = coverage_report(small_city, 2000, categories=["salon"], today=TODAY).cell("T-A", "salon").covered_share
    assert near is not None and far == 1.0 and near < far


def test_geojson_layer_has_districts_and_uncovered_area(small_city: Session, backend: str) -> None:
    g = coverage_geojson(small_city, "salon", WALK)
    kinds = [f["properties"]["kind"] for f in g["features"]]
    assert kinds == ["district", "district", "uncovered"]
    west = g["features"][0]["properties"]
    assert west["code"] == "T-A" and west["activities"] == 2 and 0 < west["covered_share"] < 0.3
    assert g["features"][2]["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_sample_city_coverage_totals_match_published_activities(session: Session, backend: str) -> None:
    load_sample_city(session)
    report = coverage_report(session, 800)
    published = session.query(Activity).filter(Activity.status == "published").count()
    assert sum(report.total(c) for c in report.categories) == published
    assert report.unassigned == {}  # every sample place lies in a sample district
    shares = [c.covered_share for c in report.cells.values()]
    assert all(s is not None and 0.0 <= s <= 1.0 for s in shares)


# ---- public open data -------------------------------------------------------------------------


def test_open_data_page_and_csv(client: FlaskClient, small_city: Session) -> None:
    small_city.commit()
    page = client.get("/open-data/coverage")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "西地区" in body and "地区外・場所未設定" in body
    assert "<svg" in body and 'role="img"' in body
    r = client.get("/open-data/coverage.csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    raw = r.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel opens it as UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["地区コード", "地区名", "種別コード", "種別", "活動数"]
    by_key = {(row[0], row[2]): int(row[4]) for row in rows[1:]}
    assert by_key[("T-A", "salon")] == 2 and by_key[("T-B", "exercise")] == 1
    assert by_key[(UNASSIGNED, "exercise")] == 2
    assert len(rows) == 1 + 2 * 12 + 1  # 2 districts × 12 categories + the unassigned row
    en = client.get("/open-data/coverage.csv?lang=en").get_data().decode("utf-8-sig").splitlines()[0]
    assert en == "District code,District,Category code,Category,Activities"


def test_open_data_has_no_case_words(client: FlaskClient, small_city: Session) -> None:
    small_city.commit()
    body = client.get("/open-data/coverage").get_data(as_text=True)
    for word in ("対象者", "参加支援", "case_code", "Placement"):
        assert word not in body
