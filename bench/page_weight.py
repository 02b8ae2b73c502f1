"""Page weight of the resident results page on a phone, measured in Debian's chromium.

Serves the app on 127.0.0.1 (temporary SpatiaLite database with the sample city), opens pages at
390×844 with Playwright and prints bytes transferred (headers + body, as sent by the development
server, i.e. uncompressed) and request count, excluding map tiles.  A gzip column shows what a
compressing proxy would send.  Budget for the phone results page: ≤ 150 KB and ≤ 15 requests.

    .venv/bin/python bench/page_weight.py

With ``ODEKAKE_LIGHTHOUSE=/path/to/node_modules/.bin/lighthouse`` (``npm install lighthouse`` in
any directory; it drives the same Debian chromium), Lighthouse's mobile scores are printed too.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]  # fmt: skip
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
BUDGET_BYTES = 150 * 1024
BUDGET_REQUESTS = 15


@dataclass
class Weight:
    label: str
    requests: int = 0
    transferred: int = 0
    gzipped: int = 0
    tiles_blocked: int = 0
    files: list[tuple[str, int]] = field(default_factory=list)


def _serve() -> tuple[str, Any]:
    from werkzeug.serving import make_server

    from webapp import create_app
    from webapp.commands.migrate import upgrade_to_head
    from webapp.extensions import db
    from webapp.listings.demo import load_sample_city

    instance = Path(tempfile.mkdtemp(prefix="odekake-weight-"))
    app = create_app({"instance_dir": instance, "env": "testing"})
    with app.app_context():
        upgrade_to_head()
        with db.transaction() as session:
            load_sample_city(session)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


def _measure(browser: Any, url: str, label: str, action: Any = None) -> Weight:
    weight = Weight(label)
    context = browser.new_context(**PHONE, locale="ja-JP")

    def route(r: Any) -> None:
        if r.request.url.startswith("http://127.0.0.1"):
            r.continue_()
        else:
            weight.tiles_blocked += 1
            r.abort()

    context.route("**/*", route)
    page = context.new_page()

    def finished(request: Any) -> None:
        sizes = request.sizes()
        response = request.response()
        body = response.body() if response else b""
        size = sizes["responseHeadersSize"] + sizes["responseBodySize"]
        weight.requests += 1
        weight.transferred += size
        weight.gzipped += sizes["responseHeadersSize"] + min(len(gzip.compress(body, 6)), len(body))
        weight.files.append((request.url.split("127.0.0.1", 1)[-1].split("/", 1)[-1][:70], size))

    page.on("requestfinished", finished)
    page.goto(url, wait_until="networkidle")
    if action:
        action(page)
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(500)
    context.close()
    return weight


def _lighthouse(binary: str, url: str) -> str:
    out = Path(tempfile.mkdtemp(prefix="odekake-lh-")) / "report.json"
    flags = "--headless=new " + " ".join(ARGS)
    done = subprocess.run(
        [binary, url, "--quiet", f"--chrome-flags={flags}", "--output=json", f"--output-path={out}",
         "--only-categories=performance,accessibility,best-practices"],
        env={**os.environ, "CHROME_PATH": CHROMIUM}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    if done.returncode or not out.exists():
        return f"lighthouse failed: {done.stderr.strip().splitlines()[-1:] or done.returncode}"
    categories = json.loads(out.read_text())["categories"]
    return "  ".join(f"{k} {round(v['score'] * 100)}" for k, v in categories.items())


def main() -> None:
    from playwright.sync_api import sync_playwright

    base, server = _serve()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        results = [
            _measure(browser, base + "/", "phone results page /"),
            _measure(browser, base + "/?near=東生駒&category=salon", "phone results, near + category"),
            _measure(browser, base + "/", "phone results + map opened",
                     lambda page: page.locator("#map-toggle").click()),
            _measure(browser, base + "/activities/1", "phone activity page"),
        ]
        browser.close()
    lighthouse = os.environ.get("ODEKAKE_LIGHTHOUSE")
    scores = {path: _lighthouse(lighthouse, base + path) for path in ("/", "/activities/1")} if lighthouse else {}
    server.shutdown()

    print(f"{'page':36} {'requests':>8} {'transferred':>12} {'gzip est.':>10} {'tiles blocked':>13}")
    for w in results:
        print(f"{w.label:36} {w.requests:8d} {w.transferred / 1024:10.1f}KB {w.gzipped / 1024:8.1f}KB {w.tiles_blocked:13d}")
    first = results[0]
    print()
    print("files on the phone results page:")
    for name, size in first.files:
        print(f"  {size / 1024:7.1f} KB  /{name}")
    ok = first.transferred <= BUDGET_BYTES and first.requests <= BUDGET_REQUESTS
    print()
    print(
        f"budget (phone results page): {first.transferred / 1024:.1f} KB of {BUDGET_BYTES // 1024} KB, "
        f"{first.requests} of {BUDGET_REQUESTS} requests: {'OK' if ok else 'OVER'}"
    )
    for path, line in scores.items():
        print(f"lighthouse (mobile) {path}: {line}")


if __name__ == "__main__":
    main()
