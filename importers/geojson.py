"""GeoJSON FeatureCollection of points: reader and writer (RFC 7946: WGS84, [lon, lat])."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from importers.export import export_headers, record_to_row
from importers.issues import issue
from importers.keyed import KeyedItem, read_keyed, to_text
from importers.records import ActivityRecord, ReadResult, UnreadableFile
from importers.textfile import decode_bytes, read_bytes

__all__ = ["GeoJsonReader", "read_geojson", "write_geojson"]


def _features(doc: Any) -> list[Any]:
    if isinstance(doc, dict) and doc.get("type") == "FeatureCollection" and isinstance(doc.get("features"), list):
        return list(doc["features"])
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        return [doc]
    if isinstance(doc, list) and all(isinstance(f, dict) and f.get("type") == "Feature" for f in doc):
        return doc
    raise UnreadableFile(
        "GeoJSON の FeatureCollection ではありません", "not a GeoJSON FeatureCollection"
    )


def _point(geometry: Any) -> tuple[str, str] | str | None:
    """(lat, lon) text, None for no geometry, or a description of an unusable geometry."""
    if geometry is None:
        return None
    if not isinstance(geometry, dict):
        return "?"
    gtype = geometry.get("type")
    coords = geometry.get("coordinates")
    if gtype == "MultiPoint" and isinstance(coords, list) and len(coords) == 1:
        gtype, coords = "Point", coords[0]
    if gtype != "Point":
        return str(gtype)
    if (
        not isinstance(coords, list)
        or len(coords) < 2
        or not all(isinstance(c, int | float) and not isinstance(c, bool) for c in coords[:2])
        or not all(math.isfinite(c) for c in coords[:2])
    ):
        return f"Point {to_text(coords)[:40]}"
    lon, lat = coords[0], coords[1]
    return to_text(float(lat)), to_text(float(lon))


# The papamama layout (保育園マップ "papamama" and the dozens of childcare maps forked from it):
# English keys for Japanese content; the address split in two.  Keys → our headers.
_PAPAMAMA_KEYS = {
    "Name": "名称", "Type": "種別", "TEL": "電話番号", "FAX": "FAX番号", "Open": "開始時間", "Close": "終了時間",
    "Owner": "運営主体", "url": "URL", "URL": "URL", "Memo": "備考",
    # Not modelled, kept in extra under a name staff read at once.
    "Full": "満員", "Vacancy": "空き状況", "VacancyDate": "空き状況の日付", "Proof": "証明",
}
_PAPAMAMA_MARKS = frozenset({"Add1", "Add2", "Open", "Close", "Full", "Owner", "AgeS", "AgeE", "Vacancy", "H24", "Proof"})


def is_papamama(props: dict[str, str]) -> bool:
    return "Name" in props and len(_PAPAMAMA_MARKS & set(props)) >= 3


def papamama_props(props: dict[str, str]) -> dict[str, str]:
    """A papamama feature's properties under our headers; the rest keep their own keys (extra)."""
    out: dict[str, str] = {}
    rest = dict(props)
    address = "".join(rest.pop(k, "") or "" for k in ("Add1", "Add2"))
    if address:
        out["所在地_連結表記"] = address
    notes = [rest.pop("Memo", "") or ""]
    ages = [rest.pop(k, "") or "" for k in ("AgeS", "AgeE")]
    if any(ages):
        notes.append(f"対象年齢: {ages[0]}〜{ages[1]}歳")
    if (rest.get("H24") or "").strip() not in ("", "0", "いいえ"):
        notes.append("24時間")
    for key, header in _PAPAMAMA_KEYS.items():
        if key in rest and key != "Memo":
            value = rest.pop(key)
            if value.strip() and header not in out:
                out[header] = value
    note = "\n".join(n for n in notes if n.strip())
    if note:
        out["備考"] = note
    out.update({k: v for k, v in rest.items() if v.strip()})
    return out


def read_geojson(path: Path, *, mapping: dict[str, str] | None = None, geocoder: Any = None) -> ReadResult:
    path = Path(path)
    text, encoding = decode_bytes(read_bytes(path), path.name)
    try:
        doc = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise UnreadableFile(f"JSON として読めません（{exc}）", f"not valid JSON ({exc})") from exc
    items: list[KeyedItem] = []
    for index, feature in enumerate(_features(doc), start=1):
        if not isinstance(feature, dict):
            continue
        props = feature.get("properties") or {}
        if not isinstance(props, dict):
            props = {}
        text_props = {str(k): to_text(v) for k, v in props.items()}
        if is_papamama(text_props):
            text_props = papamama_props(text_props)
        item = KeyedItem(row=index, props=text_props)
        if "id" in feature and not any(str(k).lower() == "id" for k in props):
            item.defaults["id"] = to_text(feature["id"])
        point = _point(feature.get("geometry"))
        if isinstance(point, tuple):
            item.lat, item.lon = point
        elif isinstance(point, str):
            item.issues.append(issue("invalid_geometry", index, "geometry", value=point))
            # Drop 緯度/経度 properties too? No: a polygon feature may still carry a usable point there.
        items.append(item)
    return read_keyed(items, mapping=mapping, geocoder=geocoder, encoding=encoding)


class GeoJsonReader:
    format_name = "geojson"

    def read(self, path: Path, *, mapping: dict[str, str] | None = None, geocoder: Any = None) -> ReadResult:
        return read_geojson(path, mapping=mapping, geocoder=geocoder)


def write_geojson(records: Iterable[ActivityRecord], path: Path) -> None:
    """Properties use the same headers as our CSV (strings); the point is the geometry."""
    records = list(records)
    headers = export_headers(records, with_coordinates=False)
    features = []
    for r in records:
        row = record_to_row(r, with_coordinates=False)
        # Empty values are kept: an empty RRULE column tells the reader not to re-parse the text.
        props = {h: row.get(h, "") for h in headers}
        geometry = None if r.lat is None or r.lon is None else {"type": "Point", "coordinates": [r.lon, r.lat]}
        features.append({"type": "Feature", "id": r.source_id, "geometry": geometry, "properties": props})
    doc = {"type": "FeatureCollection", "features": features}
    Path(path).write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
