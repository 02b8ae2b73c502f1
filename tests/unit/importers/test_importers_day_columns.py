"""A 通いの場 list's own day and time columns: 「開催日」 holding recurring days (not one date) and one
time column holding the whole range (開催時間 / 活動時間 / 時間 「10:00～11:30」)."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from importers import read_municipal_csv


def _read(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "list.csv"
    path.write_text(text, encoding="utf-8")
    return read_municipal_csv(path)


def _codes(result, row: int) -> set[str]:  # type: ignore[no-untyped-def]
    return {i.code for i in result.issues if i.row == row}


@pytest.mark.parametrize("header", ["開催時間", "活動時間", "時間", "時間帯", "開館時間"])
@pytest.mark.parametrize("cell", ["10:00～11:30", "１０：００〜１１：３０", "10時～11時半", "10:00-11:30"])
def test_one_time_column_with_the_range(tmp_path: Path, header: str, cell: str) -> None:
    result = _read(tmp_path, f"名称,種別,開催曜日,{header}\nひだまりサロン,サロン,毎週火曜日,{cell}\n")
    (record,) = result.records
    assert record.schedule is not None and record.schedule.rrule == "FREQ=WEEKLY;BYDAY=TU"
    assert (record.schedule.start, record.schedule.end) == (time(10, 0), time(11, 30))
    assert not record.schedule_needs_review and "invalid_time" not in _codes(result, 2)


def test_a_day_column_named_kaisaibi_holding_recurring_days(tmp_path: Path) -> None:
    result = _read(
        tmp_path,
        "名称,種別,開催日,時間\n"
        "ひだまりサロン,サロン,毎週火曜日,10:00～11:30\n"
        "いきいき体操,サロン,第2・第4木曜日,13:30～15:00\n"
        "夏まつり,サロン,2026年8月1日,18:00～20:00\n",
    )
    salon, taiso, matsuri = result.records
    assert salon.schedule is not None and salon.schedule.rrule == "FREQ=WEEKLY;BYDAY=TU"
    assert (salon.schedule.start, salon.schedule.end) == (time(10, 0), time(11, 30))
    assert taiso.schedule is not None and taiso.schedule.rrule and "BYDAY=2TH,4TH" in taiso.schedule.rrule
    assert "invalid_date" not in _codes(result, 2) | _codes(result, 3)
    # A real date in the same column is still an event's date.
    assert matsuri.schedule is not None and matsuri.schedule.rdates and matsuri.schedule.rdates[0].month == 8


def test_a_day_column_that_reads_as_neither_is_still_reported(tmp_path: Path) -> None:
    result = _read(tmp_path, "名称,種別,開催日,時間\nふれあい喫茶,サロン,気が向いたとき,10:00～11:30\n")
    assert "invalid_date" in _codes(result, 2)
