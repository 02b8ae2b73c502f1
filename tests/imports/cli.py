"""Running the real `odekake` command on an instance directory of its own (the import CLI tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ODEKAKE = str(Path(sys.executable).parent / "odekake")


def run(instance: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ODEKAKE_")}
    environ["ODEKAKE_INSTANCE_DIR"] = str(instance)
    return subprocess.run([ODEKAKE, *args], capture_output=True, text=True, env=environ, timeout=300)
