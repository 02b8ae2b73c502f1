"""F10: drift between the search index and the database is repaired without a person noticing.

* `odekake reindex --check` exits 1 when it found (and repaired) drift, 0 when the index was in step;
  `make run` (the Makefile's db target) still goes on after a repair.
* An import killed between its commit and its index update leaves a mark; the next import
  reconciles the index (no `reindex` by hand).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import run
from webapp.config import PROJECT_ROOT
from webapp.search.index import SearchIndex

FIXTURES = Path(__file__).parents[1] / "fixtures" / "import"
CLEAN = "0 missing, 0 stale, 0 extra"

# The import command in a process that dies (as under kill -9) right after its commit, before the
# search index is updated.
KILLED_AFTER_COMMIT = """
import os, sys
import webapp.search.sync as sync
sync.index_activities = lambda *a, **k: os._exit(9)
from webapp.commands import main
sys.argv = ["odekake", *sys.argv[1:]]
main()
"""


def _ready(instance: Path) -> int:
    """A fresh instance with the sample city, indexed; returns how many listings are published."""
    for args in (("init-db",), ("load-demo",), ("reindex", "--quiet")):
        done = run(instance, *args)
        assert done.returncode == 0, done.stderr
    indexed = re.search(r"indexed (\d+) published", done.stdout)
    assert indexed, done.stdout
    return int(indexed.group(1))


def test_reindex_check_exits_1_when_it_repaired_drift_and_0_when_clean(tmp_path: Path) -> None:
    instance = tmp_path / "inst"
    _ready(instance)
    clean = run(instance, "reindex", "--check", "--quiet")
    assert clean.returncode == 0 and CLEAN in clean.stdout, clean.stdout + clean.stderr

    index = SearchIndex(instance / "index")
    victim = sorted(index.stored())[0]
    with index.writer() as w:
        w.delete_by_term("id", str(victim))
    found = run(instance, "reindex", "--check", "--quiet")
    assert found.returncode == 1, found.stdout + found.stderr
    assert "1 missing" in found.stdout and "repaired 1 documents" in found.stdout
    again = run(instance, "reindex", "--check", "--quiet")
    assert again.returncode == 0 and CLEAN in again.stdout


def _db_target_reindex_line() -> str:
    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    target = makefile.split("\ndb:", 1)[1].split("\n\n", 1)[0]
    line = next(line.strip() for line in target.splitlines() if "reindex --check" in line)
    return line.replace("$$", "$")


def test_make_db_target_goes_on_after_a_repair_but_not_after_an_error(tmp_path: Path) -> None:
    line = _db_target_reindex_line()
    for code, make_goes_on in ((0, True), (1, True), (2, False)):
        fake = tmp_path / "odekake"
        fake.write_text(f"#!/bin/sh\nexit {code}\n", encoding="utf-8")
        fake.chmod(0o755)
        shell = line.replace("$(BIN)/odekake", str(fake))
        done = subprocess.run(["sh", "-c", shell], capture_output=True, text=True, timeout=30)
        assert (done.returncode == 0) is make_goes_on, (code, shell)


def _killed_import(instance: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ODEKAKE_")}
    env["ODEKAKE_INSTANCE_DIR"] = str(instance)
    return subprocess.run(
        [sys.executable, "-c", KILLED_AFTER_COMMIT, "import", *args],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300,
    )


@pytest.mark.parametrize(
    "next_file, next_source, added",
    [
        # The operator's first move: the same file again (every row "unchanged" now).
        ("kayoi_utf8bom_crlf.csv", "kayoi", 0),
        ("events_utf8_lf.csv", "events", 2),
    ],
)
def test_an_import_killed_after_its_commit_is_reconciled_by_the_next_import(
    tmp_path: Path, next_file: str, next_source: str, added: int
) -> None:
    instance = tmp_path / "inst"
    published = _ready(instance)
    killed = _killed_import(instance, "municipal-csv", str(FIXTURES / "kayoi_utf8bom_crlf.csv"), "--source", "kayoi")
    assert killed.returncode == 9, killed.stderr
    # The rows are committed, the index never heard of them; the import left its mark.
    marks = instance / "index.pending"
    assert marks.is_dir() and len(list(marks.iterdir())) == 1

    nxt = run(instance, "import", "municipal-csv", str(FIXTURES / next_file), "--source", next_source)
    assert nxt.returncode in (0, 1), nxt.stderr
    assert list(marks.iterdir()) == []
    check = run(instance, "reindex", "--check", "--quiet")
    assert check.returncode == 0, check.stdout + check.stderr
    found = re.search(r"checked (\d+) published activities: 0 missing, 0 stale, 0 extra", check.stdout)
    # The sample city, the killed import's 3 published rows and the next import's new ones.
    assert found and int(found.group(1)) == published + 3 + added, check.stdout


def test_reindex_clears_the_marks_of_interrupted_imports(tmp_path: Path) -> None:
    instance = tmp_path / "inst"
    _ready(instance)
    killed = _killed_import(instance, "municipal-csv", str(FIXTURES / "kayoi_utf8bom_crlf.csv"), "--source", "kayoi")
    assert killed.returncode == 9, killed.stderr
    repaired = run(instance, "reindex", "--check", "--quiet")
    assert repaired.returncode == 1 and "missing" in repaired.stdout, repaired.stdout + repaired.stderr
    assert list((instance / "index.pending").iterdir()) == []


def test_admin_import_whose_worker_died_before_indexing_is_reconciled_by_the_next(
    client, make_user, tmp_path: Path, monkeypatch  # type: ignore[no-untyped-def]
) -> None:
    import io

    from tests.helpers import csrf_token, login
    from webapp.search import sync

    index = SearchIndex(tmp_path / "index")
    monkeypatch.setattr("webapp.search.index.current_index", lambda: index)
    make_user("admin@example.jp", "admin")
    login(client, "admin@example.jp")

    def import_via_page(name: str, source: str) -> None:
        token = csrf_token(client, "/staff/import")
        form = {"csrf_token": token, "format": "municipal-csv", "source": source,
                "file": (io.BytesIO((FIXTURES / name).read_bytes()), name)}
        preview = client.post("/staff/import", data=form, content_type="multipart/form-data")
        action = re.search(r'action="(/staff/import/[A-Za-z0-9_-]+/confirm)"', preview.get_data(as_text=True))
        assert preview.status_code == 200 and action
        done = client.post(action.group(1), data={"csrf_token": csrf_token(client, "/staff/import")})
        assert done.status_code == 200

    # The worker dies after the request's commit, before the after-commit index update runs.
    with monkeypatch.context() as m:
        m.setattr("webapp.imports.views.after_commit", lambda callback: None)
        import_via_page("kayoi_utf8bom_crlf.csv", "kayoi")
    assert len(sync.pending_marks(index)) == 1
    assert not index.exists() or index.doc_count() == 0

    import_via_page("events_utf8_lf.csv", "events")
    assert sync.pending_marks(index) == []
    assert index.doc_count() == 3 + 2  # the first import's published rows too
