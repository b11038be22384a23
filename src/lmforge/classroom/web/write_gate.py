"""One writer at a time on SQLite, learner requests first: an in-process gate before BEGIN.

Why: SQLite has one write lock, and a writer that finds it taken sleeps in SQLite's busy
handler (1, 2, 5, 10 ... 100 ms steps) instead of queueing, so under a stream of drive
transactions a learner's post kept waking up to find the lock taken again and waited seconds.
Here the writers of this process queue on a condition variable instead, and a waiting
`urgent` writer (a learner's post) goes before every waiting drive. Nothing waits on this gate
for a lease: a post holds no lease and a drive holds the gate only for one short transaction.
Other processes (several uvicorn workers) still meet at SQLite's own lock.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

__all__ = ["WriteGate"]


class WriteGate:
    """A lock with two classes of waiters: urgent ones are served before the others."""

    def __init__(self, urgent_run: int = 4) -> None:
        self._cond = threading.Condition()
        self._held = False
        self._urgent_waiting = 0
        self._others_waiting = 0
        self._run = 0
        self.urgent_run = urgent_run
        """After this many urgent holders in a row a waiting other one goes first: under a
        flood of posts the classes still step (their replies are what the posts are for)."""
        self.waits = 0
        """How many acquisitions found the gate taken (a contention count for profiling)."""

    def _blocked(self, urgent: bool) -> bool:
        if self._held:
            return True
        if urgent:
            return self._others_waiting > 0 and self._run >= self.urgent_run
        return self._urgent_waiting > 0 and self._run < self.urgent_run

    @contextlib.contextmanager
    def hold(self, *, urgent: bool = False) -> Iterator[None]:
        with self._cond:
            if self._blocked(urgent):
                self.waits += 1
            if urgent:
                self._urgent_waiting += 1
            else:
                self._others_waiting += 1
            try:
                while self._blocked(urgent):
                    self._cond.wait()
            finally:
                if urgent:
                    self._urgent_waiting -= 1
                else:
                    self._others_waiting -= 1
            self._held = True
            self._run = self._run + 1 if urgent else 0
        try:
            yield
        finally:
            with self._cond:
                self._held = False
                self._cond.notify_all()
