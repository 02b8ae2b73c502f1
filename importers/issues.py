"""Issue codes and their bilingual messages.

Each code has one Japanese and one English template; :func:`issue` prefixes both with the row and
column ("5行目「緯度」: …" / "Row 5, column 緯度: …") so every message names where it happened.
"""

from __future__ import annotations

from typing import Any

from importers.records import RowIssue, Severity

__all__ = ["CODES", "issue"]

# code → (severity, ja template, en template).  Templates use str.format fields.
CODES: dict[str, tuple[Severity, str, str]] = {
    # ── errors: the row is rejected ────────────────────────────────────────────────────────
    "missing_name": ("error", "名称がありません", "name is missing"),
    "not_a_number": ("error", "数値ではありません（\"{value}\"）", 'not a number ("{value}")'),
    "duplicate_id": (
        "error",
        "ID「{value}」が{first}行目と重複しています",
        'ID "{value}" duplicates row {first}',
    ),
    "repeated_row": (
        "error",
        "{first}行目と同じ内容の行です（重複として取り込みません）",
        "repeats row {first} (every cell the same); not imported twice",
    ),
    # ── warnings: the row is kept (perhaps as draft) ───────────────────────────────────────
    "unknown_column": (
        "warning",
        "未知の列です。値は extra に保存します",
        "unknown column; its values are kept in extra",
    ),
    "name_from_organization": (
        "warning",
        "名称の列がないため、「{value}」の列を活動の名称として読みました。違う場合は対応表で直してください",
        'no name (名称) column: the "{value}" column is read as the activity\'s name; correct it in the mapping if wrong',
    ),
    "two_row_header": (
        "warning",
        "見出しが2行に分かれています（{value}行目と{line}行目）。上の行の見出しと合わせて列を読みました",
        "the header spans two rows (lines {value} and {line}); columns were read with the upper row's labels",
    ),
    "header_guess": (
        "warning",
        "列名から「{field}」の列と推定しました（確からしさ {confidence}）。違う場合は対応表で直してください",
        'read as the "{field}" column from its name (confidence {confidence}); correct it in the mapping if wrong',
    ),
    "duplicate_column": (
        "warning",
        "同じ意味の列が複数あります。最初の列「{value}」を使います",
        'several columns mean the same; the first one ("{value}") is used',
    ),
    "extra_cells": (
        "warning",
        "見出しのない列に値があります（\"{value}\"）",
        'value in a column without a header ("{value}")',
    ),
    "missing_category": ("warning", "種別がありません。下書きにします", "no category; kept as draft"),
    "unknown_category": (
        "warning",
        "種別「{value}」に対応する分類がありません。下書きにします",
        'category "{value}" is not known; kept as draft',
    ),
    "unknown_audience": (
        "warning",
        "対象「{value}」に対応する分類がありません。タグに残します",
        'audience "{value}" is not known; kept as a tag',
    ),
    "unknown_accessibility": (
        "warning",
        "バリアフリー情報「{value}」に対応する分類がありません。備考に残します",
        'accessibility "{value}" is not known; kept in notes',
    ),
    "invalid_phone": (
        "warning",
        "電話番号として読めません（\"{value}\"）",
        'not a phone number ("{value}")',
    ),
    "invalid_postcode": (
        "warning",
        "郵便番号として読めません（\"{value}\"）",
        'not a postcode ("{value}")',
    ),
    "invalid_email": (
        "warning",
        "メールアドレスとして読めません（\"{value}\"）",
        'not an e-mail address ("{value}")',
    ),
    "invalid_url": ("warning", "URLとして読めません（\"{value}\"）", 'not a URL ("{value}")'),
    "invalid_time": ("warning", "時刻として読めません（\"{value}\"）", 'not a time ("{value}")'),
    "invalid_date": ("warning", "日付として読めません（\"{value}\"）", 'not a date ("{value}")'),
    "invalid_boolean": (
        "warning",
        "「はい／いいえ」として読めません（\"{value}\"）",
        'not a yes/no value ("{value}")',
    ),
    "invalid_capacity": ("warning", "定員として読めません（\"{value}\"）", 'not a capacity ("{value}")'),
    "not_active": (
        "warning",
        "掲載状態が「{value}」です。非公開（アーカイブ）として取り込みます",
        'status is "{value}": imported as archived (not shown to residents)',
    ),
    "unknown_status": (
        "warning",
        "掲載状態「{value}」が分かりません。種別などから決めます",
        'status "{value}" is not known; decided from the other columns',
    ),
    "invalid_cost_yen": (
        "warning",
        "料金_円は金額（円）で書いてください。値は extra に残します（\"{value}\"）",
        'not an amount in yen; the value is kept in extra ("{value}")',
    ),
    "cost_not_understood": (
        "warning",
        "料金を金額として読めません。文章のまま残します（\"{value}\"）",
        'cost is not a single amount; kept as text ("{value}")',
    ),
    "schedule_needs_review": (
        "warning",
        "開催日時を自動で解釈できません（{reason}）。文章のまま残し、要確認にします（\"{value}\"）",
        'schedule could not be interpreted; kept as text and flagged for review ("{value}")',
    ),
    "schedule_note_review": (
        "warning",
        "特記事項「{value}」は曜日・時間の規則で表せません（{kind_ja}）。規則はそのまま、要確認にします",
        'the note "{value}" cannot be expressed by the weekly rule ({kind_en}); rule kept, flagged for review',
    ),
    "all_day": (
        "warning",
        "00:00〜00:00 と「{value}」から終日開放として取り込みます（時刻なし）",
        '00:00–00:00 with "{value}" is read as open all day (no times)',
    ),
    "invalid_rrule": (
        "warning",
        "繰り返しルール（RRULE）が正しくありません（{value}）。要確認にします",
        "the RRULE is not valid ({value}); flagged for review",
    ),
    "coord_swapped": (
        "warning",
        "緯度と経度が入れ替わっていたため入れ替えました",
        "latitude and longitude were swapped; corrected",
    ),
    "coord_outside_japan": (
        "warning",
        "座標が日本国外です（{value}）。座標を使いません",
        "point lies outside Japan ({value}); coordinates not used",
    ),
    "coord_tokyo_datum": (
        "warning",
        "旧日本測地系（Tokyo datum）の座標の可能性があります（{value}）。確認してください",
        "coordinates may be in the old Tokyo datum ({value}); please check",
    ),
    "coord_converted": (
        "warning",
        "座標を度分秒などから10進数に変換しました（\"{value}\"）",
        'coordinate converted from degrees-minutes-seconds or similar ("{value}")',
    ),
    "coord_check": ("warning", "座標の確認: {value}", "coordinate check: {value}"),
    "invalid_geometry": (
        "warning",
        "位置情報（ジオメトリ）が点ではありません（{value}）。座標を使いません",
        "geometry is not a point ({value}); coordinates not used",
    ),
    "coord_incomplete": (
        "warning",
        "緯度・経度の片方しかありません。座標を使いません",
        "only one of latitude and longitude is given; coordinates not used",
    ),
    "geocoded": (
        "warning",
        "座標がないため住所から位置を推定しました（精度: {value}）",
        "no coordinates; position estimated from the address (level: {value})",
    ),
    "no_location": (
        "warning",
        "座標がなく住所からも位置を決められません。下書きにします",
        "no coordinates and the address could not be located; kept as draft",
    ),
}


def issue(code: str, row: int, column: str | None = None, **fields: Any) -> RowIssue:
    severity, ja, en = CODES[code]
    text = {k: _short(v) for k, v in fields.items()}
    body_ja = ja.format(**text)
    body_en = en.format(**text)
    if column:
        column = " ".join(column.split())  # a header cell with line breaks, on one line
        prefix_ja, prefix_en = f"{row}行目「{column}」: ", f"Row {row}, column {column}: "
    else:
        prefix_ja, prefix_en = f"{row}行目: ", f"Row {row}: "
    return RowIssue(row, column, code, prefix_ja + body_ja, prefix_en + body_en, severity)


def _short(value: Any, limit: int = 60) -> str:
    s = str(value).replace("\n", " ")
    return s if len(s) <= limit else s[: limit - 1] + "…"
