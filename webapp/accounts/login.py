"""Login wiring: user loader with session versions and server-side session records (revocable)."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from webapp.accounts import sessions
from webapp.accounts.models.user import User
from webapp.extensions import db, login_manager


def load_user(user_id: str) -> User | None:
    try:
        raw_id, raw_version = user_id.split(":", 1)
        uid, version = int(raw_id), int(raw_version)
    except ValueError:
        return None
    user = db.session.get(User, uid)
    if user is None or user.session_version != version or not user.active:
        return None
    # The cookie alone is not enough: its server-side record must be live and within its age limits.
    if not sessions.validate(user):
        return None
    return user


def init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("ログインしてください。")
    login_manager.session_protection = "strong"
    app.before_request(sessions.end_expired_session)
