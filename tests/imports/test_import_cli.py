"""`odekake import` / `odekake export` as real processes on a fresh embedded database: exit codes,
one-line errors, the printed and JSON report, dry run, and export → import → export on fresh DBs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.imports.cli import run

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"



@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("import-cli")
    assert run(path, "init-db").returncode == 0
    return path


def one_line_error(r: subprocess.CompletedProcess[str]) -> None:
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr, r.stderr


def test_import_exit_codes_report_and_reimport(instance: Path, tmp_path: Path) -> None:
    clean = run(instance, "import", "municipal-csv", str(FIXTURES / "kosodate_cp932.csv"), "--source", "kosodate")
    assert clean.returncode == 0, clean.stderr
    assert "created 3" in clean.stdout and "新規 3" in clean.stdout

    report_path = tmp_path / "report.json"
    messy = run(instance, "import", "municipal-csv", str(FIXTURES / "kayoi_utf8bom_crlf.csv"),
                "--source", "kayoi", "--report", str(report_path))
    assert messy.returncode == 1, messy.stderr
    assert "row 11\t名称\t11行目「名称」: 名称がありません\tRow 11, column 名称: name is missing" in messy.stdout
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["counts"] == {"created": 4, "updated": 0, "unchanged": 0, "archived": 0, "rejected": 1, "kept": 0}
    (rejected,) = report["rejected_rows"]
    assert (rejected["row"], rejected["column"]) == (11, "名称")
    assert rejected["message_ja"] and rejected["message_en"]
    assert any(i["code"] == "unknown_category" for i in report["issues"])

    again = run(instance, "import", "municipal-csv", str(FIXTURES / "kayoi_utf8bom_crlf.csv"), "--source", "kayoi")
    assert again.returncode == 1  # the same row is still rejected
    assert "created 0, updated 0, unchanged 4" in again.stdout


def test_mapping_file_and_dry_run(instance: Path) -> None:
    args = ["import", "municipal-csv", str(FIXTURES / "own_columns.csv"), "--source", "own",
            "--map", str(FIXTURES / "own_columns_mapping.toml")]
    dry = run(instance, *args, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "dry run" in dry.stdout and "created 1" in dry.stdout
    real = run(instance, *args)
    assert "created 1" in real.stdout  # the dry run wrote nothing


def test_unreadable_unknown_and_bad_options_exit_2(instance: Path, tmp_path: Path) -> None:
    junk = tmp_path / "junk.csv"
    junk.write_bytes(b"\x00\x01binary\x00")
    nohead = tmp_path / "nohead.csv"
    nohead.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    badmap = tmp_path / "map.toml"
    badmap.write_text("[columns]\n所在 = \"何か\"\n", encoding="utf-8")
    cases = [
        ("import", "municipal-csv", str(junk)),
        ("import", "municipal-csv", str(nohead)),
        ("import", "municipal-csv", str(tmp_path / "missing.csv")),
        ("import", "docx", str(nohead)),
        ("import", "municipal-csv", str(FIXTURES / "own_columns.csv"), "--map", str(badmap)),
        ("import", "municipal-csv", str(nohead), "--source", "manual"),
        ("export", "pdf", str(tmp_path / "x.pdf")),
    ]
    for args in cases:
        r = run(instance, *args)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        one_line_error(r)


def test_export_import_export_on_fresh_databases(tmp_path: Path) -> None:
    first_db, second_db = tmp_path / "a", tmp_path / "b"
    for db in (first_db, second_db):
        assert run(db, "init-db").returncode == 0
    assert run(first_db, "load-demo").returncode == 0
    for fmt, name in (("municipal-csv", "city.csv"), ("geojson", "city.geojson")):
        one, two = tmp_path / f"1-{name}", tmp_path / f"2-{name}"
        r = run(first_db, "export", fmt, str(one))
        assert r.returncode == 0, r.stderr
        imported = run(second_db, "import", fmt, str(one), "--source", "sample")
        assert imported.returncode == 0, imported.stderr
        assert run(second_db, "export", fmt, str(two)).returncode == 0
        assert two.read_bytes() == one.read_bytes()
        again = run(second_db, "import", fmt, str(one), "--source", "sample")
        assert "created 0, updated 0" in again.stdout, again.stdout
    assert (tmp_path / "1-city.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_reimport_keeps_a_moderators_archive_unless_told_to_overwrite(instance: Path, tmp_path: Path) -> None:
    import sqlite3

    args = ["import", "municipal-csv", str(FIXTURES / "kosodate_cp932.csv"), "--source", "kept-cli"]
    assert run(instance, *args).returncode == 0
    with sqlite3.connect(instance / "odekake.sqlite3") as conn:  # a moderator archives one listing
        (sid,) = conn.execute("SELECT min(source_id) FROM activity WHERE source = 'kept-cli'").fetchone()
        conn.execute("UPDATE activity SET status = 'archived' WHERE source = 'kept-cli' AND source_id = ?", (sid,))
    report_path = tmp_path / "kept.json"
    kept = run(instance, *args, "--report", str(report_path))
    assert kept.returncode == 0, kept.stderr
    assert "kept 1" in kept.stdout and "変更を保持 1" in kept.stdout and "kept_archived 1" in kept.stdout
    assert json.loads(report_path.read_text(encoding="utf-8"))["kept_rows"][0]["source_id"] == sid
    forced = run(instance, *args, "--overwrite-edits")
    assert "updated 1" in forced.stdout and "kept 0" in forced.stdout
    with sqlite3.connect(instance / "odekake.sqlite3") as conn:
        (status,) = conn.execute(
            "SELECT status FROM activity WHERE source = 'kept-cli' AND source_id = ?", (sid,)
        ).fetchone()
    assert status == "published"


def test_a_large_file_uses_worker_processes_and_leaves_db_and_index_in_step(tmp_path: Path) -> None:
    """2,500 rows: read and indexed by forked workers in the real command; then 0 drift, and a
    re-import changes nothing."""
    from importers.parallel import MIN_ITEMS

    instance = tmp_path / "instance"
    assert run(instance, "init-db").returncode == 0
    rows = MIN_ITEMS + 500
    lines = ["ID,名称,種別,所在地_連結表記,緯度,経度,開催日時"]
    for i in range(rows):
        bad = i == 1234
        lines.append(f"L{i},{'' if bad else f'ふれあいサロン{i}'},ふれあい・いきいきサロン,奈良県生駒市東新町{i % 40}-{i % 7},"
                     f"{34.65 + i * 1e-5:.6f},135.70,毎週{'月火水木金'[i % 5]}曜日 10時～11時半")
    path = tmp_path / "large.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp932"))
    first = run(instance, "import", "municipal-csv", str(path), "--source", "large")
    assert first.returncode == 1, first.stderr  # one row has no name
    assert f"created {rows - 1}" in first.stdout and "row 1236\t名称" in first.stdout
    check = run(instance, "reindex", "--check")
    assert check.returncode == 0, check.stderr
    assert f"checked {rows - 1} published activities: 0 missing, 0 stale, 0 extra" in check.stdout
    again = run(instance, "import", "municipal-csv", str(path), "--source", "large")
    assert f"created 0, updated 0, unchanged {rows - 1}" in again.stdout
