"""A minimal SMTP server for tests: accepts every message and keeps it (in memory and, when given a
folder, as .eml files another process can read). Speaks only what smtplib sends without TLS."""

from __future__ import annotations

import socketserver
import threading
import time
from pathlib import Path
from types import TracebackType


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def _reply(self, line: str) -> None:
        self.wfile.write((line + "\r\n").encode("ascii"))

    def handle(self) -> None:
        self._reply("220 sink ESMTP")
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            verb = raw.decode("ascii", "replace").strip().split(" ", 1)[0].upper()
            if verb == "EHLO":
                self._reply("250-sink")
                self._reply("250 8BITMIME")
            elif verb == "DATA":
                self._reply("354 go ahead")
                lines = []
                while (line := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(line[1:] if line.startswith(b"..") else line)
                time.sleep(self.server.delay)  # a slow mail server (bench/jobs.py)
                self.server.keep(b"".join(lines))
                self._reply("250 kept")
            elif verb == "QUIT":
                self._reply("221 bye")
                return
            else:  # HELO, MAIL, RCPT, RSET, NOOP
                self._reply("250 ok")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, folder: Path | None, port: int = 0, delay: float = 0.0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.folder = folder
        self.delay = delay
        self.messages: list[bytes] = []
        self.lock = threading.Lock()

    def keep(self, data: bytes) -> None:
        with self.lock:
            self.messages.append(data)
            if self.folder is not None:
                (self.folder / f"{len(self.messages):04d}.eml").write_bytes(data)


class SmtpSink:
    def __init__(self, folder: Path | None = None, delay: float = 0.0) -> None:
        self._server = _Server(folder, delay=delay)
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def messages(self) -> list[bytes]:
        with self._server.lock:
            return list(self._server.messages)

    def __enter__(self) -> SmtpSink:
        self._thread.start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


if __name__ == "__main__":  # a sink of its own for deploy/check.py: python -m tests.jobs.smtp_sink PORT FOLDER
    import sys

    _Server(Path(sys.argv[2]), int(sys.argv[1])).serve_forever()
