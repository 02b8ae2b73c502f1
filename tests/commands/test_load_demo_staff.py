"""Issue 19: `odekake load-demo-staff` piped asks for the password once, without the "Can not
control echo" warning, includes a moderator, and prints the demo e-mail addresses at the end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.factories import PASSWORD
from webapp.cases.demo import STAFF_DEMO_FILE


def test_piped_password_is_read_once_and_addresses_are_printed(tmp_path: Path) -> None:
    odekake = str(Path(sys.executable).parent / "odekake")
    env = {**os.environ, "ODEKAKE_INSTANCE_DIR": str(tmp_path), "ODEKAKE_ENV": "development"}
    env.pop("ODEKAKE_DATABASE_URL", None)
    for args in (["init-db"], ["load-demo"]):
        done = subprocess.run([odekake, *args], capture_output=True, text=True, env=env, timeout=300)
        assert done.returncode == 0, done.stderr
    # no --password-stdin: `echo pw | odekake load-demo-staff`, one line only
    done = subprocess.run(
        [odekake, "load-demo-staff"],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "echo" not in done.stderr.lower() and "warning" not in done.stderr.lower(), done.stderr
    users = json.loads(STAFF_DEMO_FILE.read_text(encoding="utf-8"))["users"]
    assert {"moderator"} <= {u["role"] for u in users}
    tail = done.stdout.split("架空", 1)[1]
    for u in users:
        assert u["email"] in tail
    assert "moderator.demo@example.jp" in tail and "moderator" in tail
