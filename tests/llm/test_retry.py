"""The retry layer on a fake clock: every wait is recorded, none is slept."""

from __future__ import annotations

import asyncio
import random

import pytest

from lmforge.errors import (
    AuthenticationError,
    LLMConnectionError,
    RateLimitError,
    ServerError,
)
from lmforge.llm.retry import RetryPolicy


class FakeClock:
    def __init__(self) -> None:
        self.sleeps: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


class FixedRandom(random.Random):
    """A ``random.Random`` whose ``random()`` always returns the same value."""

    def __init__(self, value: float) -> None:
        super().__init__(0)
        self.value = value

    def random(self) -> float:
        return self.value


def failing(errors: list[BaseException], result: str = "ok"):
    """An ``fn`` that raises the given errors in turn, then returns ``result``; counts calls."""
    calls = {"n": 0}

    async def fn() -> str:
        calls["n"] += 1
        if errors:
            raise errors.pop(0)
        return result

    return fn, calls


def policy(clock: FakeClock, **kw) -> RetryPolicy:
    kw.setdefault("base_delay", 1.0)
    kw.setdefault("max_delay", 8.0)
    kw.setdefault("jitter", 0.0)
    return RetryPolicy(sleep=clock.sleep, **kw)


async def test_success_first_time_does_not_sleep() -> None:
    clock = FakeClock()
    fn, calls = failing([])
    assert await policy(clock).call(fn) == ("ok", 0)
    assert calls["n"] == 1
    assert clock.sleeps == []


async def test_transient_errors_are_retried_with_exponential_backoff() -> None:
    clock = FakeClock()
    fn, calls = failing([ServerError("a"), LLMConnectionError("b")])
    assert await policy(clock).call(fn) == ("ok", 2)
    assert calls["n"] == 3
    assert clock.sleeps == [1.0, 2.0]


async def test_permanent_error_is_raised_at_once() -> None:
    clock = FakeClock()
    fn, calls = failing([AuthenticationError("no", status=401)])
    with pytest.raises(AuthenticationError):
        await policy(clock).call(fn)
    assert calls["n"] == 1
    assert clock.sleeps == []


async def test_foreign_exception_is_not_retried() -> None:
    clock = FakeClock()
    fn, calls = failing([KeyError("bug")])
    with pytest.raises(KeyError):
        await policy(clock).call(fn)
    assert calls["n"] == 1


async def test_gives_up_after_max_retries_with_the_last_error() -> None:
    clock = FakeClock()
    errors = [ServerError(f"e{i}") for i in range(10)]
    last = errors[3]
    fn, calls = failing(errors)
    with pytest.raises(ServerError) as info:
        await policy(clock, max_retries=3).call(fn)
    assert info.value is last
    assert calls["n"] == 4
    assert clock.sleeps == [1.0, 2.0, 4.0]


async def test_delays_grow_and_are_capped() -> None:
    clock = FakeClock()
    fn, calls = failing([ServerError("x") for _ in range(20)])
    with pytest.raises(ServerError):
        await policy(clock, max_retries=6, max_delay=5.0).call(fn)
    assert clock.sleeps == [1.0, 2.0, 4.0, 5.0, 5.0, 5.0]
    assert calls["n"] == 7


async def test_call_max_retries_overrides_policy() -> None:
    clock = FakeClock()
    fn, calls = failing([ServerError("x") for _ in range(20)])
    with pytest.raises(ServerError):
        await policy(clock, max_retries=10).call(fn, max_retries=1)
    assert calls["n"] == 2
    assert clock.sleeps == [1.0]


async def test_zero_retries_means_one_attempt() -> None:
    clock = FakeClock()
    fn, calls = failing([ServerError("x")])
    with pytest.raises(ServerError):
        await policy(clock).call(fn, max_retries=0)
    assert calls["n"] == 1
    assert clock.sleeps == []


async def test_retry_after_is_waited_exactly() -> None:
    clock = FakeClock()
    fn, _ = failing([RateLimitError("slow down", retry_after=7.0, status=429)])
    assert await policy(clock, jitter=0.9, rng=FixedRandom(0.5)).call(fn) == ("ok", 1)
    assert clock.sleeps == [7.0]


async def test_retry_after_is_capped() -> None:
    clock = FakeClock()
    fn, _ = failing([RateLimitError("later", retry_after=3600.0)])
    await policy(clock, max_retry_after=30.0).call(fn)
    assert clock.sleeps == [30.0]


async def test_rate_limit_without_hint_uses_backoff() -> None:
    clock = FakeClock()
    fn, _ = failing([RateLimitError("x"), RateLimitError("y")])
    await policy(clock).call(fn)
    assert clock.sleeps == [1.0, 2.0]


async def test_jitter_scales_delay_by_rng() -> None:
    clock = FakeClock()
    fn, _ = failing([ServerError("x"), ServerError("y")])
    await policy(clock, jitter=0.5, rng=FixedRandom(0.25)).call(fn)
    # delay * (1 - 0.5 * 0.25)
    assert clock.sleeps == [0.875, 1.75]


def test_seeded_jitter_stays_within_bounds() -> None:
    p = RetryPolicy(base_delay=2.0, max_delay=100.0, jitter=0.5, rng=random.Random(1))
    delays = [p.backoff(1) for _ in range(200)]
    assert all(2.0 <= d <= 4.0 for d in delays)
    assert len(set(delays)) > 100  # really randomised


def test_huge_retry_index_does_not_overflow() -> None:
    assert RetryPolicy(jitter=0.0, max_delay=9.0).backoff(5000) == 9.0


@pytest.mark.parametrize(
    "kw",
    [{"max_retries": -1}, {"jitter": 1.5}, {"jitter": -0.1}, {"base_delay": -1.0}],
)
def test_invalid_settings_are_rejected(kw: dict) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**kw)


async def test_within_bounds_an_attempt_and_passes_outside_cancels_on() -> None:
    """The shared-timer deadline: a late result is a TimeoutError (soon after it is due, at
    most 1/64 of the timeout late), a prompt one comes back, and a cancel from outside stays a
    cancel (the task is not left marked as cancelling)."""
    import time

    from lmforge.llm.retry import within

    async def answer(after: float) -> str:
        await asyncio.sleep(after)
        return "ok"

    assert await within(1.0, answer(0)) == "ok"
    start = time.perf_counter()
    with pytest.raises(TimeoutError):
        await within(0.05, answer(10))
    assert 0.05 <= time.perf_counter() - start < 5.0  # not 10 s; slack for a loaded machine
    assert asyncio.current_task().cancelling() == 0
    assert await within(0.05, answer(0)) == "ok"  # the task goes on as before

    async def bounded() -> str:
        return await within(10.0, answer(10))

    task = asyncio.ensure_future(bounded())
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
