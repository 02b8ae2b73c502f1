"""Pure CPU work over a long list, spread over forked worker processes.

Reading a 100k-row file and analysing 100k listings for the search index are pure Python and
single-threaded; on a 2-core server each takes twice as long as it need.  :func:`fork_map` runs a
function over a list in forked workers (the list and the function are inherited, not pickled;
only results come back), in order.

Only where the caller allows it: :func:`allow_workers` is entered by the command line (one
thread, nothing else running).  Web requests never fork: a worker forked from a multi-threaded
server process could inherit a lock held by another thread.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_workers: ContextVar[int] = ContextVar("odekake_workers", default=1)
# Inherited by forked workers: (function, items) of the map in progress.
_job: tuple[Callable[[Any], Any], Sequence[Any]] | None = None
MIN_ITEMS = 2000


def default_workers() -> int:
    """The CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


@contextmanager
def allow_workers(count: int | None = None) -> Iterator[int]:
    """Let :func:`fork_map` calls inside this block use ``count`` processes (default: every CPU)."""
    n = default_workers() if count is None else max(1, count)
    token = _workers.set(n)
    try:
        yield n
    finally:
        _workers.reset(token)


def workers() -> int:
    return _workers.get()


def _run(span: tuple[int, int]) -> list[Any]:
    assert _job is not None
    fn, items = _job
    return [fn(item) for item in items[span[0] : span[1]]]


def fork_map(fn: Callable[[T], R], items: Sequence[T], *, min_items: int = MIN_ITEMS) -> list[R]:
    """``[fn(x) for x in items]``, computed by the allowed worker processes when it pays."""
    count = workers()
    if count <= 1 or len(items) < min_items or "fork" not in multiprocessing.get_all_start_methods():
        return [fn(item) for item in items]
    global _job
    n = len(items)
    size = max(min_items // 4, -(-n // (count * 4)))  # a few chunks per worker: even finish
    spans = [(i, min(n, i + size)) for i in range(0, n, size)]
    _job = (fn, items)
    try:
        with multiprocessing.get_context("fork").Pool(count) as pool:
            parts = pool.map(_run, spans, chunksize=1)
    finally:
        _job = None
    return [r for part in parts for r in part]
