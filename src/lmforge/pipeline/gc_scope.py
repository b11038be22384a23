"""CPython's cyclic collector while a stage runs: the objects that were there before the run are
set aside (``gc.freeze``) and the young generation may grow to ``YOUNG_THRESHOLD`` objects, for
the length of the run; both are put back when the last running stage ends.

Why: CPython starts a young collection whenever its count of container objects allocated minus
those freed since the last one passes 700, and that count is never lowered below zero. A busy
runner keeps a steady crowd of records in flight (each a chain of coroutines, requests and
responses), and every wait a record adds makes the count climb (measured with
``benchmarks/runner_ceiling.py``, concurrency 64, 5,000 records):

- the call cache's two waits per record: 450 young collections, 40 middle ones and 3-4 full
  ones, against 30, 2 and 0 without the cache; two ``await asyncio.sleep(0)`` per record in the
  cache's place gave 381 young ones, so it is the waits, not the cache's own objects;
- each young collection moves the records in flight to an older generation, so middle and full
  collections follow, and a full one walks every object of the process (the modules, the input
  records): about 30 ms each;
- together 30-37 µs of the loop's ~200 µs per record, the largest part of the call cache's
  share of the runner's cost; with this scope, under 1 µs.

The run's own cyclic garbage is still collected, only less often (a young collection every
``YOUNG_THRESHOLD`` net allocations instead of 700: at most some tens of MB of containers
waiting; a local model's tensors caught in a cycle wait for that collection too). Objects
frozen at the start are not lost: they go back to the oldest generation when the run ends and
are collected as before. ``LMFORGE_GC=default`` leaves CPython's collector as it is during
runs. A process that froze objects itself (a Ray worker: ``pipeline.ray_adapter``) keeps its
freeze; one that disabled the collector (``gc.disable()`` or a young threshold of 0) is left
alone, and a young threshold already above ours is kept.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG_THRESHOLD = 50_000
"""Young-generation threshold during a run (CPython's default is 700). 10,000 was enough at
concurrency 64 but not at 256, where the records in flight alone are ~15,000 objects: 38 young
collections of ~3 ms each per 5,000 records (23 µs a record), against none at 50,000."""

_lock = threading.Lock()
_depth = 0
_saved: tuple[int, int, int] | None = None
_froze = False


def _wanted() -> bool:
    from lmforge.config import get_settings

    return get_settings().gc == "run" and gc.isenabled()


@contextmanager
def run_collector() -> Iterator[None]:
    """The collector's settings for a run; nested and concurrent runs share one scope, which
    ends with the last of them."""
    _enter()
    try:
        yield
    finally:
        _leave()


def _enter() -> None:
    global _depth, _saved, _froze
    with _lock:
        _depth += 1
        if _depth > 1 or not _wanted():
            return
        young, middle, old = gc.get_threshold()
        if young == 0:  # the collector is off by threshold: leave it so
            return
        _saved = (young, middle, old)
        gc.set_threshold(max(young, YOUNG_THRESHOLD), middle, old)
        _froze = gc.get_freeze_count() == 0  # someone else's freeze is theirs to undo
        if _froze:
            gc.freeze()


def _leave() -> None:
    global _depth, _saved, _froze
    with _lock:
        _depth -= 1
        if _depth > 0 or _saved is None:
            return
        gc.set_threshold(*_saved)
        if _froze:
            gc.unfreeze()
        _saved, _froze = None, False
