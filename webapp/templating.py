"""Template globals and filters shared by every blueprint."""

from __future__ import annotations

from typing import Any

from flask import Flask, request, url_for
from flask_login import current_user

from webapp import display
from webapp.assets import init_assets
from webapp.config import settings as current_settings
from webapp.display import query_args
from webapp.i18n import current_lang
from webapp.listings.taxonomy import taxonomy
from webapp.security.links import safe_link
from webapp.security.permissions import has_permission


def _lang_url(lang: str) -> str:
    args: dict[str, Any] = dict(query_args())
    args["lang"] = lang
    return url_for(request.endpoint or "public.index", **(request.view_args or {}), **args)


def _context() -> dict[str, Any]:
    from webapp.listings.demo import sample_data_loaded

    settings = current_settings()
    return {
        "lang": current_lang(),
        "lang_url": _lang_url,
        "taxonomy": taxonomy(),
        "can": lambda permission: has_permission(current_user, permission),
        "sample_data": sample_data_loaded(),
        "tile_url": settings.tile_url,
        "tile_attribution": settings.tile_attribution,
    }


def register_template_helpers(app: Flask) -> None:
    """Every app-wide template global, filter and request hook (furigana, formats, icons, links,
    static URLs fingerprinted by their content)."""
    display.register(app)
    app.context_processor(_context)
    app.add_template_filter(safe_link, "safe_link")
    init_assets(app)
