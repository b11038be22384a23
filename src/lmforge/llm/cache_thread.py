"""The call cache's own thread and SQLite connection, for calls made on event loops.

:class:`~lmforge.llm.cache.CallCache` hands its ``aget``/``aput`` here, so that the loop never
waits on the disk and a busy run pays one commit per batch instead of one per call (group
commit). A write's future is set only once its batch is committed.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import queue
import sqlite3
import threading
import weakref
from collections.abc import Callable
from contextlib import suppress

log = logging.getLogger("lmforge.llm.cache")

GET, PUT, _FLUSH, _STOP = "get", "put", "flush", "stop"
INSERT = "INSERT OR REPLACE INTO calls VALUES (?, ?, ?, ?)"
_ROWS_PER_INSERT = 200
"""Rows per multi-row ``INSERT`` (4 parameters each: well under SQLite's 999 of old builds)."""


_pid = os.getpid()


def _forked() -> None:
    global _pid
    _pid = os.getpid()


os.register_at_fork(after_in_child=_forked)


def this_process() -> int:
    """``os.getpid()`` without its system call, kept right across ``fork`` by a hook. A cached
    call asks twice whether its cache thread belongs to this process (a fork copies the object,
    not the thread); the call is cheap alone (0.17 µs), but under load ``py-spy --gil`` put 4 %
    of the loop's samples on it, where the GIL changes hands after a system call."""
    return _pid


def insert_rows(db: sqlite3.Connection, rows: list[tuple]) -> None:
    """``executemany(INSERT, rows)`` in statements of up to ``_ROWS_PER_INSERT`` rows.

    Why: sqlite3 lets go of the GIL around every statement it steps, and each time it wants it
    back while the event loop runs Python it forces a switch (after the 5 ms switch interval):
    one statement per row made a batch of 200 writes 200 such switches, stalling the loop. The
    same rows in the same order (a later duplicate key replaces an earlier one, as before).
    """
    for start in range(0, len(rows), _ROWS_PER_INSERT):
        chunk = rows[start : start + _ROWS_PER_INSERT]
        if len(chunk) == 1:
            db.execute(INSERT, chunk[0])
            continue
        marks = ",".join(["(?, ?, ?, ?)"] * len(chunk))
        db.execute(f"INSERT OR REPLACE INTO calls VALUES {marks}", [v for r in chunk for v in r])


class CacheThread:
    """The cache's thread and connection for calls made on event loops.

    What the coroutines of one event-loop iteration ask goes to the thread as one batch (a
    callback at the next iteration hands it over), so a busy run wakes the thread once per
    iteration, not per call. The thread takes every batch queued (up to ``BATCH`` items):
    first the reads, in one ``IN`` query, answered at once (a read sees the writes queued with
    it, taken from the batch itself); then the writes in one transaction and one commit, and
    their futures are set only after it. Answering the reads before the commit took a read's
    wait from ~0.35 ms (the commit of ~30 rows, then the query) to the query alone. A write
    whose waiter was cancelled is committed all the same.
    """

    BATCH = 1024

    def __init__(
        self,
        connect: Callable[[], sqlite3.Connection],
        error: Callable[[sqlite3.Error], Exception],
    ) -> None:
        self._connect = connect
        self._error = error
        self.pid = this_process()
        self._queue: queue.SimpleQueue[list[tuple]] = queue.SimpleQueue()
        self._pending: dict[asyncio.AbstractEventLoop, list[tuple]] = {}
        self.stopping = False
        self._thread = threading.Thread(target=self._run, name="lmforge-cache", daemon=True)
        self._thread.start()
        _WORKERS.add(self)

    def submit(self, op: str, payload: object) -> asyncio.Future:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        pending = self._pending.get(loop)
        if pending is None:
            pending = self._pending[loop] = []
            loop.call_soon(self._hand_over, loop)
        pending.append((op, payload, future, loop))
        return future

    def _hand_over(self, loop: asyncio.AbstractEventLoop) -> None:
        batch = self._pending.pop(loop, None)
        if batch:
            self._queue.put(batch)

    def flush(self) -> None:
        """Wait until everything asked so far is committed (from any thread)."""
        if self.stopping:
            self._thread.join()  # what was queued before the stop is done first
            return
        for loop in list(self._pending):
            if _running_loop() is loop or not loop.is_running():  # else: its next turn
                self._hand_over(loop)
        done = threading.Event()
        self._queue.put([(_FLUSH, done, None, None)])
        while not done.wait(0.1):
            if not self._thread.is_alive():  # pragma: no cover - ended by a bug
                return

    def stop(self) -> None:
        """Commit what was asked, then end the thread (and its connection)."""
        self.flush()
        self.stop_soon()
        self._thread.join()

    def stop_soon(self) -> None:
        """End the thread once what is queued now is done; does not wait (a finalizer)."""
        if not self.stopping:
            self.stopping = True
            self._queue.put([(_STOP, None, None, None)])

    def _run(self) -> None:
        db: sqlite3.Connection | None = None
        while True:
            items = self._queue.get()
            while len(items) < self.BATCH:
                try:
                    items.extend(self._queue.get_nowait())
                except queue.Empty:
                    break
            reads = [item for item in items if item[0] == GET]
            rest = [item for item in items if item[0] != GET] if reads else items
            if reads:  # answered before the commit: a read need not wait for it
                db, results = self._guarded(db, self._read, reads, rest)
                self._answer(reads, results)
            if rest:
                db, results = self._guarded(db, self._execute, rest)
                self._answer(rest, results)
            if any(op == _STOP for op, *_ in rest):
                if db is not None:
                    db.close()
                return

    def _guarded(
        self, db: sqlite3.Connection | None, step: Callable[..., list[object]], *args: list
    ) -> tuple[sqlite3.Connection | None, list[object]]:
        """``step(db, *args)``, opening the connection first; a failure is every item's answer
        (the thread lives on)."""
        items = args[0]
        try:
            if db is None:
                db = self._connect()
            return db, step(db, *args)
        except Exception as err:
            if db is not None:
                with suppress(sqlite3.Error):
                    db.rollback()
            error = self._error(err) if isinstance(err, sqlite3.Error) else err
            return db, [error for _ in items]

    def _read(self, db: sqlite3.Connection, reads: list[tuple], rest: list[tuple]) -> list[object]:
        """The stored text of each read's key: from this batch's writes (a read sees the writes
        queued with it, as when the writes were committed first), else one ``IN`` query."""
        pending = {row[0]: row[2] for op, row, *_ in rest if op == PUT}
        keys = list({key for _, key, *_ in reads if key not in pending})
        found: dict[str, str] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT key, completion FROM calls WHERE key IN ({marks})"
            found.update(db.execute(query, chunk).fetchall())
        found.update(pending)
        return [found.get(key) for _, key, *_ in reads]

    def _execute(self, db: sqlite3.Connection, items: list[tuple]) -> list[object]:
        """The batch's writes (and flush and stop marks) in one transaction and one commit."""
        writes = [payload for op, payload, *_ in items if op == PUT]
        if writes:
            insert_rows(db, writes)
            db.commit()
        return [True for _ in items]

    @staticmethod
    def _answer(items: list[tuple], results: list[object]) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future, object]]] = {}
        for (op, payload, future, loop), result in zip(items, results, strict=True):
            if op == _FLUSH:
                payload.set()
            elif future is not None:
                by_loop.setdefault(loop, []).append((future, result))
            elif isinstance(result, BaseException):
                log.error("call cache: %s", result)
        for loop, pairs in by_loop.items():
            with suppress(RuntimeError):  # a closed loop: nobody is waiting any more
                loop.call_soon_threadsafe(_settle, pairs)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _settle(pairs: list[tuple[asyncio.Future, object]]) -> None:
    for future, result in pairs:
        if future.done():  # its waiter was cancelled; a write was committed all the same
            continue
        if isinstance(result, BaseException):
            future.set_exception(result)
        else:
            future.set_result(result)


_WORKERS: weakref.WeakSet[CacheThread] = weakref.WeakSet()


@atexit.register
def _stop_workers() -> None:
    """Writes whose waiters were cancelled are committed before the interpreter exits."""
    for worker in list(_WORKERS):
        if worker.pid == this_process():
            worker.stop()
