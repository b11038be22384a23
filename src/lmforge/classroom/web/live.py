"""The live class: drive the teach engine for one web session with all state in the database.

Why this shape (spec §2.2, §4.2, and the web app's two-worker rule):

- The engine's `SessionState` is stepped and its changes saved after **every** step,
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
- A learner's message takes no lease: the post writes its row and returns (`learner_post`),
  and the drive merges posted rows into the state at its next step, in the step's own
  transaction (`live_state`). Continue and quiz answers change the engine state directly, so
  they take the lease inside the request's transaction (`act`); either way the request then
  starts a drive in the background (the POST returns before any model call).
- A drive loads the state once (or takes over the state its class's previous drive in this
  process parked: `live_run`) and each step's transaction renews the lease, merges posts,
  steps (in the thread: `live_runtime`) and writes only what changed.

On SQLite every request's transaction holds the write lock, so the driver runs its database
work in a thread (`anyio.to_thread`): a drive started while a request is still open waits for
its commit instead of blocking the event loop that has to finish that request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
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

from .live_lease import (
    ClassBusy,
    Controls,
    bound_store,
    claim,
    claim_controls,
    controls,
    due,
    ensure_live,
    live_table,
    new_holder,
    release,
    set_controls,
    utc_now,
    wake_time,
)
from .live_run import Parking, Run
from .live_runtime import on_loop, pending_call, run_step
from .live_state import load_state, merge_posted, save_delta
from .notify import Notifier
from .stream_hub import StreamHub
from .write_gate import WriteGate

__all__ = [  # the lease helpers are re-exported: routes and tests import them from here
    "ClassBusy",
    "Controls",
    "LiveDriver",
    "driver",
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
        self._hubs: dict[int, StreamHub] = {}
        self.gate = WriteGate() if database.is_sqlite else None
        """SQLite only: this process's writers queue here, learners' posts first."""
        self.steps_per_tick = 8
        """Most engine steps in one drive transaction (see `_tick`)."""
        self.step_pause_s = 0.0
        """A pause between two automatic steps of one class (the lease stays held: posts do
        not need it)."""
        self.parking = Parking()
        """Classes' states kept between two drives (see `live_run.Parking`)."""
        self.closing: set[str] = set()
        self.rerun: set[str] = set()
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

    # learner actions: inside the caller's transaction (`learner_action.in_class`) -------

    def act(self, s: OrmSession, session_id: str, action: Callable[[Session], None]) -> Session:
        """Apply a learner action under the lease; ClassBusy when a drive holds it; the
        engine's InputError (not your turn, not an option...) passes through unchanged.

        Saved as a delta (`live_state.save_delta`), and on the parked state when the class's
        last drive in this process left one (`live_run.Parking`), which it then leaves for the
        next drive. Why: rewriting the whole state made a quiz answer hold SQLite's write
        lock many times longer than a post, and loading it (then again in the drive that
        follows) was most of an answer's cost; under 100 classes' load the answers and the
        posts queued behind them took a second at p50."""
        holder = new_holder()
        ensure_live(s, session_id)
        claims = claim(s, session_id, holder, self.lease_s)
        if not claims:
            raise ClassBusy()
        ctl = controls(s, session_id)
        run = Run(session_id, holder, claims=claims)
        session = self.parking.take(run)
        if session is not None:
            assert run.mark is not None
            merge_posted(s, session.state, run.mark)
        else:
            store = bound_store(s)
            state, run.version, run.mark = load_state(store, session_id)
            session = self.engine(store, state.lecture_id, run.version).load(state)
        if ctl is not None:
            session.state.mode = ctl.mode  # type: ignore[assignment]
        action(session)
        save_delta(s, session.state, run.version, run.mark)
        release(s, session_id, holder, utc_now())
        run.session, run.released = session, True
        self.parking.park(run)  # a rollback after this makes the next claim miss it: a load
        return session

    # the drive: outside any request transaction -----------------------------------------

    @contextlib.contextmanager
    def writing(self, *, urgent: bool = False) -> Iterator[OrmSession]:
        """One write transaction of this process, through the write gate on SQLite (a
        learner's post or action `urgent`, a drive not)."""
        gate = self.gate.hold(urgent=urgent) if self.gate else contextlib.nullcontext()
        with gate, self.db.session() as s:
            yield s

    def _run(self, fn: Callable[[OrmSession], Any]) -> Any:
        with self.writing() as s:
            return fn(s)

    def hub(self, poll_s: float = 1.0) -> StreamHub:
        """The stream watcher of the running event loop (one per loop, like `limiter`)."""
        key = id(asyncio.get_running_loop())
        if key not in self._hubs:
            self._hubs[key] = StreamHub(self, poll_s)
        return self._hubs[key]

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

    async def drive(self, session_id: str) -> int:
        """Step the session until it waits for its learner, is paused, finishes, or loses its
        lease; returns the number of steps (0 when another holder has it)."""
        # a drive starts after the request that asked for it committed: its rows are visible
        self.notifier.notify(session_id)
        if session_id in self.driving:
            if session_id in self.closing:  # its last look for posts may have missed this one
                self.rerun.add(session_id)
            return 0
        self.driving.add(session_id)
        steps = 0
        try:
            while True:
                self.rerun.discard(session_id)
                steps += await self._drive(session_id)
                if session_id not in self.rerun:
                    return steps
        finally:
            self.driving.discard(session_id)
            self.closing.discard(session_id)

    async def _drive(self, session_id: str) -> int:
        run = Run(session_id, new_holder())
        loop = asyncio.get_running_loop()
        claimed = await self._db(lambda s: self._claim_and_load(s, run, loop))
        if not claimed:
            return 0
        self.closing.discard(session_id)
        try:
            if run.load_error is not None:
                raise run.load_error
            while True:
                shown = run.mark.messages if run.mark else 0
                outcome = await self._db(lambda s: self._tick(s, run))
                if outcome != "stepped" or (run.mark and run.mark.messages != shown):
                    self.notifier.notify(session_id)  # only when a stream has news
                if outcome != "stepped":
                    return run.steps
                if not await self._await_call(run):
                    return run.steps
                if self.step_pause_s:  # other classes' steps and the posts get the writer
                    await asyncio.sleep(self.step_pause_s)
        except Exception as exc:  # a broken session must say so, not loop being re-woken
            run.failed = True
            log.exception("live session %s failed", session_id)
            note = f"The class stopped on an error ({type(exc).__name__}); reload to retry."
            await self._db(
                lambda s: bound_store(s).append_message(session_id, note, action="error")
            )
        finally:
            session, holder = run.session, run.holder
            if session is not None and session.rt.pending is not None:
                session.rt.pending.cancel()
            self.parking.park(run)
            if not run.released:
                wake = None
                if not run.failed:
                    wake = wake_time(session, self.config, run.paused) if session else utc_now()
                await self._db(lambda s: release(s, session_id, holder, wake))
                self.notifier.notify(session_id)
        return run.steps

    def _claim_and_load(self, s: OrmSession, run: Run, loop: asyncio.AbstractEventLoop) -> bool:
        """Take the lease and load the state in one transaction (False: someone has it)."""
        claims = claim(s, run.session_id, run.holder, self.lease_s)
        if not claims:
            return False
        run.claims = claims
        parked = self.parking.take(run)
        if parked is not None:
            run.session = on_loop(parked, loop)
            return True
        try:  # reads only: a failure leaves the claim standing, and the drive says why
            store = bound_store(s)
            state, run.version, run.mark = load_state(store, run.session_id)
            engine = self.engine(store, state.lecture_id, run.version)
            run.session = on_loop(engine.load(state), loop)
        except Exception as exc:
            run.load_error = exc
        return True

    def _tick(self, s: OrmSession, run: Run) -> str:
        """One step in one transaction: renew the lease, merge the learners' posts, step,
        save the delta. "lost" (another holder has the lease), "stop" (waiting, paused,
        finished or at `max_steps`: the lease is released in this same transaction, so a
        post that commits after it finds the lease free) or "stepped"."""
        session = run.session
        assert session is not None and run.mark is not None
        claimed = claim_controls(s, run.session_id, run.holder, self.lease_s)
        if claimed is None:
            return "lost"
        run.claims, run.paused, mode = claimed
        merge_posted(s, session.state, run.mark)
        session.state.mode = mode  # type: ignore[assignment]
        if run.paused or not session.ready() or run.steps >= self.max_steps:
            wake = wake_time(session, self.config, run.paused)
            release(s, run.session_id, run.holder, wake)
            run.released = True
            self.closing.add(run.session_id)
            return "stop"
        # steps that start no model call go on in this same transaction (one lock, one
        # save): a learner's message then costs a transaction per model call, not per step
        for _ in range(self.steps_per_tick):
            run_step(session)
            run.steps += 1
            if session.rt.busy() or not session.ready() or run.steps >= self.max_steps:
                break
        save_delta(s, session.state, run.version, run.mark)
        return "stepped"

    async def _await_call(self, run: Run) -> bool:
        """Wait for the model call the step started, renewing the lease; False if lost."""
        session = run.session
        assert session is not None
        while session.rt.busy():
            call = pending_call(session)
            assert call is not None
            await asyncio.wait({call}, timeout=self.lease_s / 3)
            if not call.done():
                renewed = await self._db(
                    lambda s: claim(s, run.session_id, run.holder, self.lease_s)
                )
                if not renewed:
                    return False
                run.claims = renewed
        return True

    def spawn(self, session_id: str) -> asyncio.Task[int]:
        """Start a drive as a task of the running loop (kept referenced until it ends); a
        session this process drives already gets no second one (the task returns 0)."""
        task = asyncio.ensure_future(self.drive(session_id))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task


def driver(app: Any) -> LiveDriver:
    """The app's live driver, made on first use from its database, model and settings.

    With ``--model scripted`` the class runs on the engine's rule-based offline provider
    (`teach.simulated.class_responder`: a keyword director, short replies, quiz feedback)
    instead of the registry's answer-"OK"-to-everything model, whose director replies
    choose nobody; so a scripted demo or load run has agents that answer the learner.
    """
    live = getattr(app.state, "live", None)
    if live is None:
        settings = app.state.settings
        config = settings.teach
        llm = app.state.llm
        if getattr(settings, "model", "") == "scripted":
            from lmforge.classroom.teach.simulated import class_responder
            from lmforge.llm.scripted import ScriptedLLM

            delay = float(getattr(settings, "scripted_delay_s", 0.0))
            llm = ScriptedLLM(class_responder, record=False, delay_s=delay)
        live = LiveDriver(app.state.db, llm, config=config)
        app.state.live = live
    return live
