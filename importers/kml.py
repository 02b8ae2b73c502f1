"""KML reader (Google My Maps export, the format of many 居場所マップ; also .kmz).

Placemark <name> → 名称, <description> → 説明 (HTML stripped), <address> → 住所,
ExtendedData <Data name=…>/<SimpleData name=…> → columns by the usual header rules,
Point <coordinates> "lon,lat[,alt]" → position.  A My Maps layer (Folder) name is used as 種別
when it names a known category and the placemark has no 種別 of its own.
Parsed with defusedxml: a KML from the internet must not be able to expand entities.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from importers.issues import issue
from importers.keyed import KeyedItem, read_keyed
from importers.records import ReadResult, UnreadableFile
from importers.textfile import ReadClock, check_zip, read_bytes
from importers.vocab import load_vocab

__all__ = ["KmlReader", "read_kml"]

# The parsed tree of a KML takes ~25 times its size in memory: a 10 MB KML is ~250 MB.  A My Maps
# export of 2,000 placemarks is ~2 MB (a 100 MB cap let a 305 KB KMZ grow a worker to 2.8 GB).
MAX_KML_BYTES = 10 * 1024 * 1024
# A city lists a few thousand places; more placemarks than this is not a city's map.
MAX_PLACEMARKS = 100_000


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child(el: Element, name: str) -> Element | None:
    for c in el:
        if _local(c.tag) == name:
            return c
    return None


def _text(el: Element | None) -> str:
    return "".join(el.itertext()).strip() if el is not None else ""


_BR_RE = re.compile(r"<\s*br\s*/?\s*>|</\s*(p|div|li|tr)\s*>", re.IGNORECASE)
_TAG_RE = re.compile(r"<[^>]+>")


def _strip_html(text: str) -> str:
    text = _BR_RE.sub("\n", text)
    text = _TAG_RE.sub("", text)
    return html.unescape(text).strip()


def _too_large(name: str) -> UnreadableFile:
    return UnreadableFile(
        f"KML が大きすぎます（{MAX_KML_BYTES} バイトまで）: {name}",
        f"the KML {name} is too large (at most {MAX_KML_BYTES} bytes)",
    )


def _kml_bytes(data: bytes, name: str) -> bytes:
    if data[:2] != b"PK":
        if len(data) > MAX_KML_BYTES:
            raise _too_large(name)
        return data
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            kmls = [i for i in zf.infolist() if i.filename.lower().endswith(".kml")]
            if not kmls:
                raise UnreadableFile(f"KMZ に KML がありません: {name}", f"no .kml inside the KMZ {name}")
            info = next((i for i in kmls if i.filename.lower() == "doc.kml"), kmls[0])
            # Only the one KML is expanded; the member count still guards the directory itself.
            check_zip(zf, name, only=[info])
            if info.file_size > MAX_KML_BYTES:
                raise _too_large(name)
            return zf.read(info)
    except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
        raise UnreadableFile(f"KMZ を開けません: {name}（{exc}）", f"cannot open the KMZ {name} ({exc})") from exc


def _placemarks(el: Element, folder: str | None) -> Any:
    for c in el:
        tag = _local(c.tag)
        if tag == "Placemark":
            yield c, folder
        elif tag in ("Folder", "Document"):
            name = _text(_child(c, "name")) if tag == "Folder" else None
            yield from _placemarks(c, name or folder)


def _extended(pm: Element) -> dict[str, str]:
    out: dict[str, str] = {}
    ext = _child(pm, "ExtendedData")
    if ext is None:
        return out
    for el in ext.iter():
        tag = _local(el.tag)
        if tag == "Data" and el.get("name"):
            out.setdefault(el.get("name", ""), _text(_child(el, "value")))
        elif tag == "SimpleData" and el.get("name"):
            out.setdefault(el.get("name", ""), (el.text or "").strip())
    return out


def _point(pm: Element) -> str | tuple[str, str] | None:
    for el in pm.iter():
        if _local(el.tag) == "Point":
            coords = _text(_child(el, "coordinates"))
            parts = [p for p in re.split(r"[,\s]+", coords) if p]
            if len(parts) < 2:
                return f"Point {coords[:40]!r}"
            return parts[1], parts[0]
    geometry = next(
        (_local(el.tag) for el in pm.iter() if _local(el.tag) in ("LineString", "Polygon", "MultiGeometry")),
        None,
    )
    return geometry


def read_kml(path: Path, *, mapping: dict[str, str] | None = None, geocoder: Any = None) -> ReadResult:
    path = Path(path)
    data = _kml_bytes(read_bytes(path), path.name)
    try:
        root = fromstring(data)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise UnreadableFile(f"KML（XML）として読めません: {path.name}（{exc}）", f"not valid KML/XML: {path.name} ({exc})") from exc
    if _local(root.tag) != "kml":
        raise UnreadableFile(f"KML ではありません: {path.name}", f"not a KML document: {path.name}")
    vocab = load_vocab()
    items: list[KeyedItem] = []
    clock = ReadClock(path.name)
    for index, (pm, folder) in enumerate(_placemarks(root, None), start=1):
        clock.check()
        if index > MAX_PLACEMARKS:
            raise UnreadableFile(
                f"地点（Placemark）が多すぎます（{MAX_PLACEMARKS}件まで）: {path.name}",
                f"too many placemarks in {path.name} (at most {MAX_PLACEMARKS})",
            )
        props = _extended(pm)
        item = KeyedItem(row=index, props=props)
        name = _text(_child(pm, "name"))
        if name:
            item.defaults["name"] = name
        address = _text(_child(pm, "address"))
        if address:
            item.defaults["address"] = address
        description = _strip_html(_text(_child(pm, "description")))
        if description:
            # My Maps repeats every table column in the description as "列名: 値"; drop those lines.
            lines = [
                line
                for line in description.split("\n")
                if not any(line.strip() == f"{k}: {v}".strip() or line.strip() == f"{k}：{v}" for k, v in props.items())
                and line.strip() != f"名前: {name}"
            ]
            rest = "\n".join(lines).strip()
            if rest:
                item.defaults["description"] = rest
        if folder and vocab.category(folder):
            item.defaults["category"] = folder
        point = _point(pm)
        if isinstance(point, tuple):
            item.lat, item.lon = point
        elif isinstance(point, str):
            item.issues.append(issue("invalid_geometry", index, "Point", value=point))
        items.append(item)
    return read_keyed(items, mapping=mapping, geocoder=geocoder, encoding="utf-8")


class KmlReader:
    format_name = "kml"

    def read(self, path: Path, *, mapping: dict[str, str] | None = None, geocoder: Any = None) -> ReadResult:
        return read_kml(path, mapping=mapping, geocoder=geocoder)
