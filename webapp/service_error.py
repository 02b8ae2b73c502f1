from __future__ import annotations


class ServiceError(Exception):
    """A rule was broken; `code` is stable for tests and APIs, `message` is for people."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
