"""Garbage collection sized for thousands of concurrent runs.

CPython collects its youngest generation every 700 net allocations, and older
ones in proportion. A worker with thousands of runs in flight keeps hundreds of
thousands of live objects (tasks, frames, records) that every older collection
walks again: measured on 10,000 runs of 3 model calls, collections took 9 of
21 s. While a worker executes many runs at once it raises the thresholds (the
collector still runs, on larger batches) and puts them back when it stops.

The youngest threshold is the one that counts: on that benchmark (`bench/scale.py`,
time in collections from ``gc.callbacks``) 20,000 spent 2.2-2.5 s collecting,
100,000 1.4 s, 200,000 0.75-0.86 s, with peak RSS unchanged (377 vs 364 MB):
little of what an agent run allocates is cyclic garbage, so the larger batches
hold little memory back, and most of a batch has died by the time it is walked.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

#: A worker allowed fewer runs than this at once leaves the collector alone.
RELAX_FROM_CONCURRENCY = 100
#: Thresholds while relaxed: (youngest, middle, oldest); see `gc.set_threshold`.
RELAXED_THRESHOLDS = (200_000, 100, 100)


@contextmanager
def relaxed_gc(concurrency: int) -> Iterator[None]:
    """Raise the collector's thresholds for a worker of ``concurrency`` runs, then restore them.

    Thresholds already higher (set by the application) are kept; a disabled
    collector stays disabled.
    """
    before = gc.get_threshold()
    if concurrency < RELAX_FROM_CONCURRENCY or before[0] == 0:
        yield
        return
    gc.set_threshold(*(max(old, new) for old, new in zip(before, RELAXED_THRESHOLDS, strict=True)))
    try:
        yield
    finally:
        gc.set_threshold(*before)
