"""Benchmark: /open-data/coverage cold (computed) vs cached, on a generated city.

    .venv/bin/python bench/coverage.py [--listings 20000] [--repeat 5] [--seed 1]

Loads the sample city (its 小学校区 and places) into a fresh SpatiaLite database, adds generated
published listings (サンプル) at its places, then times through the Flask test client:
the data fingerprint alone, the page with an empty cache (cold: the report is computed), the page
again (cached), the CSV (cached), and the page after one listing changed (recomputed).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _timed(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time in milliseconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listings", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    from sqlalchemy import func, insert, select, update

    from webapp import create_app
    from webapp.commands.migrate import upgrade_to_head
    from webapp.extensions import db, limiter
    from webapp.listings.demo import load_sample_city
    from webapp.listings.models.activity import Activity
    from webapp.listings.models.place import Place
    from webapp.listings.taxonomy import taxonomy
    from webapp.public.opendata import _CACHE_KEY
    from webapp.reports.coverage import data_version

    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"instance_dir": Path(tmp), "env": "testing"})
        limiter.enabled = False  # the benchmark measures the work, not the rate limit
        with app.app_context():
            upgrade_to_head()
            with db.transaction() as session:
                load_sample_city(session)
                place_ids = list(session.scalars(select(Place.id)))
                categories = list(taxonomy().categories)
                now = datetime.now(UTC)
                rows = [
                    {
                        "source": "bench", "source_id": f"b{i}", "name": f"ベンチ活動{i}", "name_kana": "べんちかつどう",
                        "category": rng.choice(categories), "place_id": rng.choice(place_ids), "status": "published",
                        "schedule_rrule": "FREQ=WEEKLY;BYDAY=TU", "schedule_text": "毎週火曜", "published_at": now,
                        "created_at": now, "updated_at": now,
                    }
                    for i in range(args.listings)
                ]  # fmt: skip
                for start in range(0, len(rows), 2000):
                    session.execute(insert(Activity), rows[start : start + 2000])
            total = db.session().scalar(select(func.count()).select_from(Activity))
            db.session.remove()

        client = app.test_client()

        def cold() -> None:
            app.extensions.pop(_CACHE_KEY, None)
            assert client.get("/open-data/coverage").status_code == 200

        def page() -> None:
            assert client.get("/open-data/coverage").status_code == 200

        def csv() -> None:
            assert client.get("/open-data/coverage.csv").status_code == 200

        def version() -> None:
            with app.app_context():
                data_version(db.session())
                db.session.remove()

        def changed() -> None:
            with app.app_context(), db.transaction() as session:
                first = session.scalar(select(Activity.id).where(Activity.source == "bench").order_by(Activity.id))
                session.execute(
                    update(Activity).where(Activity.id == first).values(category=rng.choice(categories))
                )
            page()

        page()  # warm the process (templates, taxonomy, connections)
        figures = {
            "fingerprint only": _timed(version, args.repeat),
            "page, cold (computed)": _timed(cold, args.repeat),
            "page, cached": _timed(page, args.repeat),
            "csv, cached": _timed(csv, args.repeat),
            "page after a listing changed": _timed(changed, args.repeat),
        }
        print(f"coverage bench: {total} activities ({args.listings} generated), SQLite, median of {args.repeat}")
        for label, ms in figures.items():
            print(f"  {label:<30} {ms:8.1f} ms")
        print(f"  cold / cached                  {figures['page, cold (computed)'] / figures['page, cached']:8.1f} x")
        assert db.engine is not None
        db.engine.dispose()


if __name__ == "__main__":
    main()
