"""Render deploy/nginx/odekake.conf.in into an nginx site file (and copy its proxy snippet beside it).

    python3 deploy/render_nginx.py --out /etc/nginx/sites-available/odekake \\
        --server-name odekake.example.jp --upstream 127.0.0.1:8001 --upstream 10.0.0.12:8001 \\
        --cert /etc/letsencrypt/live/odekake.example.jp/fullchain.pem \\
        --key /etc/letsencrypt/live/odekake.example.jp/privkey.pem

The deploy check (deploy/check.py) renders the same file with its own ports and paths, so what is
tested is what is shipped. Standard library only: it runs before any virtualenv exists.
"""

from __future__ import annotations

import argparse
import re
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent


def render(
    *,
    upstreams: list[str],
    server_name: str,
    cert: str,
    key: str,
    static_dir: str,
    cache_dir: str,
    snippets_dir: str,
    https_listen: str = "443",
    http_listen: str = "80",
    rate: str = "20r/s",
    burst: int = 60,
    cache_seconds: int = 30,
) -> str:
    https_port = https_listen.rsplit(":", 1)[-1]
    values = {
        "UPSTREAM_SERVERS": "\n".join(f"    server {u} max_fails=2 fail_timeout=10s;" for u in upstreams),
        "SERVER_NAME": server_name,
        "TLS_CERT": cert,
        "TLS_KEY": key,
        "STATIC_DIR": static_dir.rstrip("/"),
        "CACHE_DIR": cache_dir,
        "SNIPPETS_DIR": snippets_dir,
        "HTTPS_LISTEN": https_listen,
        "HTTP_LISTEN": http_listen,
        "HTTPS_PORT_SUFFIX": "" if https_port == "443" else f":{https_port}",
        "RATE": rate,
        "BURST": str(burst),
        "CACHE_SECONDS": str(cache_seconds),
    }
    text = (HERE / "nginx" / "odekake.conf.in").read_text(encoding="utf-8")
    text = re.sub(r"@([A-Z_]+)@", lambda m: values[m.group(1)], text)
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--server-name", required=True)
    parser.add_argument("--upstream", action="append", required=True, help="host:port of a web node (repeat)")
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--static-dir", default="/srv/odekake/static")
    parser.add_argument("--cache-dir", default="/var/cache/nginx/odekake")
    parser.add_argument("--snippets-dir", default="/etc/nginx/snippets")
    parser.add_argument("--https-listen", default="443")
    parser.add_argument("--http-listen", default="80")
    parser.add_argument("--cache-seconds", type=int, default=30)
    args = parser.parse_args()
    args.out.write_text(
        render(
            upstreams=args.upstream, server_name=args.server_name, cert=args.cert, key=args.key,
            static_dir=args.static_dir, cache_dir=args.cache_dir, snippets_dir=args.snippets_dir,
            https_listen=args.https_listen, http_listen=args.http_listen, cache_seconds=args.cache_seconds,
        ),
        encoding="utf-8",
    )
    snippets = Path(args.snippets_dir)
    snippets.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(HERE / "nginx" / "odekake-proxy.conf", snippets / "odekake-proxy.conf")
    print(f"wrote {args.out} and {snippets / 'odekake-proxy.conf'}; check with: nginx -t")


if __name__ == "__main__":
    main()
