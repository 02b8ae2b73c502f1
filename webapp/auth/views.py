"""Login and logout."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from webapp.auth.blueprint import bp
from webapp.extensions import db, limiter
from webapp.security.permissions import public
from webapp.services.accounts import authenticate


def safe_next(target: str | None) -> str | None:
    """Only same-site relative paths; never an open redirect."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
@public
def login() -> str | Response:
    from webapp.auth.forms import LoginForm

    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        user = authenticate(db.session(), form.email.data or "", form.password.data or "")
        if user is not None:
            session.clear()  # a fresh session at login: no fixation
            login_user(user)
            return redirect(safe_next(form.next.data) or url_for("staff.home" if user.roles - {"organizer"} else "public.index"))
        flash(_("メールアドレスまたはパスワードが違います。"), "error")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@public
def logout() -> Response:
    if current_user.is_authenticated:
        logout_user()
    session.clear()
    flash(_("ログアウトしました。"), "info")
    return redirect(url_for("public.index"))


# Account self-service (sign-up, e-mail verification, password reset) adds routes to `bp` here.
from webapp.auth import signup  # noqa: E402, F401
