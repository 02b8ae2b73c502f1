"""Forms on resident pages (flask-wtf: CSRF on every POST)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from webapp.listings.error_reports import MAX_CONTACT, MAX_MESSAGE


class ErrorReportForm(FlaskForm):
    message = TextAreaField(
        _l("どこが違っていましたか"),
        validators=[DataRequired(message=_l("内容を入力してください。")), Length(max=MAX_MESSAGE, message=_l("%(max)d文字以内で入力してください。"))],
    )
    contact = StringField(
        _l("連絡先（任意・電話番号やメール）"),
        validators=[Optional(), Length(max=MAX_CONTACT, message=_l("%(max)d文字以内で入力してください。"))],
    )
