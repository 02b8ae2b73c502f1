"""Staff pages: matching board, moderation, reports. Strict CSP, no-store, noindex (security.headers)."""

from __future__ import annotations

from flask import Blueprint, render_template

from webapp.security.permissions import require

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.route("/")
@require("staff:access")
def home() -> str:
    return render_template("staff/home.html")
