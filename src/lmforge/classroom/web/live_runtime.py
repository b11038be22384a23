"""Running one engine step inside a database transaction, in a worker thread.

Why: a drive's step must see the learners' posts and be saved in the same transaction (see
`live_state`), and on SQLite that transaction holds the write lock, so it runs in a thread
like every other database call, never on the event loop. A step never awaits (an executor
starts its model call as a task and returns: spec §2.2), so its coroutine completes on the
first `send`; the model call it starts is scheduled on the drive's event loop, where the
model client lives, with `run_coroutine_threadsafe`.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from lmforge.classroom.teach.engine import Session
from lmforge.classroom.teach.runtime import Runtime
from lmforge.llm.types import GenerateConfig

__all__ = ["LoopRuntime", "on_loop", "pending_call", "run_step"]


@dataclass
class LoopRuntime(Runtime):
    """A `Runtime` whose model calls run on `loop` even when the step runs in a thread."""

    loop: asyncio.AbstractEventLoop | None = None

    def start(self, tag: str, messages: list[Any], max_tokens: int) -> None:
        if self.loop is None or _running_loop() is self.loop:
            super().start(tag, messages, max_tokens)
            return
        cfg = GenerateConfig(max_tokens=max_tokens, temperature=0.0, seed=self.config.seed)

        async def call() -> str:
            completion = await self.llm.generate(messages, cfg)
            return completion.text

        # a concurrent Future has done/cancelled/exception/result/cancel, all `take` needs
        self.pending = asyncio.run_coroutine_threadsafe(call(), self.loop)  # type: ignore[assignment]
        self.pending_for = tag


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def on_loop(session: Session, loop: asyncio.AbstractEventLoop) -> Session:
    """The session with a `LoopRuntime` of `loop` (same agenda, model, knobs and clock)."""
    rt = session.rt
    session.rt = LoopRuntime(
        agenda=rt.agenda, llm=rt.llm, config=rt.config, clock=rt.clock, loop=loop
    )
    return session


def run_step(session: Session) -> bool:
    """`await session.step()` without an event loop (a step completes without suspending)."""
    coro = session.step()
    try:
        coro.send(None)
    except StopIteration as done:
        return bool(done.value)
    coro.close()
    raise RuntimeError("an engine step suspended; steps must start model calls, not await them")


def pending_call(session: Session) -> asyncio.Future[Any] | None:
    """The step's model call as an awaitable of the running loop (None when there is none)."""
    task = session.rt.pending
    if task is None:
        return None
    if isinstance(task, Future):
        return asyncio.wrap_future(task)
    return task
