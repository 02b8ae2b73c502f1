"""`make test`'s dependency audit: pip-audit --strict on requirements.lock.

    .venv/bin/python scripts/audit_lock.py [--lock requirements.lock] [--pip-audit PATH]

Exit 0 when every pinned dependency was audited and none has a known vulnerability; exit 1 when
one has (or, strict, when some could be audited and others not). When the advisory service cannot
be reached at all (no network, or a package index that answers for no package: every dependency
comes back "could not be audited"), print a WARNING and exit 0: an offline run is not a failed run,
but it says so. pip's own resolver is kept out (--no-deps --disable-pip): the lock is the list.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NETWORK_ERRORS = re.compile(
    r"ConnectionError|Max retries exceeded|Name or service not known|Temporary failure in name resolution|"
    r"Failed to establish a new connection|timed out|Network is unreachable|ProxyError|SSLError",
    re.I,
)


@dataclass(frozen=True)
class Verdict:
    code: int  # the exit status for make
    message: str


def classify(strict_status: int, strict_output: str, report: dict[str, object] | None, report_output: str) -> Verdict:
    """Decide from the strict run and, when it failed, a non-strict JSON report of the same lock."""
    if strict_status == 0:
        return Verdict(0, "pip-audit: no known vulnerabilities in requirements.lock")
    if report is None:
        text = strict_output + report_output
        if NETWORK_ERRORS.search(text):
            return Verdict(0, "WARNING: pip-audit could not reach its advisory service; requirements.lock was NOT audited")
        return Verdict(1, "pip-audit failed:\n" + text.strip()[-2000:])
    deps = [d for d in report.get("dependencies", []) if isinstance(d, dict)]  # type: ignore[union-attr]
    vulnerable = [d for d in deps if d.get("vulns")]
    skipped = [d for d in deps if d.get("skip_reason")]
    if vulnerable:
        lines = [
            f"  {d['name']} {d['version']}: " + ", ".join(str(v.get("id")) for v in d["vulns"]) for d in vulnerable
        ]
        return Verdict(1, "pip-audit: known vulnerabilities in requirements.lock:\n" + "\n".join(lines))
    if deps and len(skipped) == len(deps):
        return Verdict(
            0,
            f"WARNING: pip-audit's advisory service answered for none of the {len(deps)} locked packages "
            f"(e.g. {skipped[0].get('skip_reason')}); requirements.lock was NOT audited",
        )
    if skipped:
        names = ", ".join(str(d["name"]) for d in skipped[:10])
        return Verdict(1, f"pip-audit --strict: {len(skipped)} locked packages could not be audited: {names}")
    return Verdict(1, "pip-audit --strict failed:\n" + strict_output.strip()[-2000:])


def run(pip_audit: str, lock: Path) -> Verdict:
    base = [pip_audit, "-r", str(lock), "--no-deps", "--disable-pip", "--progress-spinner", "off"]
    strict = subprocess.run([*base, "--strict"], capture_output=True, text=True, timeout=900)
    if strict.returncode == 0:
        return classify(0, "", None, "")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "audit.json"
        again = subprocess.run([*base, "--format", "json", "-o", str(out)], capture_output=True, text=True, timeout=900)
        report = json.loads(out.read_text()) if out.exists() and out.stat().st_size else None
    return classify(strict.returncode, strict.stdout + strict.stderr, report, again.stdout + again.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lock", type=Path, default=ROOT / "requirements.lock")
    parser.add_argument("--pip-audit", default=str(Path(sys.executable).parent / "pip-audit"))
    args = parser.parse_args()
    if not args.lock.exists():
        print(f"{args.lock} is missing: run `make lock`")
        sys.exit(1)
    verdict = run(args.pip_audit, args.lock)
    print(verdict.message)
    sys.exit(verdict.code)


if __name__ == "__main__":
    main()
