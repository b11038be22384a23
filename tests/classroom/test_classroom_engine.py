"""The scheduler (fair round-robin, non-blocking LLM calls, failure isolation), determinism
and the terminal loop."""

from __future__ import annotations

import asyncio

import pytest

from helpers import GatedLLM
from lmforge.classroom.teach.engine import LectureEngine, Scheduler, Session
from lmforge.classroom.teach.runtime import TeachConfig
from lmforge.classroom.teach.simulated import (
    ManualClock,
    class_responder,
    sample_agenda,
    simulate_lectures,
)
from lmforge.classroom.teach.terminal import run_terminal_lecture
from lmforge.errors import InputError, StageError
from lmforge.llm.scripted import ScriptedLLM


def engine(llm=None, **cfg) -> LectureEngine:
    return LectureEngine(
        sample_agenda(),
        llm or ScriptedLLM(class_responder),
        clock=ManualClock(),
        config=TeachConfig(**cfg),
    )


async def test_round_robin_interleaves_sessions_with_one_worker(monkeypatch):
    order: list[str] = []
    real = Session.step

    async def spy(self):
        order.append(self.id)
        return await real(self)

    monkeypatch.setattr(Session, "step", spy)
    eng = engine()
    sched = Scheduler(workers=1)
    for sid in "abc":
        sched.add(eng.new_session("u", session_id=sid))
    await sched.run_until_idle()
    assert order[:6] == ["a", "b", "c", "a", "b", "c"]
    assert all(s.waiting_for() == "message" for s in sched.sessions.values())


async def test_a_slow_model_call_does_not_hold_a_worker():
    gate = asyncio.Event()
    eng = engine(GatedLLM(gate, class_responder))
    sched = Scheduler(workers=1)
    slow, fast = eng.new_session("u", session_id="slow"), eng.new_session("v", session_id="fast")
    sched.add(slow)
    sched.add(fast)
    await sched.run_until_idle()
    sched.post_learner_message("slow", "What is sugar?")  # needs the (blocked) director
    sched.post_learner_message("fast", "")  # needs no model at all
    run = asyncio.create_task(sched.run_until_idle())
    for _ in range(50):
        await asyncio.sleep(0)
    assert fast.state.functions[1].is_done and slow.rt.busy()
    gate.set()
    await run
    assert slow.state.chat()[-1].speaker_id == "Teacher"


async def test_one_broken_session_does_not_stop_the_others():
    eng = engine()
    sched = Scheduler(workers=2)
    bad, good = eng.new_session("u", session_id="bad"), eng.new_session("v", session_id="good")
    bad.state.functions[0].phase = "NONSENSE"
    bad.state.functions[0].call = "ReadScript"
    sched.add(bad)
    sched.add(good)
    with pytest.raises(StageError, match="session bad failed: ValueError: ReadScript in unknown"):
        await sched.run_until_idle()
    assert good.waiting_for() == "message"


async def test_runs_are_deterministic():
    students = ["silent", "on_topic", "off_topic", "abusive"] * 3
    runs = []
    for _ in range(2):
        sessions, reports = await simulate_lectures(
            sample_agenda(), ScriptedLLM(class_responder), students, activation="high", seed=7
        )
        runs.append(([s.state.model_dump() for s in sessions], reports))
    assert runs[0] == runs[1]


async def test_posting_when_not_waiting_is_an_input_error():
    s = engine().new_session("u")
    with pytest.raises(InputError, match="not waiting"):
        s.post_learner_message("hi")
    with pytest.raises(InputError, match="needs a teacher"):
        engine().new_session("u", agents=[])


async def test_terminal_lecture_with_typed_input():
    typed = ["What is sugar?"]
    quiz = ["x", "A"]

    def type_in(prompt: str) -> str:
        if prompt.startswith("Your answer"):
            return quiz.pop(0)
        return typed.pop(0) if typed else ""

    out: list[str] = []
    state = await run_terminal_lecture(
        sample_agenda(),
        ScriptedLLM(class_responder),
        input_fn=type_in,
        print_fn=out.append,
        clock=ManualClock(),
        session_id="t1",
    )
    text = "\n".join(out)
    assert state.finished and state.quiz_answers[0].correct
    assert "--- slide 1 ---" in text and "[Teacher] On slide 1" in text
    assert "[Teacher] Good point" in text and not quiz
    assert "A. Sugar" in text and "'X' is not an option" in text
    assert "The lecture is over." in text


async def test_terminal_quits_on_end_of_input(tmp_path):
    path = tmp_path / "lecture.json"
    path.write_text(sample_agenda().model_dump_json())

    def eof(_prompt):
        raise EOFError

    state = await run_terminal_lecture(
        path,
        ScriptedLLM(class_responder),
        input_fn=eof,
        print_fn=lambda _s: None,
        session_id="t2",  # a fresh uuid would let the Class Clown's roll vary the run
    )
    assert not state.finished and state.cursor == 1
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(InputError, match=r"bad.json(:1)?: invalid JSON"):
        await run_terminal_lecture(tmp_path / "bad.json", ScriptedLLM(class_responder))


async def test_serve_wakes_sessions_whose_wait_ran_out():
    clock = ManualClock()
    eng = LectureEngine(
        sample_agenda(1, quiz=False),
        ScriptedLLM(class_responder),
        clock=clock,
        config=TeachConfig(wait_s=5),
    )
    sched = Scheduler(workers=2)
    s = eng.new_session("u", mode="continuous", activation="low", session_id="w")
    sched.add(s)
    stop = asyncio.Event()
    server = asyncio.create_task(sched.serve(stop, poll_s=0.01))
    await asyncio.sleep(0.05)
    assert s.waiting_for() == "message"
    clock.advance(6)
    for _ in range(100):
        if s.state.finished:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await server
    assert s.state.finished
