"""Every endpoint named in a url_for() and every template named in a render_template() or a Jinja
extends/include/import exists (a renamed or moved view or template
otherwise fails only when that page is rendered, which some tests never do)."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parents[2]
URL_FOR = re.compile(r"""url_for\(\s*["']([A-Za-z_][\w.]*)["']""")


def named_endpoints() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for folder, pattern in (("templates", "*.html"), ("webapp", "*.py")):
        for path in sorted((ROOT / folder).rglob(pattern)):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                for endpoint in URL_FOR.findall(line):
                    found.setdefault(endpoint, []).append(f"{path.relative_to(ROOT)}:{number}")
    return found


def test_every_url_for_names_a_registered_endpoint(app: Flask) -> None:
    known = {rule.endpoint for rule in app.url_map.iter_rules()}
    relative = {e for e in named_endpoints() if e.startswith(".")}
    missing = {e: where for e, where in named_endpoints().items() if e not in known and e not in relative}
    assert missing == {}


def test_the_check_sees_templates_and_code() -> None:
    found = named_endpoints()
    assert any(w.startswith("templates/") for ws in found.values() for w in ws)
    assert any(w.startswith("webapp/") for ws in found.values() for w in ws)


TEMPLATE_NAME = re.compile(
    r"""(?:render_template\(\s*|\{%-?\s*(?:extends|include|import|from)\s+)["']([\w/.-]+\.html)["']"""
)


def named_templates() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for folder, pattern in (("templates", "*.html"), ("webapp", "*.py")):
        for path in sorted((ROOT / folder).rglob(pattern)):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                for name in TEMPLATE_NAME.findall(line):
                    found.setdefault(name, []).append(f"{path.relative_to(ROOT)}:{number}")
    return found


def test_every_named_template_exists() -> None:
    found = named_templates()
    assert len(found) > 20
    missing = {name: where for name, where in found.items() if not (ROOT / "templates" / name).is_file()}
    assert missing == {}
