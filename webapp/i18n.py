"""Locale choice: ?lang= → cookie → Accept-Language; ja is the source language."""

from __future__ import annotations

from flask import Flask, Response, g, request
from flask_babel import get_locale

from webapp.config import settings
from webapp.extensions import babel

LANG_COOKIE = "lang"


def _supported() -> tuple[str, ...]:
    return settings().locales


def select_locale() -> str:
    supported = _supported()
    asked = request.args.get("lang", "")
    if asked in supported:
        g.set_lang_cookie = asked
        return asked
    cookie = request.cookies.get(LANG_COOKIE, "")
    if cookie in supported:
        return cookie
    return request.accept_languages.best_match(supported) or supported[0]


def _remember_lang(response: Response) -> Response:
    lang = g.pop("set_lang_cookie", None)
    if lang:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


def current_lang() -> str:
    return str(get_locale() or "ja")


def init_i18n(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.after_request(_remember_lang)
