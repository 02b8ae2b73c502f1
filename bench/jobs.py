"""Benchmark: what a request pays for mail, inline (embedded default) vs on the queue (Redis).

    .venv/bin/python bench/jobs.py [--requests 20] [--smtp-delay 1.0]

A fresh SpatiaLite instance, one account, N password-reset requests through the app (test client,
each from its own address so the rate limit does not answer), mail to a local SMTP server that
takes --smtp-delay seconds per message. Prints p50/p95/max of the request, then how long one
`rq` SimpleWorker takes to send the N queued mails. Needs Redis on 127.0.0.1:6379 (database 5).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

REDIS = "redis://127.0.0.1:6379/5"


def _timings(redis_url: str, port: int, n: int) -> tuple[list[float], object]:
    from webapp import create_app
    from webapp.accounts.services import create_user
    from webapp.commands.migrate import upgrade_to_head
    from webapp.extensions import db

    tmp = tempfile.mkdtemp(prefix="odekake-bench-jobs-")
    app = create_app({"instance_dir": tmp, "env": "testing", "smtp_host": "127.0.0.1", "smtp_port": port,
                      "smtp_tls": "none", "redis_url": redis_url, "job_queue": "odekake-bench"})  # fmt: skip
    with app.app_context():
        upgrade_to_head()
        with db.transaction() as session:
            create_user(session, "bench@example.jp", "correct horse battery", ["supporter"])
    client = app.test_client()
    page = client.get("/auth/password/forgot").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    times = []
    for i in range(n):
        started = time.perf_counter()
        r = client.post("/auth/password/forgot", data={"csrf_token": token, "email": "bench@example.jp"},
                        environ_base={"REMOTE_ADDR": f"10.0.{i // 250}.{i % 250 + 1}"})  # fmt: skip
        times.append(time.perf_counter() - started)
        assert r.status_code == 200, r.status_code
    return times, app


def _line(label: str, times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return f"{label:<28} p50 {statistics.median(ordered) * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms   max {ordered[-1] * 1000:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--smtp-delay", type=float, default=1.0)
    args = parser.parse_args()
    import redis
    from rq import SimpleWorker

    from tests.jobs.smtp_sink import SmtpSink
    from webapp.config import settings
    from webapp.jobs import job_queue

    with SmtpSink(delay=args.smtp_delay) as sink:
        print(f"password-reset requests: {args.requests}, SMTP server answering in {args.smtp_delay:.1f} s")
        inline, _ = _timings("", sink.port, args.requests)
        print(_line("inline (no redis_url)", inline))
        redis.Redis.from_url(REDIS).flushdb()
        queued, app = _timings(REDIS, sink.port, args.requests)
        print(_line("queued (redis_url set)", queued))
        with app.app_context():  # type: ignore[attr-defined]
            queue = job_queue(settings())
            started = time.perf_counter()
            SimpleWorker([queue], connection=queue.connection).work(burst=True, logging_level="WARNING")
            spent = time.perf_counter() - started
        print(f"worker: {args.requests} queued mails sent in {spent:.1f} s; mails received {len(sink.messages)}")
        redis.Redis.from_url(REDIS).flushdb()


if __name__ == "__main__":
    main()
