"""deploy/ files that can be checked without starting anything: the example environment is a valid
production configuration matched to the nginx site (one proxy hop, shared limits, a queue), and the
systemd units parse."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from deploy.render_nginx import render
from webapp.config import load_settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _env_example() -> dict[str, str]:
    pairs = {}
    for line in (DEPLOY / "odekake.env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key] = value
    return pairs


def test_the_example_environment_is_a_production_configuration_for_this_nginx_site(tmp_path: Path) -> None:
    settings = load_settings({"instance_dir": tmp_path}, environ=_env_example())
    assert settings.is_production and settings.redis_url and settings.rate_limits_shared
    # nginx appends the client to X-Forwarded-For and is the one proxy: exactly one hop trusted.
    assert settings.proxy_fix_hops == 1
    snippet = (DEPLOY / "nginx" / "odekake-proxy.conf").read_text(encoding="utf-8")
    assert "X-Forwarded-For $proxy_add_x_forwarded_for" in snippet and "X-Forwarded-Proto $scheme" in snippet


def test_rendering_fills_every_name() -> None:
    site = render(upstreams=["127.0.0.1:8001", "127.0.0.1:8002"], server_name="odekake.example.jp", cert="/c.pem",
                  key="/k.pem", static_dir="/srv/odekake/static/", cache_dir="/var/cache/nginx/odekake",
                  snippets_dir="/etc/nginx/snippets")  # fmt: skip
    assert "@" not in site.replace("@example", "")
    assert site.count("server 127.0.0.1:800") == 2 and "alias /srv/odekake/static/;" in site
    assert "return 301 https://$host$request_uri;" in site  # port 443: no port in the redirect


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_systemd_units_parse() -> None:
    units = sorted(str(p) for p in (DEPLOY / "systemd").iterdir())
    done = subprocess.run(["systemd-analyze", "verify", "--man=no", *units], capture_output=True, text=True, timeout=60)
    # The units name /srv/odekake, which this machine does not have; anything else is a real fault.
    faults = [line for line in done.stderr.splitlines() if line.strip() and "is not executable" not in line]
    assert faults == [], done.stderr


def test_static_files_are_cached_by_their_fingerprint() -> None:
    """?v=<hash> (every static URL the app writes): a year, immutable; without it an hour (30 days for
    the versioned vendor folder). One Cache-Control each: no `expires` beside it, no `if` block."""
    site = render(upstreams=["127.0.0.1:8001"], server_name="odekake.example.jp", cert="/c.pem", key="/k.pem",
                  static_dir="/srv/odekake/static", cache_dir="/var/cache/nginx/odekake",
                  snippets_dir="/etc/nginx/snippets")  # fmt: skip
    blocks = {m.group(1): m.group(2) for m in re.finditer(r"location (/static/(?:vendor/)?) \{(.*?)\n    \}", site, re.S)}
    assert set(blocks) == {"/static/", "/static/vendor/"}
    assert "add_header Cache-Control $odekake_static_cache;" in blocks["/static/"]
    assert "add_header Cache-Control $odekake_vendor_cache;" in blocks["/static/vendor/"]
    for block in blocks.values():
        assert "expires" not in block and "if (" not in block and "X-Content-Type-Options nosniff" in block
    maps = dict(re.findall(r"map \$arg_v (\$\w+) \{(.*?)\}", site, re.S))
    assert maps["$odekake_static_cache"].split() == ['default', '"public,', 'max-age=31536000,', 'immutable";',
                                                     '""', '"public,', 'max-age=3600";']
    assert 'max-age=2592000' in maps["$odekake_vendor_cache"] and "immutable" in maps["$odekake_vendor_cache"]
