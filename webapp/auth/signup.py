"""Account self-service routes on the auth blueprint: sign-up, e-mail verification, password reset."""

from __future__ import annotations

from webapp.auth.blueprint import bp  # noqa: F401
