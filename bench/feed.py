"""Benchmark: what a node's change-feed tailer does after an import, and who builds a missing index.

    .venv/bin/python bench/feed.py [--rows 10000] [--database-url postgresql+psycopg://…/EMPTY_DB]

SpatiaLite by default (a fresh file); ``--database-url`` for an empty PostGIS database (made e.g.
by ``ODEKAKE_TEST_PGDB=odekake_bench_feed scripts/prepare-postgis.sh``). N generated listings
(bench/import.py's generator) are imported and indexed as `odekake import` does, the index's feed
position written as `odekake reindex` does. Then, each timed as the tailer's ``catch_up`` on the
importing node and on a second node (a copy of the index made before the import):

* the same file again: nothing changed;
* every row with a new phone number: rows rewritten, no document changed;
* every row renamed: every document changed (the importing node has indexed them already).

Last, a node without an index gets its first search request and its tailer's first tick at the
same moment: how many times the index is built (``sync.rebuild``) and checked in full
(``sync.check``), and how long until both are done.

Figures, not a pass/fail test.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import replace
from importlib import import_module
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))


def cpu_s() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def rewrite(src: Path, dst: Path, column: str, change: Any) -> None:
    """A copy of the generated CSV with one column changed in every data row."""
    with src.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    header_at = next(i for i, r in enumerate(rows) if "ID" in r)
    at = rows[header_at].index(column)
    for row in rows[header_at + 1 :]:
        row[at] = change(row[at])
    with dst.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh, lineterminator="\r\n").writerows(rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--database-url", default="", help="an EMPTY PostGIS database; default: a fresh SpatiaLite file")
    args = parser.parse_args()

    from sqlalchemy import func, select

    from importers.parallel import allow_workers
    from webapp import create_app
    from webapp.changefeed import tailer
    from webapp.changefeed.models import ChangeLog
    from webapp.commands.migrate import upgrade_to_head
    from webapp.extensions import db
    from webapp.imports.service import after_import_commit, import_records, read_import_file
    from webapp.search import sync
    from webapp.search.index import SearchIndex, index_at

    generate = import_module("import").generate  # bench/import.py

    with tempfile.TemporaryDirectory(prefix="odekake-feed-bench-") as tmp:
        root = Path(tmp)
        base_csv = root / "bench.csv"
        generate(base_csv, args.rows)
        phones, names = root / "phones.csv", root / "names.csv"
        rewrite(base_csv, phones, "電話番号", lambda v: v[:-1] + ("0" if v[-1] != "0" else "1"))
        rewrite(base_csv, names, "名称", lambda v: v + "・改")

        config: dict[str, object] = {"instance_dir": root / "instance", "env": "testing"}
        if args.database_url:
            config["database_url"] = args.database_url
        app = create_app(config)
        print(f"database: {'PostGIS' if args.database_url else 'SpatiaLite (fresh file)'}; {args.rows:,} listings; "
              f"code: {Path(tailer.__file__).resolve().parents[2]}")
        index_a = index_at(root / "node-a" / "index")
        with app.app_context(), allow_workers():
            upgrade_to_head()

            def run_import(path: Path) -> Any:
                result = read_import_file("municipal-csv", path)
                with db.transaction() as session:
                    report = import_records(session, result, source="bench", fmt="municipal-csv")
                return report

            # The importing node indexes what its import changed (as `odekake import` does).
            import webapp.search.index as index_module

            index_module_current = index_module.current_index
            index_module.current_index = lambda: index_a  # type: ignore[assignment]
            try:
                report = run_import(base_csv)
                after_import_commit(db.session(), report)
                db.session.remove()
                session = db.session()
                start = tailer.latest_id(session)
                db.session.remove()
                tailer.write_position(index_a.path, tailer.Position(start))
                print(f"set up: {report.created:,} created; index A {index_a.doc_count():,} documents")

                for label, path in (("same file again", base_csv), ("new phone numbers", phones), ("every row renamed", names)):
                    # Node B: a copy of A's index and position taken before this import.
                    b_path = root / f"node-b-{path.stem}" / "index"
                    shutil.copytree(index_a.path, b_path)
                    shutil.copy(tailer.position_path(index_a.path), tailer.position_path(b_path))
                    index_b = SearchIndex(b_path)
                    before = tailer.latest_id(db.session())
                    db.session.remove()

                    t0, c0 = time.perf_counter(), cpu_s()
                    report = run_import(path)
                    t1, c1 = time.perf_counter(), cpu_s()
                    after_import_commit(db.session(), report)
                    db.session.remove()
                    t2, c2 = time.perf_counter(), cpu_s()
                    session = db.session()
                    logged = session.scalar(select(func.count()).where(ChangeLog.id > before))
                    db.session.remove()
                    print(f"\n{label}: import {t1 - t0:.2f} s (cpu {c1 - c0:.2f}); updated {report.updated:,}, "
                          f"unchanged {report.unchanged:,}; its own index update {t2 - t1:.2f} s (cpu {c2 - c1:.2f}); "
                          f"change_log rows {logged:,}")
                    for node, index in (("A (imported)", index_a), ("B (other)", index_b)):
                        pos = tailer.read_position(index.path)
                        t3, c3 = time.perf_counter(), cpu_s()
                        pos, step = tailer.catch_up(db.session(), index, pos)
                        db.session.remove()
                        t4, c4 = time.perf_counter(), cpu_s()
                        tailer.write_position(index.path, pos)
                        skipped = getattr(step, "skipped", None)
                        print(f"  tailer on node {node}: {t4 - t3:.3f} s (cpu {c4 - c3:.3f}); {step.rows:,} log rows, "
                              f"{step.documents:,} documents written"
                              + (f", {skipped:,} rows needing no read" if skipped is not None else ""))
            finally:
                index_module.current_index = index_module_current  # type: ignore[assignment]

            # A node without an index: its first search request and its tailer's first tick together.
            settings = app.extensions["odekake_settings"]
            fresh = root / "node-c" / "index"
            app.extensions["odekake_settings"] = replace(settings, env="development", index_dir=fresh)
            calls = {"rebuild": 0, "check": 0}
            real_rebuild, real_check = sync.rebuild, sync.check

            def counted_rebuild(*a: Any, **k: Any) -> Any:
                calls["rebuild"] += 1
                return real_rebuild(*a, **k)

            def counted_check(*a: Any, **k: Any) -> Any:
                calls["check"] += 1
                return real_check(*a, **k)

            sync.rebuild, sync.check = counted_rebuild, counted_check  # type: ignore[assignment]
            errors: list[str] = []

            def first_request() -> None:
                with app.test_request_context("/?q=サロン"):
                    try:
                        from webapp.search.index import current_index

                        current_index().doc_count()
                    except Exception as exc:
                        errors.append(f"request: {type(exc).__name__}: {exc}")
                    finally:
                        db.session.remove()

            def first_tick() -> None:
                try:
                    tailer.Tailer(app).tick(fresh)
                except Exception as exc:
                    errors.append(f"tailer: {type(exc).__name__}: {exc}")

            t0, c0 = time.perf_counter(), cpu_s()
            threads = [threading.Thread(target=first_request), threading.Thread(target=first_tick)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            t1, c1 = time.perf_counter(), cpu_s()
            sync.rebuild, sync.check = real_rebuild, real_check  # type: ignore[assignment]
            app.extensions["odekake_settings"] = settings
            built = index_at(fresh)
            print(f"\nnode without an index, first request and first tailer tick together: {t1 - t0:.2f} s "
                  f"(cpu {c1 - c0:.2f}); sync.rebuild ran {calls['rebuild']}×, sync.check {calls['check']}×; "
                  f"{built.doc_count():,} documents" + (f"; errors: {errors}" if errors else ""))
        assert db.engine is not None
        with contextlib.suppress(Exception):
            db.engine.dispose()
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
