"""requirements.lock and its audit (scripts/audit_lock.py, run by `make test`).

The lock pins every dependency pyproject.toml names. The audit fails on a known vulnerability and on
a partly auditable lock, and only warns when the advisory service answers for nothing (offline).
pip-audit itself needs the network; the wiring is exercised here with a stand-in executable that
answers as pip-audit does (its exit status and its JSON report format).
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


def _module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("audit_lock", ROOT / "scripts" / "audit_lock.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["audit_lock"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


audit = _module()


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_lock_pins_every_dependency_of_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    names = {_canonical(re.split(r"[\[<>=!~ ;]", spec, maxsplit=1)[0]) for spec in wanted}
    pinned = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, sep, version = line.partition("==")
            assert sep and version, f"not pinned: {line!r}"
            pinned[_canonical(name)] = version
    missing = sorted(names - set(pinned))
    assert missing == [], f"not in requirements.lock (run `make lock`): {missing}"
    assert "odekake" not in pinned


def _dep(name: str, vulns: list[str] | None = None, skip: str = "") -> dict[str, object]:
    if skip:
        return {"name": name, "skip_reason": skip}
    return {"name": name, "version": "1.0", "vulns": [{"id": v} for v in vulns or []]}


def test_classify() -> None:
    skip = "Dependency not found on PyPI and could not be audited: x (1.0)"
    ok = audit.classify(0, "", None, "")
    assert ok.code == 0 and "no known vulnerabilities" in ok.message
    vuln = audit.classify(1, "", {"dependencies": [_dep("jinja2", ["PYSEC-2019-217"]), _dep("flask")]}, "")
    assert vuln.code == 1 and "jinja2 1.0: PYSEC-2019-217" in vuln.message
    offline = audit.classify(1, "", {"dependencies": [_dep("a", skip=skip), _dep("b", skip=skip)]}, "")
    assert offline.code == 0 and offline.message.startswith("WARNING") and "NOT audited" in offline.message
    partial = audit.classify(1, "", {"dependencies": [_dep("a", skip=skip), _dep("b")]}, "")
    assert partial.code == 1 and "could not be audited: a" in partial.message
    no_net = audit.classify(1, "requests.exceptions.ConnectionError: Max retries exceeded", None, "")
    assert no_net.code == 0 and no_net.message.startswith("WARNING")
    broken = audit.classify(2, "usage: pip-audit: error: unrecognized arguments", None, "")
    assert broken.code == 1


FAKE = r'''#!/usr/bin/env python3
import json, sys
args = sys.argv[1:]
assert "--no-deps" in args and "--disable-pip" in args and "-r" in args, args
mode = "MODE"
deps = {
    "vuln": [{"name": "jinja2", "version": "2.10", "vulns": [{"id": "PYSEC-2019-217"}]}],
    "offline": [{"name": "flask", "skip_reason": "Dependency not found on PyPI and could not be audited: flask (3.0)"}],
    "clean": [{"name": "flask", "version": "3.0", "vulns": []}],
}[mode]
if "-o" in args:
    with open(args[args.index("-o") + 1], "w") as f:
        json.dump({"dependencies": deps, "fixes": []}, f)
if mode == "clean":
    sys.exit(0)
sys.exit(1)
'''


@pytest.mark.parametrize(("mode", "status", "text"), [
    ("vuln", 1, "PYSEC-2019-217"), ("offline", 0, "WARNING"), ("clean", 0, "no known vulnerabilities"),
])  # fmt: skip
def test_the_script_exit_status(tmp_path: Path, mode: str, status: int, text: str) -> None:
    fake = tmp_path / "pip-audit"
    fake.write_text(FAKE.replace("MODE", mode))
    fake.chmod(0o755)
    lock = tmp_path / "requirements.lock"
    lock.write_text("jinja2==2.10\n")
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "audit_lock.py"), "--lock", str(lock), "--pip-audit", str(fake)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == status, done.stdout + done.stderr
    assert text in done.stdout


def test_a_missing_lock_is_one_clear_error(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "audit_lock.py"), "--lock", str(tmp_path / "none.lock")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1 and "make lock" in done.stdout
