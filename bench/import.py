"""Benchmark: import N generated 自治体標準 CSV rows into a fresh SpatiaLite database, then index them.

    .venv/bin/python bench/import.py [--rows 100000] [--reimport]

Prints the time of each phase (read, upsert + commit, search index), rows/s and peak RSS.
SpatiaLite by default; `--database-url` for an empty PostGIS database.
Target: 100k rows ≤ 60 s including indexing. The data is generated (サンプル), deterministic.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CATEGORIES = ["ふれあい・いきいきサロン", "いきいき百歳体操", "認知症カフェ", "子ども食堂", "子育てひろば", "まちのえき", "居場所"]
SCHEDULES = [
    "毎週火曜日 10時～11時半",
    "毎月第2・第4木曜日 13時30分～15時",
    "第1土曜日 午前10時～正午",
    "月・水・金（祝日を除く） 10:00～12:00",
    "平日 9:30〜15:00",
]
TOWNS = ["東新町", "元町1丁目", "元町2丁目", "真弓2丁目", "北新町", "さくら台", "東生駒1丁目", "上町", "辻町", "南田原町"]
HEADER = ["ID", "名称", "名称_カナ", "種別", "主催者", "場所名称", "所在地_連結表記", "緯度", "経度", "電話番号",
          "開催日時", "料金", "対象", "URL", "備考"]


def generate(path: Path, rows: int, seed: int = 1, *, places_shared: bool = True) -> None:
    rnd = random.Random(seed)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh, lineterminator="\r\n")
        w.writerow(["【サンプル】ベンチマーク用 通いの場一覧"])
        w.writerow(HEADER)
        for i in range(rows):
            hall = i // 3  # three activities share a place (name + address), as in real lists
            town = TOWNS[hall % len(TOWNS)] if places_shared else TOWNS[i % len(TOWNS)]
            w.writerow([
                f"B{i:06d}", f"ベンチサロン{i}", "ベンチサロン", rnd.choice(CATEGORIES), f"{town}自治会{hall % 5000}",
                f"{town}集会所{hall}", f"奈良県生駒市{town}{hall % 40 + 1}-{hall % 17 + 1}",
                f"{34.65 + rnd.random() * 0.1:.6f}", f"{135.65 + rnd.random() * 0.1:.6f}",
                f"0743-{rnd.randrange(10, 99)}-{rnd.randrange(1000, 9999)}", rnd.choice(SCHEDULES),
                rnd.choice(["無料", "100円", "200円（お茶代）"]), rnd.choice(["高齢者", "どなたでも", "親子"]),
                f"https://example.jp/bench/{i}", "",
            ])


def cpu_s() -> float:
    """CPU seconds of this process and of its finished worker processes."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--reimport", action="store_true", help="also time re-importing the same file (0 changes)")
    parser.add_argument("--districts", action="store_true", help="load the sample 小学校区 first (places get a district)")
    parser.add_argument("--no-index", action="store_true", help="skip the search index update (time the import alone)")
    parser.add_argument("--place-per-row", action="store_true",
                        help="every row its own place (the generator before 2026-11-27 did this by mistake)")
    parser.add_argument("--database-url", default="",
                        help="an EMPTY PostGIS database (e.g. made by ODEKAKE_TEST_PGDB=odekake_bench scripts/prepare-postgis.sh); "
                             "default: a fresh SpatiaLite file")
    parser.add_argument("--workers", type=int, default=None, help="worker processes, as `odekake import` uses (default: every CPU)")
    args = parser.parse_args()

    from importers.parallel import allow_workers, workers
    from webapp import create_app
    from webapp.commands.migrate import upgrade_to_head
    from webapp.extensions import db
    from webapp.imports.service import after_import_commit, import_records, read_import_file

    with tempfile.TemporaryDirectory(prefix="odekake-bench-") as tmp:
        root = Path(tmp)
        csv_path = root / "bench.csv"
        t = time.perf_counter()
        generate(csv_path, args.rows, places_shared=not args.place_per_row)
        print(f"generated {args.rows} rows ({csv_path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t:.1f} s")

        config: dict[str, object] = {"instance_dir": root / "instance", "env": "testing"}
        if args.database_url:
            config["database_url"] = args.database_url
        app = create_app(config)
        print(f"database: {'PostGIS ' + args.database_url if args.database_url else 'SpatiaLite (fresh file)'}")
        with app.app_context(), contextlib.ExitStack() as stack:
            upgrade_to_head()
            if args.districts:
                from webapp.listings.demo import SAMPLE_DISTRICTS
                from webapp.listings.districts import import_district_file

                with db.transaction() as session:
                    import_district_file(session, SAMPLE_DISTRICTS, kind="school", source="sample")
            runs = [("fresh import", True)] + ([("re-import (same file)", False)] if args.reimport else [])
            stack.enter_context(allow_workers(args.workers))
            print(f"worker processes: {workers()} (as `odekake import` uses on this machine)")
            for label, _fresh in runs:
                t0, c0 = time.perf_counter(), cpu_s()
                result = read_import_file("municipal-csv", csv_path)
                t1, c1 = time.perf_counter(), cpu_s()
                with db.transaction() as session:
                    report = import_records(session, result, source="bench", fmt="municipal-csv")
                t2, c2 = time.perf_counter(), cpu_s()
                note = None if args.no_index else after_import_commit(db.session(), report)
                db.session.remove()
                t3, c3 = time.perf_counter(), cpu_s()
                total = t3 - t0
                # CPU seconds beside wall seconds: on a shared machine the wall clock mostly measures the neighbours.
                print(f"{label}: read {t1 - t0:.1f} s (cpu {c1 - c0:.1f}), upsert+commit {t2 - t1:.1f} s "
                      f"(cpu {c2 - c1:.1f}), search index {t3 - t2:.1f} s (cpu {c3 - c2:.1f})"
                      + (f" ({note})" if note else ""))
                print(f"  total {total:.1f} s (cpu {c3 - c0:.1f}), {args.rows / total:,.0f} rows/s; "
                      f"created {report.created}, updated {report.updated}, unchanged {report.unchanged}, "
                      f"rejected {report.rejected}")
            from sqlalchemy import func, select

            from webapp.listings.models.organization import Organization
            from webapp.listings.models.place import Place

            with db.transaction() as session:
                places = session.scalar(select(func.count()).select_from(Place))
                orgs = session.scalar(select(func.count()).select_from(Organization))
            print(f"  in the database: {places:,} places, {orgs:,} organisations")
            children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            print(f"peak RSS {peak_rss_mb():,.0f} MB (largest worker {children:,.0f} MB); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        assert db.engine is not None
        db.engine.dispose()


if __name__ == "__main__":
    main()
