"""Cross-record batching: many records in flight, few full forward passes.

The runner hands a stage one record at a time (that is what makes runs resumable per record),
but one RM-Bench record is only six responses of very different lengths: two short concise ones
and four long detailed ones. Batching inside a record pads the short ones to the long ones'
length. So concurrent records put their responses into one pool, and the scorer batches the
pool by length (:func:`length_batches`). Records still finish, and are written, one by one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from lmforge.errors import StageError

__all__ = ["MicroBatcher", "length_batches"]

T = TypeVar("T")


def length_batches(lengths: Sequence[int], batch_size: int, slack: float = 1.25) -> list[list[int]]:
    """Indices grouped into batches of at most ``batch_size`` similar lengths, shortest first.

    A batch closes when it is full or when the next sequence is more than ``slack`` times (plus
    a few tokens) longer than its first: a 130-token answer padded to 512 tokens costs what a
    512-token one does, which would make batching slower than none.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    batches: list[list[int]] = []
    current: list[int] = []
    for i in sorted(range(len(lengths)), key=lengths.__getitem__):
        too_long = current and lengths[i] > slack * lengths[current[0]] + 8
        if current and (len(current) == batch_size or too_long):
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


class MicroBatcher(Generic[T]):
    """Pools items from concurrent callers and scores the pool with one call of ``fn``.

    ``fn`` is blocking (forward passes, batched by length inside) and runs in a worker thread,
    one pool at a time, so the event loop keeps filling the next pool meanwhile. A pool goes when
    it holds ``min_items``, or after ``max_wait`` seconds: the last records must not hang.
    """

    def __init__(
        self,
        fn: Callable[[list[T]], Sequence[float]],
        min_items: int,
        *,
        max_wait: float = 0.005,
    ) -> None:
        if min_items < 1:
            raise ValueError(f"min_items must be at least 1, got {min_items}")
        self.fn, self.min_items, self.max_wait = fn, min_items, max_wait
        self._pending: list[tuple[T, asyncio.Future]] = []
        self._worker: asyncio.Task | None = None
        self.calls = 0
        """Pools scored so far (for benchmarks and tests)."""

    async def submit(self, items: Sequence[T]) -> list[float]:
        """Scores of ``items`` in order, once the pool holding them has been scored."""
        loop = asyncio.get_running_loop()
        futures = [loop.create_future() for _ in items]
        self._pending.extend(zip(items, futures, strict=True))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._drain())
        results = await asyncio.gather(*futures, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return list(results)

    async def _drain(self) -> None:
        while self._pending:
            if len(self._pending) < self.min_items:
                await asyncio.sleep(self.max_wait)
            pool, self._pending = self._pending, []
            await self._run(pool)

    async def _run(self, pool: list[tuple[T, asyncio.Future]]) -> None:
        try:
            scores = await asyncio.to_thread(self.fn, [item for item, _ in pool])
            self.calls += 1
            if len(scores) != len(pool):
                raise StageError(f"scorer returned {len(scores)} scores for {len(pool)} items")
        except Exception as exc:  # every record in the pool fails; the run goes on
            for _, future in pool:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), score in zip(pool, scores, strict=True):
            if not future.done():
                future.set_result(float(score))
