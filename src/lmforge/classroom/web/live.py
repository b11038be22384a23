"""The live class: drive the teach engine for one web session with all state in the database.

Why this shape (spec §2.2, §4.2, and the web app's two-worker rule):

- The engine's `SessionState` is loaded from the store, stepped, and saved after **every** step,
  so each message reaches the `message` table as it is produced and any worker's event stream
  shows it; nothing about a session lives in a process between two requests.
- A lease row (`live_session`) is claimed with one conditional UPDATE before the engine runs,
  so two workers (or two requests of one worker) never step the same session; it is renewed
  while a model call runs and simply expires when a worker dies, and `wake_at` then tells any
  worker serving the session's event stream to pick it up again (a lost call is redone: the
  engine's executors are written for that).
- The learner's controls (`paused`, `mode`) are columns of that row, not engine state, because
  a student may press pause while another worker holds the lease; the driver reads them at
  every step.
- Learner actions (message, continue, quiz answer) change the engine state, so they take the
  lease too, inside the request's own transaction (`act`), and then the request starts a drive
  in the background (the POST returns before any model call).

On SQLite the driver runs its database work in a thread (`anyio.to_thread`), in one lane: a
drive waits for the write lock there instead of blocking the event loop. A learner action
from a route goes through `act_apart`: the lease is claimed and released in two short write
transactions and the engine state is loaded and stepped between them without the lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import anyio
from sqlalchemy.orm import Session as OrmSession

from lmforge.classroom.store.db import Database
from lmforge.classroom.store.repository import ClassroomStore
from lmforge.classroom.teach.engine import LectureEngine, Session
from lmforge.classroom.teach.runtime import TeachConfig
from lmforge.classroom.teach.state import AgentState, Mode, SessionState
from lmforge.errors import InputError

from .live_rows import (
    Controls,
    claim,
    controls,
    due,
    ensure_live,
    live_table,
    release,
    set_controls,
    utcnow,
    wake_time,
)
from .notify import Notifier

__all__ = [
    "ClassBusy",
    "Controls",
    "LiveDriver",
    "bound_store",
    "claim",
    "controls",
    "due",
    "ensure_live",
    "live_table",
    "set_controls",
    "wake_time",
]

log = logging.getLogger(__name__)
YIELD_S = 0.25
"""How long a drive step or a stream read waits at most for learner requests to finish."""


class ClassBusy(Exception):
    """Another request or worker is stepping this session right now (HTTP 409)."""


class _BoundDatabase:
    """Makes one ORM session look like a `Database` to the store, so the store's operations
    join the request's transaction (on SQLite a second connection would wait for its lock)."""

    def __init__(self, session: OrmSession) -> None:
        self._session = session
        self.url = session.get_bind().url

    @contextlib.contextmanager
    def session(self) -> Iterator[OrmSession]:
        yield self._session
        self._session.flush()

    read = session


def bound_store(session: OrmSession) -> ClassroomStore:
    """The repository working inside `session`'s transaction."""
    return ClassroomStore(_BoundDatabase(session))  # type: ignore[arg-type]


def new_holder() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


class LiveDriver:
    """Runs the engine for web sessions of one database and model (one per app)."""

    def __init__(
        self,
        database: Database,
        llm: Any,
        *,
        config: TeachConfig | None = None,
        lease_s: float = 30.0,
        max_steps: int = 200,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = database
        self.llm = llm
        self.config = config or TeachConfig()
        self.lease_s = lease_s
        self.max_steps = max_steps
        self.clock = clock
        self.tasks: set[asyncio.Task[int]] = set()
        self.notifier = Notifier()
        """Wakes this process's event streams when a drive writes (see `notify`)."""
        self.drive_lanes = 1 if database.is_sqlite else 8
        """How many drive transactions of this process run at once. Why a cap: with a fast
        model every open class drives at once, and 100 drives' transactions queued for
        SQLite's one write lock beside the requests, whose posts then waited seconds (the
        lock's busy handler is not fair). SQLite writes one at a time anyway, so one lane
        loses nothing; PostgreSQL gets a few."""
        self.read_lanes = 4 if database.is_sqlite else 8
        """How many event-stream reads run at once, so they never take all the threads that
        the requests need."""
        self._limiters: dict[tuple[str, int], anyio.CapacityLimiter] = {}
        self._acting = 0
        self._calm = threading.Condition()
        self.driving: set[str] = set()
        """Sessions a drive of this process is running or about to claim. Why: every open
        stream spawns a drive while its session is due, and under load the queued claims of
        duplicate drives starved the steps of the real one; one drive per session and process
        is enough (the lease still decides between processes, and a learner action that
        finds a drive here was committed before that drive loads the session)."""

    # engine state through any ORM session ------------------------------------------------

    def engine(self, store: ClassroomStore, lecture_id: str, version: int | None) -> LectureEngine:
        agenda = store.load_agenda(lecture_id, version)
        return LectureEngine(
            agenda, self.llm, config=self.config, clock=self.clock, lecture_id=lecture_id
        )

    def new_session(
        self,
        s: OrmSession,
        lecture_id: str,
        learner_id: str,
        agents: list[AgentState],
        *,
        mode: Mode = "continuous",
    ) -> str:
        """A fresh ClassSession of the lecture's latest agenda, with its live row."""
        store = bound_store(s)
        stored = store.load_lecture(lecture_id)
        if stored.agenda is None:
            raise InputError("this course has no agenda yet", field="course")
        engine = LectureEngine(
            stored.agenda, self.llm, config=self.config, clock=self.clock, lecture_id=lecture_id
        )
        session = engine.new_session(learner_id, mode=mode, agents=agents)
        self._save(store, session, stored.agenda_version)
        ensure_live(s, session.id, mode)
        set_controls(s, session.id, paused=False)  # due now: the first stream starts it
        return session.id

    def load(self, s: OrmSession, session_id: str) -> tuple[Session, int | None]:
        store = bound_store(s)
        snapshot = store.load_snapshot(session_id)
        state = SessionState.model_validate(store.load_session_state(session_id))
        engine = self.engine(
            store, snapshot.lecture_id or state.lecture_id, snapshot.agenda_version
        )
        return engine.load(state), snapshot.agenda_version

    @staticmethod
    def _save(store: ClassroomStore, session: Session, version: int | None) -> None:
        data = session.state.model_dump(mode="json")
        data["agenda_version"] = version
        store.save_session_state(data)

    def save(self, s: OrmSession, session: Session, version: int | None) -> None:
        self._save(bound_store(s), session, version)

    # learner actions first ------------------------------------------------------------

    @contextlib.contextmanager
    def acting(self) -> Iterator[None]:
        """Mark a learner's request in progress: drives and stream reads of this process
        wait for it (`yield_to_actions`)."""
        with self._calm:
            self._acting += 1
        try:
            yield
        finally:
            with self._calm:
                self._acting -= 1
                if not self._acting:
                    self._calm.notify_all()

    def yield_to_actions(self, max_wait_s: float = YIELD_S) -> None:
        """Wait (at most `max_wait_s`) until no learner request of this process is running.

        Why: with a fast model every open class drives all the time, and each step's save
        and each stream's read took the CPU (one interpreter lock) and SQLite's write lock
        beside the posts, so a post waited behind them (p95 1.6 s with 100 students). A
        drive or a read can wait a little; a student pressing Send should not."""
        with self._calm:
            self._calm.wait_for(lambda: self._acting == 0, timeout=max_wait_s)

    # learner actions: inside the request's transaction ---------------------------------

    def act(self, s: OrmSession, session_id: str, action: Callable[[Session], None]) -> Session:
        """Apply a learner action under the lease; ClassBusy when a drive holds it; the
        engine's InputError (not your turn, not an option...) passes through unchanged."""
        holder = new_holder()
        ensure_live(s, session_id)
        if not claim(s, session_id, holder, self.lease_s):
            raise ClassBusy()
        ctl = controls(s, session_id)
        session, version = self.load(s, session_id)
        if ctl is not None:
            session.state.mode = ctl.mode  # type: ignore[assignment]
        action(session)
        self.save(s, session, version)
        release(s, session_id, holder, utcnow())
        return session

    def act_apart(
        self,
        session_id: str,
        action: Callable[[Session], None],
        *,
        admit: Callable[[OrmSession], None] | None = None,
        after: Callable[[OrmSession, Session], None] | None = None,
    ) -> Session:
        """`act` in three short transactions instead of one long one: claim the lease (and
        `admit`, e.g. the rate limit, whose exception undoes the claim); load the state and
        apply the action in a read transaction, i.e. without the write lock (loading and
        validating the state is most of an action's time); save, release and `after` (the
        route's records). The lease keeps drives off the session meanwhile; on an error it is
        released with the wake time it had, as if nothing had happened."""
        with self.acting():
            return self._act_apart(session_id, action, admit, after)

    def _act_apart(
        self,
        session_id: str,
        action: Callable[[Session], None],
        admit: Callable[[OrmSession], None] | None,
        after: Callable[[OrmSession, Session], None] | None,
    ) -> Session:
        holder = new_holder()
        with self.db.session() as s:
            ensure_live(s, session_id)
            if not claim(s, session_id, holder, self.lease_s):
                raise ClassBusy()
            ctl = controls(s, session_id)
            if admit is not None:
                admit(s)
        try:
            with self.db.read() as s:
                session, version = self.load(s, session_id)
            if ctl is not None:
                session.state.mode = ctl.mode  # type: ignore[assignment]
            action(session)
        except BaseException:
            with self.db.session() as s:
                release(s, session_id, holder, ctl.wake_at if ctl else None)
            raise
        with self.db.session() as s:
            self.save(s, session, version)
            release(s, session_id, holder, utcnow())
            if after is not None:
                after(s, session)
        return session

    # the drive: outside any request transaction -----------------------------------------

    def _run(self, fn: Callable[[OrmSession], Any]) -> Any:
        self.yield_to_actions()
        with self.db.session() as s:
            return fn(s)

    def limiter(self, lane: str) -> anyio.CapacityLimiter:
        """The thread lane `drive` or `read` of the running event loop (one per loop: a
        test client may run the same app in several loops)."""
        key = (lane, id(asyncio.get_running_loop()))
        if key not in self._limiters:
            size = self.drive_lanes if lane == "drive" else self.read_lanes
            self._limiters[key] = anyio.CapacityLimiter(size)
        return self._limiters[key]

    async def _db(self, fn: Callable[[OrmSession], Any]) -> Any:
        return await anyio.to_thread.run_sync(self._run, fn, limiter=self.limiter("drive"))

    def _run_read(self, fn: Callable[[OrmSession], Any]) -> Any:
        self.yield_to_actions()
        with self.db.read() as s:
            return fn(s)

    async def _read(self, fn: Callable[[OrmSession], Any]) -> Any:
        """A read of the drive (no write lock on SQLite), in the drive's lane."""
        return await anyio.to_thread.run_sync(self._run_read, fn, limiter=self.limiter("drive"))

    async def drive(self, session_id: str) -> int:
        """Step the session until it waits for its learner, is paused, finishes, or loses its
        lease; returns the number of steps (0 when another holder has it)."""
        # a drive starts after the request that asked for it committed: its rows are visible
        self.notifier.notify(session_id)
        if session_id in self.driving:
            return 0
        self.driving.add(session_id)
        try:
            return await self._drive(session_id)
        finally:
            self.driving.discard(session_id)

    async def _drive(self, session_id: str) -> int:
        holder = new_holder()
        claimed = await self._db(lambda s: claim(s, session_id, holder, self.lease_s))
        if not claimed:
            return 0
        self.notifier.notify(session_id)  # the status shows the class busy
        session: Session | None = None
        steps, paused, failed = 0, False, False
        try:
            session, version = await self._read(lambda s: self.load(s, session_id))
            while steps < self.max_steps:
                ctl = await self._db(lambda s: self._renew(s, session_id, holder))
                if ctl is None:
                    return steps  # the lease was taken over: the new holder goes on
                paused = ctl.paused
                session.state.mode = ctl.mode
                if paused or not session.ready():
                    break
                await session.step()
                steps += 1
                await self._db(lambda s: self.save(s, session, version))
                self.notifier.notify(session_id)
                if not await self._await_call(session, session_id, holder):
                    return steps
        except Exception as exc:  # a broken session must say so, not loop being re-woken
            failed = True
            log.exception("live session %s failed", session_id)
            note = f"The class stopped on an error ({type(exc).__name__}); reload to retry."
            await self._db(
                lambda s: bound_store(s).append_message(session_id, note, action="error")
            )
        finally:
            if session is not None and session.rt.pending is not None:
                session.rt.pending.cancel()
            wake = None
            if not failed:
                wake = wake_time(session, self.config, paused) if session is not None else utcnow()
            await self._db(lambda s: release(s, session_id, holder, wake))
            self.notifier.notify(session_id)
        return steps

    def _renew(self, s: OrmSession, session_id: str, holder: str) -> Controls | None:
        if not claim(s, session_id, holder, self.lease_s):
            return None
        return controls(s, session_id)

    async def _await_call(self, session: Session, session_id: str, holder: str) -> bool:
        """Wait for the model call the step started, renewing the lease; False if lost."""
        while session.rt.busy():
            task = session.rt.pending
            assert task is not None
            await asyncio.wait({task}, timeout=self.lease_s / 3)
            if not task.done():
                renewed = await self._db(lambda s: claim(s, session_id, holder, self.lease_s))
                if not renewed:
                    return False
        return True

    def spawn(self, session_id: str) -> asyncio.Task[int]:
        """Start a drive as a task of the running loop (kept referenced until it ends); a
        session this process drives already gets no second one (the task returns 0)."""
        task = asyncio.ensure_future(self.drive(session_id))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task
