"""Forms of the host pages (WTForms; GOV.UK pattern: summary at the top, errors beside fields)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, NumberRange, Optional, ValidationError

from webapp import clock
from webapp.form_fields import CHOOSE, MultiCheckboxField, max_length
from webapp.hosts.labels import (
    ANSWER_LABELS,
    CHANNEL_LABELS,
    KIND_LABELS,
    NEED_LABELS,
    NOT_NOW_LABELS,
    OFFER_LABELS,
    STAGE_LABELS,
    WEEKDAY_LABELS,
)
from webapp.hosts.models import (
    CONTACT_CHANNELS,
    HOST_ANSWERS,
    HOST_KINDS,
    NOT_NOW_REASONS,
    OFFERS,
    STAGES,
    SUPPORT_NEEDS,
    WEEKDAYS,
)
from webapp.hosts.services import HostInput

REQUIRED = _l("入力してください。")





def _not_future(form: Any, field: DateField) -> None:
    if field.data and field.data > clock.today():
        raise ValidationError(str(_l("今日より後の日付は選べません。")))


class HostForm(FlaskForm):
    name = StringField(_l("名前"), validators=[DataRequired(message=REQUIRED), max_length(200)])
    kind = SelectField(_l("種類"), choices=[SelectChoice(k, KIND_LABELS[k]) for k in HOST_KINDS], default="company")
    organization_id = SelectField(_l("地図に載っている団体（該当する場合）"), choices=[], validate_choice=False)
    contact = StringField(_l("連絡先（担当者・電話・メール）"), validators=[Optional(), max_length(300)])
    districts = MultiCheckboxField(_l("受け入れできる地区"), choices=[])
    offers = MultiCheckboxField(_l("提供できること"), choices=[SelectChoice(k, OFFER_LABELS[k]) for k in OFFERS])
    capacity = IntegerField(
        _l("受け入れ人数（同時に）"),
        validators=[Optional(), NumberRange(min=0, max=1000, message=_l("0〜1000 の数字で入力してください。"))],
    )
    weekdays = MultiCheckboxField(_l("受け入れできる曜日"), choices=[SelectChoice(k, WEEKDAY_LABELS[k]) for k in WEEKDAYS])
    accommodations = TextAreaField(_l("配慮できること"), validators=[Optional(), max_length(2000)])
    origin_district = StringField(validators=[Optional(), max_length(50)])
    origin_interest = StringField(validators=[Optional(), max_length(50)])

    def fill_choices(self, districts: list[tuple[str, str]], organizations: list[tuple[int, str]]) -> None:
        self.districts.choices = [SelectChoice(code, name) for code, name in districts]
        self.organization_id.choices = [SelectChoice("", _l("（地図に載っていない）"))] + [
            SelectChoice(str(i), name) for i, name in organizations
        ]

    def validate_organization_id(self, field: SelectField) -> None:
        known = {str(c[0]) for c in field.iter_choices()}
        if (field.data or "") not in known:
            raise ValidationError(str(CHOOSE))
        if self.kind.data == "listing_org" and not field.data:
            raise ValidationError(str(_l("地図に載っている団体を選んでください。")))

    def to_input(self) -> HostInput:
        org = self.organization_id.data or ""
        return HostInput(
            name=self.name.data or "",
            kind=self.kind.data or "other",
            organization_id=int(org) if org.isdigit() else None,
            contact=self.contact.data or "",
            districts=list(self.districts.data or []),
            offers=list(self.offers.data or []),
            capacity=self.capacity.data,
            weekdays=list(self.weekdays.data or []),
            accommodations=self.accommodations.data or "",
            origin_district=self.origin_district.data or "",
            origin_interest=self.origin_interest.data or "",
        )


class StageForm(FlaskForm):
    stage = SelectField(_l("次の段階"), choices=[SelectChoice(k, STAGE_LABELS[k]) for k in STAGES], validate_choice=False)
    on = DateField(_l("日付"), validators=[DataRequired(message=_l("日付を選んでください（例: 2026-04-01）。")), _not_future])
    reason = TextAreaField(_l("理由・メモ（見送りのときは必須）"), validators=[Optional(), max_length(2000)])

    def limit_to(self, stages: tuple[str, ...]) -> None:
        """Offer only the moves the pipeline allows from the host's current stage."""
        self.stage.choices = [SelectChoice(k, STAGE_LABELS[k]) for k in stages]

    def validate_reason(self, field: TextAreaField) -> None:
        if self.stage.data == "declined" and not (field.data or "").strip():
            raise ValidationError(str(_l("見送りの理由を入力してください。")))


class ContactForm(FlaskForm):
    on = DateField(_l("日付"), validators=[DataRequired(message=_l("日付を選んでください（例: 2026-04-01）。")), _not_future])
    channel = SelectField(_l("方法"), choices=[SelectChoice(k, CHANNEL_LABELS[k]) for k in CONTACT_CHANNELS])
    note = TextAreaField(_l("内容"), validators=[Optional(), max_length(2000)])


class SupportNoteForm(FlaskForm):
    on = DateField(_l("日付"), validators=[DataRequired(message=_l("日付を選んでください（例: 2026-04-01）。")), _not_future])
    need = SelectField(_l("受け入れ先が必要としていること"), choices=[SelectChoice(k, NEED_LABELS[k]) for k in SUPPORT_NEEDS])
    note = TextAreaField(
        _l("受け入れ先支援のメモ"), validators=[DataRequired(message=REQUIRED), max_length(2000)]
    )


class AnswerForm(FlaskForm):
    """The host's answer to 受け入れのご相談. The service checks the rules between the fields (a reason
    for 今は難しい, text for その他, a question for もう少し知りたい) so every message stays beside its field."""

    answer = RadioField(_l("お受けできるかどうか"), choices=[SelectChoice(k, ANSWER_LABELS[k]) for k in HOST_ANSWERS], validate_choice=False)
    reason = RadioField(
        _l("難しい理由（「今は難しい」のとき）"), choices=[SelectChoice(k, NOT_NOW_LABELS[k]) for k in NOT_NOW_REASONS],
        validate_choice=False,
    )  # fmt: skip
    reason_text = TextAreaField(_l("理由の内容（「その他」のときは必須）"), validators=[Optional(), max_length(1000)])
    message = TextAreaField(_l("知りたいこと・担当者へのメッセージ（「もう少し知りたい」のときは必須）"),
                            validators=[Optional(), max_length(2000)])  # fmt: skip


class MessageForm(FlaskForm):
    body = TextAreaField(_l("メッセージ"), validators=[DataRequired(message=REQUIRED), max_length(2000)])
