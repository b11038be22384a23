"""In-process wake-ups for event streams: "session S has something new", nothing more.

Why: an event stream used to poll the database every 0.25 s from a worker thread; with 100
open classes that is 400 thread jobs a second, each a few queries, and they shared the thread
pool (and SQLite's lock queue) with the posts, so a post waited seconds behind the polls. Now
a stream sleeps until this process writes to its session (the live driver signals after each
saved step, on claim and release; the routes signal after their commit) and falls back to a
slow poll (`sse_poll_s`, 1 s by default) for what another worker process wrote. The database
stays the only state: a signal carries no data, a missed one costs at most one poll interval,
and the stream still reads "every row above my last id", so nothing is lost or repeated.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

__all__ = ["Notifier"]


class Notifier:
    """Per-session asyncio events of the streams open in this process."""

    def __init__(self) -> None:
        self._waiters: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}

    @contextlib.contextmanager
    def listen(self, session_id: str) -> Iterator[asyncio.Event]:
        """An event set whenever `notify(session_id)` is called while the block runs."""
        entry = (asyncio.get_running_loop(), asyncio.Event())
        self._waiters.setdefault(session_id, set()).add(entry)
        try:
            yield entry[1]
        finally:
            waiters = self._waiters.get(session_id)
            if waiters is not None:
                waiters.discard(entry)
                if not waiters:
                    self._waiters.pop(session_id, None)

    def notify(self, session_id: str) -> None:
        """Wake the session's streams; safe from any thread or event loop."""
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        for loop, event in list(self._waiters.get(session_id, ())):
            if loop is running:
                event.set()
            elif not loop.is_closed():
                loop.call_soon_threadsafe(event.set)

    def listeners(self, session_id: str) -> int:
        """How many streams of this process wait on the session (for tests)."""
        return len(self._waiters.get(session_id, ()))
