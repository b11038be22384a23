"""One watcher per process for what its open event streams cannot hear about: the writes of
other worker processes and a continuous-mode silence that ran out.

Why: every stream used to wake up once a second to read its class from the database (the
messages after its last id and the live row), and with 100 open classes those reads were a
third of the server's time, almost all of them finding nothing new. Now the streams of a
process register their position here (the last message id they sent, the live row they last
saw) and sleep; every `poll_s` the hub reads the newest message id and the live row of all
watched classes in two queries, wakes only the streams whose class moved, and starts a drive
for a class that is due (`live.due`) when nobody drives it. A stream still reads its own rows
when woken, "after my last id", so nothing is lost or repeated; this process's own writes wake
streams at once through the `Notifier`, the hub is only the fallback.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import anyio
from sqlalchemy import func, select
from sqlalchemy.orm import Session as OrmSession

from lmforge.classroom.store.models import Message

from .live_lease import Controls, controls_of, due, live_table

if TYPE_CHECKING:
    from .live import LiveDriver

__all__ = ["StreamHub", "Watch"]

CHUNK = 500
"""Most classes in one IN list (SQLite allows far more; PostgreSQL plans stay small)."""


@dataclass(eq=False)
class Watch:
    """One stream's position, which the stream updates after every read of its own."""

    session_id: str
    event: asyncio.Event
    after: int = 0
    ctl: Controls | None = None


@dataclass
class StreamHub:
    """The watcher of one event loop's streams (see the module docstring)."""

    driver: LiveDriver
    poll_s: float = 1.0
    watches: dict[str, set[Watch]] = field(default_factory=dict)
    task: asyncio.Task[None] | None = None
    scans: int = 0
    """How many polls read the database (for tests and profiles)."""

    @contextlib.contextmanager
    def watch(self, session_id: str, event: asyncio.Event, after: int) -> Iterator[Watch]:
        entry = Watch(session_id, event, after)
        self.watches.setdefault(session_id, set()).add(entry)
        if self.task is None or self.task.done():
            self.task = asyncio.ensure_future(self._run())
        try:
            yield entry
        finally:
            group = self.watches.get(session_id)
            if group is not None:
                group.discard(entry)
                if not group:
                    self.watches.pop(session_id, None)

    async def _run(self) -> None:
        """Poll while anybody watches; a later watch starts a new task."""
        while self.watches:
            await asyncio.sleep(self.poll_s)
            if self.watches:
                await self.poll()

    async def poll(self) -> None:
        """One look at every watched class: wake the streams of the ones that moved."""
        ids = list(self.watches)
        lane = self.driver.limiter("read")
        newest, lives = await anyio.to_thread.run_sync(self._scan, ids, limiter=lane)
        self.scans += 1
        for sid in ids:
            ctl = lives.get(sid)
            for entry in self.watches.get(sid, ()):
                if newest.get(sid, 0) > entry.after or ctl != entry.ctl:
                    entry.event.set()
            if due(ctl) and sid not in self.driver.driving:
                self.driver.spawn(sid)

    def _scan(self, ids: list[str]) -> tuple[dict[str, int], dict[str, Controls]]:
        newest: dict[str, int] = {}
        lives: dict[str, Controls] = {}
        with self.driver.db.read() as s:
            for start in range(0, len(ids), CHUNK):
                part = ids[start : start + CHUNK]
                newest.update(_newest_ids(s, part))
                lives.update(_live_rows(s, part))
        return newest, lives


def _newest_ids(s: OrmSession, ids: list[str]) -> dict[str, int]:
    query = (
        select(Message.session_id, func.max(Message.id))
        .where(Message.session_id.in_(ids))
        .group_by(Message.session_id)
    )
    return {sid: int(top) for sid, top in s.execute(query)}


def _live_rows(s: OrmSession, ids: list[str]) -> dict[str, Controls]:
    table = live_table(s)
    rows = s.execute(select(table).where(table.c.session_id.in_(ids)))
    return {row.session_id: controls_of(row) for row in rows}
