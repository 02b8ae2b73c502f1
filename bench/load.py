"""Load test: wrk (Debian package) against a real gunicorn on 127.0.0.1, bounded in time.

    .venv/bin/python bench/load.py                       # SQLite, 60 s paced + ramp (≈2 min)
    .venv/bin/python bench/load.py --hold 600            # the 10-minute 30 req/s hold
    .venv/bin/python bench/load.py --database-url postgresql://postgres@127.0.0.1:5432/odekake_bench

A fresh instance is built (init-db, load-demo, reindex) in a temporary directory, gunicorn serves it
with --workers N, and wrk runs a mixed public workload (searches with and without text and radius,
detail pages, .ics, map GeoJSON, API). Phase 1 paces wrk at about --rate req/s (wrk's Lua delay());
phase 2 ramps connections without pacing to find the ceiling. Prints one table; exit 0 always
(figures, not a pass/fail test). Staff writes are not part of this workload yet.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

LUA = r"""
local paths = {}
for line in io.lines("%(paths)s") do paths[#paths + 1] = line end
local pace_ms = %(pace_ms)d
math.randomseed(os.time())
request = function()
  return wrk.format("GET", paths[math.random(#paths)], {["Accept-Language"] = "ja"})
end
delay = function()
  if pace_ms > 0 then return pace_ms end
  return 0
end
local bad = 0
response = function(status, headers, body)
  if status >= 400 then bad = bad + 1 end
end
done = function(summary, latency, requests)
  local out = io.open("%(result)s", "w")
  out:write(string.format(
    '{"requests": %%d, "seconds": %%f, "p50": %%f, "p95": %%f, "p99": %%f, "max": %%f, ' ..
    '"status_errors": %%d, "socket_errors": %%d}',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(95) / 1e3,
    latency:percentile(99) / 1e3, latency.max / 1e3, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  out:close()
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def odekake(env: dict[str, str], *args: str) -> None:
    subprocess.run([str(BIN / "odekake"), *args], env=env, cwd=ROOT, check=True, capture_output=True, text=True)


def build_paths(env: dict[str, str], instance: Path, url: str) -> list[str]:
    if url:
        import psycopg

        with psycopg.connect(url) as conn:
            rows = conn.execute("SELECT a.id, p.lat, p.lon FROM activity a LEFT JOIN place p ON p.id = a.place_id "
                                "WHERE a.status = 'published'").fetchall()
    else:
        with sqlite3.connect(instance / "odekake.sqlite3") as conn:
            rows = conn.execute("SELECT a.id, p.lat, p.lon FROM activity a LEFT JOIN place p ON p.id = a.place_id "
                                "WHERE a.status = 'published'").fetchall()
    rng = random.Random(7)
    points = [(lat, lon) for _, lat, lon in rows if lat is not None]
    words = ["サロン", "体操", "子育て", "カフェ", "さろん", "認知症", "まちのえき", "食堂"]
    paths = []
    for _ in range(400):
        kind = rng.random()
        aid = rng.choice(rows)[0]
        lat, lon = rng.choice(points)
        if kind < 0.25:
            paths.append(f"/?q={rng.choice(words)}")
        elif kind < 0.40:
            paths.append(f"/?lat={lat:.5f}&lon={lon:.5f}&radius={rng.choice([500, 1000, 2000])}")
        elif kind < 0.50:
            paths.append(f"/?q={rng.choice(words)}&lat={lat:.5f}&lon={lon:.5f}&radius=2000")
        elif kind < 0.75:
            paths.append(f"/activities/{aid}")
        elif kind < 0.82:
            paths.append(f"/activities/{aid}.ics")
        elif kind < 0.90:
            paths.append("/api/v1/activities.geojson")
        elif kind < 0.97:
            paths.append(f"/api/v1/activities?q={rng.choice(words)}")
        else:
            paths.append("/")
    return [urllib.request.quote(p, safe="/?=&.") for p in paths]


def run_wrk(port: int, tmp: Path, conns: int, seconds: int, pace_ms: int, threads: int) -> dict[str, float]:
    result = tmp / f"wrk-{conns}-{pace_ms}.json"
    script = tmp / "mix.lua"
    script.write_text(LUA % {"paths": tmp / "paths.txt", "pace_ms": pace_ms, "result": result})
    subprocess.run(
        ["wrk", "-t", str(min(threads, conns)), "-c", str(conns), "-d", f"{seconds}s", "--timeout", "10s",
         "-s", str(script), f"http://127.0.0.1:{port}"],
        check=True, capture_output=True, text=True,
    )
    data = json.loads(result.read_text())
    data["rps"] = data["requests"] / data["seconds"]
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help="PostgreSQL/PostGIS URL (an empty database); default SQLite")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--rate", type=int, default=30, help="target req/s of the paced phase")
    parser.add_argument("--hold", type=int, default=60, help="seconds of the paced phase (the issue asks 600)")
    parser.add_argument("--ramp", default="1,4,8,16,32", help="connection counts of the unpaced ramp")
    parser.add_argument("--step", type=int, default=10, help="seconds per ramp step")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("bench/load.py: wrk is not installed (apt-get install wrk)")
        return

    tmp = Path(tempfile.mkdtemp(prefix="odekake-load-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ODEKAKE_")}
    env.update(ODEKAKE_INSTANCE_DIR=str(tmp / "instance"), ODEKAKE_ENV="development")
    if args.database_url:
        env["ODEKAKE_DATABASE_URL"] = args.database_url
    t0 = time.time()
    odekake(env, "init-db")
    odekake(env, "load-demo")
    odekake(env, "reindex", "--quiet")
    paths = build_paths(env, tmp / "instance", args.database_url)
    (tmp / "paths.txt").write_text("\n".join(paths) + "\n")
    print(f"instance ready in {time.time() - t0:.1f} s ({'PostGIS' if args.database_url else 'SQLite'}, "
          f"{len(set(paths))} distinct URLs)")

    port = free_port()
    log = open(tmp / "gunicorn.log", "w")  # noqa: SIM115 - closed in finally
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", str(args.workers), "-b", f"127.0.0.1:{port}", "--access-logfile", "-",
         "--error-logfile", "-", "webapp:create_app()"],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()
                break
            except OSError:
                time.sleep(0.5)
        # warm every worker's caches (SudachiPy, index readers) before measuring
        run_wrk(port, tmp, args.workers * 2, 5, 0, 2)  # every worker loads SudachiPy and the index
        warm = run_wrk(port, tmp, 1, 5, 0, 1)
        rows = []
        conns = max(1, args.rate // 5)
        # Each connection waits pace_ms between requests: rate ≈ conns × 1000 / (pace_ms + latency),
        # so the single-connection mean latency of the warm-up is taken off the pause.
        mean_ms = warm["seconds"] * 1000 / max(1, warm["requests"])
        pace = max(0, int(conns * 1000 / args.rate - mean_ms))
        rows.append(("paced", conns, run_wrk(port, tmp, conns, args.hold, pace, 2)))
        for c in [int(x) for x in args.ramp.split(",") if x]:
            rows.append(("ramp", c, run_wrk(port, tmp, c, args.step, 0, 4)))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
    locked = (tmp / "gunicorn.log").read_text(errors="replace").count("database is locked")
    print(f"\ngunicorn --workers {args.workers}; wrk mixed public workload; paced target {args.rate} req/s; "
          "latencies in ms")
    print(f"{'phase':<6} {'conns':>5} {'req/s':>8} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7} {'errors':>7}")
    for phase, c, d in rows:
        errors = int(d["status_errors"] + d["socket_errors"])
        print(f"{phase:<6} {c:>5} {d['rps']:>8.1f} {d['p50']:>7.1f} {d['p95']:>7.1f} {d['p99']:>7.1f} "
              f"{d['max']:>7.1f} {errors:>7}")
    print(f"'database is locked' in the server log: {locked}")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
