"""ReadScript's state machine, phase by phase, with scripted models and a manual clock."""

from __future__ import annotations

import asyncio

import pytest

from helpers import GatedLLM
from lmforge.classroom.teach.agents import CONTINUE_CLASS, LEARNER
from lmforge.classroom.teach.engine import LectureEngine, Session
from lmforge.classroom.teach.runtime import Runtime, TeachConfig
from lmforge.classroom.teach.simulated import ManualClock, sample_agenda
from lmforge.classroom.teach.state import ACTIVATION_PROBABILITY
from lmforge.errors import ServerError
from lmforge.llm.scripted import ScriptedLLM


def session(responses, *, mode="continuous", activation="middle", **cfg) -> Session:
    llm = responses if isinstance(responses, ScriptedLLM) else ScriptedLLM(responses)
    engine = LectureEngine(
        sample_agenda(1, quiz=False), llm, clock=ManualClock(), config=TeachConfig(**cfg)
    )
    return engine.new_session("u1", mode=mode, activation=activation, session_id="s1")


async def until_wait(s: Session, limit: int = 200) -> None:
    for _ in range(limit):
        again = await s.step()
        if s.rt.pending is not None and not s.rt.pending.done():
            await asyncio.wait({s.rt.pending})
            continue
        if not again:
            return
    raise AssertionError("session never waited")


def read_fn(s: Session):
    return s.state.functions[1]


async def test_unread_posts_script_and_waits():
    s = session([])
    await until_wait(s)
    fn = read_fn(s)
    assert s.state.displayed_page == 1 and fn.phase == "WAITING_USER_INPUT"
    assert s.state.messages[-1].speaker_id == "Teacher"
    assert s.state.messages[-1].content.startswith("On slide 1")
    assert s.state.input_enabled and s.waiting_for() == "message"
    # nothing happened: another step stays put
    assert await s.step() is False and fn.phase == "WAITING_USER_INPUT"


async def test_silence_continues_unless_activation_roll_forces_the_clown(monkeypatch):
    s = session([])
    await until_wait(s)
    monkeypatch.setattr(Runtime, "roll", lambda self, st, fn: 0.99)
    s.request_continue()
    await until_wait(s)
    assert read_fn(s).result == "CONTINUE_FINISHED" and s.state.finished

    s = session(["Why so quiet? Sunlight is sugar for plants, ha!"], activation="low")
    await until_wait(s)
    monkeypatch.setattr(Runtime, "roll", lambda self, st, fn: ACTIVATION_PROBABILITY["low"] - 1e-9)
    s.request_continue()
    await until_wait(s)
    assert s.state.messages[-1].speaker_id == "Class Clown"
    assert read_fn(s).phase == "WAITING_USER_INPUT"
    s.request_continue()  # someone spoke already: no second forced turn
    await until_wait(s)
    assert read_fn(s).result == "CONTINUE_FINISHED"


def test_activation_probabilities_are_the_official_ones():
    assert ACTIVATION_PROBABILITY == {"low": 0.05, "middle": 0.1, "high": 0.2}


async def test_continuous_mode_times_out_interactive_mode_does_not():
    for mode, moves in (("continuous", True), ("interactive", False)):
        s = session([], mode=mode, wait_s=20)
        await until_wait(s)
        s.rt.clock.advance(19)
        assert s.ready() is False
        s.rt.clock.advance(2)
        assert s.ready() is moves


async def test_director_picks_teacher_then_continue_class_returns_turn_to_learner():
    s = session(["Teacher", "Teacher: Plants make sugar.", CONTINUE_CLASS, CONTINUE_CLASS])
    await until_wait(s)
    s.post_learner_message("What is sugar for?")
    await until_wait(s)
    chat = [(m.speaker_id, m.content) for m in s.state.chat()]
    assert chat[-2:] == [(LEARNER, "What is sugar for?"), ("Teacher", "Plants make sugar.")]
    assert read_fn(s).phase == "WAITING_USER_INPUT"  # an agent replied this round
    s.request_continue()
    await until_wait(s)
    assert s.state.finished


async def test_director_prompt_excludes_last_speaker_and_offers_learner_and_continue():
    llm = ScriptedLLM([CONTINUE_CLASS])
    s = session(llm)
    await until_wait(s)
    s.post_learner_message("hello")
    await until_wait(s)
    system = llm.calls[0].messages[0].content
    assert "Teacher" in system and "Class Clown" in system and CONTINUE_CLASS in system
    assert f"- {LEARNER}:" in system
    assert "<!-- Learner -->hello" in llm.calls[0].prompt
    # no agent replied: continue class turns the slide
    assert read_fn(s).result == "FINISHED"


@pytest.mark.parametrize("reply", ["Pikachu", "", "Teacher or Class Clown?"])
async def test_unknown_director_reply_after_the_learner_gets_the_teacher(reply):
    s = session([reply, "Sugar is food for the plant.", CONTINUE_CLASS])
    await until_wait(s)
    s.post_learner_message("hm")
    await until_wait(s)
    assert read_fn(s).director_reply is not None
    assert [(m.speaker_id, m.content) for m in s.state.chat()][-1] == (
        "Teacher",
        "Sugar is food for the plant.",
    )
    assert read_fn(s).phase == "WAITING_USER_INPUT"


@pytest.mark.parametrize("reply", ["Pikachu", "", "Teacher or Class Clown?"])
async def test_unknown_director_reply_means_continue_class_when_strict(reply):
    s = session([reply], strict_director=True)
    await until_wait(s)
    s.post_learner_message("hm")
    await until_wait(s)
    assert read_fn(s).result == "FINISHED" and read_fn(s).director_reply == reply


async def test_learner_chosen_right_after_speaking_gets_the_teacher_instead():
    s = session([LEARNER, "Good question!", CONTINUE_CLASS])
    await until_wait(s)
    s.post_learner_message("why?")
    await until_wait(s)
    assert s.state.chat()[-1].speaker_id == "Teacher"


async def test_cap_stops_discussion_after_twelve_turns_on_one_function():
    def responder(messages, cfg):
        if messages[-1].content.rstrip().endswith("Who speaks next?"):
            return messages[0].content.split("\n- ")[1].split(":")[0]  # first candidate
        return "More words."

    s = session(ScriptedLLM(responder))
    await until_wait(s)
    s.post_learner_message("Tell me everything.")
    await until_wait(s)
    fn = read_fn(s)
    assert fn.result == "TOO_MUCH_ROUND_FINISHED"
    mine = [m for m in s.state.chat() if m.function_idx == fn.function_idx]
    assert len(mine) == 12
    speakers = [m.speaker_id for m in mine]
    assert all(a != b for a, b in zip(speakers, speakers[1:], strict=False))  # no repeats


async def test_failed_calls_become_fallbacks_not_crashes():
    s = session([ServerError("down")])
    await until_wait(s)
    s.post_learner_message("hi")
    await until_wait(s)
    assert read_fn(s).result == "FINISHED" and "ServerError" in s.rt.errors[0]

    def responder(messages, cfg):  # the director always wants the teacher, who never answers
        if messages[-1].content.rstrip().endswith("Who speaks next?"):
            return "Teacher"
        raise ServerError("overloaded")

    s = session(ScriptedLLM(responder))
    await until_wait(s)
    s.post_learner_message("hi")
    await until_wait(s)
    assert [m.action for m in s.state.messages][-1] == "error"
    assert read_fn(s).phase == "WAITING_USER_INPUT"  # turn handed back, no loop
    s.request_continue()
    await until_wait(s)
    assert s.state.finished


async def test_step_does_not_wait_for_the_model():
    gate = asyncio.Event()
    s = session(GatedLLM(gate, [CONTINUE_CLASS]))
    await until_wait(s)
    s.post_learner_message("hi")
    assert await s.step() is True  # -> NEED_CALL_DIRECTOR
    assert await s.step() is True and read_fn(s).phase == "WAITING_DIRECTOR_RETURN"
    assert s.rt.busy() and await s.step() is True  # still running: re-queue, nothing changes
    gate.set()
    await until_wait(s)
    assert s.state.finished


async def test_reloaded_session_redoes_a_lost_call():
    s = session(["Teacher", "Answer.", CONTINUE_CLASS, CONTINUE_CLASS])
    await until_wait(s)
    s.post_learner_message("q")
    await s.step()
    await s.step()
    assert read_fn(s).phase == "WAITING_DIRECTOR_RETURN"
    s.rt.pending.cancel()
    fresh = LectureEngine(
        sample_agenda(1, quiz=False),
        ScriptedLLM(["Teacher", "Answer.", CONTINUE_CLASS]),
        clock=ManualClock(),
    ).load(s.state.model_dump(mode="json"))
    await until_wait(fresh)
    assert fresh.state.chat()[-1].content == "Answer."
