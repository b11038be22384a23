"""Learner posts without the lease: recorded at once while a drive runs, merged into the engine
state at the drive's next step in table order, answered, and the write gate's order."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi import HTTPException
from sqlalchemy import select

from lmforge.classroom.store import ClassroomStore, open_database
from lmforge.classroom.store.models import ClassSession, FunctionState, Message
from lmforge.classroom.teach.runtime import TeachConfig
from lmforge.classroom.teach.simulated import class_responder
from lmforge.classroom.web.agents import course_cards, to_agent_states
from lmforge.classroom.web.learner_post import post_learner_message
from lmforge.classroom.web.live import LiveDriver, claim
from lmforge.classroom.web.models import Account, Course, Enrollment
from lmforge.classroom.web.sample import publish_sample_course
from lmforge.classroom.web.write_gate import WriteGate
from lmforge.llm.scripted import ScriptedLLM

LIMITS = SimpleNamespace(post_limit=100, post_window_s=60)


class Gated:
    """The scripted class model, each call held until `open` is set."""

    def __init__(self) -> None:
        self.inner = ScriptedLLM(class_responder)
        self.open = asyncio.Event()

    async def generate(self, messages, config):
        await self.open.wait()
        return await self.inner.generate(messages, config)


@pytest.fixture
def db(tmp_path: Path):
    database = open_database(f"sqlite:///{tmp_path / 'posts.db'}")
    yield database
    database.close()


def enrolled(db, llm) -> tuple[LiveDriver, str, Account]:
    course_id = publish_sample_course(db)
    driver = LiveDriver(db, llm, config=TeachConfig(wait_s=3600))
    with db.session() as s:
        lecture_id = s.get(Course, course_id).lecture_id
        sid = driver.new_session(
            s, lecture_id, "amy", to_agent_states(course_cards(None)), mode="interactive"
        )
        account = Account(email="amy@example.org", role="student", password_hash="-")
        s.add(account)
        s.flush()
        s.add(Enrollment(course_id=course_id, account_id=account.id, session_id=sid))
    return driver, sid, account


def rows(db, sid) -> list[tuple[str, str, str]]:
    with db.read() as s:
        query = select(Message).where(Message.session_id == sid).order_by(Message.id)
        return [(m.speaker_id, m.action, m.content) for m in s.scalars(query)]


def stored_state(db, sid) -> list[tuple[str, str, str]]:
    state = ClassroomStore(db).load_session_state(sid)
    return [(m["speaker_id"], m["action"], m["content"]) for m in state["messages"]]


async def test_a_post_while_another_holder_has_the_lease_is_kept_and_answered(db):
    driver, sid, amy = enrolled(db, ScriptedLLM(class_responder))
    await driver.drive(sid)  # slide 1 and its script: the class waits for amy
    with db.session() as s:
        assert claim(s, sid, "another-worker", 30)  # a drive elsewhere holds the class
    post_learner_message(driver, LIMITS, amy, sid, "why is the leaf green?")
    assert rows(db, sid)[-1] == ("Learner", "user_message", "why is the leaf green?")
    assert await driver.drive(sid) == 0  # not ours to step while the lease stands
    with db.session() as s:
        assert claim(s, sid, "another-worker", -1)  # ... and now it has run out
    assert await driver.drive(sid) > 0
    log = rows(db, sid)
    assert [r[:2] for r in log[2:]] == [("Learner", "user_message"), ("Teacher", "speak")]
    assert stored_state(db, sid) == log  # the engine state reloads in table order


async def test_posts_during_a_model_call_are_merged_in_table_order(db):
    llm = Gated()
    driver, sid, amy = enrolled(db, llm)
    llm.open.set()
    await driver.drive(sid)
    llm.open.clear()
    post_learner_message(driver, LIMITS, amy, sid, "first question?")
    drive = asyncio.ensure_future(driver.drive(sid))
    for _ in range(200):  # until the director's call is out and held
        await asyncio.sleep(0.01)
        if driver.driving and rows(db, sid)[-1][2] == "first question?":
            break
    await asyncio.sleep(0.1)
    post_learner_message(driver, LIMITS, amy, sid, "and a second one?")
    llm.open.set()
    await drive
    log = rows(db, sid)
    contents = [r[2] for r in log]
    assert contents.count("first question?") == 1 and contents.count("and a second one?") == 1
    assert ("Teacher", "speak") in [r[:2] for r in log[3:]]  # the class answered
    assert stored_state(db, sid) == log
    assert await driver.drive(sid) >= 0  # a fresh load of that state steps on


async def test_a_finished_class_and_an_open_quiz_refuse_a_message(db):
    driver, sid, amy = enrolled(db, ScriptedLLM(class_responder))
    with db.session() as s:  # skip to the quiz: every earlier function done
        fns = s.scalars(select(FunctionState).where(FunctionState.session_id == sid)).all()
        quiz = next(f for f in fns if f.call == "AskQuestion")
        quiz.status = {**quiz.status, "phase": "WAITING_USER_ANSWER"}
        s.get(ClassSession, sid).cursor = quiz.function_idx
    with pytest.raises(HTTPException) as refused:
        post_learner_message(driver, LIMITS, amy, sid, "hi")
    assert refused.value.status_code == 409 and "quiz" in refused.value.detail
    with db.session() as s:
        s.get(ClassSession, sid).finished = True
    with pytest.raises(HTTPException) as refused:
        post_learner_message(driver, LIMITS, amy, sid, "hi")
    assert refused.value.status_code == 409 and "finished" in refused.value.detail


def test_the_write_gate_serves_urgent_writers_first_but_not_forever():
    gate, order = WriteGate(urgent_run=2), []
    release = threading.Event()

    def holder() -> None:
        with gate.hold():
            release.wait(5)

    def writer(name: str, urgent: bool) -> None:
        with gate.hold(urgent=urgent):
            order.append(name)

    first = threading.Thread(target=holder)
    first.start()
    while not gate._held:
        pass
    threads = [threading.Thread(target=writer, args=("drive", False))]
    threads += [threading.Thread(target=writer, args=(f"post{i}", True)) for i in range(3)]
    for t in threads:
        t.start()
    while gate._urgent_waiting < 3 or gate._others_waiting < 1:
        pass
    release.set()
    for t in [first, *threads]:
        t.join(5)
    assert all(name.startswith("post") for name in order[:2])
    assert order[2] == "drive"  # after two urgent holders in a row the waiting drive goes
    assert gate.waits >= 4
