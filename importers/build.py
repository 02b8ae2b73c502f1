"""Raw row (field → cell text) → ActivityRecord + RowIssues.  Shared by every reader.

Readers only find rows and map headers to fields; every value rule lives here so that a CSV
row, an xlsx row, a GeoJSON feature and a KML placemark are judged the same way.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from gis.coords import check_point, parse_coordinate
from importers.columns import CANONICAL_HEADER
from importers.issues import issue
from importers.parallel import fork_map
from importers.records import ActivityRecord, GeocodeLevel, ReadResult, RowIssue, StatusHint
from importers.values import parse_bool, parse_capacity, parse_cost, parse_date, valid_email, valid_url
from importers.vocab import SPLIT_RE, load_vocab
from jatext.normalize import clean, fold, normalize_phone, normalize_postcode
from schedule.model import Schedule
from schedule.notes import NoteReading, apply_closures, classify_note
from schedule.parse_ja import parse_schedule_text as _parse_schedule_text
from schedule.parse_ja import parse_time

__all__ = ["RawRow", "build_records", "former_ids", "stable_id"]

GEOCODE_LEVELS: tuple[GeocodeLevel, ...] = ("file", "gaiku", "chome", "oaza")


@dataclass
class RawRow:
    """One row as a reader found it.

    ``values`` is field → cell text; ``columns`` is field → the header as written in the file
    (for messages); ``extra`` keeps unknown columns.  ``present`` lists fields whose column
    exists in the file even when this row's cell is empty (our export's RRULE column).
    """

    row: int
    values: dict[str, str]
    columns: dict[str, str] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)
    present: frozenset[str] = frozenset()
    # Cleaned cells, per row: a field is read several times while a row is built, and a unique
    # cell (a name, an address) is not in _clean's cache for long in a 100k-row file.
    _memo: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    def col(self, fld: str) -> str:
        return self.columns.get(fld) or CANONICAL_HEADER.get(fld, fld)

    def get(self, fld: str) -> str:
        try:
            return self._memo[fld]
        except KeyError:
            value = self._memo[fld] = _clean(self.values.get(fld, ""))
            return value

    def get_multiline(self, fld: str) -> str:
        return _clean(self.values.get(fld, ""), multiline=True)


# A city's file repeats the same cells row after row (種別, 町名, 「毎週火曜日」, 「無料」): normalising
# and parsing each distinct value once makes reading 100k rows ~2x faster.  Both functions are
# pure and return immutable values, so a cache cannot change a result.
_clean = functools.lru_cache(maxsize=1 << 16)(clean)
parse_schedule_text = functools.lru_cache(maxsize=4096)(_parse_schedule_text)


def stable_id(name: str, address: str | None) -> str:
    """ID for files without one: short sha1 of fold(name)|fold(address) (stable across re-imports)."""
    key = f"{fold(name)}|{fold(address or '')}"
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]


def build_records(
    rows: Iterable[RawRow],
    *,
    geocoder: Any = None,
    encoding: str | None = None,
    unknown_columns: list[str] | None = None,
    header_issues: list[RowIssue] | None = None,
) -> ReadResult:
    records: list[ActivityRecord] = []
    issues: list[RowIssue] = list(header_issues or [])
    rejected: set[int] = set()
    rejected_ids: dict[str, int] = {}
    seen_ids: dict[str, int] = {}
    # Blank lines are not rows.
    kept = [
        raw
        for raw in rows
        if any(v and str(v).strip() for v in raw.values.values()) or any(v.strip() for v in raw.extra.values())
    ]
    total = len(kept)
    # Rows are independent until the duplicate-ID check below: built in worker processes when
    # the command line allows it (a 100k-row file), in order.
    built = fork_map(functools.partial(build_record, geocoder=geocoder), kept)
    built = _distinguish_generated_ids(kept, built)
    for raw, (record, row_issues) in zip(kept, built, strict=True):
        if record is not None:
            first = seen_ids.get(record.source_id)
            if first is not None:
                row_issues.append(
                    issue("duplicate_id", raw.row, raw.col("id"), value=record.source_id, first=first)
                )
                record = None
            else:
                seen_ids[record.source_id] = raw.row
        issues.extend(row_issues)
        if record is None:
            rejected.add(raw.row)
            rejected_id = _readable_id(raw)
            if rejected_id is not None:
                rejected_ids[rejected_id] = raw.row
        else:
            records.append(record)
    # Header issues first, then row by row (stable: within a row, in column order).
    issues.sort(key=lambda i: i.row)
    return ReadResult(
        records=records,
        issues=issues,
        rejected_rows=rejected,
        unknown_columns=list(unknown_columns or []),
        encoding=encoding,
        total_rows=total,
        rejected_ids=rejected_ids,
    )


def _distinguish_generated_ids(
    rows: list[RawRow], built: list[tuple[ActivityRecord | None, list[RowIssue]]]
) -> list[tuple[ActivityRecord | None, list[RowIssue]]]:
    """Rows without an ID cell whose name + address meet get IDs from what tells them apart.

    A facility listed twice with two 種別, or one organiser's pins at three places (a My Maps
    layer), are different rows of the same name: 種別 first, then the position, then — when the
    rows still differ in some other cell — their order among the rows that share the rest.  A
    row equal to an earlier one in every cell is a repeat, said in words ("row 94 repeats row
    22"), and does not count: a row with only repeats of itself keeps its plain ID.  A row whose
    name + address is unique keeps the ID it always had (re-imports match).

    A distinguished ID carries the row's *former* ID: the plain name + address one, which imports
    before this scheme gave the first of such rows (rejecting the others).  See :func:`former_ids`.
    """
    groups: dict[str, list[int]] = {}
    for i, (raw, (record, _issues)) in enumerate(zip(rows, built, strict=True)):
        if record is not None and not raw.get("id"):
            groups.setdefault(record.source_id, []).append(i)
    out = list(built)
    for members in groups.values():
        distinct: list[int] = []
        if len(members) > 1:
            seen_content: dict[tuple[Any, ...], int] = {}
            for i in members:
                raw = rows[i]
                record, row_issues = out[i]
                content = _content_key(raw)
                first = seen_content.get(content)
                if first is not None:
                    out[i] = (None, [*row_issues, issue("repeated_row", raw.row, None, first=first)])
                    continue
                seen_content[content] = raw.row
                distinct.append(i)
        else:
            distinct = members
        if len(distinct) == 1:
            continue  # alone (repeats aside): the plain ID; its former one is former_ids()'s
        by_key: dict[str, int] = {}
        for i in distinct:
            record, row_issues = out[i]
            assert record is not None
            key = _distinguishing_key(record)
            nth = by_key.get(key, 0)
            by_key[key] = nth + 1
            if nth:
                key = f"{key}|{nth}"  # last resort: the order among rows alike in all of the above
            out[i] = (dataclasses.replace(record, source_id=_hash_id(key), former_ids=(record.source_id,)), row_issues)
    return out


def former_ids(record: ActivityRecord) -> tuple[str, ...]:
    """IDs a row may have been imported under before, when its ID is not found among the stored
    listings: the plain name + address ID of a row that now has a distinguished one, or the
    distinguished ID of a row now alone with its name + address (the other rows went from the
    list).  Computed only for rows the loader does not find, so a re-import pays nothing."""
    if record.former_ids:
        return record.former_ids
    return (_hash_id(_distinguishing_key(record)),)


def _distinguishing_key(record: ActivityRecord) -> str:
    """name + address ID | 種別 | position: what tells rows of one name + address apart."""
    point = "" if record.lat is None or record.lon is None else f"{record.lat:.6f},{record.lon:.6f}"
    return "|".join((record.source_id, fold(record.category_text or ""), point))


def _hash_id(key: str) -> str:
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]


def _content_key(raw: RawRow) -> tuple[Any, ...]:
    return (tuple(sorted((k, fold(v)) for k, v in raw.values.items() if v and v.strip())),
            tuple(sorted((k, fold(v)) for k, v in raw.extra.items() if v and v.strip() and k not in _POSITION_ONLY)))


# Cells that say where a row sits in the list, not what it lists: a repeat differs only in these.
_POSITION_ONLY = frozenset({"NO", "No.", "連番", "番号", "row"})


def _readable_id(raw: RawRow) -> str | None:
    """The source ID a (rejected) row stands for, as build_record would give it; None if unknowable."""
    source_id = raw.get("id")
    if source_id:
        return source_id
    name = raw.get("name")
    return stable_id(name, _address(raw)) if name else None


def build_record(raw: RawRow, *, geocoder: Any = None) -> tuple[ActivityRecord | None, list[RowIssue]]:
    issues: list[RowIssue] = []
    errors = False
    vocab = load_vocab()
    n = raw.row

    name = raw.get("name")
    if not name:
        issues.append(issue("missing_name", n, raw.col("name")))
        errors = True

    address = _address(raw)
    source_id = raw.get("id") or stable_id(name, address)
    draft: list[str] = []

    # 種別
    category_text = raw.get("category") or None
    category = None
    if category_text:
        category = vocab.category(category_text)
        if category is None:
            issues.append(issue("unknown_category", n, raw.col("category"), value=category_text))
            draft.append("unknown_category")
    else:
        issues.append(issue("missing_category", n, raw.col("category")))
        draft.append("missing_category")

    tags = _split(raw.get("tags"))
    audiences: list[str] = []
    for part in _split(raw.get("audience")):
        code = vocab.audience(part)
        if code is None:
            issues.append(issue("unknown_audience", n, raw.col("audience"), value=part))
            if part not in tags:
                tags.append(part)
        elif code not in audiences:
            audiences.append(code)

    notes = raw.get_multiline("notes") or None
    accessibility: list[str] = []
    unknown_access: list[str] = []
    for part in _split(raw.get("accessibility")):
        # 「車椅子貸出有り」 lends a wheelchair; it does not say the place can be used in one.
        code = None if _LENDS_RE.search(part) else vocab.accessibility_code(part)
        if code is None:
            issues.append(issue("unknown_accessibility", n, raw.col("accessibility"), value=part))
            unknown_access.append(part)
        elif code not in accessibility:
            accessibility.append(code)
    if unknown_access:
        joined = f"{CANONICAL_HEADER['accessibility']}: " + "、".join(unknown_access)
        notes = f"{notes}\n{joined}" if notes else joined

    extra = {k: clean(v, multiline=True) for k, v in raw.extra.items() if v and clean(v)}

    postcode = None
    if raw.get("postcode"):
        postcode = normalize_postcode(raw.get("postcode"))
        if postcode is None:
            issues.append(issue("invalid_postcode", n, raw.col("postcode"), value=raw.get("postcode")))
            extra.setdefault(_original(raw, "postcode"), raw.get("postcode"))

    contact_name = raw.get("contact_name") or None
    phone, extension = None, raw.get("extension") or None
    phone_text = raw.get("phone")
    if phone_text:
        phone = normalize_phone(phone_text)
        m = re.search(r"内線\s*[:：]?\s*([0-9]+)", phone_text)
        if m and not extension:
            extension = m.group(1)
        if phone is None:
            issues.append(issue("invalid_phone", n, raw.col("phone"), value=phone_text))
            extra.setdefault(_original(raw, "phone"), phone_text)
        else:
            phone_note = _phone_note(phone_text)
            if phone_note:
                # 「0743-…（東公民館）」: whose number it is.  The contact name when the file has none.
                if not contact_name:
                    contact_name = phone_note
                elif phone_note not in contact_name:
                    note = f"{CANONICAL_HEADER['phone']}: {phone}（{phone_note}）"
                    notes = f"{notes}\n{note}" if notes else note

    email = raw.get("email") or None
    if email and not valid_email(email):
        issues.append(issue("invalid_email", n, raw.col("email"), value=email))
        extra.setdefault(_original(raw, "email"), email)
        email = None

    url = raw.get("url") or None
    if url and not valid_url(url):
        if url.startswith("www.") and valid_url("https://" + url):
            url = "https://" + url
        else:
            issues.append(issue("invalid_url", n, raw.col("url"), value=url))
            extra.setdefault(_original(raw, "url"), url)
            url = None

    lat, lon, level, coord_issues, coord_error = _coordinates(raw, address, geocoder)
    issues.extend(coord_issues)
    errors = errors or coord_error
    if lat is None:
        draft.append("no_location")

    schedule, schedule_text, needs_review, sched_issues, note_kind = _schedule(raw)
    issues.extend(sched_issues)

    basic, detail = raw.get("cost"), raw.get("cost_detail")
    cost_text = _cost_text(basic, detail)
    cost_yen = None
    yen_text = raw.get("cost_yen")
    if yen_text:
        cost_yen, ok = parse_cost(yen_text)
        if not ok or cost_yen is None:
            issues.append(issue("invalid_cost_yen", n, raw.col("cost_yen"), value=yen_text))
            extra.setdefault(_original(raw, "cost_yen"), yen_text)
            cost_yen = None
    if cost_text and not yen_text:
        # 料金（基本） is the amount; 料金（詳細） explains it (「1回500円（材料費込み）」).
        parsed, ok = parse_cost(basic) if basic else (None, False)
        if not ok or parsed is None:
            parsed, ok = parse_cost(cost_text)
        if not ok:
            issues.append(issue("cost_not_understood", n, raw.col("cost"), value=cost_text))
        # 料金_円 (our export's column), when present, is the amount even when empty: a listing
        # whose amount was left unset must not gain one parsed from its text on re-import.
        if "cost_yen" not in raw.present:
            cost_yen = parsed

    bools: dict[str, bool | None] = {}
    for fld in ("booking", "first_timers", "visit_ok", "solo_ok"):
        text = raw.get(fld)
        value = parse_bool(text) if text else None
        if text and value is None:
            issues.append(issue("invalid_boolean", n, raw.col(fld), value=text))
            extra.setdefault(_original(raw, fld), text)
        bools[fld] = value

    capacity = None
    if raw.get("capacity"):
        capacity, ok = parse_capacity(raw.get("capacity"))
        if not ok:
            issues.append(issue("invalid_capacity", n, raw.col("capacity"), value=raw.get("capacity")))
            extra.setdefault(_original(raw, "capacity"), raw.get("capacity"))

    status_hint: StatusHint = "draft" if draft else "published"
    status_text = raw.get("status")
    if status_text:
        said = status_text.lower()
        if said in _NOT_LISTED:
            status_hint = "archived"
            issues.append(issue("not_active", n, raw.col("status"), value=status_text))
        elif said in _DRAFT_WORDS:
            status_hint = "draft"
        elif said not in _LISTED:
            issues.append(issue("unknown_status", n, raw.col("status"), value=status_text))

    if errors:
        return None, issues

    record = ActivityRecord(
        source_id=source_id,
        name=name,
        name_kana=raw.get("name_kana") or None,
        name_en=raw.get("name_en") or None,
        description_en=raw.get_multiline("description_en") or None,
        contact_name=contact_name,
        category=category,
        category_text=category_text,
        audiences=audiences,
        tags=tags,
        description=raw.get_multiline("description") or None,
        organization_name=raw.get("organization") or None,
        organization_kana=raw.get("organization_kana") or None,
        place_name=raw.get("place_name") or None,
        address=address,
        postcode=postcode,
        lat=lat,
        lon=lon,
        geocode_level=level,
        schedule=schedule,
        schedule_text=schedule_text,
        schedule_needs_review=needs_review,
        cost_yen=cost_yen,
        cost_text=cost_text,
        booking_required=bools["booking"],
        contact_phone=phone,
        extension=extension,
        contact_email=email,
        url=url,
        welcomes_first_timers=bools["first_timers"],
        visit_ok=bools["visit_ok"],
        solo_ok=bools["solo_ok"],
        capacity=capacity,
        accessibility=accessibility,
        notes=notes,
        extra=extra,
        status_hint=status_hint,
        row=n,
        draft_reasons=draft,
        note_kind=note_kind,
    )
    return record, issues


# 掲載状態 / HSDS service.status.  Not offered any more (or for now): kept, but archived — hidden
# from residents, never deleted, and published again when a later file says it runs.
_NOT_LISTED = frozenset({"inactive", "defunct", "temporarily closed", "非公開", "掲載終了", "終了", "廃止", "休止", "休止中"})
_DRAFT_WORDS = frozenset({"下書き", "draft"})
_LISTED = frozenset({"active", "公開", "掲載", "掲載中", "published"})


_LENDS_RE = re.compile(r"貸出|貸し出し|貸与|レンタル")
_PHONE_NOTE_RE = re.compile(r"[(（]([^()（）0-9]{1,40})[)）]|[:：]\s*([^0-9:：]{1,40})$")


def _phone_note(text: str) -> str | None:
    """The words beside a phone number (「（○○記念館）」), not an 内線 or a number."""
    for m in _PHONE_NOTE_RE.finditer(text):
        note = (m.group(1) or m.group(2) or "").strip()
        if note and "内線" not in note:
            return note
    return None


def _cost_text(basic: str, detail: str) -> str | None:
    """One wording for 料金（基本） + 料金（詳細）: 「無料」 twice is 「無料」, and a detail that
    repeats the basic amount (「500」, 「1回500円（材料費込み）」) is the detail alone."""
    if not basic or not detail:
        return basic or detail or None
    b, d = fold(basic), fold(detail)
    if b == d or b in d:
        return detail
    if d in b:
        return basic
    return f"{basic}（{detail}）"


def _original(raw: RawRow, fld: str) -> str:
    """extra key for a value we could not use: 「電話番号（原文）」, so it survives export (the
    電話番号 column itself is then empty) and is visibly not the normalised value."""
    return f"{raw.col(fld)}（原文）"


def _split(text: str) -> list[str]:
    out: list[str] = []
    for part in SPLIT_RE.split(text or ""):
        part = part.strip()
        if part and part not in out:
            out.append(part)
    return out


def _address(raw: RawRow) -> str | None:
    address = raw.get("address")
    if not address:
        address = "".join(raw.get(f) for f in ("address_pref", "address_city", "address_town", "address_rest"))
    extra = raw.get("address_extra")
    if extra and extra not in address:
        address = f"{address} {extra}".strip()
    return address or None


_PLAIN_DECIMAL_RE = re.compile(r"^[+-]?\d+(?:\.\d+)?$")


def _coordinates(
    raw: RawRow, address: str | None, geocoder: Any
) -> tuple[float | None, float | None, GeocodeLevel | None, list[RowIssue], bool]:
    n = raw.row
    issues: list[RowIssue] = []
    lat_text, lon_text = raw.get("lat"), raw.get("lon")
    parsed: dict[str, float] = {}
    error = False
    for fld, text in (("lat", lat_text), ("lon", lon_text)):
        if not text:
            continue
        try:
            parsed[fld] = parse_coordinate(text)
        except (ValueError, TypeError, OverflowError):
            issues.append(issue("not_a_number", n, raw.col(fld), value=text))
            error = True
            continue
        if not _PLAIN_DECIMAL_RE.match(text):
            issues.append(issue("coord_converted", n, raw.col(fld), value=text))
    if error:
        return None, None, None, issues, True

    if len(parsed) == 1:
        issues.append(issue("coord_incomplete", n, raw.col("lat" if "lon" in parsed else "lon")))
    if len(parsed) == 2:
        expected = None
        if geocoder is not None and address:
            hit = _geocode(geocoder, address)
            if hit is not None:
                expected = (hit.lat, hit.lon)
        check = check_point(parsed["lat"], parsed["lon"], expected=expected)
        usable = True
        for code in check.issues:
            mapped, keep = _coord_issue_code(code)
            value = f"{parsed['lat']}, {parsed['lon']}"
            if mapped == "coord_tokyo_datum" and check.suggested is not None:
                value += f" → {check.suggested[0]:.6f}, {check.suggested[1]:.6f}"
            issues.append(issue(mapped, n, raw.col("lat"), value=value if mapped != "coord_check" else code))
            usable = usable and keep
        if usable and check.lat is not None and check.lon is not None:
            level = raw.get("geocode_level")
            return check.lat, check.lon, (level if level in GEOCODE_LEVELS else "file"), issues, False

    if geocoder is not None and address:
        hit = _geocode(geocoder, address)
        if hit is not None and hit.level in GEOCODE_LEVELS:
            issues.append(issue("geocoded", n, raw.col("address"), value=hit.level))
            return hit.lat, hit.lon, hit.level, issues, False
    issues.append(issue("no_location", n, raw.col("lat")))
    return None, None, None, issues, False


def _geocode(geocoder: Any, address: str) -> Any:
    try:
        return geocoder.geocode(address)
    except (ValueError, LookupError):
        return None


def _coord_issue_code(code: str) -> tuple[str, bool]:
    """gis.coords issue → (our code, coordinates still usable)."""
    c = code.lower()
    if "swap" in c:
        return "coord_swapped", True
    if "outside" in c or "japan" in c or "range" in c or "finite" in c:
        return "coord_outside_japan", False
    if "tokyo" in c or "datum" in c:
        return "coord_tokyo_datum", True
    if "null" in c:
        return "coord_outside_japan", False
    return "coord_check", True


def _fmt_time(t: Any) -> str:
    return t.strftime("%H:%M") if t is not None else ""


NOTE_KIND_WORDS: dict[str, tuple[str, str]] = {
    "conditional": ("条件付き", "conditional"),
    "seasonal": ("時期による", "seasonal"),
    "other": ("読み取れない文", "not understood"),
}


def _schedule(raw: RawRow) -> tuple[Schedule | None, str | None, bool, list[RowIssue], str | None]:
    note = raw.get("schedule_note")
    reading = classify_note(note)
    sched, text, review, issues = _schedule_parts(raw, reading)
    return sched, text, review, issues, reading.kind


def _note_review(raw: RawRow, reading: NoteReading, problems: list[str]) -> list[RowIssue]:
    out = []
    for clause in reading.review:
        kind = classify_note(clause).kind or "other"
        ja, en = NOTE_KIND_WORDS.get(kind, NOTE_KIND_WORDS["other"])
        out.append(issue("schedule_note_review", raw.row, raw.col("schedule_note"), value=clause, kind_ja=ja, kind_en=en))
    for problem in problems:
        out.append(issue("schedule_needs_review", raw.row, raw.col("schedule_note"), value=raw.get("schedule_note"), reason=problem))
    return out


def _with_note(
    raw: RawRow, sched: Schedule, shown: str, reading: NoteReading, issues: list[RowIssue]
) -> tuple[Schedule | None, str | None, bool, list[RowIssue]]:
    """A rule read from the columns, with the note's closures applied and its conditions flagged."""
    sched, problems = apply_closures(_with_text(sched, shown), reading)
    flagged = _note_review(raw, reading, problems)
    return sched, shown, bool(flagged), issues + flagged


def _schedule_parts(raw: RawRow, reading: NoteReading) -> tuple[Schedule | None, str | None, bool, list[RowIssue]]:
    n = raw.row
    issues: list[RowIssue] = []
    cells = {fld: raw.get(fld) for fld in ("start_time", "end_time")}
    if cells["start_time"] and not cells["end_time"]:
        # One time column holding the range (「10:00～11:30」 under 開催時間, 開館時間, 時間).
        pair = _time_range(cells["start_time"])
        if pair is not None:
            cells["start_time"], cells["end_time"] = pair
    times: dict[str, Any] = {}
    for fld in ("start_time", "end_time"):
        text = cells[fld]
        if text:
            value = _parse_time(text)
            if value is None:
                issues.append(issue("invalid_time", n, raw.col(fld) or raw.col("start_time"), value=text))
            times[fld] = value
    start, end = times.get("start_time"), times.get("end_time")
    start_cell, end_cell = cells["start_time"] or None, cells["end_time"] or None

    text = raw.get("schedule_text")
    weekdays = raw.get("weekdays")
    weekdays_field = "weekdays"
    note = raw.get("schedule_note")
    dates: dict[str, Any] = {}
    for fld in ("start_date", "end_date", "dtstart"):
        value_text = raw.get(fld)
        if value_text:
            value = parse_date(value_text)
            if value is None and fld == "start_date" and not (text or weekdays) and _reads_as_days(value_text):
                # 「開催日: 毎週火曜日」: a 通いの場 list's day column, not an event's date.
                weekdays, weekdays_field = value_text, fld
                continue
            if value is None:
                issues.append(issue("invalid_date", n, raw.col(fld), value=value_text))
            dates[fld] = value

    # Our own export (or a city that writes RRULE): authoritative, no text parsing.
    rrule = raw.get("rrule")
    rdates = raw.get("rdates")
    if rrule or rdates or ("rrule" in raw.present and raw.get("needs_review")):
        if not rrule and not rdates:
            return None, text or None, bool(parse_bool(raw.get("needs_review"))), issues
        try:
            sched: Schedule | None = Schedule(
                rrule=rrule or None,
                start=start,
                end=end,
                dtstart=dates.get("dtstart"),
                exdates=tuple(_dates(raw.get("exdates"))),
                rdates=tuple(_dates(rdates)),
                skip_holidays=bool(parse_bool(raw.get("skip_holidays"))),
                text=text,
                yearly_exclusions=tuple(raw.get("yearly_exclusions").split()),
            )
        except ValueError as exc:
            issues.append(issue("invalid_rrule", n, raw.col("rrule"), value=f"{rrule}: {exc}"))
            return None, text or rrule, True, issues
        return sched, text or None, bool(parse_bool(raw.get("needs_review"))), issues

    if weekdays:
        composed = " ".join(p for p in (weekdays, _range_text(start, end), note) if p)
        shown = text or composed
        column = raw.col(weekdays_field)
        if reading.open_all_day and start == end and start is not None and start.hour == 0 and start.minute == 0:
            # 00:00–00:00 with 「終日開放」: the whole day, not an end before its start.
            issues.append(issue("all_day", n, raw.col("end_time"), value=note))
            start_cell = end_cell = None
        plain_first = parse_schedule_text(weekdays, start=start_cell, end=end_cell)
        plain_ok = plain_first.schedule is not None and not plain_first.needs_review
        if note and plain_ok:
            # The weekday columns make the rule; the note adds closures or asks for review.
            return _with_note(raw, plain_first.schedule, shown, reading, issues)  # type: ignore[arg-type]
        parsed = parse_schedule_text(
            f"{weekdays}（{note}）" if note else weekdays, start=start_cell, end=end_cell
        )
        if parsed.schedule is not None and not parsed.needs_review:
            return _with_text(parsed.schedule, shown), shown, False, issues
        issues.append(issue("schedule_needs_review", n, column, value=composed, reason=parsed.reason or "不明"))
        sched = _with_text(parsed.schedule, shown) if parsed.schedule is not None else None
        return sched, shown, True, issues

    if text:
        parsed = parse_schedule_text(text, start=start_cell, end=end_cell)
        sched = _with_text(parsed.schedule, text) if parsed.schedule is not None else None
        if sched is not None and dates.get("start_date") and sched.dtstart is None:
            sched = dataclasses.replace(sched, dtstart=dates["start_date"])
        if parsed.needs_review or sched is None:
            issues.append(
                issue("schedule_needs_review", n, raw.col("schedule_text"), value=text, reason=parsed.reason or "不明")
            )
            return sched, text, True, issues
        return sched, text, False, issues

    start_date = dates.get("start_date")
    if start_date:
        end_date = dates.get("end_date") or start_date
        shown = " ".join(
            p
            for p in (
                start_date.isoformat() + (f"〜{end_date.isoformat()}" if end_date != start_date else ""),
                _range_text(start, end),
                note,
            )
            if p
        )
        if end_date < start_date:
            issues.append(issue("invalid_date", n, raw.col("end_date"), value=raw.get("end_date")))
            end_date = start_date
        try:
            if end_date == start_date:
                # A one-day event is a single date, not a rule.
                sched = Schedule(rrule=None, start=start, end=end, rdates=(start_date,), text=shown)
            else:
                sched = Schedule(
                    rrule=f"FREQ=DAILY;UNTIL={end_date:%Y%m%d}", start=start, end=end,
                    dtstart=start_date, text=shown,
                )
        except ValueError as exc:  # end time before start time
            issues.append(issue("invalid_time", n, raw.col("end_time"), value=str(exc)))
            return None, shown, True, issues
        if note:
            return _with_note(raw, sched, shown, reading, issues)
        return sched, shown, False, issues

    if start or end or note:
        shown = " ".join(p for p in (_range_text(start, end), note) if p)
        issues.append(issue("schedule_needs_review", n, raw.col("start_time"), value=shown, reason="曜日・日付がありません"))
        return None, shown, True, issues
    return None, None, False, issues


_TIME_RANGE_RE = re.compile(r"^\s*(.+?)\s*[～〜~\-－ー―]\s*(.+?)\s*$")


def _time_range(text: str) -> tuple[str, str] | None:
    """「10:00～11:30」, 「9時半〜12時」: the two ends, when both read as times."""
    found = _TIME_RANGE_RE.match(clean(text))
    if found is None or _parse_time(found.group(1)) is None or _parse_time(found.group(2)) is None:
        return None
    return found.group(1), found.group(2)


def _reads_as_days(text: str) -> bool:
    """A cell that names recurring days (毎週火曜日, 第2・第4木曜日, 平日) rather than one date."""
    parsed = parse_schedule_text(text)
    return parsed.schedule is not None and bool(parsed.schedule.rrule)


def _parse_time(text: str) -> Any:
    try:
        return parse_time(text)
    except ValueError:  # parse_time returns None for junk; be safe if that changes
        return None


def _range_text(start: Any, end: Any) -> str:
    if start is None and end is None:
        return ""
    return f"{_fmt_time(start)}〜{_fmt_time(end)}"


def _dates(text: str) -> list[Any]:
    out = []
    for part in re.split(r"[\s,、;]+", text or ""):
        d = parse_date(part) if part else None
        if d is not None:
            out.append(d)
    return out


def _with_text(sched: Schedule, text: str | None) -> Schedule:
    """Our records keep one wording: the schedule's text is the record's schedule_text."""
    text = text or ""
    return sched if sched.text == text else dataclasses.replace(sched, text=text)
