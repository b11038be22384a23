"""The one retry layer every network backend goes through.

The decision to retry is made on the exception class alone (see ``errors.py``): a
``TransientError`` is retried with exponential, jittered, capped backoff; anything else is raised
at once. A ``RateLimitError`` that carries the server's Retry-After hint waits exactly that long
(capped), because a server that says when to come back knows better than our backoff curve.

``sleep`` and ``rng`` are injectable so tests run on a fake clock with no real waiting.

Every retry is also counted in the :class:`RetryCount` current in the caller's context
(:func:`counting_retries`), whichever backend made it and whether or not the call succeeded in
the end: the pipeline runner opens one per record, so the row, its error row and the run
summary say how many retries it took.

Each attempt is bounded by :func:`within` (a whole-attempt deadline whose timer is shared by
the attempts due at about the same time, so an attempt that needs no retry costs no timer).
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import sys
import weakref
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TypeVar

from lmforge.errors import RateLimitError, TransientError

__all__ = ["RetryCount", "RetryPolicy", "SleepFn", "counting_retries", "within"]

T = TypeVar("T")

SleepFn = Callable[[float], Awaitable[None]]
"""An ``asyncio.sleep``-like coroutine function: takes seconds, returns when they have passed."""

log = logging.getLogger("lmforge.llm.retry")


@dataclass
class RetryCount:
    """Retries made while this count is current (see :func:`counting_retries`)."""

    retries: int = 0


_COUNT: ContextVar[RetryCount | None] = ContextVar("lmforge_retry_count", default=None)


class counting_retries:  # noqa: N801 - a context manager used like a function
    """Count the retries of every call made in this context (tasks it starts included) in
    ``count`` (a new one if not given); ``with counting_retries() as count: ...``.

    A class rather than ``@contextmanager``: the runner opens one per record, and a generator
    based one costs several times as much to enter and leave."""

    __slots__ = ("count", "_token")

    def __init__(self, count: RetryCount | None = None) -> None:
        self.count = count if count is not None else RetryCount()

    def __enter__(self) -> RetryCount:
        self._token = _COUNT.set(self.count)
        return self.count

    def __exit__(self, *exc: object) -> None:
        _COUNT.reset(self._token)


@dataclass
class RetryPolicy:
    """How often and how patiently to retry transient failures.

    The delay before retry ``n`` (0-based) is ``min(max_delay, base_delay * 2**n)``, scaled by a
    random factor in ``[1 - jitter, 1]`` so that many clients that failed together do not come
    back together. ``jitter=0`` gives the plain exponential curve (what the tests pin down).
    """

    max_retries: int = 4
    """Retries after the first attempt; a call's own ``max_retries`` overrides it."""
    base_delay: float = 0.5
    """Seconds before the first retry, before jitter."""
    max_delay: float = 30.0
    """Cap on any single backoff delay, before jitter."""
    jitter: float = 0.5
    """Fraction of each delay that is randomised: 0 = none, 1 = "full jitter" in [0, delay]."""
    max_retry_after: float = 120.0
    """Cap on a server's Retry-After hint, so a confused server cannot park a run for hours."""
    sleep: SleepFn = asyncio.sleep
    """Injected in tests to record waits instead of waiting."""
    rng: random.Random = field(default_factory=random.Random)
    """Source of jitter; tests pass a seeded or stubbed ``random.Random``."""

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {self.max_retries}")
        if self.base_delay < 0 or self.max_delay < 0 or self.max_retry_after < 0:
            raise ValueError("delays must be >= 0")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError(f"jitter must be in [0, 1], got {self.jitter}")

    def backoff(self, retry_index: int) -> float:
        """Seconds to wait before retry ``retry_index`` (0-based) when the server gave no hint."""
        # Cap the exponent first: 2**n overflows float for large n long before the cap matters.
        raw = self.base_delay * (2.0 ** min(retry_index, 62))
        capped = min(self.max_delay, raw)
        return capped * (1.0 - self.jitter * self.rng.random())

    def delay_for(self, error: TransientError, retry_index: int) -> float:
        """The wait before the next attempt after ``error``."""
        if isinstance(error, RateLimitError) and error.retry_after is not None:
            return min(max(0.0, error.retry_after), self.max_retry_after)
        return self.backoff(retry_index)

    async def call(
        self, fn: Callable[[], Awaitable[T]], *, max_retries: int | None = None
    ) -> tuple[T, int]:
        """Await ``fn()`` until it succeeds; return its result and how many retries that took.

        ``fn`` is called afresh for every attempt (a coroutine cannot be awaited twice). Permanent
        errors and non-lmforge exceptions propagate at once; when the retries are used up the last
        transient error propagates unchanged, so callers see the real cause.
        """
        limit = self.max_retries if max_retries is None else max_retries
        if limit < 0:
            raise ValueError(f"max_retries must be >= 0, got {limit}")
        retries = 0
        while True:
            try:
                return await fn(), retries
            except TransientError as err:
                if retries >= limit:
                    log.warning("giving up after %d retries: %s", retries, err)
                    raise
                delay = self.delay_for(err, retries)
                log.info(
                    "transient %s (retry %d/%d in %.2fs): %s",
                    type(err).__name__,
                    retries + 1,
                    limit,
                    delay,
                    err,
                )
                await self.sleep(delay)
                retries += 1
                if (count := _COUNT.get()) is not None:
                    count.retries += 1


class _Attempt:
    __slots__ = ("task", "expired")

    def __init__(self, task: asyncio.Task) -> None:
        self.task = task
        self.expired = False


_BUCKETS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[float, set[_Attempt]]] = (
    weakref.WeakKeyDictionary()
)
DEADLINE_SLACK = 64
"""An attempt's deadline fires at most ``timeout / DEADLINE_SLACK`` after it is due (one timer
per time bucket of that width, shared by every attempt due in it)."""


def _expire(buckets: dict[float, set[_Attempt]], slot: float) -> None:
    for attempt in buckets.pop(slot, ()):
        attempt.expired = True
        attempt.task.cancel()


async def within(seconds: float, awaitable: Awaitable[T]) -> T:
    """``awaitable`` bounded to ``seconds``: ``TimeoutError`` after that, as with
    ``asyncio.timeout`` but without a timer of its own.

    Why: every attempt of a network backend is bounded, and ``asyncio.timeout`` makes, pushes
    and cancels one timer per attempt (its heap is compared in Python), a cost as large as the
    retry layer's own. Here attempts due in the same bucket of ``seconds / DEADLINE_SLACK``
    share one timer; an attempt adds itself to a set and leaves it. The price is precision: a
    deadline fires up to 1/64 of the timeout late (600 s: under 10 s), which no caller of a
    whole-attempt bound notices. Cancellation from outside is passed on as it was given.
    """
    task = asyncio.current_task() if sys.version_info >= (3, 11) else None
    if task is None:  # pragma: no cover - Python 3.10, or not in a task
        return await asyncio.wait_for(awaitable, seconds)
    loop = task.get_loop()
    width = max(seconds / DEADLINE_SLACK, 0.001)
    slot = math.ceil((loop.time() + seconds) / width) * width  # never before the deadline
    buckets = _BUCKETS.get(loop)
    if buckets is None:
        buckets = _BUCKETS[loop] = {}
    members = buckets.get(slot)
    if members is None:
        members = buckets[slot] = set()
        loop.call_at(slot, _expire, buckets, slot)
    attempt = _Attempt(task)
    members.add(attempt)
    cancelling = task.cancelling()
    try:
        return await awaitable
    except asyncio.CancelledError:
        if attempt.expired and task.uncancel() <= cancelling:
            raise TimeoutError(f"no result within {seconds}s") from None
        attempt.expired = False  # passed on: not ours to uncancel again below
        raise
    finally:
        members.discard(attempt)
        if attempt.expired and task.cancelling() > cancelling:
            task.uncancel()  # expired as the result came: the result stands
