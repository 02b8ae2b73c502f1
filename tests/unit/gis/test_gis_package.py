"""gis package surface: exports exist and the package stays pure (no Flask, no SQLAlchemy)."""

from __future__ import annotations

import subprocess
import sys

import gis


def test_all_exports_resolve() -> None:
    for name in gis.__all__:
        assert getattr(gis, name) is not None


def test_gis_imports_no_flask_or_db() -> None:
    code = "import sys, gis; print(sorted(m for m in ('flask', 'sqlalchemy', 'webapp') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
