"""`odekake worker` as a real process (RQ's forking worker) on a fresh embedded database: a reset
mail asked for through the app is sent by the worker, and a timer command is queued, not run."""

from __future__ import annotations

import os
import subprocess
import sys
from email import message_from_bytes
from pathlib import Path

from tests.jobs.smtp_sink import SmtpSink

ODEKAKE = str(Path(sys.executable).parent / "odekake")
ROOT = Path(__file__).resolve().parents[2]

ASK_RESET = """
import re, sys
from webapp import create_app
app = create_app()
client = app.test_client()
page = client.get("/auth/password/forgot").get_data(as_text=True)
token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
response = client.post("/auth/password/forgot", data={"csrf_token": token, "email": sys.argv[1]})
assert response.status_code == 200, response.status_code
"""


def _env(instance: Path, redis_url: str, smtp_port: int) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ODEKAKE_")}
    environ.update(
        ODEKAKE_INSTANCE_DIR=str(instance), ODEKAKE_REDIS_URL=redis_url, ODEKAKE_JOB_QUEUE="odekake-test",
        ODEKAKE_SMTP_HOST="127.0.0.1", ODEKAKE_SMTP_PORT=str(smtp_port), ODEKAKE_SMTP_TLS="none",
        PYTHONPATH=str(ROOT),
    )  # fmt: skip
    return environ


def _run(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, capture_output=True, text=True, env=env, input=stdin, timeout=180, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def test_worker_sends_the_reset_mail_and_runs_queued_timer_work(tmp_path: Path, redis_url: str) -> None:
    with SmtpSink() as sink:
        env = _env(tmp_path / "instance", redis_url, sink.port)
        _run(env, ODEKAKE, "init-db")
        _run(env, ODEKAKE, "create-user", "worker@example.org", "--role", "supporter", "--password-stdin",
             stdin="correct horse battery\n")  # fmt: skip
        _run(env, sys.executable, "-c", ASK_RESET, "worker@example.org")
        assert sink.messages == []  # handed to the queue, not sent by the web process
        queued = _run(env, ODEKAKE, "purge-login-attempts")
        assert "queued as job" in queued.stdout and "deleted" not in queued.stdout
        worker = _run(env, ODEKAKE, "worker", "--burst")
        assert len(sink.messages) == 1, worker.stdout[-3000:]
        mail = message_from_bytes(sink.messages[0])
        assert mail["To"] == "worker@example.org"
        assert "/auth/password/reset/" in mail.get_payload(decode=True).decode()
        log = worker.stdout + worker.stderr
        assert "purge_login_attempts" in log and log.count("Successfully completed") == 2, log


def test_worker_refuses_to_start_without_redis(tmp_path: Path) -> None:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ODEKAKE_")}
    environ["ODEKAKE_INSTANCE_DIR"] = str(tmp_path)
    done = subprocess.run([ODEKAKE, "worker", "--burst"], capture_output=True, text=True, env=environ, timeout=120)
    assert done.returncode == 2 and "redis_url is not set" in done.stderr
