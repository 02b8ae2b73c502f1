"""Account self-service routes on the auth blueprint: sign-up, e-mail verification, password reset,
accepting an invitation. Pages say the same thing whether or not an address has an account."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from webapp.accounts import mail_tokens as accounts
from webapp.accounts.blueprint import bp
from webapp.accounts.passwords import MIN_LENGTH
from webapp.config import settings
from webapp.extensions import db, limiter
from webapp.mail import mail_link
from webapp.security.permissions import public
from webapp.service_error import ServiceError


def _reset_link(token: str) -> str:
    return mail_link(settings(), "auth.password_reset", token=token)


def _password_field(label: Any) -> PasswordField:
    # Length, the common-password list and the address are checked by the one policy in the
    # service (webapp.accounts.services), which gives the reason in the page language.
    return PasswordField(label, validators=[DataRequired()])




class EmailForm(FlaskForm):
    email = EmailField(_l("メールアドレス"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])


class NewPasswordForm(FlaskForm):
    password = _password_field(_l("新しいパスワード（%(n)d文字以上）", n=MIN_LENGTH))
    confirm = PasswordField(_l("もう一度"), validators=[DataRequired(), EqualTo("password", message=_l("同じパスワードを入力してください。"))])


class VerifyForm(FlaskForm):
    password = _password_field(_l("パスワード（%(n)d文字以上）", n=MIN_LENGTH))
    confirm = PasswordField(_l("もう一度"), validators=[DataRequired(), EqualTo("password", message=_l("同じパスワードを入力してください。"))])


@bp.route("/signup/sent", methods=["GET", "POST"])
@limiter.limit("5 per hour", methods=["POST"])
@public
def signup_sent() -> str | Response:
    form = EmailForm()
    if form.validate_on_submit():
        accounts.resend_verification(db.session(), settings(), form.email.data or "", accounts.verify_link)
        flash(_("確認メールを送り直しました。届かない場合は迷惑メールフォルダもご確認ください。"), "info")
        return redirect(url_for("auth.signup_sent"))
    return render_template("accounts/signup_sent.html", form=form)


@bp.route("/verify/<token>", methods=["GET", "POST"])
@limiter.limit("30 per hour")
@public
def verify_email(token: str) -> str | Response:
    """The verification link: the owner of the address chooses the password here."""
    session = db.session()
    user = accounts.verification_user(session, settings(), token)
    if user is not None and user.active:
        flash(_("メールアドレスを確認しました。ログインしてください。"), "success")
        return redirect(url_for("auth.login", next=url_for("organizer.home")))
    if user is None or not accounts.awaiting_verification(user):
        return render_template(
            "accounts/message.html",
            title=_("リンクが無効です"),
            text=_("リンクの有効期限が切れたか、正しくありません。もう一度登録するか、確認メールを送り直してください。"),
        ), 400  # type: ignore[return-value]
    form = VerifyForm()
    if form.validate_on_submit():
        try:
            accounts.complete_verification(session, settings(), token, form.password.data or "")
        except ServiceError as exc:
            form.password.errors = [*form.password.errors, exc.message]
        else:
            flash(_("登録が完了しました。決めたパスワードでログインしてください。"), "success")
            return redirect(url_for("auth.login", next=url_for("organizer.home")))
    return render_template("accounts/verify.html", form=form, email=user.email)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit("5 per hour", methods=["POST"])
@public
def password_forgot() -> str | Response:
    form = EmailForm()
    if form.validate_on_submit():
        accounts.request_password_reset(
            db.session(),
            settings(),
            form.email.data or "",
            _reset_link,
        )
        return render_template(
            "accounts/message.html",
            title=_("メールを確認してください"),
            text=_("登録されているメールアドレスであれば、パスワード再設定のリンクを送りました。"),
        )
    return render_template("accounts/password_forgot.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
@public
def password_reset(token: str) -> ResponseReturnValue:
    session = db.session()
    if accounts.user_for_reset(session, settings(), token) is None:
        return render_template(
            "accounts/message.html",
            title=_("リンクが無効です"),
            text=_("リンクの有効期限が切れたか、すでに使われています。もう一度お申し込みください。"),
        ), 400
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(session, settings(), token, form.password.data or "")
        except ServiceError as exc:
            form.password.errors = [*form.password.errors, exc.message]
        else:
            flash(_("パスワードを変更しました。新しいパスワードでログインしてください。"), "success")
            return redirect(url_for("auth.login"))
    return render_template("accounts/password_reset.html", form=form)
