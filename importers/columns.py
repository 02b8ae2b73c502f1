"""Column names: the 自治体標準オープンデータセット headers, their variants, and mapping files.

A header is matched on a *key*: jatext.normalize.fold() (width, kana, punctuation → space) with
spaces and underscores then removed, so 「名称_カナ」「名称（カナ）」「名称 カナ」「ﾒｲｼｮｳ」-style
variants meet.  Each internal field has a canonical header (what our CSV export writes) and
aliases seen in city files and in the older 推奨データセット lists.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from importers.records import UnreadableFile
from jatext.normalize import fold

__all__ = [
    "CANONICAL_HEADER",
    "FIELD_ALIASES",
    "IGNORED_STANDARD",
    "NOT_USED",
    "HeaderGuess",
    "MappingError",
    "describe_headers",
    "guess_field",
    "header_key",
    "load_mapping",
    "resolve_headers",
]

# field → aliases; the first alias is the header our export writes.
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("ID", "識別子", "施設ID", "イベントID", "source_id"),
    "name": ("名称", "施設名", "施設名称", "イベント名", "活動名", "団体・活動名", "事業所名", "事業所の名称", "サロン名", "name", "タイトル"),
    "name_en": ("名称_英語", "名称_英字", "施設名_英語", "名称(英語)", "name_en"),
    "name_kana": ("名称_カナ", "名称_かな", "名称カナ", "施設名カナ", "イベント名_カナ", "事業所名カナ", "事業所の名称_かな", "フリガナ", "ふりがな", "よみがな", "name_kana"),
    "category": ("種別", "種類", "分類", "施設分類", "種別名", "カテゴリ", "カテゴリー", "サービスの種類", "category_text", "category"),
    "audience": ("対象", "対象者", "参加対象", "利用対象", "対象年齢", "audiences"),
    "tags": ("タグ", "キーワード", "活動内容分類", "tags"),
    "description": ("説明", "概要", "内容", "活動内容", "イベント説明", "説明文", "紹介文", "description"),
    "description_en": ("説明_英語", "説明_英字", "概要_英語", "description_en"),
    "contact_name": ("連絡先名称", "連絡先名", "問い合わせ先名称", "問い合わせ先", "問合せ先", "担当者名", "担当課", "contact_name"),
    "organization": ("主催者", "運営主体", "運営団体", "団体名", "実施主体", "事業者名", "法人の名称", "法人名", "organization_name"),
    "organization_kana": ("主催者_カナ", "運営主体_カナ", "団体名_カナ", "事業者名_カナ", "法人の名称_かな", "organization_kana"),
    "place_name": ("場所名称", "会場名", "開催場所", "場所", "会場", "place_name"),
    "address": ("所在地_連結表記", "住所", "所在地", "開催場所住所", "会場住所", "所在地_全国地方公共団体コード_連結表記", "address"),
    "address_extra": ("方書", "所在地_方書", "建物名"),
    "address_pref": ("所在地_都道府県",),
    "address_city": ("所在地_市区町村",),
    "address_town": ("所在地_町字",),
    "address_rest": ("所在地_番地以下",),
    "postcode": ("郵便番号", "postcode"),
    "lat": ("緯度", "lat", "latitude", "緯度_世界測地系", "y"),
    "lon": ("経度", "lon", "lng", "long", "longitude", "経度_世界測地系", "x"),
    "geocode_level": ("位置精度", "geocode_level"),
    "phone": ("電話番号", "連絡先電話番号", "問い合わせ先電話番号", "TEL", "電話", "contact_phone"),
    "extension": ("内線番号", "内線", "extension"),
    "email": ("メールアドレス", "連絡先メールアドレス", "問い合わせ先メールアドレス", "Eメール", "email", "contact_email"),
    "url": ("URL", "ホームページ", "ホームページURL", "ウェブサイト", "website", "url"),
    "weekdays": ("利用可能曜日", "開催曜日", "曜日", "開館曜日", "営業曜日"),
    # The last ones name one column for the whole range (「10:00～11:30」): build.py splits it.
    "start_time": ("開始時間", "開始時刻", "利用開始時間", "開館時間", "start_time", "開催時間", "活動時間", "時間", "時間帯", "利用時間"),
    "end_time": ("終了時間", "終了時刻", "利用終了時間", "閉館時間", "end_time"),
    "start_date": ("開始日", "開催日", "開始日付", "start_date"),
    "end_date": ("終了日", "終了日付", "end_date"),
    "schedule_note": ("利用可能日時特記事項", "開催日時特記事項", "日時特記事項"),
    "schedule_text": ("開催日時", "日時", "開催頻度", "活動日", "活動日時", "開催日時_テキスト", "schedule_text"),
    "rrule": ("RRULE", "繰り返しルール", "rrule"),
    "dtstart": ("DTSTART", "繰り返し開始日", "dtstart"),
    "exdates": ("EXDATE", "除外日", "exdates"),
    # Ours (export → import): days closed every year, "12-29/01-03" (年末年始).
    "yearly_exclusions": ("毎年の除外期間", "yearly_exclusions"),
    "rdates": ("RDATE", "追加日", "rdates"),
    "skip_holidays": ("祝日除外", "祝日を除く", "skip_holidays"),
    "needs_review": ("開催日時要確認", "schedule_needs_review"),
    "cost": ("料金", "参加費", "費用", "料金_基本", "利用料金", "cost_text"),
    "cost_detail": ("料金_詳細", "料金(詳細)", "利用料金_詳細"),
    "cost_yen": ("料金_円", "cost_yen"),
    "booking": ("予約", "要予約", "予約の要否", "申込", "申し込み", "booking_required"),
    "first_timers": ("初参加歓迎", "初めての方歓迎", "welcomes_first_timers"),
    "visit_ok": ("見学可", "見学", "visit_ok"),
    "solo_ok": ("一人参加可", "1人参加可", "おひとりで参加可", "solo_ok"),
    "capacity": ("定員", "定員(人)", "定員数", "収容人数", "受入人数", "capacity"),
    "accessibility": ("バリアフリー情報", "バリアフリー", "設備", "アクセシビリティ", "accessibility"),
    "notes": ("備考", "その他", "notes"),
    # Not written by our CSV export; HSDS service.status arrives here (active / inactive / defunct /
    # temporarily closed), and our HSDS export marks drafts with 下書き.
    "status": ("掲載状態", "status"),
}

CANONICAL_HEADER: dict[str, str] = {f: aliases[0] for f, aliases in FIELD_ALIASES.items()}

# Standard-dataset columns we do not model but expect: kept in `extra`, never reported unknown.
IGNORED_STANDARD: tuple[str, ...] = (
    "地方公共団体コード", "全国地方公共団体コード", "都道府県コード又は市区町村コード", "都道府県名", "市区町村名", "NO", "No.", "連番", "番号",
    "名称_通称", "イベント名_英字", "所在地_町字ID", "地域コード", "FAX番号", "FAX",
    "画像", "画像_ライセンス", "設置者", "法人番号", "事業所番号", "介護サービスの種類", "更新日",
    "最終更新日", "データ作成日", "駐車場情報", "アクセス方法", "交通アクセス", "開始日時", "終了日時",
    "座標系", "測地系", "高さ", "団体名_英字", "団体コード", "利用可能時間特記事項", "施設ID_関連",
    "extra", "row", "status_hint", "draft_reasons", "lat_lon",
)

# Mapping target for "this column is not one of ours": kept in extra, never guessed again.
NOT_USED = "-"

_KEY_DROP_RE = re.compile(r"[\s_]+")


def header_key(text: str) -> str:
    """Matching key for a header cell."""
    return _KEY_DROP_RE.sub("", fold(text))


_ALIAS_INDEX: dict[str, str] = {}
for _field, _aliases in FIELD_ALIASES.items():
    for _alias in _aliases:
        _ALIAS_INDEX.setdefault(header_key(_alias), _field)
_IGNORED_KEYS = frozenset(header_key(h) for h in IGNORED_STANDARD)
# Containment candidates: non-ASCII aliases of two characters or more (「x」 sits inside 「fax」).
_CONTAINMENT_ALIASES: tuple[tuple[str, str], ...] = tuple(
    (key, fld) for key, fld in _ALIAS_INDEX.items() if len(key) >= 2 and not key.isascii()
)


def field_for(header: str) -> str | None:
    return _ALIAS_INDEX.get(header_key(header))


def is_ignored_standard(header: str) -> bool:
    return header_key(header) in _IGNORED_KEYS


class MappingError(UnreadableFile):
    """The --map file is unreadable or names columns we do not know."""


def _resolve_target(target: str) -> str | None:
    if target in FIELD_ALIASES:
        return target
    return field_for(target)


def load_mapping(path: Path) -> dict[str, str]:
    """Read a mapping file: ``[columns]`` table of "the city's header" = "our header or field".

    Targets may be a standard header (「名称」), any known variant, or a field name (``name``).
    Returns {city header: field name}.  Raises MappingError (an UnreadableFile) when the file
    cannot be parsed or a target is unknown, naming every bad entry.
    """
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise MappingError(
            f"対応表ファイルを読めません: {path}（{exc}）",
            f"cannot read the mapping file {path} ({exc})",
        ) from exc
    columns = data.get("columns")
    if columns is None and ("categories" in data or "list" in data):
        columns = {}  # a file that only says 「この一覧の種別」
    if not isinstance(columns, dict):
        raise MappingError(
            f"対応表ファイルに [columns] 表がありません: {path}",
            f"the mapping file {path} has no [columns] table",
        )
    out: dict[str, str] = {}
    bad: list[str] = []
    for source, target in columns.items():
        resolved = (NOT_USED if target == NOT_USED else _resolve_target(target)) if isinstance(target, str) else None
        if resolved is None:
            bad.append(f"{source} = {target!r}")
        else:
            out[str(source)] = resolved
    if bad:
        raise MappingError(
            "対応表の列名が分かりません: " + "、".join(bad),
            "unknown target column(s) in the mapping file: " + ", ".join(bad),
        )
    return out


def _normalise_mapping(mapping: dict[str, str] | None) -> dict[str, str]:
    """{header key: field}; accepts both load_mapping() output and raw header → header dicts."""
    if not mapping:
        return {}
    out: dict[str, str] = {}
    for source, target in mapping.items():
        resolved = NOT_USED if target == NOT_USED else _resolve_target(target)
        if resolved is None:
            raise MappingError(
                f"対応表の列名が分かりません: {source} = {target!r}",
                f"unknown target column in the mapping: {source} = {target!r}",
            )
        out[header_key(source)] = resolved
    return out


@dataclass(frozen=True)
class HeaderGuess:
    """How one header cell was read: ``how`` is exact (a known name), mapping (the person's
    choice), guess (containment, with ``confidence`` 0–1), ignored (a standard column we do not
    model), duplicate (a second column for a field already taken) or unknown (kept in extra)."""

    column: str
    field: str | None
    how: str
    confidence: float
    alias: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"column": self.column, "field": self.field, "how": self.how,
                "confidence": round(self.confidence, 2), "alias": self.alias}


# A header naming something else about the thing (its English or kana name, a code, a fax) is not
# the thing: 「施設名称_英字」 is not 名称, 「施設番号」 is not 施設.
_QUALIFIERS = tuple(header_key(q) for q in ("英語", "英字", "english", "カナ", "ふりがな", "フリガナ", "よみ", "読み", "コード", "ID",
                                            "番号", "FAX", "URL", "メール", "画像", "更新", "備考", "特記事項", "注意",
                                            "原文"))
# Aliases short or generic enough to sit inside unrelated headers are matched only whole.
_WHOLE_ONLY = frozenset(header_key(a) for a in ("場所", "会場", "日時", "内容", "対象", "曜日", "種類", "見学", "予約", "申込",
                                               "その他", "設備", "タグ", "説明", "概要", "分類", "電話", "内線"))
_MIN_CONFIDENCE = 0.5


@functools.lru_cache(maxsize=1024)
def guess_field(header: str) -> tuple[str, float, str] | None:
    """(field, confidence, alias) for a header that contains a known name (「子ども食堂名称」 → 名称,
    「経度：東経（世界測地系10進法）」 → 経度), or None.  Exact names are not guesses (see field_for)."""
    key = header_key(header)
    if not key or len(key) > 60:
        return None
    best: tuple[str, float, str] | None = None
    for alias_key, fld in _CONTAINMENT_ALIASES:
        pos = key.find(alias_key)
        if pos < 0 or alias_key in _WHOLE_ONLY:
            continue
        if any(q in key and q not in alias_key for q in _QUALIFIERS):
            continue
        # A longer share of the header, and a name at its start or end, read more surely.
        share = len(alias_key) / len(key)
        edge = pos == 0 or pos + len(alias_key) == len(key)
        confidence = min(0.95, 0.45 + 0.5 * share + (0.15 if edge else 0.0))
        if confidence < _MIN_CONFIDENCE:
            continue
        if best is None or confidence > best[1]:
            best = (fld, confidence, alias_key)
    return best


def _read_header(header: str, user: dict[str, str]) -> HeaderGuess:
    key = header_key(header)
    if key in user:
        if user[key] == NOT_USED:
            return HeaderGuess(header, None, "mapping", 1.0)
        return HeaderGuess(header, user[key], "mapping", 1.0)
    fld = _ALIAS_INDEX.get(key)
    if fld is not None:
        return HeaderGuess(header, fld, "exact", 1.0)
    if key in _IGNORED_KEYS:
        return HeaderGuess(header, None, "ignored", 1.0)
    guess = guess_field(header)
    if guess is not None:
        return HeaderGuess(header, guess[0], "guess", guess[1], CANONICAL_HEADER.get(guess[0]))
    return HeaderGuess(header, None, "unknown", 0.0)


def describe_headers(headers: list[str], mapping: dict[str, str] | None = None) -> list[HeaderGuess]:
    """Every non-blank header cell as read, in file order (a second column for a taken field is a
    duplicate; an exact or mapped column wins its field over a guess, whatever the order)."""
    user = _normalise_mapping(mapping)
    reads = [(i, _read_header((raw or "").strip(), user)) for i, raw in enumerate(headers) if (raw or "").strip()]
    taken: dict[str, int] = {}
    rank = {"mapping": 0, "exact": 1, "guess": 2}
    order = sorted(
        (r for r in reads if r[1].field is not None), key=lambda r: (rank[r[1].how], -r[1].confidence, r[0])
    )
    out: dict[int, HeaderGuess] = dict(reads)
    for i, read in order:
        assert read.field is not None
        if read.field in taken:
            out[i] = HeaderGuess(read.column, read.field, "duplicate", read.confidence)
        else:
            taken[read.field] = i
    return [out[i] for i, _ in reads]


def resolve_headers(
    headers: list[str], mapping: dict[str, str] | None = None
) -> tuple[dict[int, str], dict[int, str], list[tuple[int, str]]]:
    """Map header cells to fields.

    Returns (index → field for known columns, index → original header for extra columns,
    [(index, header)] duplicates — a second column meaning an already-mapped field).
    Blank header cells (trailing commas) are skipped.
    """
    known: dict[int, str] = {}
    extra: dict[int, str] = {}
    dupes: list[tuple[int, str]] = []
    indexes = [i for i, raw in enumerate(headers) if (raw or "").strip()]
    for i, read in zip(indexes, describe_headers(headers, mapping), strict=True):
        if read.how in ("mapping", "exact", "guess") and read.field is not None:
            known[i] = read.field
        else:
            extra[i] = read.column
            if read.how == "duplicate":
                dupes.append((i, read.column))
    return known, extra, dupes


def header_score(cells: list[str], mapping: dict[str, str] | None = None) -> int:
    """How much a row looks like a header row: number of cells that are known header names
    (a guessed header counts too: a list with only its own headers still has a header row)."""
    user = _normalise_mapping(mapping)
    score = 0
    for cell in cells:
        if not cell or len(cell) > 40:
            continue
        key = header_key(cell)
        if key in user or key in _ALIAS_INDEX or key in _IGNORED_KEYS or guess_field(cell) is not None:
            score += 1
    return score
