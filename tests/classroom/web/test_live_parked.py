"""A class's state kept in memory between two drives (`LiveDriver.parked`), and the one stream
watcher per process (`StreamHub`): a reused state gives the same class as a reload, any claim in
between forces the reload, a write nobody signalled wakes the stream, a quiet class reads nothing.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from lmforge.classroom.store import open_database
from lmforge.classroom.store.models import Message
from lmforge.classroom.teach.runtime import TeachConfig
from lmforge.classroom.teach.simulated import class_responder
from lmforge.classroom.web.agents import course_cards, to_agent_states
from lmforge.classroom.web.learner_post import Turn, message_row
from lmforge.classroom.web.live import LiveDriver, claim, controls
from lmforge.classroom.web.live_lease import release
from lmforge.classroom.web.models import Course
from lmforge.classroom.web.sample import publish_sample_course
from lmforge.classroom.web.stream_hub import StreamHub
from lmforge.llm.scripted import ScriptedLLM


@pytest.fixture
def db(tmp_path: Path):
    database = open_database(f"sqlite:///{tmp_path / 'parked.db'}")
    yield database
    database.close()


def start(db, *, parked_max: int = 1024) -> tuple[LiveDriver, str]:
    course_id = publish_sample_course(db)
    llm = ScriptedLLM(class_responder)
    driver = LiveDriver(db, llm, config=TeachConfig(wait_s=3600))
    driver.parking.size = parked_max
    with db.session() as s:
        lecture_id = s.get(Course, course_id).lecture_id
        agents = to_agent_states(course_cards(None))
        sid = driver.new_session(s, lecture_id, "amy", agents, mode="interactive")
    return driver, sid


def post(db, sid: str, text: str) -> None:
    """A learner's message the way a post writes it: a row, no lease, no engine state."""
    turn = Turn(function_idx=None, page_index=None, finished=False, quiz_open=False)
    with db.session() as s:
        s.execute(
            insert(Message).values(**message_row(sid, text, turn, datetime.now(timezone.utc)))
        )


def log(db, sid) -> list[tuple[str, str, str]]:
    with db.read() as s:
        rows = s.scalars(select(Message).where(Message.session_id == sid).order_by(Message.id))
        return [(m.speaker_id, m.action, m.content) for m in rows]


async def lesson(db, parked_max: int) -> tuple[LiveDriver, list]:
    driver, sid = start(db, parked_max=parked_max)
    await driver.drive(sid)
    for text in ("why is the sky blue?", "and at sunset?", "thanks"):
        post(db, sid, text)
        await driver.drive(sid)
    return driver, log(db, sid)


async def test_a_parked_state_gives_the_same_class_as_a_reload(tmp_path):
    with open_database(f"sqlite:///{tmp_path / 'a.db'}") as first:
        parked, kept = await lesson(first, parked_max=1024)
    with open_database(f"sqlite:///{tmp_path / 'b.db'}") as second:
        fresh, reloaded = await lesson(second, parked_max=0)
    assert parked.parking.loads == {"parked": 3, "database": 1}
    assert fresh.parking.loads == {"parked": 0, "database": 4}
    assert kept == reloaded
    learner_rows = [row for row in kept if row[1] == "user_message"]
    assert [row[2] for row in learner_rows] == ["why is the sky blue?", "and at sunset?", "thanks"]
    assert len(kept) > 2 * len(learner_rows)  # every post was answered


def same_state(parked, loaded) -> None:
    """The parked engine state is what a reload from the database gives."""
    keep = {"speaker_id", "action", "content", "function_idx"}
    assert [m.model_dump(include=keep) for m in parked.messages] == [
        m.model_dump(include=keep) for m in loaded.messages
    ]
    drop = {"messages", "quiz_answers", "updated_at"}
    assert parked.model_dump(mode="json", exclude=drop) == loaded.model_dump(
        mode="json", exclude=drop
    )
    answers = [(a.function_idx, a.answer, a.correct) for a in parked.quiz_answers]
    assert answers == [(a.function_idx, a.answer, a.correct) for a in loaded.quiz_answers]


async def test_learner_actions_take_the_parked_state_and_leave_it_as_stored(db):
    """Continues and the quiz answer, each followed by a drive, with a question posted
    before one continue and before the answer (the action merges it first): every action
    and every drive after the first takes the parked state, which stays what the database
    holds."""
    driver, sid = start(db)
    await driver.drive(sid)
    actions = 0
    for turn in range(12):
        with db.read() as s:  # a reload that leaves the parking alone
            loaded = driver.load(s, sid)[0]
        same_state(driver.parking.states[sid].session.state, loaded.state)
        kind = loaded.waiting_for()
        if kind is None:
            break
        if turn == 1 or kind == "answer":  # the second: a post that raced the quiz's opening
            post(db, sid, "what is chlorophyll?")
        with db.session() as s:
            if kind == "answer":
                driver.act(s, sid, lambda session: session.post_quiz_answer("A"))
            else:
                driver.act(s, sid, lambda session: session.request_continue())
        actions += 1
        await driver.drive(sid)
    assert loaded.state.finished and actions >= 4
    kept = log(db, sid)
    assert ("Learner", "user_answer", "A") in kept
    assert ("Learner", "user_message", "what is chlorophyll?") in kept
    assert driver.parking.loads == {"parked": 2 * actions, "database": 1}


async def test_any_claim_in_between_makes_the_next_drive_reload(db):
    driver, sid = start(db)
    await driver.drive(sid)
    assert sid in driver.parking.states
    with db.session() as s:  # another worker (or a learner's continue) took and gave back
        assert claim(s, sid, "worker-b", 30)
        release(s, sid, "worker-b", None)
    post(db, sid, "hello?")
    await driver.drive(sid)
    assert driver.parking.loads == {"parked": 0, "database": 2}
    assert log(db, sid)[-2][1:] == ("user_message", "hello?")  # ... and it was answered
    assert log(db, sid)[-1][1] == "speak"


async def test_the_hub_wakes_a_stream_for_a_write_nobody_signalled(db):
    driver, sid = start(db)
    await driver.drive(sid)
    hub = StreamHub(driver, poll_s=0.02)
    woken = asyncio.Event()
    newest = log(db, sid)
    with db.read() as s:
        after = max(s.scalars(select(Message.id).where(Message.session_id == sid)))
    with hub.watch(sid, woken, after) as seen:
        seen.ctl = None
        await asyncio.sleep(0.1)
        woken.clear()
        with db.read() as s:
            seen.ctl = controls(s, sid)
        await asyncio.sleep(0.1)  # a quiet class: the hub polls, nobody is woken
        assert hub.scans >= 3 and not woken.is_set()
        post(db, sid, "from another worker")  # no notify: only the hub can see it
        await asyncio.wait_for(woken.wait(), timeout=2)
    assert log(db, sid)[: len(newest)] == newest
    await asyncio.sleep(0.05)
    assert hub.watches == {}
