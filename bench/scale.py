"""Benchmark: two web nodes (gunicorn) over one PostGIS, each with its own search index (issue 22).

    .venv/bin/python bench/scale.py                         # 10k listings
    .venv/bin/python bench/scale.py --sizes 10000 100000    # and 100k (≈ 15 min more)

For each size: a fresh PostGIS database (--database NAME on 127.0.0.1:5432, dropped afterwards),
N generated listings (サンプル, bench/import.py's generator) imported through node A's command
line, node B's index built by `odekake reindex`; then both nodes run gunicorn (--workers each)
with the change feed on. Prints:

* change → visible on B: a listing renamed by a committed SQL UPDATE (any writer; the triggers log
  it), timed until B's API finds the new word (polled every 20 ms), --changes times;
* latency on B for a paced mix of public requests (landing page, text, place and API searches)
  for --duration seconds, without and with 10 changes a minute: p50/p95/p99/max, req/s, > 500 ms;
* landing page `/` p95 alone (sequential);
* the map on B (static/js/map.js's requests to markers.geojson): the first view of every listing
  (fit to a desktop and a phone map), a near-me view, and the requests after zooming in (a
  detail and a street zoom viewport): time p50/max (sequential, compressed) and payload bytes raw,
  gzip and br; with the landing page and the map's static files, the first map view's total;
* RSS per gunicorn worker of each node at the end.

Figures, not a pass/fail test: exit 0 unless the instance cannot be set up.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

WORD_POOL = ["かわせみ", "みさご", "やまがら", "いかる", "ひたき", "つぐみ", "もず", "ほおじろ", "せきれい", "ひばり"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def psql(sql: str, database: str = "postgres") -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql],
                   check=True, capture_output=True)


def odekake(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([str(BIN / "odekake"), *args], env=env, capture_output=True, text=True, cwd=ROOT)
    if done.returncode not in (0, 1):
        sys.exit(f"odekake {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def percentile(samples: list[float], p: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class Client:
    """Keep-alive HTTP to one node (one per thread)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        status, body, _ = self.get_full(path, headers)
        return status, body

    def get_full(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, dict[str, str]]:
        for attempt in range(2):
            try:
                self.conn.request("GET", path, headers=headers or {})
                response = self.conn.getresponse()
                return response.status, response.read(), {k.lower(): v for k, v in response.getheaders()}
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if attempt:
                    raise
        raise AssertionError("unreachable")


def api_names(client: Client, q: str) -> list[str]:
    status, body = client.get("/api/v1/activities?" + urllib.parse.urlencode({"q": q, "per_page": 5}))
    if status != 200:
        return []
    return [str(item["name"]) for item in json.loads(body)["items"]]


class Writer:
    """Renames listings by committed SQL UPDATEs (what any node's write does to the database)."""

    def __init__(self, url: str, n: int) -> None:
        from sqlalchemy import create_engine

        self.engine = create_engine(url)
        self.n = n
        self.count = 0
        self.rnd = random.Random(7)

    def rename(self) -> str:
        from sqlalchemy import text

        self.count += 1
        word = f"{self.rnd.choice(WORD_POOL)}{self.count}ばん"
        with self.engine.begin() as conn:
            conn.execute(
                text("UPDATE activity SET name = :name, name_kana = '' WHERE id = "
                     "(SELECT id FROM activity WHERE status = 'published' ORDER BY id OFFSET :k LIMIT 1)"),
                {"name": f"{word}の会", "k": self.rnd.randrange(self.n)},
            )
        return word


def change_to_visible(writer: Writer, port: int, times: int) -> list[float]:
    client = Client(port)
    out = []
    for _ in range(times):
        word = writer.rename()
        t0 = time.perf_counter()
        while not any(word in name for name in api_names(client, word)):
            if time.perf_counter() - t0 > 30:
                break
            time.sleep(0.02)
        out.append(time.perf_counter() - t0)
    return out


def request_mix(n: int) -> list[str]:
    rnd = random.Random(3)
    paths = []
    for _ in range(400):
        kind = rnd.random()
        if kind < 0.25:
            paths.append("/")
        elif kind < 0.45:
            paths.append("/?" + urllib.parse.urlencode({"q": rnd.choice(["サロン", "体操", "子ども食堂", "カフェ", "ひろば"])}))
        elif kind < 0.65:
            paths.append("/api/v1/activities?" + urllib.parse.urlencode({"q": f"ベンチサロン{rnd.randrange(n)}"}))
        elif kind < 0.85:
            lat, lon = 34.65 + rnd.random() * 0.1, 135.65 + rnd.random() * 0.1
            paths.append(f"/api/v1/activities?lat={lat:.5f}&lon={lon:.5f}&radius=1000")
        else:
            paths.append("/?" + urllib.parse.urlencode({"q": "サロン", "category": "salon"}))
    return paths


def path_kind(path: str) -> str:
    """The request mix's kinds, for the per-kind p99 line."""
    if path == "/":
        return "landing"
    if path.startswith("/api/v1/activities?lat="):
        return "near"
    if path.startswith("/api/"):
        return "api text"
    return "text+category" if "category=" in path else "text"


def load(port: int, paths: list[str], seconds: float, rate: float, threads: int,
         writer: Writer | None = None, changes_per_min: int = 0) -> dict[str, Any]:
    """Paced requests (``rate`` per second over ``threads``) for ``seconds``; latencies in ms."""
    latencies: list[float] = []
    by_kind: dict[str, list[float]] = {}
    errors = [0]
    lock = threading.Lock()
    stop = time.perf_counter() + seconds
    interval = threads / rate

    def worker(k: int) -> None:
        client = Client(port)
        rnd = random.Random(k)
        next_at = time.perf_counter() + rnd.random() * interval
        while True:
            now = time.perf_counter()
            if now >= stop:
                return
            if now < next_at:
                time.sleep(next_at - now)
            next_at += interval
            t0 = time.perf_counter()
            path = rnd.choice(paths)
            status, _ = client.get(path)
            dt = (time.perf_counter() - t0) * 1000
            with lock:
                latencies.append(dt)
                by_kind.setdefault(path_kind(path), []).append(dt)
                if status >= 400:
                    errors[0] += 1

    def changer() -> None:
        assert writer is not None
        gap = 60 / changes_per_min
        t = time.perf_counter() + gap / 2
        while t < stop:
            time.sleep(max(0.0, t - time.perf_counter()))
            writer.rename()
            t += gap

    pool = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    if writer is not None and changes_per_min:
        pool.append(threading.Thread(target=changer))
    start = time.perf_counter()
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    elapsed = time.perf_counter() - start
    return {
        "n": len(latencies), "rps": len(latencies) / elapsed, "errors": errors[0],
        "p50": percentile(latencies, 50), "p95": percentile(latencies, 95), "p99": percentile(latencies, 99),
        "max": max(latencies) if latencies else float("nan"), "over_500": sum(1 for x in latencies if x > 500),
        "kinds": {k: (len(v), percentile(v, 99), max(v)) for k, v in sorted(by_kind.items())},
    }


MAP_CENTRE = (34.70, 135.70)  # the middle of bench/import.py's generated city


def viewport_bbox(zoom: int, width: int = 1280, height: int = 800) -> str:
    """The bbox a width × height map shows at ``zoom`` around MAP_CENTRE (what map.js sends)."""
    import math

    lat, lon = MAP_CENTRE
    deg_per_px = 360 / (256 * 2**zoom)
    half_w = width / 2 * deg_per_px
    half_h = height / 2 * deg_per_px * math.cos(math.radians(lat))
    return f"{lon - half_w:.5f},{lat - half_h:.5f},{lon + half_w:.5f},{lat + half_h:.5f}"


def static_bytes_gz() -> int:
    """The map's static files as a browser gets them from the edge (gzip): Leaflet, MarkerCluster, map.js, search.js."""
    import gzip

    files = ["static/vendor/leaflet/leaflet.js", "static/vendor/leaflet/leaflet.css",
             "static/vendor/leaflet.markercluster/leaflet.markercluster.js",
             "static/vendor/leaflet.markercluster/MarkerCluster.css", "static/js/map.js", "static/js/search.js"]
    return sum(len(gzip.compress((ROOT / f).read_bytes())) for f in files)


def map_figures(port: int, repeat: int) -> None:
    """The map's requests on one node: time (br/gzip, sequential) and payload sizes."""
    client = Client(port)
    base = "/api/v1/markers.geojson?per_page=100"
    lat, lon = MAP_CENTRE
    views = [
        ("first view, desktop 1280×800", base + "&fit=1280,800"),
        ("first view, phone 390×700", base + "&fit=390,700"),
        ("near me 1 km, desktop", base + f"&lat={lat}&lon={lon}&radius=1000&fit=1280,800"),
        ("zoom 15 viewport (detail)", base + f"&zoom=15&bbox={viewport_bbox(15)}"),
        ("zoom 17 viewport (street)", base + f"&zoom=17&bbox={viewport_bbox(17)}"),
    ]
    first_ms = first_kb = 0.0
    for label, path in views:
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            status, body, headers = client.get_full(path, {"Accept-Encoding": "br, gzip"})
            times.append((time.perf_counter() - t) * 1000)
            if status != 200:
                print(f"map {label}: HTTP {status}")
                break
        _s, raw, _h = client.get_full(path, {"Accept-Encoding": "identity"})
        _s, gz, _h = client.get_full(path, {"Accept-Encoding": "gzip"})
        data = json.loads(raw)
        bubbles = sum(1 for f in data["features"] if "k" in f["properties"])
        kinds = f"{bubbles} clusters, {len(data['features']) - bubbles} pins"
        print(f"map {label}: p50 {percentile(times, 50):.0f} ms · max {max(times):.0f} ms · zoom {data.get('zoom')} · "
              f"{kinds} for {data['mapped']:,} listings · {len(raw) / 1024:.1f} KB raw, {len(gz) / 1024:.1f} KB gzip, "
              f"{len(body) / 1024:.1f} KB {headers.get('content-encoding', 'identity')}")
        if label.startswith("first view, desktop"):
            first_ms = percentile(times, 50)
            first_kb = len(body) / 1024
    page_times = []
    for _ in range(repeat):
        t = time.perf_counter()
        _status, page, page_headers = client.get_full("/", {"Accept-Encoding": "br, gzip"})
        page_times.append((time.perf_counter() - t) * 1000)
    static_kb = static_bytes_gz() / 1024
    print(f"first map view, desktop: page / {percentile(page_times, 50):.0f} ms ({len(page) / 1024:.0f} KB "
          f"{page_headers.get('content-encoding', 'identity')}) + markers {first_ms:.0f} ms ({first_kb:.1f} KB) "
          f"+ static files {static_kb:.0f} KB gzip (cached after the first visit) = "
          f"{percentile(page_times, 50) + first_ms:.0f} ms server time, {len(page) / 1024 + first_kb + static_kb:.0f} KB")


def worker_rss_mb(master_pid: int) -> list[float]:
    out = []
    for pid_dir in Path("/proc").iterdir():
        if not pid_dir.name.isdigit():
            continue
        try:
            status = (pid_dir / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("PPid", "").strip() == str(master_pid):
            out.append(int(fields["VmRSS"].split()[0]) / 1024)
    return sorted(out)


def wait_for(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.2)
    sys.exit(f"timed out waiting for {what}")


def run_size(n: int, args: argparse.Namespace, tmp: Path) -> None:
    from importlib import import_module

    generate = import_module("import").generate  # bench/import.py
    db = args.database
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{db}"
    psql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
    psql(f"CREATE DATABASE {db}")
    psql("CREATE EXTENSION postgis", db)
    servers: list[subprocess.Popen[bytes]] = []
    try:
        base = {k: v for k, v in os.environ.items() if not k.startswith("ODEKAKE_")}
        envs = {}
        for name in ("a", "b"):
            envs[name] = {**base, "ODEKAKE_INSTANCE_DIR": str(tmp / f"{n}-{name}"), "ODEKAKE_ENV": "development",
                          "ODEKAKE_DATABASE_URL": url}
        t0 = time.perf_counter()
        odekake(envs["a"], "init-db")
        csv_path = tmp / f"{n}.csv"
        generate(csv_path, n)
        odekake(envs["a"], "import", "municipal-csv", str(csv_path), "--source", "bench")
        odekake(envs["b"], "reindex", "--quiet")
        print(f"\n== {n:,} listings (PostGIS) · set up in {time.perf_counter() - t0:.0f} s "
              f"(import through A, B reindexed) · {args.workers} gunicorn workers per node")
        ports = {name: free_port() for name in ("a", "b")}
        for name in ("a", "b"):
            log = open(tmp / f"{n}-{name}.log", "w")  # noqa: SIM115 - closed with the process
            servers.append(subprocess.Popen(
                [str(BIN / "gunicorn"), "-w", str(args.workers), "-b", f"127.0.0.1:{ports[name]}",
                 "--error-logfile", "-", "webapp:create_app()"],
                env=envs[name], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            ))
        for name in ("a", "b"):
            client = Client(ports[name])
            wait_for(lambda c=client: c.get("/healthz")[0] == 200, 120, f"node {name}")
            # Each worker's first request starts its tailer; the node's position appears once
            # the first tailer has checked the index against the database.
            feed = tmp / f"{n}-{name}" / "index.feed.json"
            wait_for(lambda f=feed, c=client: c.get("/healthz") and f.exists(), 600, f"node {name}'s change feed")
        paths = request_mix(n)
        warm = Client(ports["b"])
        for path in paths[: 4 * args.workers * 5]:
            warm.get(path)
        writer = Writer(url, n)
        if not args.map_only:
            visible = change_to_visible(writer, ports["b"], args.changes)
            print(f"change → visible on B ({len(visible)} renames): p50 {statistics.median(visible) * 1000:.0f} ms, "
                  f"max {max(visible) * 1000:.0f} ms")
            for label, per_min in (("no changes", 0), ("10 changes/min", 10)):
                r = load(ports["b"], paths, args.duration, args.rate, args.threads, writer, per_min)
                print(f"B, {label:>15}: {r['n']} requests, {r['rps']:.1f} req/s · p50 {r['p50']:.0f} · p95 {r['p95']:.0f} · "
                      f"p99 {r['p99']:.0f} · max {r['max']:.0f} ms · {r['over_500']} over 500 ms · {r['errors']} errors")
                print("   by kind (n, p99, max ms): " + " · ".join(
                    f"{kind} {n}, {p99:.0f}, {top:.0f}" for kind, (n, p99, top) in r["kinds"].items()))
        client = Client(ports["b"])
        landing = []
        for _ in range(args.landing):
            t = time.perf_counter()
            _status, body = client.get("/")
            landing.append((time.perf_counter() - t) * 1000)
        print(f"landing page / on B (sequential, {len(landing)}): p50 {percentile(landing, 50):.0f} ms · "
              f"p95 {percentile(landing, 95):.0f} ms · {len(body) / 1024:.0f} KB")
        map_figures(ports["b"], args.map_repeat)
        load1, load5, _ = os.getloadavg()
        print(f"machine: {os.cpu_count()} CPUs, load average {load1:.1f} (1 min), {load5:.1f} (5 min)")
        for name, server in zip(("a", "b"), servers, strict=True):
            rss = worker_rss_mb(server.pid)
            print(f"node {name} workers RSS: " + ", ".join(f"{x:.0f}" for x in rss) + " MB")
    finally:
        for server in servers:
            os.killpg(server.pid, signal.SIGTERM)
        for server in servers:
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        psql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000])
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per node")
    parser.add_argument("--duration", type=float, default=60, help="seconds per load phase")
    parser.add_argument("--rate", type=float, default=15, help="requests per second in the load phases")
    parser.add_argument("--threads", type=int, default=6, help="client threads in the load phases")
    parser.add_argument("--changes", type=int, default=10, help="renames timed until visible on B")
    parser.add_argument("--landing", type=int, default=200, help="sequential landing-page requests")
    parser.add_argument("--map-repeat", type=int, default=20, help="sequential requests per map view")
    parser.add_argument("--map-only", action="store_true", help="skip the change and load phases (map and landing figures)")
    parser.add_argument("--database", default="odekake_bench_scale", help="PostGIS database made (and dropped) per size")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="odekake-scale-") as tmp:
        for n in args.sizes:
            run_size(n, args, Path(tmp))


if __name__ == "__main__":
    main()
