"""Decoding city files: UTF-8 (with or without BOM) or CP932, detected without being told."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from importers.records import UnreadableFile

__all__ = ["decode_bytes", "read_bytes", "split_rows"]

MAX_BYTES = 200 * 1024 * 1024


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
