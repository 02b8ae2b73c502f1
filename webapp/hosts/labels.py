"""Translated labels for the host register's codes (Japanese source strings, English in staff.po)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from webapp.cases.labels import SHARE_FIELD_LABELS

KIND_LABELS = {
    "listing_org": _l("地図に載っている団体"),
    "company": _l("協力企業・団体"),
    "business": _l("事業所"),
    "farm": _l("農園"),
    "temple": _l("お寺・神社"),
    "npo": _l("NPO・市民活動団体"),
    "other": _l("その他"),
}
OFFER_LABELS = {
    "role": _l("役割"),
    "experience": _l("体験"),
    "volunteer": _l("ボランティア"),
    "work_experience": _l("就労体験"),
}
NEED_LABELS = {
    "training": _l("研修"),
    "consultation": _l("相談"),
    "honorarium": _l("謝礼"),
    "other": _l("その他"),
}
CHANNEL_LABELS = {
    "visit": _l("訪問"),
    "phone": _l("電話"),
    "mail": _l("メール"),
    "meeting": _l("会議・打ち合わせ"),
    "other": _l("その他"),
}
STAGE_LABELS = {
    "candidate": _l("候補"),
    "approached": _l("打診中"),
    "agreed": _l("合意"),
    "receiving": _l("受け入れ中"),
    "declined": _l("見送り"),
}
WEEKDAY_LABELS = {
    "0": _l("月"), "1": _l("火"), "2": _l("水"), "3": _l("木"), "4": _l("金"), "5": _l("土"), "6": _l("日"),
}  # fmt: skip


# The host's answer to 受け入れのご相談 (打診), in the host's words.
ANSWER_LABELS = {
    "accept": _l("受け入れ可"),
    "visit_first": _l("見学から"),
    "not_now": _l("今は難しい"),
    "more_info": _l("もう少し知りたい"),
}
NOT_NOW_LABELS = {
    "capacity": _l("定員"),
    "mismatch": _l("内容が合わない"),
    "schedule": _l("日程"),
    "other": _l("その他"),
}


def host_labels() -> dict[str, Any]:
    """Template context for the host pages."""
    return {
        "kind_labels": KIND_LABELS,
        "offer_labels": OFFER_LABELS,
        "need_labels": NEED_LABELS,
        "channel_labels": CHANNEL_LABELS,
        "host_stage_labels": STAGE_LABELS,
        "weekday_labels": WEEKDAY_LABELS,
        "answer_labels": ANSWER_LABELS,
        "not_now_labels": NOT_NOW_LABELS,
        "share_field_labels": SHARE_FIELD_LABELS,  # the consent's words (cases.labels)
    }
