"""`make deploy-check`: the deployment in deploy/ started for real on 127.0.0.1, then checked.

Starts Debian's nginx (the site rendered from deploy/nginx/odekake.conf.in, TLS with a throw-away
certificate) in front of two gunicorn web nodes (deploy/gunicorn.conf.py, each with its own search
index directory) and one `odekake worker`, on a fresh PostGIS database and the local Redis, with
ODEKAKE_ENV=production and proxy_fix_hops = 1. Then:

1. cache: anonymous pages and API answers are served by nginx while both app nodes are stopped
   (SIGSTOP: as slow as an app can be);
2. mail: a password reset asked for through nginx is sent by the worker (to a local SMTP sink);
3. static: the stylesheet a page names (fingerprinted, ?v=<hash>) is served by nginx with a year's
   immutable cache, the same file without ?v= with an hour's;
4. feed: a listing imported through node A is found through node B and through nginx. This needs
   the change feed (issue 22, "Change feed"); without it node B's index never learns of it.

Prints one line per check and exits 0 when all pass. Used by tests/deploy/test_deploy.py too.
Environment: DEPLOY_CHECK_PGDB (database name, dropped and created), DEPLOY_CHECK_REDIS_URL,
DEPLOY_CHECK_PORTS (nginx,node_a,node_b; default 8087,5107,5117), DEPLOY_CHECK_KEEP=1 (leave the
temporary directory for reading the logs).
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "deploy"))
from render_nginx import render  # noqa: E402

BIN = Path(sys.executable).parent
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
PSQL = ["psql", "-h", "127.0.0.1", "-p", "5432", "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-q"]
FEED_NAME = "デプロイ確認サロン"
FEED_CSV = (
    "ID,名称,名称_カナ,種別,所在地_連結表記,緯度,経度,開催日時,料金,対象\n"
    f"DC1,{FEED_NAME}（サンプル）,デプロイカクニンサロン,ふれあい・いきいきサロン,奈良県生駒市東新町８－３８,"
    "34.6918,135.7007,毎週火曜日 10時～11時半,無料,高齢者\n"
)


class CheckFailed(AssertionError):
    pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: str
    seconds: float


@dataclass
class Stack:
    """Everything the check starts; a context manager that stops it all (process groups)."""

    pgdb: str = os.environ.get("DEPLOY_CHECK_PGDB", "odekake_deploy_check")
    redis_url: str = os.environ.get("DEPLOY_CHECK_REDIS_URL", "redis://127.0.0.1:6379/5")
    ports: tuple[int, int, int] = tuple(  # type: ignore[assignment]
        int(p) for p in os.environ.get("DEPLOY_CHECK_PORTS", "8087,5107,5117").split(",")
    )
    tmp: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="odekake-deploy-")))
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"https://localhost:{self.ports[0]}"

    def node_env(self, node: str) -> dict[str, str]:
        env = dict(self.env)
        env["ODEKAKE_INDEX_DIR"] = str(self.tmp / f"index-{node}")
        return env

    # -- start / stop -------------------------------------------------------------------------------
    def __enter__(self) -> Stack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        from cryptography.fernet import Fernet

        (self.tmp / "mail").mkdir()
        (self.tmp / "instance").mkdir()
        self._database()
        import redis

        client = redis.Redis.from_url(self.redis_url)
        try:
            client.flushdb()  # this check's own database: limits, queue
        finally:
            client.close()
        smtp_port = _free_port()
        base_env = {k: v for k, v in os.environ.items() if not k.startswith("ODEKAKE_")}
        self.env = base_env | {
            "ODEKAKE_ENV": "production",
            "ODEKAKE_INSTANCE_DIR": str(self.tmp / "instance"),
            "ODEKAKE_DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{self.pgdb}",
            "ODEKAKE_REDIS_URL": self.redis_url,
            "ODEKAKE_JOB_QUEUE": "odekake-deploy-check",
            "ODEKAKE_BASE_URL": self.base,
            "ODEKAKE_SECRET_KEY": secrets.token_urlsafe(48),
            "ODEKAKE_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "ODEKAKE_PROXY_FIX_HOPS": "1",
            "ODEKAKE_SMTP_HOST": "127.0.0.1",
            "ODEKAKE_SMTP_PORT": str(smtp_port),
            "ODEKAKE_SMTP_TLS": "none",
            "ODEKAKE_WORKERS": "2",
            "PYTHONPATH": str(ROOT),
        }
        self._run(self.env, BIN / "odekake", "init-db")
        self._run(self.env, BIN / "odekake", "load-demo")
        for node in ("a", "b"):
            self._run(self.node_env(node), BIN / "odekake", "reindex", "--quiet")
        self._spawn("smtp", [sys.executable, "-m", "tests.jobs.smtp_sink", str(smtp_port), str(self.tmp / "mail")], self.env)
        for node, port in (("a", self.ports[1]), ("b", self.ports[2])):
            env = self.node_env(node) | {"ODEKAKE_BIND": f"127.0.0.1:{port}"}
            self._spawn(f"node-{node}", [str(BIN / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py")], env)
        self._spawn("worker", [str(BIN / "odekake"), "worker", "--name", f"deploy-check-{os.getpid()}"], self.node_env("worker"))
        self._nginx()
        self._wait_up()

    def _database(self) -> None:
        subprocess.run([*PSQL, "-d", "postgres", "-c", f"DROP DATABASE IF EXISTS {self.pgdb} WITH (FORCE)"], check=True)
        subprocess.run([*PSQL, "-d", "postgres", "-c", f"CREATE DATABASE {self.pgdb}"], check=True)
        subprocess.run([*PSQL, "-d", self.pgdb, "-c", "CREATE EXTENSION IF NOT EXISTS postgis"], check=True)

    def _nginx(self) -> None:
        conf = self.tmp / "nginx"
        (conf / "cache").mkdir(parents=True)
        (conf / "snippets").mkdir()
        shutil.copyfile(ROOT / "deploy" / "nginx" / "odekake-proxy.conf", conf / "snippets" / "odekake-proxy.conf")
        cert, key = conf / "cert.pem", conf / "key.pem"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
             "-keyout", str(key), "-out", str(cert)],
            check=True, capture_output=True,
        )  # fmt: skip
        site = render(
            upstreams=[f"127.0.0.1:{self.ports[1]}", f"127.0.0.1:{self.ports[2]}"],
            server_name="localhost", cert=str(cert), key=str(key), static_dir=str(ROOT / "static"),
            cache_dir=str(conf / "cache"), snippets_dir=str(conf / "snippets"),
            https_listen=f"127.0.0.1:{self.ports[0]}", http_listen=f"127.0.0.1:{_free_port()}",
        )  # fmt: skip
        (conf / "odekake.conf").write_text(site, encoding="utf-8")
        user = "user root;\n" if os.geteuid() == 0 else ""
        (conf / "nginx.conf").write_text(
            f"{user}worker_processes 1;\npid {conf}/nginx.pid;\nerror_log {conf}/error.log warn;\n"
            "events { worker_connections 256; }\n"
            "http {\n  include /etc/nginx/mime.types;\n"
            f"  access_log {conf}/access.log;\n  client_body_temp_path {conf}/body;\n"
            f"  proxy_temp_path {conf}/proxy;\n  fastcgi_temp_path {conf}/fastcgi;\n"
            f"  uwsgi_temp_path {conf}/uwsgi;\n  scgi_temp_path {conf}/scgi;\n"
            f"  include {conf}/odekake.conf;\n}}\n",
            encoding="utf-8",
        )
        test = subprocess.run([NGINX, "-t", "-p", str(conf), "-c", str(conf / "nginx.conf")], capture_output=True, text=True)
        if test.returncode:
            raise CheckFailed(f"nginx -t refused the rendered site:\n{test.stderr}")
        self._spawn("nginx", [NGINX, "-p", str(conf), "-c", str(conf / "nginx.conf"), "-g", "daemon off;"], self.env)

    def _run(self, env: dict[str, str], *args: object) -> None:
        done = subprocess.run([str(a) for a in args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
        if done.returncode not in (0,):
            raise CheckFailed(f"{' '.join(str(a) for a in args)} failed: {done.stderr[-2000:]}")

    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> None:
        with open(self.tmp / f"{name}.log", "wb") as log:  # the child keeps its own copy of the handle
            self.procs[name] = subprocess.Popen(
                args, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def _wait_up(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise CheckFailed(f"{name} exited ({proc.returncode}): {self.log(name)[-2000:]}")
            try:
                if self.get("/healthz").status == 200 and all(
                    self.get("/healthz", node=n).status == 200 for n in ("a", "b")
                ):
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise CheckFailed("the stack did not answer /healthz within a minute")

    def log(self, name: str) -> str:
        return (self.tmp / f"{name}.log").read_text(encoding="utf-8", errors="replace")

    def signal_nodes(self, sig: signal.Signals) -> None:
        for name in ("node-a", "node-b"):
            os.killpg(self.procs[name].pid, sig)

    def stop(self) -> None:
        for proc in self.procs.values():
            try:
                os.killpg(proc.pid, signal.SIGCONT)
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
        for proc in self.procs.values():
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        if os.environ.get("DEPLOY_CHECK_KEEP") != "1":
            shutil.rmtree(self.tmp, ignore_errors=True)
        else:
            print(f"logs kept in {self.tmp}")

    # -- HTTP ---------------------------------------------------------------------------------------
    def get(self, path: str, *, node: str | None = None, **kwargs: object) -> Response:
        return self.request("GET", path, node=node, **kwargs)  # type: ignore[arg-type]

    def request(
        self,
        method: str,
        path: str,
        *,
        node: str | None = None,
        data: dict[str, str] | None = None,
        opener: urllib.request.OpenerDirector | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 10,
    ) -> Response:
        """Through nginx, or straight to node "a" or "b" (as nginx would: Host and forwarded headers)."""
        if node is None:
            url = self.base + path
            hdrs = {}
        else:
            port = self.ports[1] if node == "a" else self.ports[2]
            url = f"http://127.0.0.1:{port}{path}"
            hdrs = {"Host": f"localhost:{self.ports[0]}", "X-Forwarded-Proto": "https", "X-Forwarded-For": "127.0.0.1",
                    "X-Forwarded-Host": f"localhost:{self.ports[0]}"}  # fmt: skip
        hdrs |= headers or {}
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(url, data=body, method=method, headers=hdrs)
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        opener = opener or urllib.request.build_opener(urllib.request.HTTPSHandler(context=context))
        started = time.monotonic()
        try:
            with opener.open(req, timeout=timeout) as answer:
                text = answer.read().decode("utf-8", "replace")
                return Response(answer.status, dict(answer.headers), text, time.monotonic() - started)
        except urllib.error.HTTPError as exc:
            with exc:
                text = exc.read().decode("utf-8", "replace")
                return Response(exc.code, dict(exc.headers), text, time.monotonic() - started)

    def browser(self) -> urllib.request.OpenerDirector:
        """An opener with a cookie jar, as a browser keeps a session."""
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=context),
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
        )


# -- the checks ---------------------------------------------------------------------------------------
CACHED_PATHS = ("/", "/api/v1/activities?q=%E3%82%B5%E3%83%AD%E3%83%B3", "/about")


def check_cache_while_slow(stack: Stack) -> str:
    for path in CACHED_PATHS:
        first = stack.get(path)
        if first.status != 200:
            raise CheckFailed(f"{path}: {first.status}")
        second = stack.get(path)
        if second.headers.get("X-Cache-Status") != "HIT":
            raise CheckFailed(f"{path} is not cached: X-Cache-Status {second.headers.get('X-Cache-Status')!r}")
    staff = stack.get("/staff/")
    if staff.headers.get("X-Cache-Status") == "HIT":
        raise CheckFailed("a staff page came from the cache")
    stack.signal_nodes(signal.SIGSTOP)
    try:
        times = []
        for path in CACHED_PATHS:
            answer = stack.get(path, timeout=5)
            if answer.status != 200 or answer.headers.get("X-Cache-Status") not in ("HIT", "STALE", "UPDATING"):
                raise CheckFailed(f"{path} while the app is stopped: {answer.status} {answer.headers.get('X-Cache-Status')}")
            times.append(answer.seconds)
    finally:
        stack.signal_nodes(signal.SIGCONT)
    return f"{len(CACHED_PATHS)} anonymous pages/API answers served from nginx's cache while both nodes were stopped (max {max(times) * 1000:.0f} ms)"


def check_reset_mail_by_worker(stack: Stack, email: str = "deploy-check@example.jp") -> str:
    done = subprocess.run(
        [str(BIN / "odekake"), "create-user", email, "--role", "supporter", "--password-stdin"],
        input="correct horse battery staple\n", env=stack.env, cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    if done.returncode:
        raise CheckFailed(f"create-user: {done.stderr}")
    browser = stack.browser()
    form = stack.request("GET", "/auth/password/forgot", opener=browser)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form.body)
    if form.status != 200 or not token:
        raise CheckFailed(f"reset form: {form.status}")
    referer = {"Referer": stack.base + "/auth/password/forgot"}
    sent = stack.request("POST", "/auth/password/forgot", data={"csrf_token": token.group(1), "email": email},
                         opener=browser, headers=referer)  # fmt: skip
    if sent.status != 200:
        raise CheckFailed(f"reset request: {sent.status} {sent.body[:300]}")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for mail in sorted((stack.tmp / "mail").glob("*.eml")):
            text = mail.read_text(encoding="utf-8", errors="replace")
            if email in text:
                if "deliver_message" not in stack.log("worker"):
                    raise CheckFailed("a mail arrived, but not through the worker")
                return f"reset mail to {email} sent by the worker ({mail.name})"
        time.sleep(0.5)
    raise CheckFailed(f"no reset mail within 30 s; worker log: {stack.log('worker')[-1500:]}")


def check_static_fingerprinted(stack: Stack) -> str:
    """The stylesheet a page names (?v=<hash>) is kept a year; the same file without ?v= an hour."""
    page = stack.get("/")
    found = re.search(r'href="(/static/css/site\.css\?v=([0-9a-f]{12}))"', page.body)
    if page.status != 200 or not found:
        raise CheckFailed(f"/ names no fingerprinted stylesheet ({page.status})")
    answers = {
        "fingerprinted": (stack.get(found.group(1)), "public, max-age=31536000, immutable"),
        "plain": (stack.get("/static/css/site.css"), "public, max-age=3600"),
        "vendored": (stack.get("/static/vendor/leaflet/images/layers.png"), "public, max-age=2592000"),
    }
    for label, (answer, wanted) in answers.items():
        if answer.status != 200 or answer.headers.get("Cache-Control") != wanted:
            raise CheckFailed(f"{label} static file: {answer.status}, Cache-Control {answer.headers.get('Cache-Control')!r}")
        if "Expires" in answer.headers or answer.headers.get("X-Content-Type-Options") != "nosniff":
            raise CheckFailed(f"{label} static file: headers {answer.headers}")
    return f"{found.group(1)} is kept a year (immutable); the file without ?v= an hour, vendored images 30 days"


def check_change_visible_on_node_b(stack: Stack, within: float = 10) -> str:
    csv = stack.tmp / "feed.csv"
    csv.write_text(FEED_CSV, encoding="utf-8")
    done = subprocess.run(
        [str(BIN / "odekake"), "import", "municipal-csv", str(csv), "--source", "deploycheck"],
        env=stack.node_env("a"), cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    if done.returncode:
        raise CheckFailed(f"import through node A: {done.stderr[-1500:]}")
    query = "/api/v1/activities?q=" + urllib.parse.quote(FEED_NAME)

    def found(answer: Response) -> bool:
        return answer.status == 200 and FEED_NAME in answer.body

    if not found(stack.get(query, node="a")):
        raise CheckFailed("node A does not find the listing it imported")
    started = time.monotonic()
    while time.monotonic() - started < within:
        # Through nginx: several fresh (uncached) queries, so that both nodes answer.
        on_b = found(stack.get(query + f"&n={time.monotonic_ns()}", node="b"))
        if on_b and all(found(stack.get(query + f"&n={time.monotonic_ns()}-{i}")) for i in range(6)):
            seconds = time.monotonic() - started
            return f"a listing imported through node A was found through node B and nginx after {seconds:.1f} s"
        time.sleep(0.25)
    raise CheckFailed(f"node B did not find a listing imported through node A within {within:.0f} s (needs the change feed)")


CHECKS: list[tuple[str, Callable[[Stack], str]]] = [
    ("cache", check_cache_while_slow),
    ("mail", check_reset_mail_by_worker),
    ("static", check_static_fingerprinted),
    ("feed", check_change_visible_on_node_b),
]


def main() -> int:
    failed = 0
    with Stack() as stack:
        for name, check in CHECKS:
            try:
                print(f"PASS {name}: {check(stack)}", flush=True)
            except CheckFailed as exc:
                failed += 1
                print(f"FAIL {name}: {exc}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
