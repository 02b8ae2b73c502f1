"""`odekake send-reconfirmations` as a real process on a fresh embedded database."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ODEKAKE = str(Path(sys.executable).parent / "odekake")


def run(instance: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ODEKAKE_")}
    environ["ODEKAKE_INSTANCE_DIR"] = str(instance)
    return subprocess.run([ODEKAKE, *args], capture_output=True, text=True, env=environ, timeout=120)


def _seed(instance: Path) -> None:
    """A published listing last confirmed seven months ago, with one organizer to ask."""
    code = f"""
from datetime import timedelta
from webapp import create_app
from webapp.extensions import db
from webapp.listings.models.activity import Activity
from webapp.listings.models.organization import Organization
from webapp.orm import utcnow
from webapp.accounts.services import create_user
from webapp.listings.organizer import add_member

app = create_app({{"instance_dir": {str(instance)!r}}})
with app.app_context(), db.transaction() as s:
    org = Organization(source="manual", source_id="cli-1", name="古い会")
    s.add(org)
    s.flush()
    user = create_user(s, "old@example.org", "correct horse battery", ["organizer"])
    add_member(s, user, org)
    s.add(Activity(source="manual", source_id="cli-a", name="古いサロン", status="published",
                   organization_id=org.id, last_confirmed_at=utcnow() - timedelta(days=210)))
    s.add(Activity(source="manual", source_id="cli-b", name="新しいサロン", status="published",
                   organization_id=org.id, last_confirmed_at=utcnow() - timedelta(days=10)))
"""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ODEKAKE_")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environ, timeout=120)
    assert done.returncode == 0, done.stderr


def test_send_reconfirmations_once_per_period(tmp_path: Path) -> None:
    assert run(tmp_path, "init-db").returncode == 0
    _seed(tmp_path)
    first = run(tmp_path, "send-reconfirmations", "--base-url", "https://map.example.jp")
    assert first.returncode == 0, first.stderr
    assert "reconfirmation requests: 1 listing(s)" in first.stdout
    again = run(tmp_path, "send-reconfirmations")
    assert "reconfirmation requests: 0 listing(s)" in again.stdout

    with sqlite3.connect(tmp_path / "odekake.sqlite3") as conn:
        rows = conn.execute("SELECT \"to\", subject, body FROM outbox_message").fetchall()
    assert len(rows) == 1
    to, subject, body = rows[0]
    assert to == "old@example.org" and "古いサロン" in subject
    assert "https://map.example.jp/organizer/reconfirm/" in body
