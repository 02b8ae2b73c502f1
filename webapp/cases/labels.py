"""Labels of the case record's codes (ja is the source; English in translations/en/parts/staff.po).

`board_labels()` is the context processor of every page that shows case codes (the board, reports).
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from webapp.cases.models import STAGES

FIELD_LABELS = {
    "elderly": _l("高齢"),
    "disability": _l("障がい"),
    "children": _l("子ども"),
    "poverty": _l("生活困窮"),
    "hikikomori": _l("ひきこもり"),
    "other": _l("その他"),
}
AGE_LABELS = {
    "under_15": _l("15歳未満"),
    "15_19": _l("15〜19歳"),
    "20s": _l("20代"),
    "30s": _l("30代"),
    "40s": _l("40代"),
    "50s": _l("50代"),
    "60s": _l("60代"),
    "70s": _l("70代"),
    "80_plus": _l("80歳以上"),
    "unknown": _l("不明"),
}
STAGE_LABELS = {
    "candidate": _l("候補"),
    "proposed": _l("打診"),
    "accompanied_visit": _l("同行見学"),
    "trial": _l("体験"),
    "participating": _l("参加中"),
    "settled": _l("定着"),
    "paused": _l("中断"),
    "ended": _l("終了"),
}
OUTCOME_LABELS = {
    "": _l("（なし）"),
    "no_suitable_activity": _l("適当な活動が見つからない"),
    "host_no_capacity": _l("受け入れ先に余裕がない"),
    "declined_by_person": _l("本人が辞退"),
    "declined_by_host": _l("受け入れ先が辞退"),
    "other": _l("その他"),
}
# The host's own answer to a 打診 (Placement.host_answer), as the board and the case page show it.
HOST_ANSWER_LABELS = {
    "accept": _l("先方: 受け入れ可"),
    "visit_first": _l("先方: 見学から"),
    "not_now": _l("先方: 今は難しい"),
    "more_info": _l("先方: もう少し知りたい"),
}
# What a share_host consent lets the host see (models.SHARE_FIELDS).
SHARE_FIELD_LABELS = {
    "nickname": _l("呼び名"),
    "age_band": _l("年代"),
    "wishes": _l("希望すること"),
    "accommodations": _l("配慮してほしいこと"),
    "supporter_contact": _l("支援者の連絡先"),
}
REFERRAL_LABELS = {
    "ikomaru": _l("いこまる相談窓口"),
    "houkatsu": _l("地域包括支援センター"),
    "csw": _l("CSW（コミュニティソーシャルワーカー）"),
    "school": _l("学校"),
    "self": _l("本人"),
    "family": _l("家族"),
    "medical": _l("医療機関"),
    "other": _l("その他"),
}
CONTACT_LABELS = {
    "phone": _l("電話"),
    "mail": _l("郵便・メール"),
    "visit": _l("訪問"),
    "via_referrer": _l("紹介元を通じて"),
    "do_not_contact": _l("本人へ直接連絡しない"),
}
MOBILITY_LABELS = {
    "": _l("（未記入）"),
    "walk": _l("徒歩"),
    "bicycle": _l("自転車"),
    "bus_train": _l("バス・電車"),
    "car": _l("車"),
    "needs_pickup": _l("送迎が必要"),
}
PURPOSE_LABELS = {
    "record_keeping": _l("記録の保管"),
    "share_host": _l("受け入れ先との情報共有"),
    "multiagency_meeting": _l("重層的支援会議での共有"),
}
METHOD_LABELS = {"written": _l("書面"), "oral": _l("口頭")}
MEETING_LABELS = {
    "multiagency_meeting": _l("重層的支援会議（本人同意あり）"),
    "support_meeting": _l("支援会議（社会福祉法第106条の6）"),
}
ALL_MEETING_LABELS = {
    "multiagency_meeting": _l("重層的支援会議"),
    "support_meeting": _l("支援会議（社会福祉法第106条の6）"),
    "team_meeting": _l("チーム会議"),
    "collaboration_meeting": _l("多機関協働支援会議"),
    "case_review": _l("事例検討"),
    "participation_subcommittee": _l("参加支援分科会"),
}
ROLE_LABELS = {
    "work": _l("働きたい"),
    "friends": _l("仲間がほしい"),
    "help_others": _l("人の役に立ちたい"),
    "use_skills": _l("自分の持っている力を活かしたい"),
    "learn": _l("学びたい"),
    "place_to_be": _l("安心できる居場所がほしい"),
    "other": _l("その他"),
}
EVALUATION_LABELS = {
    "": _l("（未評価）"),
    "met": _l("目標を達成"),
    "partly": _l("一部達成"),
    "not_met": _l("達成せず"),
}
OUTPUT_LABELS = {
    "develop_host": _l("受け入れ先の開拓"),
    "new_place": _l("新しい場の設定"),
    "other": _l("その他"),
}
TARGET_LABELS = {"person": _l("本人（定着支援）"), "host": _l("受け入れ先（受け入れ先支援）")}
SCALE_LABELS = {"": _l("（なし）"), "who5": "WHO-5 (0–25)", "swemwbs": "SWEMWBS (7–35)"}
WEEKDAY_LABELS = (_l("月"), _l("火"), _l("水"), _l("木"), _l("金"), _l("土"), _l("日"))
PART_LABELS = {"am": _l("午前"), "pm": _l("午後"), "ev": _l("夕方以降")}


def followup_label(label: str) -> str:
    """Follow-up labels stored as codes ("+7d", "watch+30d", "baseline") in the page's language."""
    if label == "baseline":
        return str(_l("ベースライン"))
    for prefix, text in (("watch+", _l("見守り（終結の%(n)s日後）")), ("+", _l("参加開始の%(n)s日後"))):
        if label.startswith(prefix) and label.endswith("d") and label[len(prefix):-1].isdigit():
            return str(text) % {"n": label[len(prefix):-1]}
    return label


def today_iso() -> str:
    """Today in Japan (the default of every 'occurred on' date field)."""
    from webapp import clock

    return clock.today().isoformat()


def board_labels() -> dict[str, Any]:
    return {
        "ALL_MEETING_LABELS": ALL_MEETING_LABELS,
        "ROLE_LABELS": ROLE_LABELS,
        "HOST_ANSWER_LABELS": HOST_ANSWER_LABELS,
        "SHARE_FIELD_LABELS": SHARE_FIELD_LABELS,
        "EVALUATION_LABELS": EVALUATION_LABELS,
        "OUTPUT_LABELS": OUTPUT_LABELS,
        "followup_label": followup_label,
        "today_iso": today_iso,
        "FIELD_LABELS": FIELD_LABELS,
        "AGE_LABELS": AGE_LABELS,
        "STAGE_LABELS": STAGE_LABELS,
        "OUTCOME_LABELS": OUTCOME_LABELS,
        "REFERRAL_LABELS": REFERRAL_LABELS,
        "CONTACT_LABELS": CONTACT_LABELS,
        "MOBILITY_LABELS": MOBILITY_LABELS,
        "PURPOSE_LABELS": PURPOSE_LABELS,
        "METHOD_LABELS": METHOD_LABELS,
        "MEETING_LABELS": MEETING_LABELS,
        "TARGET_LABELS": TARGET_LABELS,
        "SCALE_LABELS": SCALE_LABELS,
        "STAGES": STAGES,
        "slot_label": slot_label,
    }


def slot_label(slot: str) -> str:
    return f"{WEEKDAY_LABELS[int(slot[0])]}{PART_LABELS[slot[1:]]}"
