"""The public 参加の相談 form: short, no health details asked, consent shown and required."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Optional, ValidationError

from webapp.consult.labels import METHOD_LABELS, WISH_LABELS
from webapp.consult.models import CONTACT_METHODS, WISHES
from webapp.consult.services import CONTACT_MAX, MESSAGE_MAX, NAME_MAX, ConsultInput
from webapp.form_fields import CHOOSE, MultiCheckboxField, max_length


class ConsultForm(FlaskForm):
    wishes = MultiCheckboxField(_l("どんなことを相談したいですか（いくつでも）"), choices=[SelectChoice(k, WISH_LABELS[k]) for k in WISHES])
    name = StringField(
        _l("お名前（ニックネームでもかまいません）"),
        validators=[DataRequired(message=_l("お名前かニックネームを入力してください。")), max_length(NAME_MAX)],
    )
    contact_method = RadioField(
        _l("連絡の方法"), choices=[SelectChoice(k, METHOD_LABELS[k]) for k in CONTACT_METHODS], default="phone",
        validators=[DataRequired(message=CHOOSE)],
    )
    contact = StringField(
        _l("電話番号またはメールアドレス"),
        validators=[DataRequired(message=_l("連絡先を入力してください。")), max_length(CONTACT_MAX)],
    )
    office_id = SelectField(_l("相談したい窓口"), choices=[], validate_choice=False)
    district = SelectField(_l("お住まいの地区（小学校区）"), choices=[], validate_choice=False)
    message = TextAreaField(_l("伝えたいこと（任意）"), validators=[Optional(), max_length(MESSAGE_MAX)])
    consent = BooleanField(
        _l("上の説明を読み、相談の内容を市の参加支援の担当者に伝えることに同意します"),
        validators=[DataRequired(message=_l("同意していただける場合はチェックを入れてください。"))],
    )
    activity = HiddenField()
    # Honeypot: hidden from people (the hidden attribute), filled in only by robots.
    website = StringField(_l("このらんには何も入力しないでください"))

    def fill_choices(self, offices: list[tuple[int, str]], districts: list[tuple[str, str]]) -> None:
        self.office_id.choices = [SelectChoice("", _l("わからない・どこでもよい"))] + [
            SelectChoice(str(i), name) for i, name in offices
        ]
        self.district.choices = [SelectChoice("", _l("選ばない"))] + [SelectChoice(c, n) for c, n in districts]

    def validate_office_id(self, field: SelectField) -> None:
        if (field.data or "") not in {str(c[0]) for c in field.iter_choices()}:
            raise ValidationError(str(CHOOSE))

    def validate_district(self, field: SelectField) -> None:
        if (field.data or "") not in {str(c[0]) for c in field.iter_choices()}:
            raise ValidationError(str(CHOOSE))

    def to_input(self) -> ConsultInput:
        office = self.office_id.data or ""
        activity = (self.activity.data or "").strip()
        return ConsultInput(
            name=self.name.data or "",
            contact_method=self.contact_method.data or "phone",
            contact=self.contact.data or "",
            office_id=int(office) if office.isdigit() else None,
            district=self.district.data or "",
            wishes=list(self.wishes.data or []),
            message=self.message.data or "",
            activity_id=int(activity) if activity.isascii() and activity.isdigit() and len(activity) < 10 else None,
            consent=bool(self.consent.data),
        )
