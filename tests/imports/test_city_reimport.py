"""Re-importing a city's list after upgrading (issue 21's leftovers), on both databases:

* listings imported under the earlier ID scheme (name + address only, for files without an ID
  column) are found again and take the current ID — no duplicate, nothing withdrawn;
* 年末年始 is a yearly rule, so a re-import after New Year changes nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import importers.build
from importers import stable_id
from webapp.imports.service import import_file
from webapp.listings.models.activity import Activity

CITY = Path(__file__).resolve().parents[1] / "fixtures" / "import" / "city"
KOUKYOU = CITY / "koukyou_shisetsu_cp932.csv"
MYMAPS = CITY / "mymaps_three_pins.kml"


def _listings(session: Session, source: str) -> dict[str, Activity]:
    session.expire_all()
    return {a.source_id: a for a in session.scalars(select(Activity).where(Activity.source == source))}


def _import_under_the_old_scheme(monkeypatch: pytest.MonkeyPatch, session: Session, fmt: str, path: Path, source: str) -> Any:
    """As imports did before rows of one name + address got IDs of their own: the first such row
    took the name + address ID and the others were rejected as duplicate IDs."""
    with monkeypatch.context() as m:
        m.setattr(importers.build, "_distinguish_generated_ids", lambda rows, built: built)
        return import_file(session, fmt, path, source=source)


def test_a_list_imported_under_the_old_id_scheme_reimports_without_duplicates(
    monkeypatch: pytest.MonkeyPatch, session: Session
) -> None:
    old = _import_under_the_old_scheme(monkeypatch, session, "municipal-csv", KOUKYOU, "koukyou")
    # Rows 4 and 5 are one facility under two 種別: the old scheme kept row 4 and lost row 5.
    assert (old.created, old.rejected) == (5, 1)
    before = _listings(session, "koukyou")
    legacy = stable_id("サンプル北子育てひろば", "奈良県架空市北町4-4")
    assert before[legacy].category_text == "子育てひろば"
    kept_pk = before[legacy].id

    report = import_file(session, "municipal-csv", KOUKYOU, source="koukyou", archive_missing=True)
    # The listing of row 4 is found under its old ID and takes the new one; row 5 is new (it was lost).
    assert (report.created, report.updated, report.unchanged, report.archived, report.rejected) == (1, 0, 5, 0, 0)
    assert report.ids_carried_over == 1 and report.to_dict()["ids_carried_over"] == 1
    (ja, en), = report.notes
    assert "1件" in ja and "1 listing" in en
    after = _listings(session, "koukyou")
    assert legacy not in after and len(after) == 6
    north = [a for a in after.values() if a.name == "サンプル北子育てひろば"]
    assert sorted(a.category_text for a in north) == ["子育てひろば", "居場所"]
    (carried,) = [a for a in north if a.id == kept_pk]
    assert carried.category_text == "子育てひろば" and carried.status == "published"
    # And from now on it is an ordinary listing under its ID.
    again = import_file(session, "municipal-csv", KOUKYOU, source="koukyou", archive_missing=True)
    assert (again.created, again.updated, again.unchanged, again.archived, again.ids_carried_over) == (0, 0, 6, 0, 0)


def test_my_maps_pins_find_the_listing_of_the_pin_it_was_even_in_another_order(
    monkeypatch: pytest.MonkeyPatch, session: Session, tmp_path: Path
) -> None:
    old = _import_under_the_old_scheme(monkeypatch, session, "kml", MYMAPS, "mymaps")
    assert (old.created, old.rejected) == (1, 2)
    (first,) = _listings(session, "mymaps").values()
    assert first.place is not None and (first.place.lat, first.place.lon) == (34.6901, 135.7001)
    pk = first.id
    # The city moves the first pin to the end of its layer: the listing goes with its pin.
    text = MYMAPS.read_text(encoding="utf-8")
    pins = [line for line in text.splitlines(keepends=True) if "<Placemark>" in line]
    reordered = text.replace("".join(pins), "".join([*pins[1:], pins[0]]))
    assert reordered != text
    path = tmp_path / "mymaps.kml"
    path.write_text(reordered, encoding="utf-8")
    report = import_file(session, "kml", path, source="mymaps", archive_missing=True)
    assert (report.created, report.updated, report.unchanged, report.archived, report.ids_carried_over) == (2, 0, 1, 0, 1)
    same = session.get(Activity, pk)
    assert same is not None and same.place is not None and (same.place.lat, same.place.lon) == (34.6901, 135.7001)
    assert "第1月曜日" in same.description


def test_a_dry_run_counts_the_carry_over_and_writes_nothing(monkeypatch: pytest.MonkeyPatch, session: Session) -> None:
    _import_under_the_old_scheme(monkeypatch, session, "municipal-csv", KOUKYOU, "koukyou")
    before = set(_listings(session, "koukyou"))
    dry = import_file(session, "municipal-csv", KOUKYOU, source="koukyou", dry_run=True, archive_missing=True)
    assert (dry.created, dry.unchanged, dry.archived, dry.ids_carried_over) == (1, 5, 0, 1)
    assert set(_listings(session, "koukyou")) == before


def test_a_row_left_alone_with_its_name_keeps_its_listing(session: Session, tmp_path: Path) -> None:
    first = import_file(session, "municipal-csv", KOUKYOU, source="koukyou")
    assert first.created == 6
    north_pk = {a.category_text: a.id for a in _listings(session, "koukyou").values() if a.name == "サンプル北子育てひろば"}
    # The city drops the 居場所 row: the 子育てひろば row is alone with its name + address again
    # and gets the plain ID; its listing is found under the ID it had.
    lines = KOUKYOU.read_bytes().decode("cp932").splitlines(keepends=True)
    path = tmp_path / "koukyou.csv"
    path.write_bytes("".join(line for line in lines if not line.startswith("292095,5,")).encode("cp932"))
    report = import_file(session, "municipal-csv", path, source="koukyou", archive_missing=True)
    assert (report.created, report.updated, report.unchanged, report.archived, report.ids_carried_over) == (0, 0, 5, 1, 1)
    after = _listings(session, "koukyou")
    plain = after[stable_id("サンプル北子育てひろば", "奈良県架空市北町4-4")]
    assert plain.id == north_pk["子育てひろば"] and plain.status == "published"
    assert session.get(Activity, north_pk["居場所"]).status == "archived"  # type: ignore[union-attr]


def test_a_row_with_an_id_column_never_takes_another_listing(session: Session, tmp_path: Path) -> None:
    # An ID the file gives is the file's word: a new ID is a new listing, whatever was stored.
    path = tmp_path / "ids.csv"
    header = "ID,名称,種別,所在地_連結表記,緯度,経度\n"
    path.write_text(header + "A1,サンプル集会所,サロン,奈良県架空市東町1-1,34.69,135.70\n", encoding="utf-8")
    import_file(session, "municipal-csv", path, source="ids")
    path.write_text(header + "A2,サンプル集会所,サロン,奈良県架空市東町1-1,34.69,135.70\n", encoding="utf-8")
    report = import_file(session, "municipal-csv", path, source="ids")
    assert (report.created, report.unchanged, report.ids_carried_over) == (1, 0, 0)
    assert set(_listings(session, "ids")) == {"A1", "A2"}


# ── 年末年始 ─────────────────────────────────────────────────────────────────────────────────


def test_year_end_reimport_after_new_year_changes_nothing(clock: Any, session: Session) -> None:
    clock.set(datetime(2026, 12, 4, 20, 30, tzinfo=UTC))  # 5 Dec 2026 in Japan
    first = import_file(session, "municipal-csv", KOUKYOU, source="koukyou")
    assert first.created == 6
    east = next(a for a in _listings(session, "koukyou").values() if a.name == "サンプル東公民館")
    # 「年末年始休館」 is stored as the yearly rule, not as the dates of the years around the import.
    assert east.schedule_yearly_exclusions == ["12-29/01-03"] and east.schedule_exdates == []
    assert not east.schedule_needs_review
    clock.set(datetime(2027, 1, 5, 1, 0, tzinfo=UTC))  # after New Year
    again = import_file(session, "municipal-csv", KOUKYOU, source="koukyou")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 6)
    clock.set(datetime(2031, 6, 1, 3, 0, tzinfo=UTC))  # years later
    later = import_file(session, "municipal-csv", KOUKYOU, source="koukyou")
    assert (later.created, later.updated, later.unchanged) == (0, 0, 6)
    # … and the listing is still closed at every New Year.
    from schedule import occurrence_dates

    days = occurrence_dates(east.schedule, date(2034, 12, 27), date(2035, 1, 5))
    assert date(2034, 12, 28) in days and date(2035, 1, 4) in days
    assert not [d for d in days if date(2034, 12, 29) <= d <= date(2035, 1, 3)]


def test_an_organizer_edit_keeps_the_year_end_closure(app: Any, session: Session, make_user: Any) -> None:
    from webapp.listings import organizer as listings
    from webapp.listings.models.organization import Organization

    import_file(session, "municipal-csv", KOUKYOU, source="koukyou")
    east = next(a for a in _listings(session, "koukyou").values() if a.name == "サンプル東公民館")
    user = make_user("east@example.org", "organizer")
    org = Organization(source="manual", source_id="east", name="東町自治会")
    session.add(org)
    session.flush()
    east.organization_id = org.id
    session.flush()
    listings.add_member(session, user, org)
    revision = listings.editable_revision(session, user, east)
    assert revision.data["schedule"]["year_end"] is True  # the form shows the box ticked
    data = dict(revision.data)
    data["description"] = "地域の集いの場です。お茶もあります"
    data["audiences"] = ["everyone"]  # the form asks for one; the city list had none
    listings.save_draft(session, user, revision, data)
    settings = app.extensions["odekake_settings"]
    listings.submit(session, settings, user, revision)
    listings.approve(session, settings, revision, make_user("mod@example.org", "moderator"))
    session.expire_all()
    east = session.get(Activity, east.id)
    assert east is not None and east.description == "地域の集いの場です。お茶もあります"
    assert east.schedule_yearly_exclusions == ["12-29/01-03"]
