"""webapp.imports.service on both databases: upsert, re-import no-op, updates, archive, drafts,
rejected rows, one transaction per file, dry run, encodings, geocoding."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from importers import UnreadableFile
from webapp.config import Settings
from webapp.imports import service as imports
from webapp.imports.service import ImportReport, default_geocoder, import_file
from webapp.listings.models.activity import Activity
from webapp.listings.models.organization import Organization
from webapp.listings.models.place import Place

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"

HEADER = ["ID", "名称", "種別", "所在地_連結表記", "緯度", "経度", "電話番号", "開催日時", "料金", "対象", "備考"]
ROWS = [
    ["T1", "ひまわりサロン", "サロン", "奈良県生駒市東新町8-38", "34.6918", "135.7007", "0743-74-1111", "毎週火曜日 10時～11時半", "200円", "高齢者", ""],
    ["T2", "さくら百歳体操", "いきいき百歳体操", "奈良県生駒市さくら台1-2", "34.7001", "135.7102", "", "毎月第2・第4木曜日 13時30分～15時", "無料", "高齢者", ""],
    ["T3", "オレンジカフェ", "認知症カフェ", "奈良県生駒市北新町3-4", "34.7050", "135.6950", "", "第1土曜日 午前10時～正午", "100円", "", "飲み物代込み"],
]


def write_csv(path: Path, rows: list[list[str]], *, encoding: str = "utf-8", header: list[str] = HEADER) -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def counts(session: Session) -> tuple[int, int, int]:
    return (
        session.scalar(select(func.count()).select_from(Activity)) or 0,
        session.scalar(select(func.count()).select_from(Place)) or 0,
        session.scalar(select(func.count()).select_from(Organization)) or 0,
    )


def run(session: Session, path: Path, fmt: str = "municipal-csv", **kw: object) -> ImportReport:
    kw.setdefault("source", "test")
    return import_file(session, fmt, path, **kw)  # type: ignore[arg-type]


def by_id(session: Session, source_id: str, source: str = "test") -> Activity:
    return session.scalars(select(Activity).where(Activity.source == source, Activity.source_id == source_id)).one()


def test_fixture_import_reports_rejects_drafts_and_reimport_is_noop(session: Session) -> None:
    path = FIXTURES / "kayoi_utf8bom_crlf.csv"
    report = run(session, path, source="kayoi")
    assert (report.created, report.updated, report.unchanged, report.rejected) == (4, 0, 0, 1)
    assert report.exit_code == 1
    (rejection,) = report.rejections()
    assert rejection.row == 11 and rejection.column == "名称"
    assert rejection.message_ja and rejection.message_en
    draft = by_id(session, "K004", "kayoi")
    assert draft.status == "draft" and draft.extra["draft_reasons"] == ["unknown_category"]
    himawari = by_id(session, "K001", "kayoi")
    assert himawari.status == "published" and himawari.place is not None
    assert himawari.place.point is not None and himawari.contact_extension == "213"
    assert himawari.extra.get("世話人メモ") == "鍵は会長宅"
    before = counts(session)
    again = run(session, path, source="kayoi")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    assert counts(session) == before


@pytest.mark.parametrize(
    ("fmt", "name", "expected"),
    [
        ("municipal-csv", "kosodate_cp932.csv", 3),
        ("municipal-csv", "events_utf8_lf.csv", 2),
        ("kml", "ibasho_mymaps.kml", None),
        ("geojson", "dementia_cafe.geojson", None),
        ("hsds", "hsds_services.json", None),
    ],
)
def test_every_fixture_format_imports_and_reimports_unchanged(
    session: Session, fmt: str, name: str, expected: int | None
) -> None:
    report = run(session, FIXTURES / name, fmt)
    assert report.created + report.rejected == report.total_rows
    if expected is not None:
        assert report.created == expected
    again = run(session, FIXTURES / name, fmt)
    assert (again.created, again.updated) == (0, 0)
    assert again.unchanged == report.created


def test_changed_file_updates_only_changed_rows_and_archives_missing(session: Session, tmp_path: Path) -> None:
    run(session, write_csv(tmp_path / "v1.csv", ROWS))
    t2 = by_id(session, "T2")
    stamp = t2.updated_at
    changed = [list(r) for r in ROWS[:2]]
    changed[0][8] = "300円"  # T1 cost changes; T2 same; T3 gone
    v2 = write_csv(tmp_path / "v2.csv", changed)
    report = run(session, v2, archive_missing=True)
    assert (report.created, report.updated, report.unchanged, report.archived) == (0, 1, 1, 1)
    assert by_id(session, "T1").cost_yen == 300
    assert by_id(session, "T2").updated_at == stamp
    assert by_id(session, "T3").status == "archived"  # archived, never deleted
    # Without --archive-missing nothing is archived; with the row back it is restored.
    back = run(session, write_csv(tmp_path / "v3.csv", ROWS))
    assert (back.updated, back.archived) == (2, 0)
    assert by_id(session, "T3").status == "published"


def test_moved_point_and_new_place_are_updates(session: Session, tmp_path: Path) -> None:
    run(session, write_csv(tmp_path / "v1.csv", ROWS))
    moved = [list(r) for r in ROWS]
    moved[0][4] = "34.6920"
    moved[1][3] = "奈良県生駒市さくら台9-9"
    report = run(session, write_csv(tmp_path / "v2.csv", moved))
    assert (report.updated, report.unchanged) == (2, 1)
    t1 = by_id(session, "T1")
    assert t1.place is not None and t1.place.lat == pytest.approx(34.6920)
    assert by_id(session, "T2").place.address == "奈良県生駒市さくら台9-9"  # type: ignore[union-attr]


def test_bad_rows_are_reported_and_stored_rows_survive(session: Session, tmp_path: Path) -> None:
    run(session, write_csv(tmp_path / "v1.csv", ROWS))
    before = {a.source_id: (a.name, a.status, a.place_id) for a in session.scalars(select(Activity))}
    bad = [list(r) for r in ROWS]
    bad[0][1] = ""  # T1 loses its name → rejected
    bad[1][4] = "abc"  # T2 latitude not a number → rejected
    bad[2][1] = "長" * 250  # T3 name too long for the column → rejected by the loader
    report = run(session, write_csv(tmp_path / "bad.csv", bad), archive_missing=True)
    assert report.rejected == 3 and report.exit_code == 1
    where = {(i.row, i.column) for i in report.rejections()}
    assert where == {(2, "名称"), (3, "緯度"), (4, "名称")}
    assert all(i.message_ja and i.message_en for i in report.rejections())
    # rejected rows are present, not "missing": nothing archived, and every ID was readable
    assert report.archived == 0 and report.unidentified_rows == [] and not report.notes
    after = {a.source_id: (a.name, a.status, a.place_id) for a in session.scalars(select(Activity))}
    assert after == before


T4 = ["T4", "ふれあい食堂", "子ども食堂", "奈良県生駒市元町1-1", "34.6930", "135.7010", "", "", "", "", ""]


def test_archive_missing_with_rejected_rows_archives_only_rows_absent_from_the_file(
    session: Session, tmp_path: Path
) -> None:
    run(session, write_csv(tmp_path / "v1.csv", [*ROWS, T4]))
    v2 = [list(ROWS[0]), list(ROWS[1]), list(T4)]  # T3 is gone
    v2[0][4] = "abc"  # T1 present but rejected (latitude)
    v2[2][1] = "長" * 250  # T4 present but rejected by the loader (name too long)
    report = run(session, write_csv(tmp_path / "v2.csv", v2), archive_missing=True)
    assert (report.rejected, report.archived, report.unchanged) == (2, 1, 1)
    assert report.unidentified_rows == [] and not report.notes
    status = {a.source_id: a.status for a in session.scalars(select(Activity))}
    assert status == {"T1": "published", "T2": "published", "T3": "archived", "T4": "published"}
    assert by_id(session, "T1").place.lat == pytest.approx(34.6918)  # type: ignore[union-attr]


def test_archive_missing_is_skipped_and_reported_when_a_rejected_row_has_no_readable_id(
    session: Session, tmp_path: Path
) -> None:
    run(session, write_csv(tmp_path / "v1.csv", ROWS))
    v2 = [list(r) for r in ROWS[:2]]
    v2[0][0] = v2[0][1] = ""  # row 2: neither ID nor name, so it may be any listing
    report = run(session, write_csv(tmp_path / "v2.csv", v2), archive_missing=True)
    assert report.rejected == 1 and report.unidentified_rows == [2]
    assert report.archived == 0
    ((ja, en),) = report.notes
    assert "2行目" in ja and "rows 2 " in en
    assert report.to_dict()["unidentified_rows"] == [2]
    assert {a.status for a in session.scalars(select(Activity))} == {"published"}


def test_file_without_ids_rejected_row_keeps_its_listing(session: Session, tmp_path: Path) -> None:
    header = HEADER[1:]
    rows = [r[1:] for r in ROWS]
    run(session, write_csv(tmp_path / "v1.csv", rows, header=header))
    v2 = [list(r) for r in rows[:2]]
    v2[0][3] = "abc"  # first row rejected; its stable ID (name + address) is still known
    report = run(session, write_csv(tmp_path / "v2.csv", v2, header=header), archive_missing=True)
    assert (report.rejected, report.archived, report.unidentified_rows) == (1, 1, [])
    by_name = {a.name: a.status for a in session.scalars(select(Activity))}
    assert by_name == {"ひまわりサロン": "published", "さくら百歳体操": "published", "オレンジカフェ": "archived"}


def test_crash_half_way_leaves_database_as_before(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(session, write_csv(tmp_path / "v1.csv", ROWS[:1]))
    before = counts(session)
    calls = {"n": 0}
    real = imports._apply_record

    def flaky(loader, row):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk on fire")
        return real(loader, row)

    monkeypatch.setattr(imports, "BATCH_SIZE", 1)  # rows 1 and 2 are flushed before the crash
    monkeypatch.setattr(imports, "_apply_record", flaky)
    changed = [list(r) for r in ROWS]
    changed[0][1] = "ひまわりサロン（改）"
    with pytest.raises(RuntimeError, match="disk on fire"):
        run(session, write_csv(tmp_path / "v2.csv", changed))
    assert counts(session) == before
    assert by_id(session, "T1").name == "ひまわりサロン"


def test_dry_run_writes_nothing_but_counts_the_same(session: Session, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "v1.csv", ROWS)
    before = counts(session)
    dry = run(session, path, dry_run=True)
    assert (dry.created, dry.dry_run) == (3, True)
    assert counts(session) == before
    real = run(session, path)
    assert (real.created, real.updated, real.rejected) == (dry.created, dry.updated, dry.rejected)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_encodings_give_the_same_listings(session: Session, tmp_path: Path, encoding: str) -> None:
    run(session, write_csv(tmp_path / "utf8.csv", ROWS), source="enc")
    other = run(session, write_csv(tmp_path / f"{encoding}.csv", ROWS, encoding=encoding), source="enc")
    assert (other.created, other.updated, other.unchanged) == (0, 0, 3)


def test_missing_coordinates_are_geocoded_else_draft(session: Session, tmp_path: Path) -> None:
    rows = [
        ["G1", "まゆみサロン", "サロン", "奈良県生駒市真弓2丁目", "", "", "", "毎週月曜日", "", "", ""],
        ["G2", "どこかサロン", "サロン", "北海道どこか町1-1", "", "", "", "毎週月曜日", "", "", ""],
    ]
    report = run(session, write_csv(tmp_path / "g.csv", rows), geocoder=default_geocoder(replace(Settings(), instance_dir=tmp_path)))
    assert report.created == 2
    g1, g2 = by_id(session, "G1"), by_id(session, "G2")
    assert g1.status == "published" and g1.place is not None and g1.place.point is not None
    assert g1.place.geocode_level in {"gaiku", "chome", "oaza"}
    assert g2.status == "draft" and "no_location" in g2.extra["draft_reasons"]
    assert any(i.code == "geocoded" and i.row == 2 for i in report.warnings)


def test_rows_without_id_get_stable_ids(session: Session, tmp_path: Path) -> None:
    header = [h for h in HEADER if h != "ID"]
    rows = [r[1:] for r in ROWS]
    first = run(session, write_csv(tmp_path / "a.csv", rows, header=header))
    again = run(session, write_csv(tmp_path / "b.csv", list(reversed(rows)), header=header))
    assert first.created == 3 and (again.created, again.updated, again.unchanged) == (0, 0, 3)


def test_unreadable_and_unknown_format_raise_before_touching_db(session: Session, tmp_path: Path) -> None:
    junk = tmp_path / "junk.csv"
    junk.write_bytes(b"\x00\x01\x02binary")
    before = counts(session)
    with pytest.raises(UnreadableFile):
        run(session, junk)
    with pytest.raises(UnreadableFile):
        run(session, junk, "docx")
    with pytest.raises(ValueError, match="reserved"):
        run(session, write_csv(tmp_path / "x.csv", ROWS), source="manual")
    assert counts(session) == before


def test_shared_organization_and_place(session: Session, tmp_path: Path) -> None:
    header = ["ID", "名称", "種別", "主催者", "場所名称", "所在地_連結表記", "緯度", "経度"]
    rows = [
        ["S1", "朝の体操", "体操", "東新町自治会", "東新町自治会館", "奈良県生駒市東新町8-38", "34.6918", "135.7007"],
        ["S2", "午後のサロン", "サロン", "東新町自治会", "東新町自治会館", "奈良県生駒市東新町8-38", "34.6918", "135.7007"],
    ]
    report = run(session, write_csv(tmp_path / "s.csv", rows, header=header))
    assert report.created == 2
    s1, s2 = by_id(session, "S1"), by_id(session, "S2")
    assert s1.place_id == s2.place_id and s1.organization_id == s2.organization_id
    assert s1.organization is not None and s1.organization.name == "東新町自治会"


def test_xlsx_import_and_reimport(session: Session, tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["【サンプル】通いの場一覧（Excel）"])
    ws.append(HEADER)
    for row in ROWS:
        ws.append([float(v) if h in ("緯度", "経度") else v for h, v in zip(HEADER, row, strict=True)])
    path = tmp_path / "list.xlsx"
    wb.save(path)
    first = run(session, path, "xlsx")
    assert (first.created, first.rejected) == (3, 0)
    again = run(session, path, "xlsx")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    # The same rows as CSV under the same source: nothing changes.
    same = run(session, write_csv(tmp_path / "list.csv", ROWS))
    assert (same.created, same.updated) == (0, 0)


def test_imported_places_get_their_school_district(session: Session, tmp_path: Path) -> None:
    from webapp.listings.demo import SAMPLE_DISTRICTS
    from webapp.listings.districts import import_district_file

    import_district_file(session, SAMPLE_DISTRICTS, kind="school", source="sample")
    run(session, write_csv(tmp_path / "v1.csv", ROWS))
    places = [by_id(session, sid).place for sid in ("T1", "T2", "T3")]
    assert all(p is not None and p.district_id is not None for p in places)


def test_app_data_in_extra_survives_reimport_and_stays_out_of_exports(session: Session, tmp_path: Path) -> None:
    from webapp.imports.exports import export_records

    run(session, write_csv(tmp_path / "v1.csv", ROWS))
    t1 = by_id(session, "T1")
    t1.extra = {**t1.extra, "photo_ids": [7, 8]}
    session.flush()
    changed = [list(r) for r in ROWS]
    changed[0][10] = "新しい備考"
    assert run(session, write_csv(tmp_path / "v2.csv", changed)).updated == 1
    session.expire_all()
    assert by_id(session, "T1").extra["photo_ids"] == [7, 8]
    (record,) = [r for r in export_records(session, source="test") if r.source_id == "T1"]
    assert "photo_ids" not in record.extra
    assert run(session, write_csv(tmp_path / "v3.csv", changed)).updated == 0


# ── what a re-import may overwrite ─────────────────────────────────────────────────────────


def test_a_listing_archived_by_a_moderator_stays_archived_on_reimport(session: Session, tmp_path: Path) -> None:
    v1 = write_csv(tmp_path / "v1.csv", ROWS)
    run(session, v1)
    by_id(session, "T1").status = "archived"  # a moderator takes it down (the city's file does not know)
    session.flush()
    report = run(session, v1)
    assert (report.created, report.updated, report.unchanged, report.kept) == (0, 0, 2, 1)
    assert by_id(session, "T1").status == "archived"
    (issue,) = [i for i in report.warnings if i.code == "kept_archived"]
    assert issue.row == 2 and "T1" in issue.message_ja and "archived" in issue.message_en
    assert report.to_dict()["kept_rows"] == [{"row": 2, "source_id": "T1", "reason": "kept_archived", "fields": []}]
    # The city can still say "the file wins".
    forced = run(session, v1, overwrite_edits=True)
    assert (forced.updated, forced.kept) == (1, 0)
    assert by_id(session, "T1").status == "published"


def test_an_organizer_edit_since_the_last_import_is_not_overwritten(session: Session, tmp_path: Path) -> None:
    run(session, write_csv(tmp_path / "v1.csv", ROWS))
    t1 = by_id(session, "T1")
    t1.description = "毎回、季節の歌を歌います"  # the organizer keeps the listing current
    t1.contact_phone = "0743-74-2222"
    session.flush()
    v2 = [list(r) for r in ROWS]
    v2[0][8] = "300円"  # the city's file changes T1's cost …
    v2[1][8] = "100円"  # … and T2's, which nobody edited here
    report = run(session, write_csv(tmp_path / "v2.csv", v2))
    assert (report.updated, report.unchanged, report.kept) == (1, 1, 1)
    t1, t2 = by_id(session, "T1"), by_id(session, "T2")
    assert (t1.description, t1.contact_phone, t1.cost_yen) == ("毎回、季節の歌を歌います", "0743-74-2222", 200)
    assert t2.cost_yen == 100
    (kept,) = report.kept_rows
    assert kept["source_id"] == "T1" and kept["reason"] == "kept_local_edits"
    assert set(kept["fields"]) == {"説明", "電話番号", "料金_円", "料金"}
    (issue,) = [i for i in report.warnings if i.code == "kept_local_edits"]
    assert "電話番号" in issue.message_ja and "電話番号" in issue.message_en
    # The dry run says the same and writes nothing; --overwrite-edits takes the file's values.
    assert run(session, write_csv(tmp_path / "v2.csv", v2), dry_run=True).kept == 1
    forced = run(session, write_csv(tmp_path / "v2.csv", v2), overwrite_edits=True)
    assert (forced.updated, forced.kept) == (1, 0)
    assert (by_id(session, "T1").contact_phone, by_id(session, "T1").cost_yen) == ("0743-74-1111", 300)
    # Now the file's version is the import's again: the next change applies normally.
    v2[0][8] = "無料"
    assert run(session, write_csv(tmp_path / "v3.csv", v2)).updated == 1
    assert by_id(session, "T1").cost_yen == 0


def test_app_data_in_extra_is_not_an_edit(session: Session, tmp_path: Path) -> None:
    run(session, write_csv(tmp_path / "v1.csv", ROWS))
    t1 = by_id(session, "T1")
    t1.extra = {**t1.extra, "photo_ids": [3, 4]}  # photos added by the organizer
    session.flush()
    v2 = [list(r) for r in ROWS]
    v2[0][8] = "300円"
    report = run(session, write_csv(tmp_path / "v2.csv", v2))
    assert (report.updated, report.kept) == (1, 0)
    assert by_id(session, "T1").extra["photo_ids"] == [3, 4]


def test_a_draft_published_by_a_moderator_is_not_demoted(session: Session, tmp_path: Path) -> None:
    rows = [list(r) for r in ROWS]
    rows[2][2] = "なぞの集まり"  # unknown 種別 → the import keeps it as a draft
    path = write_csv(tmp_path / "v1.csv", rows)
    run(session, path)
    t3 = by_id(session, "T3")
    assert t3.status == "draft"
    t3.status, t3.category = "published", "dementia_cafe"  # the moderator reviewed and published it
    session.flush()
    report = run(session, path)
    assert by_id(session, "T3").status == "published"
    assert report.kept == 1 and report.kept_rows[0]["fields"] == ["種別"]


def test_an_edit_approved_through_moderation_survives_the_next_import(
    app: Any, session: Session, make_user: Any, tmp_path: Path
) -> None:
    """The real path: the organizer edits the imported listing, a moderator approves it, the
    city re-imports its unchanged file."""
    from webapp.listings import organizer as listings

    path = write_csv(tmp_path / "v1.csv", [[*r, "ひまわりの会"] for r in ROWS], header=[*HEADER, "主催者"])
    run(session, path)
    org = by_id(session, "T1").organization
    assert org is not None
    user = make_user("himawari@example.org", "organizer")
    listings.add_member(session, user, org)
    moderator = make_user("mod@example.org", "moderator")
    settings = app.extensions["odekake_settings"]
    revision = listings.editable_revision(session, user, by_id(session, "T1"))
    data = dict(revision.data)
    data["description"] = "季節の歌を歌います。お茶もあります"
    listings.save_draft(session, user, revision, data)
    listings.submit(session, settings, user, revision)
    listings.approve(session, settings, revision, moderator)
    assert by_id(session, "T1").description == "季節の歌を歌います。お茶もあります"

    report = run(session, path)
    assert (report.updated, report.kept) == (0, 1)
    assert "説明" in report.kept_rows[0]["fields"]
    assert by_id(session, "T1").description == "季節の歌を歌います。お茶もあります"


def test_a_service_the_file_says_has_ended_is_archived_even_after_moderation(session: Session, tmp_path: Path) -> None:
    header = [*HEADER, "掲載状態"]
    run(session, write_csv(tmp_path / "v1.csv", [[*r, ""] for r in ROWS], header=header))
    by_id(session, "T1").import_status = None  # as if a moderator had set its status
    session.flush()
    ended = [[*r, "休止中" if r[0] == "T1" else ""] for r in ROWS]
    report = run(session, write_csv(tmp_path / "v2.csv", ended, header=header))
    assert (report.updated, report.kept) == (1, 0)
    assert by_id(session, "T1").status == "archived"
    assert [i.code for i in report.warnings] == ["not_active"]
