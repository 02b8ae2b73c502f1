"""Load test: wrk (Debian package) against a real gunicorn on 127.0.0.1, bounded in time.

    .venv/bin/python bench/load.py                       # SQLite, 60 s paced + ramp (≈2 min)
    .venv/bin/python bench/load.py --hold 600            # the 10-minute 30 req/s hold
    .venv/bin/python bench/load.py --database-url postgresql://postgres@127.0.0.1:5432/odekake_bench

A fresh instance is built (init-db, load-demo, load-demo-staff, reindex) in a temporary directory,
gunicorn serves it with --workers N, and wrk runs a mixed workload: public pages (searches with and
without text and radius, detail pages, .ics, map GeoJSON, API) plus a few staff writes (about
--write-pct % of requests): a support worker adding a case note and scheduling a follow-up on the
matching board, the writes of a busy morning. The staff member logs in through the real login form
before wrk starts; wrk sends that session cookie and the form's CSRF token. A write counts as done
only when it answers 302 back to the case; afterwards the rows are counted in the database.
Phase 1 paces wrk at about --rate req/s (wrk's Lua delay()); phase 2 ramps connections without
pacing to find the ceiling. Prints one table; exit 0 unless the instance cannot be set up (figures,
not a pass/fail test). wrk is a Debian package: when it is missing, scripts/setup-system.sh installs it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

# Per-thread Lua states: counters are globals so done() can read them through thread:get().
# A write is done when it answers 302 to the case page (the view's success redirect); every other
# redirect and every status >= 400 is an error (the public pages of the mix all answer 200).
LUA = r"""
local paths = {}
for line in io.lines("%(paths)s") do paths[#paths + 1] = line end
local pace_ms = %(pace_ms)d
local write_pct = %(write_pct)f
local cookie = "%(cookie)s"
local token = "%(token)s"
local note_url = "%(note_url)s"
local followup_url = "%(followup_url)s"
local marker = "%(marker)s"
local threads = {}
local ids = 0
setup = function(thread)
  ids = ids + 1
  thread:set("tid", ids)
  table.insert(threads, thread)
end
init = function(args)
  math.randomseed(os.time() + tid * 7919)
  writes, write_ok, bad = 0, 0, 0
end
local get_headers = {["Accept-Language"] = "ja", ["User-Agent"] = "odekake-bench"}
request = function()
  if write_pct > 0 and math.random() * 100 < write_pct then
    writes = writes + 1
    local headers = {["Accept-Language"] = "ja", ["User-Agent"] = "odekake-bench", ["Cookie"] = cookie,
                     ["Content-Type"] = "application/x-www-form-urlencoded"}
    local label = marker .. "-" .. tid .. "-" .. writes
    if writes %% 2 == 0 then
      return wrk.format("POST", note_url, headers, "csrf_token=" .. token .. "&body=" .. label)
    end
    return wrk.format("POST", followup_url, headers,
                      "csrf_token=" .. token .. "&due_on=2031-04-01&target=person&label=" .. label)
  end
  return wrk.format("GET", paths[math.random(#paths)], get_headers)
end
delay = function()
  if pace_ms > 0 then return pace_ms end
  return 0
end
response = function(status, headers, body)
  local location = headers["Location"] or headers["location"] or ""
  if status == 302 and string.find(location, "/staff/cases/", 1, true) then
    write_ok = write_ok + 1
  elseif status >= 300 or status < 100 then
    bad = bad + 1  -- >= 400, or a redirect elsewhere (e.g. a write sent back to the login page)
  end
end
done = function(summary, latency, requests)
  local w, ok, b = 0, 0, 0
  for _, t in ipairs(threads) do
    w = w + t:get("writes"); ok = ok + t:get("write_ok"); b = b + t:get("bad")
  end
  local out = io.open("%(result)s", "w")
  out:write(string.format(
    '{"requests": %%d, "seconds": %%f, "p50": %%f, "p95": %%f, "p99": %%f, "max": %%f, ' ..
    '"status_errors": %%d, "socket_errors": %%d, "writes": %%d, "writes_ok": %%d, "bad": %%d}',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(95) / 1e3,
    latency:percentile(99) / 1e3, latency.max / 1e3, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    w, ok, b))
  out:close()
end
"""

MARKER = "loadtest"
USER_AGENT = "odekake-bench"  # wrk sends the same: Flask-Login's strong session protection checks it
STAFF_EMAIL = "supporter.demo@example.jp"  # data/sample/staff_demo.json: a supporter with cases


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def odekake(env: dict[str, str], *args: str, stdin: str | None = None) -> None:
    done = subprocess.run(
        [str(BIN / "odekake"), *args], env=env, cwd=ROOT, capture_output=True, text=True, input=stdin
    )
    if done.returncode != 0:
        raise SystemExit(f"bench/load.py: odekake {' '.join(args)} failed: {(done.stderr or done.stdout).strip()}")


def ensure_wrk() -> bool:
    """wrk comes from Debian; install it the way scripts/setup-system.sh installs everything else."""
    if shutil.which("wrk"):
        return True
    print("bench/load.py: wrk is not installed; running scripts/setup-system.sh wrk")
    done = subprocess.run([str(ROOT / "scripts" / "setup-system.sh"), "wrk"], cwd=ROOT)
    if done.returncode != 0 or shutil.which("wrk") is None:
        print("bench/load.py: could not install wrk; install the Debian package: sudo apt-get install wrk")
        return False
    return True


def query(url: str, instance: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    if url:
        import psycopg

        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
            return list(conn.execute(sql.replace("?", "%s"), params).fetchall())
    with sqlite3.connect(instance / "odekake.sqlite3") as conn:
        return list(conn.execute(sql, params).fetchall())


class StaffSession:
    """A support worker signed in through the real login form: the cookie and CSRF token wrk sends."""

    def __init__(self, base: str, email: str, password: str, person_id: int) -> None:
        import http.cookiejar
        import re

        self.jar = http.cookiejar.CookieJar()

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args: object, **kwargs: object) -> None:
                return None

        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)
        opener.addheaders = [("User-Agent", USER_AGENT), ("Accept-Language", "ja")]
        token_re = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

        def token_of(path: str) -> str:
            page = opener.open(base + path, timeout=30).read().decode()
            found = token_re.search(page)
            if not found:
                raise SystemExit(f"bench/load.py: no CSRF token on {path}")
            return found.group(1)

        form = urllib.parse.urlencode({"email": email, "password": password, "csrf_token": token_of("/auth/login")})
        try:
            opener.open(base + "/auth/login", data=form.encode(), timeout=30)
            raise SystemExit("bench/load.py: the staff login did not redirect (wrong password?)")
        except urllib.error.HTTPError as exc:  # the 302 the NoRedirect handler hands back
            if exc.code != 302 or "/staff" not in (exc.headers.get("Location") or ""):
                raise SystemExit(f"bench/load.py: staff login answered {exc.code}") from None
        self.person_id = person_id
        self.token = token_of(f"/staff/cases/{person_id}")
        self.cookie = "; ".join(f"{c.name}={c.value}" for c in self.jar)


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


def run_wrk(
    port: int, tmp: Path, conns: int, seconds: int, pace_ms: int, threads: int,
    staff: StaffSession | None = None, write_pct: float = 0.0,
) -> dict[str, float]:  # fmt: skip
    result = tmp / f"wrk-{conns}-{pace_ms}.json"
    script = tmp / "mix.lua"
    values: dict[str, object] = {
        "paths": tmp / "paths.txt", "pace_ms": pace_ms, "result": result, "marker": MARKER,
        "write_pct": write_pct if staff else 0.0, "cookie": staff.cookie if staff else "",
        "token": urllib.parse.quote(staff.token, safe="") if staff else "",
        "note_url": f"/staff/cases/{staff.person_id}/notes" if staff else "",
        "followup_url": f"/staff/cases/{staff.person_id}/followups" if staff else "",
    }  # fmt: skip
    script.write_text(LUA % values)
    subprocess.run(
        ["wrk", "-t", str(min(threads, conns)), "-c", str(conns), "-d", f"{seconds}s", "--timeout", "10s",
         "-s", str(script), f"http://127.0.0.1:{port}"],
        check=True, capture_output=True, text=True,
    )
    data: dict[str, float] = json.loads(result.read_text())
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
    parser.add_argument("--keep", action="store_true", help="keep the temporary instance and server log")
    parser.add_argument("--write-pct", type=float, default=2.0, help="%% of requests that are staff writes")
    args = parser.parse_args()
    if not ensure_wrk():
        sys.exit(1)

    tmp = Path(tempfile.mkdtemp(prefix="odekake-load-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ODEKAKE_")}
    env.update(ODEKAKE_INSTANCE_DIR=str(tmp / "instance"), ODEKAKE_ENV="development")
    if args.database_url:
        env["ODEKAKE_DATABASE_URL"] = args.database_url
    t0 = time.time()
    odekake(env, "init-db")
    odekake(env, "load-demo")
    password = secrets.token_urlsafe(18)
    odekake(env, "load-demo-staff", "--password-stdin", stdin=password + "\n")
    odekake(env, "reindex", "--quiet")
    person_id = int(query(
        args.database_url, tmp / "instance",
        "SELECT pw.person_id FROM person_worker pw JOIN user_account u ON u.id = pw.user_id "
        "WHERE u.email = ? ORDER BY pw.person_id LIMIT 1", (STAFF_EMAIL,),
    )[0][0])  # type: ignore[call-overload]  # fmt: skip
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
        # The session's idle clock is in its cookie, which wrk never updates: the whole run must
        # stay under staff_idle_minutes (30) after this login.
        staff = StaffSession(f"http://127.0.0.1:{port}", STAFF_EMAIL, password, person_id)
        # warm every worker's caches (SudachiPy, index readers) before measuring
        run_wrk(port, tmp, args.workers * 2, 5, 0, 2)  # every worker loads SudachiPy and the index
        warm = run_wrk(port, tmp, 1, 5, 0, 1)
        rows = []
        conns = max(1, args.rate // 3)  # headroom: 10 connections pace 30 req/s up to ~330 ms latency
        # Each connection waits pace_ms between requests: rate ≈ conns × 1000 / (pace_ms + latency),
        # so the single-connection mean latency of the warm-up is taken off the pause.
        mean_ms = warm["seconds"] * 1000 / max(1, warm["requests"])
        pace = max(0, int(conns * 1000 / args.rate - mean_ms))
        # Latency under the paced mix (writes included) is higher than a lone connection's: one
        # 10 s calibration run measures it and corrects the pause.
        calib = run_wrk(port, tmp, conns, 10, pace, 2, staff, args.write_pct)
        loaded_ms = max(0.0, conns * 1000 / max(calib["rps"], 0.1) - pace)
        pace = max(0, int(conns * 1000 / args.rate - loaded_ms))
        rows.append(("paced", conns, run_wrk(port, tmp, conns, args.hold, pace, 2, staff, args.write_pct)))
        for c in [int(x) for x in args.ramp.split(",") if x]:
            rows.append(("ramp", c, run_wrk(port, tmp, c, args.step, 0, 4, staff, args.write_pct)))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
    locked = (tmp / "gunicorn.log").read_text(errors="replace").count("database is locked")
    print(f"\ngunicorn --workers {args.workers}; wrk mixed workload (public pages + {args.write_pct:g} % staff "
          f"writes); paced target {args.rate} req/s; latencies in ms")
    print(f"{'phase':<6} {'conns':>5} {'req/s':>8} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7} {'errors':>7} "
          f"{'writes':>7} {'w-ok':>6}")
    for phase, c, d in rows:
        # errors: answers >= 400 or redirected anywhere but the case page, and socket errors. A write
        # still in flight when wrk stops counts as sent but not acknowledged, and is no error.
        errors = int(d["bad"] + d["socket_errors"])
        print(f"{phase:<6} {c:>5} {d['rps']:>8.1f} {d['p50']:>7.1f} {d['p95']:>7.1f} {d['p99']:>7.1f} "
              f"{d['max']:>7.1f} {errors:>7} {int(d['writes']):>7} {int(d['writes_ok']):>6}")
    print(f"'database is locked' in the server log: {locked}")
    # A write that answered 302 may still have failed validation (the view flashes and redirects):
    # the rows themselves are the proof. wrk stops mid-request at the end of a phase, so a write can
    # be stored without its answer being counted: stored >= acknowledged, <= sent.
    runs = [d for _, _, d in rows] + [calib]
    sent = int(sum(d["writes"] for d in runs))
    acknowledged = int(sum(d["writes_ok"] for d in runs))
    notes = query(args.database_url, tmp / "instance", "SELECT count(*) FROM case_note WHERE body LIKE ?", (MARKER + "-%",))
    followups = query(args.database_url, tmp / "instance", "SELECT count(*) FROM follow_up WHERE label LIKE ?", (MARKER + "-%",))
    stored = int(notes[0][0]) + int(followups[0][0])  # type: ignore[call-overload]
    verdict = "OK" if acknowledged <= stored <= sent else "MISMATCH"
    print(f"staff writes (all phases and the 10 s calibration): {sent} sent, {acknowledged} acknowledged "
          f"(302 to the case), {stored} rows stored ({notes[0][0]} notes, {followups[0][0]} follow-ups): {verdict}")
    if args.keep:
        print(f"kept {tmp} (server log: {tmp / 'gunicorn.log'})")
    else:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
