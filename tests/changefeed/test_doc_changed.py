"""change_log.doc_changed: an UPDATE that changes none of the columns search documents are made of
is logged false, and no node re-reads the row for it (a re-import that brings only new phone
numbers); every document column, and INSERT and DELETE, log true. SpatiaLite and PostGIS."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Table, delete, select, update
from sqlalchemy.orm import Session

from tests.factories import make_activity
from webapp.changefeed.models import DOC_COLUMNS, ChangeLog
from webapp.changefeed.tailer import Position, catch_up, latest_id
from webapp.listings.models.activity import Activity
from webapp.listings.models.organization import Organization
from webapp.listings.models.place import District, Place
from webapp.search import sync
from webapp.search.index import SearchIndex

TABLES: dict[str, Table] = {
    "activity": Activity.__table__, "place": Place.__table__,
    "organization": Organization.__table__, "district": District.__table__,
}  # fmt: skip


def _logged(session: Session, since: int) -> list[tuple[str, int, bool]]:
    session.flush()
    rows = session.execute(
        select(ChangeLog.kind, ChangeLog.row_id, ChangeLog.doc_changed).where(ChangeLog.id > since).order_by(ChangeLog.id)
    ).all()
    return [(r.kind, r.row_id, bool(r.doc_changed)) for r in rows]


def test_doc_columns_are_what_the_index_reads() -> None:
    """A column added to the documents (sync's query) must be in DOC_COLUMNS and its triggers."""
    query = sync._published_query()
    read: dict[str, set[str]] = {}
    for column in query.selected_columns:
        base = getattr(column, "element", column)  # a label's column
        read.setdefault(base.table.name, set()).add(base.name)
    read["activity"].add("status")  # which activities are indexed at all (the query's WHERE)
    for names in read.values():
        names.discard("id")  # never changes; the SQLite triggers compare it anyway
    assert read == {table: set(columns) for table, columns in DOC_COLUMNS.items()}


def _other_place(session: Session) -> tuple[int, int, int]:
    district = District(code="dc-2", name="別の校区", name_kana="ベツノコウク")
    org = Organization(source="test", source_id="dc-org-2", name="別の会")
    other = make_activity(session, "dc-other", 34.70, 135.71)
    session.add_all([district, org])
    session.flush()
    assert other.place_id is not None
    return other.place_id, org.id, district.id


def _new_values(place_id: int, org_id: int, district_id: int) -> dict[str, dict[str, Any]]:
    """A different value for every document column (a column without one fails the test below)."""
    return {
        "activity": {
            "status": "draft", "name": "名前を変えた会", "name_kana": "ナマエヲカエタカイ", "description": "説明を変えた",
            "category": "exercise", "category_text": "体操", "audiences": ["elderly"], "tags": ["walking"],
            "cost_yen": 300, "schedule_rrule": "FREQ=WEEKLY;BYDAY=WE", "start_time": time(9, 30),
            "end_time": time(11), "schedule_dtstart": date(2026, 4, 1), "schedule_exdates": ["2026-12-29"],
            "schedule_rdates": ["2026-12-30"], "skip_holidays": True, "place_id": place_id, "organization_id": org_id,
            "schedule_yearly_exclusions": ["12-29/01-03"],
        },
        "place": {"name": "新会館", "name_kana": "シンカイカン", "address": "奈良県生駒市元町1-1", "lat": 34.6901,
                  "lon": 135.7002, "district_id": district_id},
        "organization": {"name": "改名した会", "name_kana": "カイメイシタカイ"},
        "district": {"name": "改名した校区", "name_kana": "カイメイシタコウク"},
    }  # fmt: skip


def test_each_document_column_logs_true_other_columns_false(session: Session) -> None:
    activity = make_activity(session, "dc-1", 34.69, 135.70, name="元の名前の会")
    assert activity.place is not None
    org = Organization(source="test", source_id="dc-org", name="元の会")
    district = District(code="dc-1", name="元の校区")
    session.add_all([org, district])
    session.flush()
    activity.organization_id = org.id
    activity.place.district_id = district.id
    session.flush()
    ids = {"activity": activity.id, "place": activity.place.id, "organization": org.id, "district": district.id}
    values = _new_values(*_other_place(session))

    for kind, columns in DOC_COLUMNS.items():
        table = TABLES[kind]
        for column in columns:
            mark = latest_id(session)
            session.execute(update(table).where(table.c.id == ids[kind]).values({column: values[kind][column]}))
            assert _logged(session, mark) == [(kind, ids[kind], True)], f"{kind}.{column}"

    not_in_documents = {
        "activity": {"contact_phone": "0743-00-0000", "url": "https://example.jp/x", "notes": "備考",
                     "cost_text": "300円", "name_en": "Renamed club"},
        "place": {"postcode": "630-0000", "accessibility": ["wheelchair"]},
        "organization": {"phone": "0743-11-1111", "url": "https://example.jp/o"},
        "district": {"kind": "community"},
    }  # fmt: skip
    for kind, changes in not_in_documents.items():
        table = TABLES[kind]
        mark = latest_id(session)
        session.execute(update(table).where(table.c.id == ids[kind]).values(changes))
        assert _logged(session, mark) == [(kind, ids[kind], False)], kind

    # One statement over several rows: each row says for itself.
    other = make_activity(session, "dc-3", 34.69, 135.70, name="三つ目の会")
    mark = latest_id(session)
    a = Activity.__table__
    session.execute(
        update(a).where(a.c.id.in_([activity.id, other.id]))
        .values(name=a.c.name, contact_phone="0743-22-2222")  # the same name written again
    )  # fmt: skip
    assert sorted(_logged(session, mark)) == [("activity", activity.id, False), ("activity", other.id, False)]
    mark = latest_id(session)
    session.execute(update(a).where(a.c.id == other.id).values(name="三つ目の会（改）"))
    session.execute(delete(a).where(a.c.id == activity.id))
    assert _logged(session, mark) == [("activity", other.id, True), ("activity", activity.id, True)]


def test_the_tailer_reads_only_rows_whose_documents_may_have_changed(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = make_activity(session, "dc-t1", 34.69, 135.70, name="かわせみ体操")
    second = make_activity(session, "dc-t2", 34.69, 135.70, name="みさご体操")
    index = SearchIndex(tmp_path / "index")
    sync.rebuild(session, index)
    pos = Position(latest_id(session))

    # Phone numbers of every listing: rows rewritten, no document changed.
    read: list[set[int]] = []
    real = sync._published

    def spy(s: Session, ids: Any = None) -> Any:
        read.append(set(ids or ()))
        return real(s, ids)

    a = Activity.__table__
    session.execute(update(a).where(a.c.id.in_([first.id, second.id])).values(contact_phone="0743-99-9999"))
    monkeypatch.setattr(sync, "_published", spy)
    pos, step = catch_up(session, index, pos)
    assert (step.rows, step.skipped, step.documents) == (2, 2, 0) and read == []

    # A rename among them is applied (and only its row read).
    session.execute(update(a).where(a.c.id == second.id).values(name="つぐみ体操", url="https://example.jp/t"))
    session.execute(update(a).where(a.c.id == first.id).values(url="https://example.jp/k"))
    pos, step = catch_up(session, index, pos)
    monkeypatch.undo()
    assert (step.rows, step.skipped, step.documents) == (2, 1, 1) and read == [{second.id}]
    assert set(index.match([["つぐみ"]])) == {second.id}
    assert sync.check(session, index).clean
