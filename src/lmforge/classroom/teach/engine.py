"""The lecture engine: sessions that advance one step at a time, and a fair scheduler.

MAIC-Core's contract (spec §2.2, §4.2): one step of one session per tick; a step that wants to
continue puts the session at the back of the queue, so many learners share few workers fairly;
a session waiting for an LLM call is re-queued when the call is done (it never holds a worker);
a session waiting for its learner is parked until the learner writes, asks to continue, or (in
continuous mode) stays silent for `wait_s` on the injectable clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid

from lmforge.classroom.agenda import Agenda, Question
from lmforge.classroom.teach.agents import LEARNER, default_agents
from lmforge.classroom.teach.askquestion import normalise_answer, step_askquestion
from lmforge.classroom.teach.readscript import learner_wrote, step_readscript
from lmforge.classroom.teach.runtime import Clock, Runtime, TeachConfig
from lmforge.classroom.teach.showfile import step_showfile
from lmforge.classroom.teach.state import (
    Activation,
    AgentState,
    FunctionState,
    Mode,
    SessionState,
)
from lmforge.errors import InputError, StageError
from lmforge.llm.base import LLM

__all__ = ["LectureEngine", "Scheduler", "Session", "TeachConfig"]

EXECUTORS = {
    "ShowFile": step_showfile,
    "ReadScript": step_readscript,
    "AskQuestion": step_askquestion,
}


def agenda_functions(agenda: Agenda) -> list[FunctionState]:
    """Every function of the agenda in teaching order (pages depth-first, then page order)."""
    out: list[FunctionState] = []
    for page in agenda.pages():
        for fn in page.functions:
            out.append(
                FunctionState(
                    function_idx=len(out),
                    call=fn.call,
                    page_index=page.index,
                    value=fn.model_dump(mode="json", exclude={"call"}),
                )
            )
    return out


class Session:
    """One learner's lecture: its saved state plus the live runtime that steps it."""

    def __init__(self, state: SessionState, runtime: Runtime) -> None:
        self.state = state
        self.rt = runtime

    @property
    def id(self) -> str:
        return self.state.session_id

    async def step(self) -> bool:
        """Advance by one step; True = step again soon, False = wait for the learner (or done)."""
        state = self.state
        if state.finished:
            return False
        if self.rt.busy():
            return True
        fn = state.current()
        if fn is None:
            state.finished, state.input_enabled = True, False
            return False
        state.steps += 1
        return await EXECUTORS[fn.call](state, fn, self.rt)

    def waiting_for(self) -> str | None:
        """ "message" or "answer" while the learner has the turn, else None."""
        fn = self.state.current()
        if self.state.finished or fn is None or not self.state.input_enabled:
            return None
        return "answer" if fn.phase == "WAITING_USER_ANSWER" else "message"

    def ready(self) -> bool:
        """Would a step make progress now? (Used to wake parked sessions.)"""
        fn = self.state.current()
        if self.state.finished:
            return False
        if fn is None or self.waiting_for() is None:
            return not self.rt.busy()
        if fn.phase == "WAITING_USER_ANSWER":
            return any(
                m.action == "user_answer" for m in self.state.messages[fn.wait_from :]
            ) or self.rt.waited_out(self.state, fn)
        return (
            learner_wrote(self.state, fn)
            or self.state.continue_requested
            or self.rt.waited_out(self.state, fn)
        )

    def post_learner_message(self, text: str) -> None:
        """The learner says something; an empty text means "go on" (continue class)."""
        kind = self.waiting_for()
        if kind is None:
            raise InputError("the class is not waiting for the learner now", field="message")
        if kind == "answer":
            raise InputError(
                "a quiz question is open: answer it with option letters", field="message"
            )
        if not text.strip():
            self.state.continue_requested = True
            return
        self.rt.post(self.state, self.state.current(), LEARNER, "user_message", text.strip())

    def request_continue(self) -> None:
        self.post_learner_message("")

    def post_quiz_answer(self, letters: str) -> None:
        """The learner answers the open quiz question with option letters ("A", "BD")."""
        fn = self.state.current()
        if self.waiting_for() != "answer" or fn is None:
            raise InputError("no quiz question is open", field="answer")
        if not normalise_answer(Question.model_validate(fn.value["question"]), letters):
            raise InputError("give at least one option letter", field="answer")
        self.rt.post(self.state, fn, LEARNER, "user_answer", letters.strip())


class LectureEngine:
    """Makes and loads sessions of one lecture (agenda) taught with one model."""

    def __init__(
        self,
        agenda: Agenda,
        llm: LLM,
        *,
        config: TeachConfig | None = None,
        clock: Clock = time.time,
        lecture_id: str = "",
    ) -> None:
        self.agenda = agenda
        self.llm = llm
        self.config = config or TeachConfig()
        self.clock = clock
        self.lecture_id = lecture_id or agenda.deck

    def runtime(self) -> Runtime:
        return Runtime(agenda=self.agenda, llm=self.llm, config=self.config, clock=self.clock)

    def new_session(
        self,
        learner_id: str,
        *,
        mode: Mode = "continuous",
        activation: Activation = "middle",
        session_id: str | None = None,
        agents: list[AgentState] | None = None,
    ) -> Session:
        state = SessionState(
            session_id=session_id or uuid.uuid4().hex,
            lecture_id=self.lecture_id,
            learner_id=learner_id,
            mode=mode,
            activation=activation,
            agents=agents if agents is not None else default_agents(),
            functions=agenda_functions(self.agenda),
        )
        if not any(a.role == "teacher" for a in state.agents):
            raise InputError("a session needs a teacher agent", field="agents")
        return Session(state, self.runtime())

    def load(self, state: SessionState | dict) -> Session:
        """Resume a saved session (any phase; a lost LLM call is simply made again)."""
        return Session(SessionState.model_validate(state), self.runtime())


class Scheduler:
    """Round-robin over many sessions with `workers` asyncio tasks."""

    def __init__(self, workers: int = 4) -> None:
        self.workers = workers
        self.sessions: dict[str, Session] = {}
        self.steps = 0
        self._queue: asyncio.Queue[Session] = asyncio.Queue()
        self._queued: set[str] = set()
        self._llm_wait: set[str] = set()
        self.failures: dict[str, BaseException] = {}

    def add(self, session: Session) -> None:
        self.sessions[session.id] = session
        self._enqueue(session)

    def _enqueue(self, session: Session) -> None:
        if session.id not in self._queued and not session.state.finished:
            self._queued.add(session.id)
            self._queue.put_nowait(session)

    def _after_llm(self, session: Session) -> None:
        self._llm_wait.discard(session.id)
        self._enqueue(session)

    def wake(self, session_id: str) -> None:
        session = self.sessions[session_id]
        if session.id not in self._llm_wait and session.ready():
            self._enqueue(session)

    def post_learner_message(self, session_id: str, text: str) -> None:
        self.sessions[session_id].post_learner_message(text)
        self.wake(session_id)

    def post_quiz_answer(self, session_id: str, letters: str) -> None:
        self.sessions[session_id].post_quiz_answer(letters)
        self.wake(session_id)

    async def _worker(self) -> None:
        while True:
            session = await self._queue.get()
            self._queued.discard(session.id)
            try:
                again = await session.step()
                self.steps += 1
                task = session.rt.pending
                if task is not None and not task.done():
                    self._llm_wait.add(session.id)
                    task.add_done_callback(lambda _t, s=session: self._after_llm(s))
                elif again:
                    self._enqueue(session)
            except Exception as exc:  # one broken session must not stop the others
                self.failures[session.id] = exc
            finally:
                self._queue.task_done()

    async def run_until_idle(self) -> int:
        """Step until every session is finished or waiting for its learner; returns steps."""
        start = self.steps
        workers = [asyncio.create_task(self._worker()) for _ in range(self.workers)]
        try:
            while True:
                await self._queue.join()
                if self._llm_wait:
                    pending = [
                        t for s in self._llm_wait if (t := self.sessions[s].rt.pending) is not None
                    ]
                    if pending:
                        await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                    await asyncio.sleep(0)
                    continue
                woke = [
                    s for s in self.sessions.values() if s.id not in self.failures and s.ready()
                ]
                if not woke:
                    break
                for session in woke:
                    self._enqueue(session)
        finally:
            for w in workers:
                w.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
        if self.failures:
            sid, exc = next(iter(self.failures.items()))
            raise StageError(f"session {sid} failed: {type(exc).__name__}: {exc}") from exc
        return self.steps - start

    async def serve(self, stop: asyncio.Event, poll_s: float = 0.5) -> None:
        """Server form: keep stepping, and every `poll_s` wake sessions whose continuous-mode
        wait ran out, until `stop` is set."""
        while not stop.is_set():
            await self.run_until_idle()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), poll_s)

    def finished(self) -> bool:
        return all(s.state.finished for s in self.sessions.values())
