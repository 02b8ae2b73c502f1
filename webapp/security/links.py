"""Outbound links from stored data: only http(s) may become an href (no javascript:, data: …)."""

from __future__ import annotations


def safe_link(url: str | None) -> str | None:
    """The URL when it is an http(s) link, else None. Pages and the API put it into href attributes."""
    value = (url or "").strip()
    return value if value.lower().startswith(("http://", "https://")) else None
