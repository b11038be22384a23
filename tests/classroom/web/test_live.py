"""The live driver on the store directly: the lease (held elsewhere, expired, taken over), a
drive cut off in a model call resumed by the next without loss or repeat, continuous and
interactive mode, and a failing session that stops with an error row."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select, update

from lmforge.classroom.store import ClassroomStore, open_database
from lmforge.classroom.store.models import AgendaVersion, Message, QuizAnswer
from lmforge.classroom.teach.runtime import TeachConfig
from lmforge.classroom.teach.simulated import class_responder
from lmforge.classroom.web.agents import course_cards, to_agent_states
from lmforge.classroom.web.live import LiveDriver, claim, controls, due, live_table
from lmforge.classroom.web.models import Course
from lmforge.classroom.web.sample import publish_sample_course
from lmforge.llm.scripted import ScriptedLLM


@pytest.fixture
def db(tmp_path: Path):
    database = open_database(f"sqlite:///{tmp_path / 'live.db'}")
    yield database
    database.close()


def start(db, llm, *, mode="interactive", **cfg) -> tuple[LiveDriver, str]:
    course_id = publish_sample_course(db)
    driver = LiveDriver(db, llm, config=TeachConfig(**{"wait_s": 3600, **cfg}))
    with db.session() as s:
        lecture_id = s.get(Course, course_id).lecture_id
        agents = to_agent_states(course_cards(None))
        sid = driver.new_session(s, lecture_id, "amy", agents, mode=mode)
    return driver, sid


def log(db, sid) -> list[tuple[str, str]]:
    with db.read() as s:
        rows = s.scalars(select(Message).where(Message.session_id == sid).order_by(Message.id))
        return [(m.speaker_id, m.action) for m in rows]


def say(db, driver, sid, text):
    with db.session() as s:
        driver.act(s, sid, lambda se: se.post_learner_message(text))


async def test_a_lease_held_elsewhere_blocks_until_it_expires(db):
    driver, sid = start(db, ScriptedLLM(class_responder))
    with db.session() as s:
        assert claim(s, sid, "worker-b", 60)
    assert await driver.drive(sid) == 0 and log(db, sid) == []
    with db.session() as s:
        assert not due(controls(s, sid))
        table = live_table(s)
        past = datetime.now(timezone.utc) - timedelta(seconds=1)
        s.execute(update(table).where(table.c.session_id == sid).values(lease_until=past))
    assert await driver.drive(sid) == 2  # the dead worker's lease ran out: taken over
    assert log(db, sid) == [("system", "showFile"), ("Teacher", "speak")]
    with db.session() as s:
        ctl = controls(s, sid)
    assert ctl.holder is None and ctl.wake_at is None  # interactive: waits for the learner


async def test_a_drive_cut_off_in_a_model_call_is_redone_once(db):
    gate = asyncio.Event()

    async def slow(messages, config):
        await gate.wait()
        return "never used"

    blocked = ScriptedLLM(class_responder)
    driver, sid = start(db, blocked)
    await driver.drive(sid)
    say(db, driver, sid, "why sugar?")
    blocked.generate = slow  # the director call now hangs
    task = asyncio.ensure_future(driver.drive(sid))
    for _ in range(200):
        await asyncio.sleep(0.02)
        with db.read() as s:
            if controls(s, sid).holder is not None and log(db, sid)[-1][1] == "user_message":
                break
    await asyncio.sleep(0.2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    with db.read() as s:
        assert due(controls(s, sid))  # mid-run: any worker's stream would pick it up
    driver.llm = ScriptedLLM(class_responder)
    assert await driver.drive(sid) > 0
    assert log(db, sid)[2:] == [("Learner", "user_message"), ("Teacher", "speak")]


async def test_continuous_mode_runs_an_unattended_lecture_to_the_end(db):
    driver, sid = start(db, ScriptedLLM(class_responder), mode="continuous", wait_s=0)
    await driver.drive(sid)
    state = ClassroomStore(db).load_session_state(sid)
    assert state["finished"] is True
    shown = [a for a in log(db, sid) if a[1] == "showFile"]
    assert len(shown) == 3
    with db.read() as s:
        answers = s.scalars(select(QuizAnswer).where(QuizAnswer.session_id == sid)).all()
        assert [(a.answer, a.correct) for a in answers] == [("", False)]  # silence is wrong
        assert controls(s, sid).wake_at is None


async def test_a_broken_session_stops_with_an_error_row_and_is_not_rewoken(db):
    driver, sid = start(db, ScriptedLLM(class_responder))
    with db.session() as s:  # the agenda the session was built on is gone
        for version in s.scalars(select(AgendaVersion)):
            s.delete(version)
    assert await driver.drive(sid) == 0
    assert log(db, sid) == [("", "error")]
    with db.read() as s:
        ctl = controls(s, sid)
    assert ctl.holder is None and not due(ctl)


class Counting:
    """Wraps a model and counts its calls (the engine sees the real model unchanged)."""

    def __init__(self, llm):
        self.llm, self.calls = llm, 0

    def __getattr__(self, name):
        return getattr(self.llm, name)

    async def generate(self, messages, config):
        self.calls += 1
        return await self.llm.generate(messages, config)


async def test_a_class_with_the_real_embedded_tiny_model(tmp_path):
    """One slide and its quiz with real agents: the manager agent (director) and the teacher's
    reply or quiz feedback come from embedded-tiny; short generations keep it quick."""
    from lmforge.llm.registry import get_llm

    db = open_database(f"sqlite:///{tmp_path / 'real.db'}")
    course_id = publish_sample_course(db, pages=1)
    llm = Counting(get_llm("embedded-tiny"))
    driver = LiveDriver(db, llm, config=TeachConfig(max_tokens=32, director_max_tokens=8))
    with db.session() as s:
        lecture_id = s.get(Course, course_id).lecture_id
        sid = driver.new_session(
            s, lecture_id, "amy", to_agent_states(course_cards(None)), mode="interactive"
        )
    await driver.drive(sid)
    say(db, driver, sid, "Why do plants need sunlight?")
    for _ in range(6):
        await driver.drive(sid)
        with db.session() as s:
            session, _ = driver.load(s, sid)
        kind = session.waiting_for()
        if kind is None:
            break
        with db.session() as s:
            if kind == "answer":
                driver.act(s, sid, lambda se: se.post_quiz_answer("A"))
            else:
                driver.act(s, sid, lambda se: se.request_continue())
    state = session.state
    assert state.finished, [(m.speaker_id, m.action, m.content) for m in state.messages]
    assert llm.calls >= 2  # the director after the question, the quiz feedback at least
    assert state.functions[1].director_reply is not None  # the manager agent was asked
    assert [(a.answer, a.correct) for a in state.quiz_answers] == [("A", True)]
    spoken = [m for m in state.messages if m.action == "speak"]
    assert all(m.content.strip() for m in spoken)
    feedback = spoken[-1].content
    print(*(f"{m.speaker_id} [{m.action}]: {m.content[:80]!r}" for m in state.messages), sep="\n")
    assert feedback not in ("Well done!", "Not quite; see the correct answer above.")
    db.close()


async def test_a_drive_wakes_this_process_streams_and_runs_once_per_session(db):
    driver, sid = start(db, ScriptedLLM(class_responder))
    with driver.notifier.listen(sid) as woken:
        first, second = driver.spawn(sid), driver.spawn(sid)
        await asyncio.wait_for(woken.wait(), 1)  # signalled, not found by a poll
        assert sorted(await asyncio.gather(first, second)) == [0, 2]  # one drive did the steps
    assert driver.notifier.listeners(sid) == 0
    assert log(db, sid) == [("system", "showFile"), ("Teacher", "speak")]


def test_a_notify_from_another_thread_reaches_the_streams_loop():
    import threading

    from lmforge.classroom.web.notify import Notifier

    notifier = Notifier()

    async def listen() -> bool:
        with notifier.listen("s1") as woken:
            threading.Thread(target=notifier.notify, args=("s1",)).start()
            await asyncio.wait_for(woken.wait(), 2)
            return woken.is_set()

    assert asyncio.run(listen())
