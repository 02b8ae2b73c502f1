"""Staff pages: matching board, moderation, reports. Strict CSP, no-store, noindex (security.headers).

Each area has its own module adding routes to the one staff blueprint.
"""

from __future__ import annotations

from flask import render_template

from webapp.security.permissions import require
from webapp.staff.blueprint import bp


@bp.route("/")
@require("staff:access")
def home() -> str:
    from webapp.staff.board import home_context

    return render_template("staff/home.html", **home_context())


# Route modules of each staff area; imported for their side effect of adding routes to `bp`.
from webapp.staff import board, imports, moderation, reports  # noqa: E402, F401
