"""Organizer pages: listing submission and upkeep."""

from __future__ import annotations

from flask import Blueprint, render_template

from webapp.security.permissions import require

bp = Blueprint("organizer", __name__, url_prefix="/organizer")


@bp.route("/")
@require("organizer:listing:write")
def home() -> str:
    return render_template("organizer/home.html")
