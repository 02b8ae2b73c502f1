"""Template globals and filters shared by every blueprint."""

from __future__ import annotations

from typing import Any

from flask import Flask, request, url_for
from flask_login import current_user

from webapp.config import settings as current_settings
from webapp.i18n import current_lang
from webapp.listings.taxonomy import taxonomy
from webapp.security.links import safe_link
from webapp.security.permissions import has_permission


def query_args() -> dict[str, list[str]]:
    """The request's query parameters, safe to pass back to ``url_for`` as keyword arguments.

    ``url_for`` reads ``_anchor``, ``_method``, ``_scheme`` and ``_external`` (and werkzeug may add
    more ``_`` names) as instructions, not as query values: a visitor's ``?_method=x`` made every
    link built from the current URL fail, and with it the error page.  No form of ours uses a
    ``_`` name, so every such parameter is dropped.
    """
    return {k: v for k, v in request.args.lists() if not k.startswith("_")}


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
    app.context_processor(_context)
    app.add_template_filter(safe_link, "safe_link")
