"""Open Referral HSDS 3 (Human Services Data Specification): reader and writer.

JSON: a list of compiled Service objects (also accepted: {"contents": [...]} as the HSDS API
returns it, {"services": [...]}, or one Service).  CSV: a directory or .zip with
services.csv, organizations.csv, locations.csv, service_at_location.csv (the spec's singular
name; the plural is read too), schedules.csv and, optionally, phones.csv, addresses.csv and
cost_options.csv.

Mapping: service → activity; organization → 主催者; the service_at_location's location → place,
point and address; phones[0] → 電話番号/内線番号; schedules (freq, interval, byday,
bymonthday, wkst, dtstart, until, count, opens_at, closes_at, description) ↔ Schedule;
attributes' taxonomy terms → 種別/対象/バリアフリー; cost_options → 料金 and 料金_円 (amount).

A service run at several locations becomes one activity per service_at_location — a resident
looks for the hall near home — with the ID "<service id>@<location id>", stable while that pair
exists (a service at one location keeps the service id); hours given on the service_at_location
win over the service's.  ``status``: a city expects a service that is ``inactive``, ``defunct``
or ``temporarily closed`` to disappear from the map without losing its record, so it is imported
as archived (reported as "not_active"), and published again when a later file says ``active``.

Export: valid HSDS 3 (required fields present, typed fields never null, freq only WEEKLY/MONTHLY:
FREQ=DAILY is written as every weekday, a one-off date as COUNT=1, and a rule HSDS cannot carry
(BYMONTH, YEARLY) only as the schedule description).  Drafts are ``inactive`` with 掲載状態
下書き in x_odekake, so our reader keeps them drafts rather than archiving them.

What HSDS has no field for (EXDATE/RDATE, 祝日除外, 要確認, our yes/no columns, extra columns)
travels in ``x_odekake`` (JSON object; a JSON text column in services.csv), so our own
export → import round-trips exactly.  Other HSDS producers simply lack it.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from importers.columns import CANONICAL_HEADER as H
from importers.export import record_to_row
from importers.keyed import KeyedItem, read_keyed, to_text
from importers.records import ActivityRecord, ReadResult, UnreadableFile
from importers.textfile import ReadClock, check_zip, decode_bytes, read_bytes
from importers.vocab import load_vocab
from schedule.model import WEEKDAY_CODES, Schedule, parse_rrule_parts

__all__ = ["HsdsReader", "read_hsds", "schedule_from_hsds", "schedule_to_hsds", "write_hsds"]

TAXONOMY_CATEGORY = "odekake:category"
TAXONOMY_AUDIENCE = "odekake:audience"
TAXONOMY_ACCESSIBILITY = "odekake:accessibility"

# Columns carried in x_odekake: everything record_to_row writes that HSDS core does not carry.
_CORE_HEADERS = {H[f] for f in ("id", "name", "description", "url", "email", "organization", "place_name", "postcode", "address", "lat", "lon",
                                "phone", "extension", "cost", "capacity")}

_SCHEDULE_HEADERS = {H[f] for f in ("schedule_text", "rrule", "dtstart", "start_time", "end_time", "exdates",
                                     "yearly_exclusions", "rdates", "skip_holidays", "needs_review", "cost_yen")}

# One CSV table of an HSDS zip, expanded, and all of them together: a city's HSDS export of a few
# thousand services is ~3 MB.  Every table is decoded and parsed into dicts (~10 times its size
# in memory), so the caps stay well below the general zip caps (a 1.9 MB zip of many 50 MB
# members grew a worker to 2.6 GB).
MAX_CSV_MEMBER = 16 * 1024 * 1024
MAX_CSV_TOTAL = 32 * 1024 * 1024
# Rows in one table: a city has a few thousand services; more is not a city's file.
MAX_CSV_ROWS = 100_000

# What an HSDS 3 schedule can carry (schema/schedule.json: freq is WEEKLY or MONTHLY).
_HSDS_FREQS = frozenset({"WEEKLY", "MONTHLY"})
_HSDS_PARTS = frozenset({"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYWEEKNO", "BYYEARDAY", "WKST", "COUNT", "UNTIL"})
_PREF_CITY_RE = re.compile(r"^(?P<pref>東京都|北海道|(?:京都|大阪)府|[^\s都道府県]{2,3}県)?(?P<city>[^\s]+?[市区町村])?")
DRAFT_MARK = "下書き"


# ── schedule mapping ───────────────────────────────────────────────────────────────────────


def schedule_to_hsds(schedule: Schedule, *, sid: str, service_id: str) -> dict[str, Any]:
    """Our Schedule → an HSDS schedule object (rrule parts as HSDS fields)."""
    out: dict[str, Any] = {"id": sid, "service_id": service_id}
    parts = parse_rrule_parts(schedule.rrule) if schedule.rrule else {}
    if parts.get("FREQ") == "DAILY" and set(parts) <= {"FREQ", "COUNT", "UNTIL", "WKST"}:
        parts = {**parts, "FREQ": "WEEKLY", "BYDAY": ",".join(WEEKDAY_CODES)}  # HSDS has no DAILY
    if parts and (parts["FREQ"] not in _HSDS_FREQS or set(parts) - _HSDS_PARTS):
        # YEARLY, BYMONTH (「8月は休み」) …: HSDS cannot say it; a rule without those parts would
        # list days that do not happen, so only the description is given.
        parts = {}
    if parts:
        out["freq"] = parts["FREQ"]
        if "INTERVAL" in parts:
            out["interval"] = int(parts["INTERVAL"])
        for key in ("BYDAY", "BYMONTHDAY", "BYWEEKNO", "BYYEARDAY"):
            if key in parts:
                out[key.lower()] = parts[key]
        out["wkst"] = parts.get("WKST", "MO")
        if "COUNT" in parts:
            out["count"] = int(parts["COUNT"])
        if "UNTIL" in parts:
            u = parts["UNTIL"]
            out["until"] = f"{u[:4]}-{u[4:6]}-{u[6:8]}"
    if schedule.dtstart:
        out["dtstart"] = schedule.dtstart.isoformat()
    elif schedule.rdates and not schedule.rrule and len(schedule.rdates) == 1:
        day = schedule.rdates[0]
        out["dtstart"] = day.isoformat()
        out["freq"], out["count"], out["byday"] = "WEEKLY", 1, WEEKDAY_CODES[day.weekday()]
    if schedule.start:
        out["opens_at"] = schedule.start.strftime("%H:%M")
    if schedule.end:
        out["closes_at"] = schedule.end.strftime("%H:%M")
    if schedule.text:
        out["description"] = schedule.text
    out["timezone"] = 9
    return out


def schedule_from_hsds(item: dict[str, Any]) -> dict[str, str]:
    """HSDS schedule → our schedule columns (RRULE, DTSTART, 開始時間, 終了時間, 開催日時)."""
    out: dict[str, str] = {}
    freq = to_text(item.get("freq")).upper()
    if freq:
        parts = [f"FREQ={freq}"]
        interval = to_text(item.get("interval"))
        if interval and interval != "1":
            parts.append(f"INTERVAL={interval}")
        for key in ("byday", "bymonthday", "byweekno", "byyearday"):
            value = to_text(item.get(key)).replace(" ", "").upper()
            if value:
                parts.append(f"{key.upper()}={value}")
        count = to_text(item.get("count"))
        until = to_text(item.get("until")).replace("-", "")[:8]
        if count:
            parts.append(f"COUNT={count}")
        elif until:
            parts.append(f"UNTIL={until}")
        wkst = to_text(item.get("wkst")).upper()
        if wkst and wkst != "MO" and wkst in WEEKDAY_CODES:
            parts.append(f"WKST={wkst}")
        out[H["rrule"]] = ";".join(parts)
    for src, dst in (("dtstart", "dtstart"), ("opens_at", "start_time"), ("closes_at", "end_time")):
        value = to_text(item.get(src))
        if value:
            out[H[dst]] = value[:10] if src == "dtstart" else value[:5]
    if item.get("description"):
        out[H["schedule_text"]] = to_text(item["description"])
    return out


def _merge_schedules(items: list[dict[str, Any]]) -> dict[str, str]:
    if not items:
        return {}
    first = schedule_from_hsds(items[0])
    if len(items) == 1:
        return first
    # Weekly schedules with the same hours on different days are one rule to us.
    rows = [schedule_from_hsds(i) for i in items]
    rules = [parse_rrule_parts(r.get(H["rrule"], "") or "FREQ=NONE") for r in rows]
    same_hours = len({(r.get(H["start_time"]), r.get(H["end_time"])) for r in rows}) == 1
    if same_hours and all(p.get("FREQ") == "WEEKLY" and set(p) <= {"FREQ", "BYDAY"} for p in rules):
        days = sorted({d for p in rules for d in p.get("BYDAY", "").split(",") if d}, key=WEEKDAY_CODES.index)
        first[H["rrule"]] = f"FREQ=WEEKLY;BYDAY={','.join(days)}"
        return first
    texts = [r.get(H["schedule_text"]) or r.get(H["rrule"], "") for r in rows]
    return {H["schedule_text"]: " / ".join(t for t in texts if t), H["needs_review"]: "はい"}


# ── reading ────────────────────────────────────────────────────────────────────────────────


def _terms(service: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for attr in service.get("attributes") or []:
        if isinstance(attr, dict) and isinstance(attr.get("taxonomy_term"), dict):
            out.append(attr["taxonomy_term"])
    return out


def _service_props(service: dict[str, Any]) -> dict[str, str]:
    """HSDS service → our column → text (everything but the location)."""
    props: dict[str, str] = {}

    def put(header: str, value: Any) -> None:
        text = to_text(value)
        if text:
            props[header] = text

    put(H["id"], service.get("id"))
    put(H["name"], service.get("name"))
    _alternate(props, H["name_kana"], service.get("alternate_name"))
    put(H["description"], service.get("description"))
    put(H["url"], service.get("url"))
    put(H["email"], service.get("email"))
    org = service["organization"] if isinstance(service.get("organization"), dict) else {}
    put(H["organization"], org.get("name"))
    _alternate(props, H["organization_kana"], org.get("alternate_name"), what="主催者の別名")
    phones = [p for p in service.get("phones") or [] if isinstance(p, dict)]
    if phones:
        put(H["phone"], phones[0].get("number"))
        put(H["extension"], phones[0].get("extension"))
    costs = [c for c in service.get("cost_options") or [] if isinstance(c, dict)]
    if costs:
        put(H["cost"], "、".join(t for t in (_cost_words(c) for c in costs) if t))
        yen = [c for c in costs if _currency(c) == "JPY" and c.get("amount") not in (None, "")]
        # An amount is stored only when it is in yen and the only one (大人/子ども are two prices).
        if len(yen) == 1 and len(costs) == 1:
            put(H["cost_yen"], yen[0].get("amount"))
    elif service.get("fees_description"):
        put(H["cost"], service.get("fees_description"))
    if service.get("capacity") is not None:
        put(H["capacity"], service.get("capacity"))

    # taxonomy terms: ours by taxonomy name, others tried against the vocabularies
    vocab = load_vocab()
    by_kind: dict[str, list[str]] = {"category": [], "audience": [], "accessibility": []}
    for term in _terms(service):
        taxonomy = to_text(term.get("taxonomy"))
        code, name = to_text(term.get("code")), to_text(term.get("name"))
        if taxonomy == TAXONOMY_CATEGORY:
            by_kind["category"].append(name or code)
        elif taxonomy == TAXONOMY_AUDIENCE:
            by_kind["audience"].append(code or name)
        elif taxonomy == TAXONOMY_ACCESSIBILITY:
            by_kind["accessibility"].append(code or name)
        elif vocab.category(name or code):
            by_kind["category"].append(name or code)
    if by_kind["category"]:
        props[H["category"]] = by_kind["category"][0]
    if by_kind["audience"]:
        props[H["audience"]] = "、".join(by_kind["audience"])
    if by_kind["accessibility"]:
        props[H["accessibility"]] = "、".join(by_kind["accessibility"])

    status = to_text(service.get("status")).strip().lower()
    if status and status != "active":
        props[H["status"]] = status  # build_record: inactive / defunct / temporarily closed → archived
    schedules = [s for s in service.get("schedules") or [] if isinstance(s, dict)]
    props.update(_merge_schedules(schedules))
    ext = service.get("x_odekake")
    if isinstance(ext, str):
        try:
            ext = json.loads(ext)
        except json.JSONDecodeError:
            ext = None
    if isinstance(ext, dict):
        for key, value in ext.items():
            props[str(key)] = to_text(value)
    return props


_KANA_RE = re.compile(r"^[\u3041-\u309f\u30a0-\u30ff\uff66-\uff9f\s・ー]+$")


def _alternate(props: dict[str, str], kana_header: str, value: Any, *, what: str = "別名") -> None:
    """HSDS alternate_name is another name, not a reading: kept as 別名 (extra) — unless it is
    kana only, which is how our older exports carried the reading."""
    text = to_text(value).strip()
    if not text:
        return
    if _KANA_RE.match(text):
        props[kana_header] = text
    else:
        props[what] = text


def _currency(c: dict[str, Any]) -> str:
    return (to_text(c.get("currency")) or "JPY").strip().upper()


def _cost_words(c: dict[str, Any]) -> str:
    """A cost option as people read it: 「300円 1回」, 「5 GBP ingredients」 (never yen for pounds)."""
    amount = to_text(c.get("amount")).strip()
    if amount.endswith(".0"):
        amount = amount[:-2]
    option = to_text(c.get("option")).strip()
    if not amount:
        return option
    if _currency(c) == "JPY":
        return option or f"{amount}円"  # the amount itself goes to 料金_円
    money = f"{amount} {_currency(c)}"
    return option if amount in option else f"{option} {money}".strip()


def _location_props(sal: dict[str, Any]) -> tuple[dict[str, str], str | None, str | None]:
    """One service_at_location → (場所名称, 所在地, 郵便番号 …, lat, lon)."""
    props: dict[str, str] = {}
    lat = lon = None
    loc = sal["location"] if isinstance(sal.get("location"), dict) else {}
    if loc.get("name"):
        props[H["place_name"]] = to_text(loc.get("name"))
    if loc.get("latitude") not in (None, "") and loc.get("longitude") not in (None, ""):
        lat, lon = to_text(loc.get("latitude")), to_text(loc.get("longitude"))
    addresses = [a for a in loc.get("addresses") or [] if isinstance(a, dict)]
    if addresses:
        a = next((x for x in addresses if x.get("address_type") == "physical"), addresses[0])
        if a.get("postal_code"):
            props[H["postcode"]] = to_text(a.get("postal_code"))
        # Japanese addresses are written big-to-small; address_1 usually holds all of it.
        parts = [to_text(a.get(k)) for k in ("state_province", "region", "city", "address_1", "address_2")]
        address = to_text(a.get("address_1"))
        if a.get("city") and to_text(a.get("city")) not in address:
            address = "".join(p for p in parts[:4] if p)
        if a.get("address_2"):
            address = f"{address} {to_text(a.get('address_2'))}"
        if address:
            props[H["address"]] = address
    return props, lat, lon


def _location_key(sal: dict[str, Any], index: int) -> str:
    loc = sal["location"] if isinstance(sal.get("location"), dict) else {}
    return to_text(loc.get("id")) or to_text(sal.get("location_id")) or to_text(sal.get("id")) or str(index)


def _items_from_services(services: list[Any], rows: list[int] | None = None) -> list[KeyedItem]:
    """One item per service, or per service_at_location when a service runs in several places.

    A service at one location keeps the service's id as our ID; at several, each location is a
    listing of its own with the ID "service id@location id" (stable while the pair exists), its
    own place and, when the location carries schedules, its own schedule.
    """
    items = []
    for index, service in enumerate(services, start=1):
        if not isinstance(service, dict):
            continue
        row = rows[index - 1] if rows else index
        props = _service_props(service)
        sals = [s for s in service.get("service_at_locations") or [] if isinstance(s, dict)]
        if len(sals) <= 1:
            loc_props, lat, lon = _location_props(sals[0]) if sals else ({}, None, None)
            own = {**loc_props, **props}
            # Hours given at the one location are the service's hours there: they win, as they
            # do for a service at several locations.
            at_location = [s for s in (sals[0].get("schedules") or []) if isinstance(s, dict)] if sals else []
            if at_location and not _ours(service):
                own.update(_merge_schedules(at_location))
            items.append(KeyedItem(row=row, props=own, lat=lat, lon=lon))
            continue
        service_id = props.get(H["id"], "")
        for n, sal in enumerate(sals, start=1):
            loc_props, lat, lon = _location_props(sal)
            own = {**props, **loc_props}
            if service_id:
                own[H["id"]] = f"{service_id}@{_location_key(sal, n)}"
            schedules = [s for s in sal.get("schedules") or [] if isinstance(s, dict)]
            if schedules:
                own.update(_merge_schedules(schedules))
            items.append(KeyedItem(row=row, props=own, lat=lat, lon=lon))
    return items


def _ours(service: dict[str, Any]) -> bool:
    """Our own export: its schedule columns travel in x_odekake and are authoritative."""
    return bool(service.get("x_odekake"))


def _services_from_json(doc: Any) -> list[Any]:
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict):
        for key in ("contents", "services"):
            if isinstance(doc.get(key), list):
                return doc[key]
        if "name" in doc and "id" in doc:
            return [doc]
    raise UnreadableFile(
        "HSDS の Service 一覧（JSON 配列または contents）ではありません",
        "not an HSDS list of services (a JSON array or an object with contents)",
    )


def _csv_tables(path: Path) -> tuple[dict[str, list[tuple[int, dict[str, str]]]], str]:
    """name → rows (line, dict) for a directory or zip of HSDS CSV files."""
    raw: dict[str, bytes] = {}
    if path.is_dir():
        for f in path.iterdir():
            if f.suffix.lower() == ".csv":
                raw[f.stem.lower()] = read_bytes(f)
    else:
        try:
            with zipfile.ZipFile(path) as zf:
                members = [i for i in zf.infolist() if i.filename.lower().endswith(".csv") and not i.is_dir()]
                # Sizes from the central directory, before anything is expanded.
                check_zip(zf, path.name, member_bytes=MAX_CSV_MEMBER, total_bytes=MAX_CSV_TOTAL, only=members)
                for info in members:
                    raw[Path(info.filename).stem.lower()] = zf.read(info)
        except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
            raise UnreadableFile(f"ZIP を開けません: {path.name}（{exc}）", f"cannot open the zip {path.name} ({exc})") from exc
    # The spec's tabular example names the table service_at_location.csv (singular); older
    # packages (ours among them) used the plural.  Both are read.
    if "service_at_location" in raw and "service_at_locations" not in raw:
        raw["service_at_locations"] = raw.pop("service_at_location")
    if "services" not in raw:
        raise UnreadableFile(
            "HSDS の services.csv がありません", "no services.csv in the HSDS directory or zip"
        )
    tables: dict[str, list[tuple[int, dict[str, str]]]] = {}
    encoding = ""
    clock = ReadClock(path.name)
    for name, data in raw.items():
        text, enc = decode_bytes(data, f"{name}.csv")
        if name == "services":
            encoding = enc
        reader = csv.DictReader(io.StringIO(text, newline=""))
        rows: list[tuple[int, dict[str, str]]] = []
        try:
            for row in reader:
                clock.check()
                if len(rows) >= MAX_CSV_ROWS:
                    raise UnreadableFile(
                        f"{name}.csv の行数が多すぎます（{MAX_CSV_ROWS}行まで）",
                        f"too many rows in {name}.csv (at most {MAX_CSV_ROWS})",
                    )
                rows.append((reader.line_num, {k: v or "" for k, v in row.items() if k}))
            tables[name] = rows
        except csv.Error as exc:
            raise UnreadableFile(f"{name}.csv を読めません（{exc}）", f"cannot read {name}.csv ({exc})") from exc
    return tables, encoding


def _services_from_tables(tables: dict[str, list[tuple[int, dict[str, str]]]]) -> tuple[list[dict[str, Any]], list[int]]:
    def by(table: str, key: str) -> dict[str, list[dict[str, str]]]:
        out: dict[str, list[dict[str, str]]] = {}
        for _line, row in tables.get(table, []):
            out.setdefault(row.get(key, ""), []).append(row)
        return out

    orgs = {row.get("id", ""): row for _l, row in tables.get("organizations", [])}
    locations: dict[str, dict[str, Any]] = {
        row.get("id", ""): dict(row) for _l, row in tables.get("locations", [])
    }
    addresses = by("addresses", "location_id")
    for loc_id, loc in locations.items():
        loc["addresses"] = addresses.get(loc_id, [])
    sal = by("service_at_locations", "service_id")
    # A schedule row names its service, or its service_at_location (hours at one place).
    schedules = by("schedules", "service_id")
    sal_schedules = by("schedules", "service_at_location_id")
    phones = by("phones", "service_id")
    costs = by("cost_options", "service_id")
    services = []
    lines = []
    for line, row in tables["services"]:
        service: dict[str, Any] = dict(row)
        service["organization"] = orgs.get(row.get("organization_id", ""), {})
        service["service_at_locations"] = [
            {
                "id": s.get("id"),
                "location_id": s.get("location_id"),
                "location": locations.get(s.get("location_id", ""), {}),
                "schedules": sal_schedules.get(s.get("id") or "\0", []),
            }
            for s in sal.get(row.get("id", ""), [])
        ]
        service["schedules"] = [s for s in schedules.get(row.get("id", ""), []) if not s.get("service_at_location_id")]
        service["phones"] = phones.get(row.get("id", ""), [])
        service["cost_options"] = costs.get(row.get("id", ""), [])
        services.append(service)
        lines.append(line)
    return services, lines


def read_hsds(path: Path, *, mapping: dict[str, str] | None = None, geocoder: Any = None) -> ReadResult:
    path = Path(path)
    if path.is_dir() or path.suffix.lower() == ".zip":
        tables, encoding = _csv_tables(path)
        services, lines = _services_from_tables(tables)
        items = _items_from_services(services, lines)
        return read_keyed(items, mapping=mapping, geocoder=geocoder, encoding=encoding)
    text, encoding = decode_bytes(read_bytes(path), path.name)
    try:
        doc = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise UnreadableFile(f"JSON として読めません（{exc}）", f"not valid JSON ({exc})") from exc
    items = _items_from_services(_services_from_json(doc))
    return read_keyed(items, mapping=mapping, geocoder=geocoder, encoding=encoding)


class HsdsReader:
    format_name = "hsds"

    def read(self, path: Path, *, mapping: dict[str, str] | None = None, geocoder: Any = None) -> ReadResult:
        return read_hsds(path, mapping=mapping, geocoder=geocoder)


# ── writing ────────────────────────────────────────────────────────────────────────────────


def _cost_option(r: ActivityRecord) -> dict[str, Any]:
    # HSDS's amount is a number: left out when unknown (x_odekake's 料金_円 says "unset" to us).
    option: dict[str, Any] = {"id": f"cost-{r.source_id}", "service_id": r.source_id, "currency": "JPY"}
    if r.cost_yen is not None:
        option["amount"] = r.cost_yen
    if r.cost_text:
        option["option"] = r.cost_text
    return option


def _service(r: ActivityRecord) -> dict[str, Any]:
    sid = r.source_id
    service: dict[str, Any] = {
        "id": sid,
        "name": r.name,
        "description": r.description,
        "url": r.url,
        "email": r.contact_email,
        # A draft is not offered to the public: "inactive" to others, 掲載状態 下書き to us (x_odekake).
        "status": "active" if r.status_hint == "published" else "inactive",
        "organization": {"id": f"org-{sid}", "name": r.organization_name, "description": ""}
        if r.organization_name
        else None,
        "phones": [{"id": f"phone-{sid}", "service_id": sid, "number": r.contact_phone, "type": "voice",
                    # HSDS extension is a number; anything else travels in x_odekake.
                    "extension": int(r.extension) if r.extension and r.extension.isdigit() else None}]
        if r.contact_phone
        else [],
        "schedules": [schedule_to_hsds(r.schedule, sid=f"sched-{sid}", service_id=sid)] if r.schedule else [],
        "cost_options": [_cost_option(r)] if r.cost_text or r.cost_yen is not None else [],
        "attributes": [
            {"id": f"attr-{sid}-{tax}-{code}", "link_id": sid, "link_type": "service", "taxonomy_term_id": f"{tax}/{code}",
             "taxonomy_term": {"id": f"{tax}/{code}", "code": code, "name": name, "description": name, "taxonomy": tax}}
            for tax, code, name in (
                [(TAXONOMY_CATEGORY, r.category or "", r.category_text or r.category or "")] if (r.category or r.category_text) else []
            )
            + [(TAXONOMY_AUDIENCE, a, a) for a in r.audiences]
            + [(TAXONOMY_ACCESSIBILITY, a, a) for a in r.accessibility]
        ],
        "service_at_locations": [],
    }
    if r.capacity is not None:
        service["capacity"] = r.capacity
    if r.place_name or r.address or r.lat is not None:
        loc_id = f"loc-{sid}"
        service["service_at_locations"] = [
            {
                "id": f"sal-{sid}",
                "service_id": sid,
                "location_id": loc_id,
                "location": {
                    "id": loc_id,
                    "location_type": "physical",
                    "name": r.place_name,
                    "latitude": r.lat,
                    "longitude": r.lon,
                    "addresses": [_address(r, loc_id)] if r.address or r.postcode else [],
                },
            }
        ]
    row = record_to_row(r)
    # Schedule columns and 料金_円 always travel, even empty: they override what the reader would derive
    # from the HSDS schedule (a one-off date is FREQ=DAILY;COUNT=1 there, rdates here), and an
    # empty RRULE with 開催日時要確認 tells the reader not to re-parse the schedule text.
    service["x_odekake"] = {k: v for k, v in row.items() if k not in _CORE_HEADERS and (v or k in _SCHEDULE_HEADERS)}
    if r.extension and not r.extension.isdigit():
        service["x_odekake"][H["extension"]] = r.extension
    if r.status_hint == "draft":
        service["x_odekake"][H["status"]] = DRAFT_MARK
    return _without_nulls(service)


def _address(r: ActivityRecord, loc_id: str) -> dict[str, Any]:
    # HSDS requires city and state_province; address_1 keeps the whole Japanese address, which
    # is how the reader takes it back (the city is inside it).
    address = r.address or ""
    m = _PREF_CITY_RE.match(address)
    return {
        "id": f"addr-{r.source_id}", "location_id": loc_id, "address_1": address,
        "city": (m.group("city") if m else None) or "", "state_province": (m.group("pref") if m else None) or "",
        "postal_code": r.postcode or "", "country": "JP", "address_type": "physical",
    }


def _without_nulls(value: Any) -> Any:
    """HSDS types its fields (string, number): an unknown value is left out, never null."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def write_hsds(records: Iterable[ActivityRecord], path: Path) -> None:
    """``.json`` → JSON array of services; ``.zip`` → zip of CSV tables; otherwise a directory of CSVs."""
    path = Path(path)
    services = [_service(r) for r in records]
    if path.suffix.lower() == ".json":
        path.write_text(json.dumps(services, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        return
    tables = _to_tables(services)
    if path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, text in tables.items():
                zf.writestr(f"{name}.csv", text.encode("utf-8"))
        return
    path.mkdir(parents=True, exist_ok=True)
    for name, text in tables.items():
        (path / f"{name}.csv").write_text(text, encoding="utf-8", newline="")


_TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "organizations": ("id", "name", "alternate_name", "description"),
    "services": ("id", "organization_id", "name", "alternate_name", "description", "url", "email", "status", "fees_description", "capacity", "x_odekake"),
    "locations": ("id", "location_type", "name", "latitude", "longitude"),
    "addresses": ("id", "location_id", "address_1", "city", "state_province", "postal_code", "country", "address_type"),
    "service_at_location": ("id", "service_id", "location_id"),
    "schedules": ("id", "service_id", "freq", "interval", "byday", "bymonthday", "byweekno", "byyearday", "wkst", "count", "until", "dtstart", "opens_at", "closes_at", "description", "timezone"),
    "phones": ("id", "service_id", "number", "extension", "type"),
    "cost_options": ("id", "service_id", "amount", "currency", "option"),
}


def _to_tables(services: list[dict[str, Any]]) -> dict[str, str]:
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in _TABLE_COLUMNS}
    for s in services:
        org = s.get("organization")
        if org:
            rows["organizations"].append(org)
        flat = dict(s)
        flat["organization_id"] = org["id"] if org else ""
        costs = s.get("cost_options") or []
        flat["fees_description"] = costs[0]["option"] if costs and costs[0].get("option") else ""
        flat["x_odekake"] = json.dumps(s["x_odekake"], ensure_ascii=False, sort_keys=True)
        rows["services"].append(flat)
        for sal in s["service_at_locations"]:
            loc = sal["location"]
            rows["service_at_location"].append(sal)
            rows["locations"].append(loc)
            rows["addresses"].extend(loc.get("addresses") or [])
        rows["schedules"].extend(s["schedules"])
        rows["phones"].extend(s["phones"])
        rows["cost_options"].extend(costs)
    out: dict[str, str] = {}
    for name, columns in _TABLE_COLUMNS.items():
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore", lineterminator="\r\n")
        writer.writeheader()
        for row in rows[name]:
            writer.writerow({k: "" if row.get(k) is None else (repr(row[k]) if isinstance(row[k], float) else row[k]) for k in columns})
        out[name] = buf.getvalue()
    return out
