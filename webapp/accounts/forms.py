from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from webapp.accounts.passwords import MIN_LENGTH


class LoginForm(FlaskForm):
    email = EmailField(_l("メールアドレス"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    password = PasswordField(_l("パスワード"), validators=[DataRequired(), Length(max=1024)])
    next = StringField()


class TotpForm(FlaskForm):
    code = StringField(
        _l("確認コード（6桁）または回復コード"), validators=[DataRequired(), Length(max=40)]
    )


class TotpSetupForm(FlaskForm):
    code = StringField(_l("認証アプリに表示された6桁のコード"), validators=[DataRequired(), Length(max=20)])


class ConfirmForm(FlaskForm):
    """A button that changes state: only the CSRF token."""


class PasswordChangeForm(FlaskForm):
    current = PasswordField(_l("今のパスワード"), validators=[DataRequired(), Length(max=1024)])
    password = PasswordField(_l("新しいパスワード（%(n)d文字以上）", n=MIN_LENGTH), validators=[DataRequired(), Length(max=1024)])
    confirm = PasswordField(
        _l("もう一度"),
        validators=[DataRequired(), EqualTo("password", message=_l("同じパスワードを入力してください。"))],
    )
