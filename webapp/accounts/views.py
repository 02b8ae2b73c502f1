"""Login (password, then TOTP when the user turned it on), logout, own sessions and second factor."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from webapp.accounts import sessions, throttle, totp
from webapp.accounts.blueprint import bp
from webapp.accounts.models.user import User
from webapp.accounts.services import (
    attempt_login,
    lock_message,
    password_message,
    record_second_factor,
    revoke_sessions,
    second_factor_lock,
    set_password,
)
from webapp.extensions import db, limiter
from webapp.security import audit
from webapp.security.permissions import Permission, has_permission, public, require

# Own account pages (sessions, second factor): every signed-in role has it (ROLE_PERMISSIONS).
SELF = Permission.ACCOUNT_SELF

# Between a correct password and the second factor: who, since when, where to go after.
PENDING_KEY = "_mfa_pending"
PENDING_SECONDS = 300


def safe_next(target: str | None) -> str | None:
    """Only same-site relative paths; never an open redirect."""
    if not target:
        return None
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target)
    ):
        return None
    return target


def _me() -> User:
    """The signed-in user itself, not the proxy (login_user must never be handed the proxy)."""
    return current_user._get_current_object()


def _client_ip() -> str:
    return (request.remote_addr or "")[:64]


def _home_for(user: User) -> str:
    if sessions.is_staff(user):
        return url_for("cases.home")
    if has_permission(user, Permission.LISTING_WRITE):
        return url_for("organizer.home")
    return url_for("public.index")


def _lock_message(lock: throttle.Lock) -> str:
    return lock_message(lock)


def _signed_in(user: User, mfa: bool, next_url: str | None) -> Response:
    dbs = db.session()
    sessions.start(dbs, user, mfa=mfa)
    audit.record(dbs, "auth.login", "user", user.id, {"mfa": mfa}, user_id=user.id)
    return redirect(safe_next(next_url) or _home_for(user))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
@public
def login() -> Any:
    from webapp.accounts.forms import LoginForm

    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    status = 200
    if form.validate_on_submit():
        dbs = db.session()
        result = attempt_login(dbs, form.email.data or "", form.password.data or "", _client_ip())
        if result.lock is not None:
            form.password.errors = [_lock_message(result.lock)]
            status = 429
        elif result.user is not None:
            user = result.user
            if totp.enabled(dbs, user):
                session.clear()  # nothing from before the password survives into the second step
                session[PENDING_KEY] = {"uid": user.id, "at": time.time(), "next": safe_next(form.next.data) or ""}
                return redirect(url_for("auth.second_factor"))
            return _signed_in(user, False, form.next.data)
        else:
            # Beside the field, in the form's error summary; the address stays typed.
            form.password.errors = [_("メールアドレスまたはパスワードが違います。")]
    return render_template("accounts/login.html", form=form), status


@bp.route("/totp", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
@public
def second_factor() -> Any:
    from webapp.accounts.forms import TotpForm

    pending = session.get(PENDING_KEY)
    dbs = db.session()
    user = None
    if isinstance(pending, dict) and time.time() - float(pending.get("at", 0)) < PENDING_SECONDS:
        user = dbs.get(User, int(pending.get("uid", 0)))
    if user is None or not user.active or not totp.enabled(dbs, user):
        session.pop(PENDING_KEY, None)
        flash(_("もう一度ログインしてください。"), "info")
        return redirect(url_for("auth.login"))
    form = TotpForm()
    status = 200
    if form.validate_on_submit():
        # The second factor's own count: a correct password in between does not reset it.
        lock = second_factor_lock(dbs, user, _client_ip())
        if lock is not None:
            session.pop(PENDING_KEY, None)
            form.code.errors = [_lock_message(lock)]
            return render_template("accounts/totp.html", form=form), 429
        kind = totp.verify(dbs, user, form.code.data or "")
        lock = record_second_factor(dbs, user, _client_ip(), success=kind is not None)
        if kind is not None:
            if kind == "recovery":
                audit.record(dbs, "auth.recovery_code_used", "user", user.id, user_id=user.id)
                left = totp.remaining_recovery_codes(dbs, user)
                flash(_("回復コードを使いました。残りは%(n)d個です。", n=left), "info")
            assert isinstance(pending, dict)  # the user was read from it above
            return _signed_in(user, True, pending.get("next"))
        if lock is not None:
            session.pop(PENDING_KEY, None)
            flash(_lock_message(lock), "error")
            # 200, not 429: the failed attempt that caused the lock must be committed.
            return redirect(url_for("auth.login"))
        form.code.errors = [_("確認コードが違います。")]
    return render_template("accounts/totp.html", form=form), status


@bp.route("/logout", methods=["POST"])
@public
def logout() -> Response:
    if current_user.is_authenticated:
        audit.record(db.session(), "auth.logout", "user", current_user.id)
    sessions.end_current()
    flash(_("ログアウトしました。"), "info")
    return redirect(url_for("public.index"))


@bp.route("/security")
@require(SELF)
def security() -> str:
    from webapp.accounts.forms import ConfirmForm, TotpForm

    dbs = db.session()
    user = _me()
    return render_template(
        "accounts/security.html",
        live=sessions.live_sessions(dbs, user),
        current=sessions.current_row(dbs),
        totp_on=totp.enabled(dbs, user),
        recovery_left=totp.remaining_recovery_codes(dbs, user),
        confirm_form=ConfirmForm(),
        code_form=TotpForm(),
    )


@bp.route("/security/revoke-others", methods=["POST"])
@require(SELF)
def revoke_others() -> Response:
    from webapp.accounts.forms import ConfirmForm

    if not ConfirmForm().validate_on_submit():
        abort(400)
    dbs = db.session()
    user = _me()
    mfa = bool((row := sessions.current_row(dbs)) and row.mfa)
    revoke_sessions(dbs, user)
    sessions.start(dbs, user, mfa=mfa)
    audit.record(dbs, "auth.sessions_revoked", "user", user.id, {"by": "self"})
    flash(_("ほかの端末のログインをすべて終了しました。"), "info")
    return redirect(url_for("auth.security"))


@bp.route("/security/sessions/<int:session_id>/revoke", methods=["POST"])
@require(SELF)
def revoke_session(session_id: int) -> Response:
    from webapp.accounts.forms import ConfirmForm

    if not ConfirmForm().validate_on_submit():
        abort(400)
    dbs = db.session()
    if not sessions.revoke_one(dbs, _me(), session_id):
        abort(404)
    audit.record(dbs, "auth.session_revoked", "user_session", session_id)
    flash(_("その端末のログインを終了しました。"), "info")
    return redirect(url_for("auth.security"))


@bp.route("/password/change", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
@require(SELF)
def password_change() -> Any:
    """Change one's own password: the current one first (a borrowed session must not be enough);
    a wrong one counts as a failed login. Every other session ends; this one gets a new id."""
    from webapp.accounts.forms import PasswordChangeForm
    from webapp.accounts.passwords import password_problem, verify_password

    form = PasswordChangeForm()
    status = 200
    if form.validate_on_submit():
        dbs = db.session()
        user = _me()
        lock = throttle.check(dbs, user.email, _client_ip())
        problem = password_problem(form.password.data or "", user.email)
        if lock is not None:
            form.current.errors = [_lock_message(lock)]
            status = 429
        elif not verify_password(user.password_hash, form.current.data or ""):
            # 200, not 4xx: the failed attempt must be committed to count towards the lock.
            throttle.record(dbs, user.email, _client_ip(), success=False)
            throttle.purge_some(dbs)
            form.current.errors = [*form.current.errors, _("今のパスワードが違います。")]
        elif problem is not None:
            form.password.errors = [*form.password.errors, password_message(problem)]
            status = 400
        else:
            mfa = bool((row := sessions.current_row(dbs)) and row.mfa)
            set_password(dbs, user, form.password.data or "")
            sessions.start(dbs, user, mfa=mfa)
            audit.record(dbs, "auth.password_changed", "user", user.id, user_id=user.id)
            flash(_("パスワードを変更しました。ほかの端末のログインは終了しました。"), "info")
            return redirect(url_for("auth.security"))
    elif request.method == "POST":
        status = 400
    return render_template("accounts/password_change.html", form=form), status


@bp.route("/totp/setup", methods=["GET", "POST"])
@require(SELF)
def totp_setup() -> Any:
    from webapp.accounts.forms import TotpSetupForm

    dbs = db.session()
    user = _me()
    if totp.enabled(dbs, user):
        return redirect(url_for("auth.security"))
    cred = totp.begin_enrolment(dbs, user)
    form = TotpSetupForm()
    if form.validate_on_submit():
        codes = totp.confirm(dbs, user, form.code.data or "")
        if codes is not None:
            audit.record(dbs, "auth.totp_enabled", "user", user.id)
            sessions.rotate(dbs, user)  # a privilege change: a new session id
            return render_template("accounts/totp_codes.html", codes=codes)
        form.code.errors = [_("確認コードが違います。")]
    uri = totp.provisioning_uri(cred, user)
    return render_template(
        "accounts/totp_setup.html", form=form, qr=totp.qr_data_uri(uri), secret=totp.secret_of(cred), uri=uri
    )


def _check_current_code() -> User:
    from webapp.accounts.forms import TotpForm

    form = TotpForm()
    if not form.validate_on_submit():
        abort(400)
    dbs = db.session()
    user = _me()
    # A stolen session must not be able to guess its way to turning the second factor off.
    lock = second_factor_lock(dbs, user, _client_ip())
    kind = None if lock else totp.verify(dbs, user, form.code.data or "")
    if lock is None:
        lock = record_second_factor(dbs, user, _client_ip(), success=kind is not None)
    if kind is None:
        flash(_lock_message(lock) if lock else _("確認コードが違います。"), "error")
        abort(redirect(url_for("auth.security")))
    return user


@bp.route("/totp/disable", methods=["POST"])
@require(SELF)
def totp_disable() -> Response:
    user = _check_current_code()
    dbs = db.session()
    totp.disable(dbs, user)
    audit.record(dbs, "auth.totp_disabled", "user", user.id)
    sessions.rotate(dbs, user)
    flash(_("2段階認証をオフにしました。"), "info")
    return redirect(url_for("auth.security"))


@bp.route("/totp/recovery-codes", methods=["POST"])
@require(SELF)
def totp_recovery_codes() -> str:
    user = _check_current_code()
    dbs = db.session()
    codes = totp.new_recovery_codes(dbs, user)
    audit.record(dbs, "auth.recovery_codes_renewed", "user", user.id)
    return render_template("accounts/totp_codes.html", codes=codes)


@bp.route("/users/<int:user_id>/revoke-sessions", methods=["POST"])
@require(Permission.ADMIN_USERS)
def admin_revoke_sessions(user_id: int) -> Response:
    from webapp.accounts.forms import ConfirmForm

    if not ConfirmForm().validate_on_submit():
        abort(400)
    dbs = db.session()
    user = dbs.get(User, user_id)
    if user is None:
        abort(404)
    revoke_sessions(dbs, user)
    audit.record(dbs, "auth.sessions_revoked", "user", user.id, {"by": "admin"})
    flash(_("このユーザーのログインをすべて終了しました。"), "info")
    if user.id == current_user.id:
        sessions.end_current()
        return redirect(url_for("auth.login"))
    return redirect(safe_next(request.form.get("next")) or url_for("cases.home"))


# Account self-service (sign-up, e-mail verification, password reset) adds routes to `bp` here.
from webapp.accounts import signup  # noqa: E402, F401
