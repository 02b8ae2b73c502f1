"""Translated labels for 参加の相談 codes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

WISH_LABELS = {
    "anxious": _l("行ってみたいけれど不安"),
    "accompany": _l("一緒に行ってほしい"),
    "find": _l("自分に合う場所を知りたい"),
}
METHOD_LABELS = {"phone": _l("電話"), "mail": _l("メール")}
STATUS_LABELS = {"new": _l("新しい相談"), "received": _l("受付済み")}
