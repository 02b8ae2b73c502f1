"""Account self-service routes on the auth blueprint: sign-up, e-mail verification, password reset,
accepting an invitation. Pages say the same thing whether or not an address has an account."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length

from webapp.accounts import organizer_accounts as accounts
from webapp.accounts.blueprint import bp
from webapp.accounts.passwords import MIN_LENGTH
from webapp.extensions import db, limiter
from webapp.mail import mail_link
from webapp.security.permissions import public
from webapp.service_error import ServiceError

KIND_LABELS = (
    ("jichikai", _l("自治会・町内会")),
    ("npo", _l("NPO・市民団体")),
    ("volunteer_group", _l("ボランティアグループ・サロン")),
    ("shakyo", _l("社会福祉協議会")),
    ("business", _l("事業者")),
    ("city", _l("市役所・公共機関")),
    ("other", _l("その他")),
)


def _settings() -> Any:
    return current_app.extensions["odekake_settings"]


def _verify_link(token: str) -> str:
    return mail_link(_settings(), "auth.verify_email", token=token)


def _reset_link(token: str) -> str:
    return mail_link(_settings(), "auth.password_reset", token=token)


def _password_field(label: Any) -> PasswordField:
    # Length, the common-password list and the address are checked by the one policy in the
    # service (webapp.accounts.services), which gives the reason in the page language.
    return PasswordField(label, validators=[DataRequired()])




class SignupForm(FlaskForm):
    # No password here: it is chosen on the page the verification link opens (see sign_up).
    email = EmailField(_l("メールアドレス"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    display_name = StringField(_l("お名前（担当者名）"), validators=[Length(max=200)])
    organization_name = StringField(_l("団体名"), validators=[DataRequired(), Length(max=200)])
    organization_kind = SelectField(
        _l("団体の種類"), choices=[SelectChoice(value, label) for value, label in KIND_LABELS], default="volunteer_group"
    )


class EmailForm(FlaskForm):
    email = EmailField(_l("メールアドレス"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])


class NewPasswordForm(FlaskForm):
    password = _password_field(_l("新しいパスワード（%(n)d文字以上）", n=MIN_LENGTH))
    confirm = PasswordField(_l("もう一度"), validators=[DataRequired(), EqualTo("password", message=_l("同じパスワードを入力してください。"))])


class VerifyForm(FlaskForm):
    password = _password_field(_l("パスワード（%(n)d文字以上）", n=MIN_LENGTH))
    confirm = PasswordField(_l("もう一度"), validators=[DataRequired(), EqualTo("password", message=_l("同じパスワードを入力してください。"))])


class AcceptInvitationForm(FlaskForm):
    display_name = StringField(_l("お名前（担当者名）"), validators=[Length(max=200)])
    password = PasswordField(_l("パスワード（%(n)d文字以上）", n=MIN_LENGTH))


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
@public
def signup() -> str | Response:
    form = SignupForm()
    if form.validate_on_submit():
        try:
            accounts.sign_up(
                db.session(),
                _settings(),
                form.email.data or "",
                form.display_name.data or "",
                form.organization_name.data or "",
                form.organization_kind.data or "other",
                _verify_link,
            )
        except ServiceError as exc:
            getattr(form, exc.field or "email", form.email).errors.append(exc.message)
        else:
            return redirect(url_for("auth.signup_sent"))
    return render_template("accounts/signup.html", form=form)


@bp.route("/signup/sent", methods=["GET", "POST"])
@limiter.limit("5 per hour", methods=["POST"])
@public
def signup_sent() -> str | Response:
    form = EmailForm()
    if form.validate_on_submit():
        accounts.resend_verification(db.session(), _settings(), form.email.data or "", _verify_link)
        flash(_("確認メールを送り直しました。届かない場合は迷惑メールフォルダもご確認ください。"), "info")
        return redirect(url_for("auth.signup_sent"))
    return render_template("accounts/signup_sent.html", form=form)


@bp.route("/verify/<token>", methods=["GET", "POST"])
@limiter.limit("30 per hour")
@public
def verify_email(token: str) -> str | Response:
    """The verification link: the owner of the address chooses the password here."""
    session = db.session()
    user = accounts.verification_user(session, _settings(), token)
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
            accounts.complete_verification(session, _settings(), token, form.password.data or "")
        except ServiceError as exc:
            form.password.errors = [*form.password.errors, exc.message]
        else:
            flash(_("登録が完了しました。決めたパスワードでログインしてください。"), "success")
            return redirect(url_for("auth.login", next=url_for("organizer.home")))
    return render_template("auth/verify.html", form=form, email=user.email)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit("5 per hour", methods=["POST"])
@public
def password_forgot() -> str | Response:
    form = EmailForm()
    if form.validate_on_submit():
        accounts.request_password_reset(
            db.session(),
            _settings(),
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
    if accounts.user_for_reset(session, _settings(), token) is None:
        return render_template(
            "accounts/message.html",
            title=_("リンクが無効です"),
            text=_("リンクの有効期限が切れたか、すでに使われています。もう一度お申し込みください。"),
        ), 400
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(session, _settings(), token, form.password.data or "")
        except ServiceError as exc:
            form.password.errors = [*form.password.errors, exc.message]
        else:
            flash(_("パスワードを変更しました。新しいパスワードでログインしてください。"), "success")
            return redirect(url_for("auth.login"))
    return render_template("accounts/password_reset.html", form=form)


@bp.route("/invite/<token>", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
@public
def accept_invitation(token: str) -> ResponseReturnValue:
    from sqlalchemy import select

    from webapp.accounts.models.user import User

    session = db.session()
    invitation = accounts.read_invitation(session, _settings(), token)
    if invitation is None:
        return render_template(
            "accounts/message.html", title=_("リンクが無効です"), text=_("招待リンクの有効期限が切れています。")
        ), 400
    email, organization = invitation
    has_account = session.scalar(select(User.id).where(User.email == email)) is not None
    form = AcceptInvitationForm()
    if form.validate_on_submit():
        if has_account and not (current_user.is_authenticated and current_user.email == email):
            flash(_("招待されたメールアドレスでログインしてから、もう一度リンクを開いてください。"), "info")
            return redirect(url_for("auth.login", next=request.path))
        try:
            _user, created = accounts.accept_invitation(
                session, _settings(), token, form.password.data or "", form.display_name.data or ""
            )
        except ServiceError as exc:
            form.password.errors = [*form.password.errors, exc.message]
        else:
            if created:
                flash(_("登録しました。ログインしてください。"), "success")
                return redirect(url_for("auth.login", next=url_for("organizer.home")))
            flash(_("%(org)s の担当者になりました。", org=organization.name), "success")
            return redirect(url_for("organizer.home"))
    return render_template(
        "accounts/invite_accept.html", form=form, email=email, organization=organization, has_account=has_account
    )
