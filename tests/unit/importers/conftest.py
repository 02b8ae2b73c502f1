"""Fixtures for the importer tests: fixture paths, generated wide sheets, a fake geocoder."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "import"


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@dataclass(frozen=True)
class FakeHit:
    lat: float
    lon: float
    level: str
    matched_text: str


class FakeGeocoder:
    """Knows a few サンプル addresses; records what it was asked."""

    def __init__(self, table: dict[str, tuple[float, float, str]] | None = None) -> None:
        self.table = table or {"奈良県生駒市元町1-1": (34.6920, 135.7005, "gaiku")}
        self.asked: list[str] = []

    def geocode(self, address: str) -> FakeHit | None:
        self.asked.append(address)
        hit = self.table.get(address)
        return FakeHit(hit[0], hit[1], hit[2], address) if hit else None


@pytest.fixture
def geocoder() -> FakeGeocoder:
    return FakeGeocoder()


WIDE_KNOWN = ["ID", "名称", "種別", "所在地_連結表記", "緯度", "経度", "電話番号", "開催日時"]


def _wide_rows(n_rows: int = 3) -> list[list[str]]:
    """A 100-column sheet: the known columns scattered among 92 unknown ones."""
    header = [f"項目{i:03d}" for i in range(100)]
    positions = [3, 17, 29, 41, 55, 68, 80, 99]
    for pos, name in zip(positions, WIDE_KNOWN, strict=True):
        header[pos] = name
    rows = [["【サンプル】広い表", *[""] * 99], header]
    for r in range(n_rows):
        row = [f"値{r}-{i}" if i % 7 == 0 else "" for i in range(100)]
        values = [f"W{r}", f"広い表サロン{r}", "サロン", f"奈良県生駒市元町{r + 1}-1", "34.69", "135.70", "0743-74-1111", "毎週火曜日 10時～12時"]
        for pos, value in zip(positions, values, strict=True):
            row[pos] = value
        rows.append(row)
    return rows


@pytest.fixture
def wide_csv(tmp_path: Path) -> Path:
    path = tmp_path / "wide.csv"
    with path.open("w", encoding="cp932", newline="") as fh:
        csv.writer(fh, lineterminator="\r\n").writerows(_wide_rows())
    return path


@pytest.fixture
def wide_xlsx(tmp_path: Path) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for row in _wide_rows():
        ws.append([v or None for v in row])
    # A second sheet must be ignored: the first sheet is the data.
    wb.create_sheet("メモ").append(["名称", "種別"])
    path = tmp_path / "wide.xlsx"
    wb.save(path)
    return path
