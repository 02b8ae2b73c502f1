"""Every path that changes a listing, place, organization or district writes change_log in the
same transaction (triggers: nothing to forget), on SpatiaLite and PostGIS."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from tests.factories import make_activity
from webapp.changefeed.models import ChangeLog
from webapp.imports.service import import_file
from webapp.listings.models.activity import Activity
from webapp.listings.models.organization import Organization
from webapp.listings.models.place import District, Place

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"


def _since(session: Session, last: int) -> list[tuple[str, int]]:
    session.flush()
    rows = session.execute(
        select(ChangeLog.kind, ChangeLog.row_id).where(ChangeLog.id > last).order_by(ChangeLog.id)
    ).all()
    return [(r.kind, r.row_id) for r in rows]


def _last(session: Session) -> int:
    session.flush()
    return int(session.scalar(select(ChangeLog.id).order_by(ChangeLog.id.desc()).limit(1)) or 0)


def test_orm_insert_update_delete_of_each_model_is_logged(session: Session) -> None:
    start = _last(session)
    activity = make_activity(session, "cl-1", 34.69, 135.70, name="ログ確認サロン")
    assert ("activity", activity.id) in _since(session, start)
    assert ("place", activity.place_id) in _since(session, start)

    for obj, kind in ((activity, "activity"), (activity.place, "place")):
        mark = _last(session)
        obj.name = obj.name + "（改）"
        assert _since(session, mark) == [(kind, obj.id)]

    mark = _last(session)
    org = Organization(source="test", source_id="org-cl", name="ログ確認の会")
    session.add(org)
    assert _since(session, mark) == [("organization", org.id)]
    mark = _last(session)
    org.name_kana = "ログカクニンノカイ"
    assert _since(session, mark) == [("organization", org.id)]

    mark = _last(session)
    district = District(code="cl-d", name="ログ確認地区", name_kana="ログカクニンチク")
    session.add(district)
    assert _since(session, mark) == [("district", district.id)]
    mark = _last(session)
    district.name = "ログ確認地区二"
    assert _since(session, mark) == [("district", district.id)]

    mark = _last(session)
    activity_id = activity.id
    session.delete(activity)
    assert ("activity", activity_id) in _since(session, mark)


def test_core_statements_are_logged_too(session: Session) -> None:
    """Imports write with Core executemany; a hand-written UPDATE is logged just the same."""
    mark = _last(session)
    session.execute(
        insert(Organization.__table__),
        [{"source": "core", "source_id": f"o{i}", "name": f"団体{i}", "name_kana": "", "kind": "other",
          "phone": "", "email": "", "url": "", "trusted": False} for i in range(3)],
    )  # fmt: skip
    ids = list(session.scalars(select(Organization.id).where(Organization.source == "core").order_by(Organization.id)))
    assert sorted(r for k, r in _since(session, mark) if k == "organization") == ids

    mark = _last(session)
    session.execute(update(Organization).where(Organization.source == "core").values(url="https://example.jp/"))
    assert sorted(_since(session, mark)) == [("organization", i) for i in ids]

    mark = _last(session)
    session.execute(delete(Organization).where(Organization.source == "core"))
    assert sorted(_since(session, mark)) == [("organization", i) for i in ids]


def test_an_import_logs_every_row_it_writes(session: Session) -> None:
    mark = _last(session)
    report = import_file(session, "municipal-csv", FIXTURES / "kayoi_utf8bom_crlf.csv", source="cl-import")
    assert report.created > 0
    logged = _since(session, mark)
    activity_ids = set(session.scalars(select(Activity.id).where(Activity.source == "cl-import")))
    place_ids = set(session.scalars(select(Place.id).where(Place.source == "cl-import")))
    assert activity_ids and activity_ids <= {r for k, r in logged if k == "activity"}
    assert place_ids <= {r for k, r in logged if k == "place"}


def test_a_rolled_back_change_leaves_no_log_row(session: Session) -> None:
    mark = _last(session)
    nested = session.begin_nested()
    make_activity(session, "cl-rb", 34.69, 135.70)
    assert _since(session, mark)
    nested.rollback()
    assert _since(session, mark) == []
