"""Decoding city files: UTF-8 (with or without BOM) or CP932, detected without being told."""

from __future__ import annotations

import csv
import io
import time
import zipfile
from collections.abc import Iterable
from pathlib import Path

from importers.records import UnreadableFile

__all__ = ["ReadClock", "check_zip", "decode_bytes", "read_bytes", "split_rows"]

MAX_BYTES = 200 * 1024 * 1024

# Zip-based files (KMZ, HSDS zip, XLSX): the sizes the archive declares are checked before anything is
# decompressed (Python's zipfile never returns more than a member's declared size, so a lying header
# gets a CRC error, not more data).  A city's real files are a few MB at most: the sample city's
# XLSX expands to ~0.3 MB, a 3,000-row sheet to ~5 MB of XML, an HSDS zip of the same to ~3 MB of
# CSV.  The caps are ten times that and keep a worker far below its memory (the bombs of the
# security test, 305 KB and 1.9 MB, expanded to 2.8 GB and 2.6 GB in memory).
# Members: an Excel workbook has ~10-20 parts (one more per sheet, image, comment), an HSDS zip at
# most 10 tables, a KMZ its doc.kml and a few icons.
MAX_ZIP_MEMBERS = 256
# One member expanded (a sheet's XML, one CSV table, a KML).
MAX_ZIP_MEMBER_BYTES = 32 * 1024 * 1024
# All members together, expanded.
MAX_ZIP_TOTAL_BYTES = 64 * 1024 * 1024


def read_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise UnreadableFile(
                f"ファイルが大きすぎます（{size} バイト）: {path.name}",
                f"file too large ({size} bytes): {path.name}",
            )
        return path.read_bytes()
    except IsADirectoryError as exc:
        raise UnreadableFile(f"フォルダーは読めません: {path}", f"{path} is a directory") from exc
    except OSError as exc:
        raise UnreadableFile(
            f"ファイルを開けません: {path}（{exc.strerror}）", f"cannot open {path} ({exc.strerror})"
        ) from exc


# Reading a city's file (a few thousand rows) takes a few seconds; one still being read after this
# long is not a city's file (an XLSX with a bad header and a million rows took 51 s of CPU before
# its header was checked).  Checked between rows, so a slow file stops instead of holding a worker.
MAX_READ_SECONDS = 120.0


class ReadClock:
    """The time allowed for reading one file; :meth:`check` between rows refuses a file that takes longer."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.deadline = time.monotonic() + MAX_READ_SECONDS

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            raise UnreadableFile(
                f"ファイルの読み込みに時間がかかりすぎます（{MAX_READ_SECONDS:.0f}秒まで）: {self.name}",
                f"reading {self.name} takes too long (at most {MAX_READ_SECONDS:.0f} s)",
            )


def check_zip(
    zf: zipfile.ZipFile,
    name: str,
    *,
    member_bytes: int | None = None,
    total_bytes: int | None = None,
    only: Iterable[zipfile.ZipInfo] | None = None,
) -> None:
    """Refuse an archive (UnreadableFile) whose member count or expanded sizes exceed the caps.

    Reads only the central directory: call it before reading any member.  ``only``: the members
    that will be read (by default all of them) count towards the sizes; every member counts
    towards the member count.
    """
    infos = zf.infolist()
    if len(infos) > MAX_ZIP_MEMBERS:
        raise UnreadableFile(
            f"圧縮ファイル（ZIP）の中のファイルが多すぎます（{len(infos)}個、{MAX_ZIP_MEMBERS}個まで）: {name}",
            f"too many files inside the zip archive {name} ({len(infos)}; at most {MAX_ZIP_MEMBERS})",
        )
    per_member = MAX_ZIP_MEMBER_BYTES if member_bytes is None else member_bytes
    cap = MAX_ZIP_TOTAL_BYTES if total_bytes is None else total_bytes
    total = 0
    for info in infos if only is None else only:
        if info.file_size > per_member:
            raise UnreadableFile(
                f"圧縮ファイル（ZIP）の中の {info.filename} は展開すると大きすぎます"
                f"（{info.file_size} バイト、{per_member} バイトまで）: {name}",
                f"{info.filename} inside {name} is too large once expanded ({info.file_size} bytes; "
                f"at most {per_member})",
            )
        total += info.file_size
        if total > cap:
            raise UnreadableFile(
                f"圧縮ファイル（ZIP）は展開すると大きすぎます（{cap} バイトまで）: {name}",
                f"the zip archive {name} is too large once expanded (at most {cap} bytes)",
            )


def decode_bytes(data: bytes, name: str = "") -> tuple[str, str]:
    """Return (text, encoding name).

    UTF-8 is tried strictly first (a BOM is removed and reported as "utf-8-sig"), then CP932
    (Windows Shift_JIS, which is what Excel writes for 「CSV (コンマ区切り)」).  A strict UTF-8
    decode almost never succeeds on real Shift_JIS text, so the order is safe.  UTF-16 with a
    BOM (Excel's 「Unicode テキスト」) is accepted too.
    """
    if not data.strip():
        raise UnreadableFile(f"ファイルが空です: {name}", f"the file is empty: {name}")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    else:
        if b"\x00" in data:
            raise UnreadableFile(
                f"テキストファイルではありません（バイナリ）: {name}", f"not a text file (binary data): {name}"
            )
        if data.startswith(b"\xef\xbb\xbf"):
            try:
                return data[3:].decode("utf-8"), "utf-8-sig"
            except UnicodeDecodeError:
                pass
        else:
            try:
                return data.decode("utf-8"), "utf-8"
            except UnicodeDecodeError:
                pass
            try:
                return data.decode("cp932"), "cp932"
            except UnicodeDecodeError:
                pass
    raise UnreadableFile(
        f"文字コードを判別できません（UTF-8 でも Shift_JIS(CP932) でもありません）: {name}",
        f"cannot tell the text encoding (neither UTF-8 nor Shift_JIS/CP932): {name}",
    )


def split_rows(text: str) -> list[tuple[int, list[str]]]:
    """Parse CSV/TSV text into (1-based starting line, cells) pairs; CRLF, LF and CR all work.

    The delimiter is a comma unless the first non-blank line has tabs and no commas.
    Blank lines are returned as empty cell lists so line numbers stay true to the file.
    """
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = "\t" if "\t" in first and "," not in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    rows: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for cells in reader:
            rows.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise UnreadableFile(
            f"CSV として読めません（{start}行目付近: {exc}）",
            f"not readable as CSV (near line {start}: {exc})",
        ) from exc
    return rows
