"""`odekake import` on real-city-shaped files (issue 21): the dry-run table shows every header
guess and the note kinds; 「この一覧の種別」 from the command line is saved for the source."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.imports.cli import run

CITY = Path(__file__).resolve().parents[1] / "fixtures" / "import" / "city"



@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("city-cli")
    assert run(path, "init-db").returncode == 0
    return path


def test_dry_run_table_shows_header_guesses_and_note_kinds(instance: Path, tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    own = run(instance, "import", "municipal-csv", str(CITY / "pref_own_headers.csv"), "--source", "pref",
              "--dry-run", "--report", str(report))
    assert own.returncode == 0, own.stderr
    assert "子ども食堂 名称\t→ 名称\t推定・要確認 / guess, please check 74%" in own.stdout
    assert "経度：東経（世界測地系10進法）\t→ 経度" in own.stdout
    columns = json.loads(report.read_text(encoding="utf-8"))["columns"]
    assert sum(c["how"] == "guess" for c in columns) == 5
    notes = run(instance, "import", "municipal-csv", str(CITY / "koukyou_shisetsu_cp932.csv"), "--source", "koukyou",
                "--dry-run")
    assert notes.returncode == 0, notes.stdout
    assert "closure            2" in notes.stdout and "conditional        2" in notes.stdout
    assert "seasonal           1" in notes.stdout


def test_list_category_is_applied_and_saved_for_the_source(instance: Path, tmp_path: Path) -> None:
    path = str(CITY / "hoikusho_list.csv")
    before = run(instance, "import", "municipal-csv", path, "--source", "hoiku", "--dry-run")
    assert "unknown_category 3" in before.stdout
    first = run(instance, "import", "municipal-csv", path, "--source", "hoiku",
                "--category-value", "認可保育所=parenting", "--category-value", "小規模保育=子育てひろば")
    assert first.returncode == 0, first.stderr
    assert "unknown_category 1" in first.stdout and "保存しました" in first.stdout  # 認定こども園 not mapped
    saved = (instance / "import-sources" / "hoiku.toml").read_text(encoding="utf-8")
    assert '"認可保育所" = "parenting"' in saved and '"小規模保育" = "parenting"' in saved
    again = run(instance, "import", "municipal-csv", path, "--source", "hoiku", "--report", str(tmp_path / "r.json"))
    assert "変更なし 3" in again.stdout and "保存した" in again.stdout
    every = run(instance, "import", "municipal-csv", path, "--source", "hoiku2", "--category", "parenting", "--dry-run")
    assert "unknown_category" not in every.stdout and "新規 3" in every.stdout


def test_unknown_category_choice_is_one_line_exit_2(instance: Path) -> None:
    bad = run(instance, "import", "municipal-csv", str(CITY / "hoikusho_list.csv"), "--source", "x", "--category", "保育所らしきもの")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "保育所らしきもの" in bad.stderr
