"""Issue 21 on both databases: real-city-shaped files land whole (fixtures in
tests/fixtures/import/city), re-import changes nothing, English columns reach English pages."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.imports.service import import_file
from webapp.listings.models.activity import Activity

CITY = Path(__file__).resolve().parents[1] / "fixtures" / "import" / "city"


def _named(session: Session, name: str) -> Activity:
    return session.scalars(select(Activity).where(Activity.name == name)).one()


def test_city_facility_list_lands_whole_and_reimports_unchanged(session: Session) -> None:
    path = CITY / "koukyou_shisetsu_cp932.csv"
    report = import_file(session, "municipal-csv", path, source="koukyou")
    assert report.rejected == 0 and report.created == 6
    assert report.note_kinds == {"closure": 2, "open_all_day": 1, "conditional": 2, "seasonal": 1}
    east = _named(session, "サンプル東公民館")
    assert (east.name_en, east.contact_name, east.capacity) == ("Sample East Community Hall", "東町自治会", 30)
    assert east.description_en == "A community gathering place (sample)" and east.accessibility == []
    assert (east.cost_yen, east.cost_text) == (0, "無料")
    again = import_file(session, "municipal-csv", path, source="koukyou")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 6)


def test_english_page_uses_the_lists_english_name(client: FlaskClient, session: Session) -> None:
    import_file(session, "municipal-csv", CITY / "koukyou_shisetsu_cp932.csv", source="koukyou")
    east = _named(session, "サンプル東公民館")
    east_id = east.id
    session.commit()
    en = client.get(f"/activities/{east_id}?lang=en").get_data(as_text=True)
    assert "<h1>Sample East Community Hall</h1>" in en and "A community gathering place (sample)" in en
    ja = client.get(f"/activities/{east_id}?lang=ja").get_data(as_text=True)
    assert "Sample East Community Hall" not in ja and "地域の集いの場です" in ja
