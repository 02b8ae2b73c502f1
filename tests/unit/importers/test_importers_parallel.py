"""Reading with worker processes gives exactly the result of reading in one process."""

from __future__ import annotations

import os

from importers.municipal_csv import read_municipal_csv_bytes
from importers.parallel import MIN_ITEMS, allow_workers, fork_map, workers


def _pid(_: int) -> int:
    return os.getpid()


def test_fork_map_keeps_order_and_uses_workers() -> None:
    items = list(range(MIN_ITEMS * 2))
    assert workers() == 1
    assert fork_map(str, items) == [str(i) for i in items]
    with allow_workers(2) as n:
        assert n == 2 and workers() == 2
        assert fork_map(str, items) == [str(i) for i in items]
        pids = set(fork_map(_pid, items))
        small = set(fork_map(_pid, items[: MIN_ITEMS - 1]))
    assert os.getpid() not in pids and 1 <= len(pids) <= 2  # computed by (at most two) forked workers
    assert small == {os.getpid()}  # short lists are not worth a fork
    assert workers() == 1  # only inside the block


def _csv(rows: int) -> bytes:
    lines = ["ID,名称,種別,所在地_連結表記,緯度,経度,開催日時,料金"]
    for i in range(rows):
        if i % 97 == 5:
            lines.append(f"P{i},,サロン,奈良県生駒市東新町1-{i},34.69,135.70,毎週火曜日,無料")  # no name: rejected
        elif i % 101 == 7:
            lines.append(f"P{i - 1},重複{i},サロン,奈良県生駒市元町1-{i},34.69,135.70,毎週火曜日,無料")  # duplicate ID
        elif i % 89 == 3:
            lines.append(f"P{i},座標{i},サロン,奈良県生駒市元町,北緯,135.70,第2・第4木曜日,100円")  # bad latitude
        else:
            lines.append(
                f"P{i},サロン{i},ふれあい・いきいきサロン,奈良県生駒市東新町{i % 40}-{i % 17},"
                f"{34.65 + i * 1e-6:.6f},{135.65 + i * 1e-6:.6f},毎月第{i % 4 + 1}水曜日 10時～11時半,{i % 3 * 100}円"
            )
    return "\r\n".join(lines).encode("cp932")


def test_parallel_read_equals_serial_read() -> None:
    data = _csv(MIN_ITEMS + 700)
    serial = read_municipal_csv_bytes(data, name="list.csv")
    with allow_workers(2):
        parallel = read_municipal_csv_bytes(data, name="list.csv")
    assert serial.issues  # the file has rejected rows, and their reports must be identical
    assert parallel.records == serial.records
    assert parallel.issues == serial.issues
    assert parallel.rejected_rows == serial.rejected_rows
    assert parallel.total_rows == serial.total_rows == MIN_ITEMS + 700
