"""Keep the search arrays out of the cyclic garbage collector's way.

At 100k listings a worker holds a few hundred thousand long-lived objects for the index (per-segment
kana lists, postings, facet arrays). CPython's full (generation 2) collection walks every tracked
object: measured ≈100 ms at 100k, several times a minute under load, landing on whichever request
happened to allocate at that moment: the p99. ``gc.freeze()`` moves everything alive now into the
permanent generation, which collections skip; refcounting still frees what stops being used.

Cyclic garbage frozen along with the arrays (old searchers) is not collected until the next
rebalance: when the frozen set has grown by a quarter since the last full collection, the next call
unfreezes, collects once (≈100 ms at 100k, once every few index changes) and freezes again, so
memory stays bounded across generations of the index.
"""

from __future__ import annotations

import gc
import threading

# Below this many documents a full collection costs a few milliseconds: leave the collector alone.
MIN_DOCS = 5_000

# Rebalance when the frozen set reaches this multiple of its size after the last full collection.
REBALANCE = 1.25

_lock = threading.Lock()
_baseline = 0  # frozen objects right after the last full collection


def settle(doc_count: int) -> None:
    """Freeze what is alive now (the index just assembled), rebalancing when frozen garbage piles up."""
    global _baseline
    if doc_count < MIN_DOCS:
        return
    with _lock:
        if _baseline and gc.get_freeze_count() > REBALANCE * _baseline:
            gc.unfreeze()
            gc.collect()
            _baseline = 0
        gc.freeze()
        if not _baseline:
            _baseline = gc.get_freeze_count()
