"""Organizer sign-up and invitations (/auth/signup, /auth/invite/<token>): a person account and
its organization are made together (listings.organizer_signup); verification and password reset
are the accounts feature's pages."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length

from webapp.accounts.mail_tokens import verify_link
from webapp.accounts.passwords import MIN_LENGTH
from webapp.config import settings
from webapp.extensions import db, limiter
from webapp.listings import organizer_signup
from webapp.security.permissions import public
from webapp.service_error import ServiceError

bp = Blueprint("signup", __name__, url_prefix="/auth")

KIND_LABELS = (
    ("jichikai", _l("自治会・町内会")),
    ("npo", _l("NPO・市民団体")),
    ("volunteer_group", _l("ボランティアグループ・サロン")),
    ("shakyo", _l("社会福祉協議会")),
    ("business", _l("事業者")),
    ("city", _l("市役所・公共機関")),
    ("other", _l("その他")),
)



class SignupForm(FlaskForm):
    # No password here: it is chosen on the page the verification link opens (see sign_up).
    email = EmailField(_l("メールアドレス"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    display_name = StringField(_l("お名前（担当者名）"), validators=[Length(max=200)])
    organization_name = StringField(_l("団体名"), validators=[DataRequired(), Length(max=200)])
    organization_kind = SelectField(
        _l("団体の種類"), choices=[SelectChoice(value, label) for value, label in KIND_LABELS], default="volunteer_group"
    )



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
            organizer_signup.sign_up(
                db.session(),
                settings(),
                form.email.data or "",
                form.display_name.data or "",
                form.organization_name.data or "",
                form.organization_kind.data or "other",
                verify_link,
            )
        except ServiceError as exc:
            getattr(form, exc.field or "email", form.email).errors.append(exc.message)
        else:
            return redirect(url_for("auth.signup_sent"))
    return render_template("accounts/signup.html", form=form)


@bp.route("/invite/<token>", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
@public
def accept_invitation(token: str) -> ResponseReturnValue:
    from sqlalchemy import select

    from webapp.accounts.models.user import User

    session = db.session()
    invitation = organizer_signup.read_invitation(session, settings(), token)
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
            _user, created = organizer_signup.accept_invitation(
                session, settings(), token, form.password.data or "", form.display_name.data or ""
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
