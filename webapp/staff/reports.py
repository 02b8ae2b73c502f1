"""Staff area: reports (routes on the staff blueprint)."""

from __future__ import annotations

from webapp.staff.blueprint import bp  # noqa: F401
