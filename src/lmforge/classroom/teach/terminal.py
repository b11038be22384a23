"""A lecture in the terminal: the class talks, the learner types, quizzes are answered.

Input and output are injectable (`input_fn`, `print_fn`) so the loop is tested like any other
function. One session, stepped until it waits for the learner, with LLM calls awaited in
place (the single-session form of the scheduler loop, like MAIC-Core's debug CLI).
An empty line means "go on"; `/quit` (or end of input) leaves the lecture.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from lmforge.classroom.agenda import Agenda
from lmforge.classroom.teach.engine import LectureEngine, Session
from lmforge.classroom.teach.runtime import Clock, TeachConfig
from lmforge.classroom.teach.state import Activation, ChatMessage, Mode, SessionState
from lmforge.errors import InputError
from lmforge.llm.base import LLM

QUIT = "/quit"


async def run_until_waiting(session: Session) -> None:
    """Step one session until it waits for its learner or finishes."""
    while True:
        again = await session.step()
        if session.rt.busy() and session.rt.pending is not None:
            await asyncio.wait({session.rt.pending})
            continue
        if not again:
            return


def render(msg: ChatMessage) -> str:
    if msg.action == "showFile":
        return f"\n--- slide {msg.page_index} ---"
    if msg.action == "error":
        return f"({msg.content})"
    if msg.action == "answer":
        return f"  {msg.content}"
    if msg.action == "question":
        return "\n".join(f"  {line}" for line in msg.content.splitlines())
    return f"[{msg.speaker_id}] {msg.content}"


def _read(input_fn: Callable[[str], str], prompt: str) -> str:
    try:
        return input_fn(prompt)
    except EOFError:
        return QUIT


async def run_terminal_lecture(
    agenda: Agenda | str | Path,
    llm: LLM,
    *,
    mode: Mode = "interactive",
    activation: Activation = "middle",
    config: TeachConfig | None = None,
    input_fn: Callable[[str], str] = input,
    print_fn: Callable[[str], None] = print,
    clock: Clock = time.time,
    learner_id: str = "terminal",
    session_id: str | None = None,
) -> SessionState:
    """Teach `agenda` (an Agenda or a saved agenda JSON file) to one learner in a terminal.

    Returns the final session state (finished, or left with /quit)."""
    if not isinstance(agenda, Agenda):
        from lmforge.classroom.prepare import load_agenda

        agenda = load_agenda(agenda)
    engine = LectureEngine(agenda, llm, config=config, clock=clock)
    session = engine.new_session(
        learner_id, mode=mode, activation=activation, session_id=session_id
    )
    shown = 0
    while True:
        await run_until_waiting(session)
        for msg in session.state.messages[shown:]:
            if msg.action not in ("user_message", "user_answer"):
                print_fn(render(msg))
        shown = len(session.state.messages)
        kind = session.waiting_for()
        if session.state.finished or kind is None:
            print_fn("\nThe lecture is over." if session.state.finished else "")
            return session.state
        line = _read(
            input_fn, "Your answer (letters): " if kind == "answer" else "You (Enter to go on): "
        ).strip()
        if line == QUIT:
            return session.state
        try:
            if kind == "answer":
                session.post_quiz_answer(line)
            else:
                session.post_learner_message(line)
        except InputError as exc:
            print_fn(f"! {exc}")
