"""Form pieces every feature's WTForms share: a list of checkboxes and a translated length limit."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import SelectMultipleField
from wtforms.validators import Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

CHOOSE = _l("一覧から選んでください。")


def max_length(limit: int) -> Length:
    return Length(max=limit, message=_l("%(max)d文字以内で入力してください。"))


class MultiCheckboxField(SelectMultipleField):
    """Several choices as checkboxes; a value that is not offered is refused in the page's language."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form: Any) -> None:
        known = {str(c[0]) for c in self.iter_choices()}
        if any(v not in known for v in self.data or []):
            raise ValidationError(str(CHOOSE))
