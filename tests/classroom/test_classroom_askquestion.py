"""AskQuestion: rendering, exact-letter scoring, feedback and its fallbacks."""

from __future__ import annotations

import asyncio

import pytest

from lmforge.classroom.agenda import Question
from lmforge.classroom.teach.askquestion import is_correct, normalise_answer, pure_text
from lmforge.classroom.teach.engine import LectureEngine, Session
from lmforge.classroom.teach.runtime import TeachConfig
from lmforge.classroom.teach.simulated import ManualClock, sample_agenda
from lmforge.errors import InputError, ServerError
from lmforge.llm.scripted import ScriptedLLM

MULTI = Question(
    question="Which are plants?",
    question_type="multiple choice",
    selects=["Oak", "Cat", "Fern", "Rock"],
    answer=[2, 0],
    reference="p1",
)


def quiz_session(responses, mode="interactive", **cfg) -> Session:
    engine = LectureEngine(
        sample_agenda(1), ScriptedLLM(responses), clock=ManualClock(), config=TeachConfig(**cfg)
    )
    s = engine.new_session("u", mode=mode, session_id="q")
    for fn in s.state.functions[:2]:  # skip to the quiz
        fn.is_done = True
    s.state.cursor = 2
    return s


async def until_wait(s: Session) -> None:
    for _ in range(50):
        again = await s.step()
        if s.rt.busy():
            await asyncio.wait({s.rt.pending})
        elif not again:
            return


def test_pure_text_hides_answer_and_reference():
    text = pure_text(MULTI)
    assert text.splitlines() == [
        "Which are plants? (several answers)",
        "A. Oak",
        "B. Cat",
        "C. Fern",
        "D. Rock",
    ]
    assert "p1" not in text


def test_scoring_exact_letters_default_and_official():
    assert MULTI.answer_letters() == "AC"
    assert is_correct(MULTI, "AC") and is_correct(MULTI, "c, a") and is_correct(MULTI, "CA")
    assert not is_correct(MULTI, "A") and not is_correct(MULTI, "ACD")
    assert is_correct(MULTI, "AC", official_exact=True)
    assert not is_correct(MULTI, "CA", official_exact=True)
    assert not is_correct(MULTI, "ac", official_exact=True)
    with pytest.raises(InputError, match="'E' is not an option"):
        normalise_answer(MULTI, "AE")


async def test_quiz_flow_right_answer_and_feedback_prompt():
    s = quiz_session(["Correct, sugar it is!"])
    await until_wait(s)
    assert s.waiting_for() == "answer"
    shown = [m.content for m in s.state.messages if m.action == "question"][0]
    assert "A. Sugar" in shown and "answer" not in shown.lower().split("(")[0]
    with pytest.raises(InputError, match="quiz question is open"):
        s.post_learner_message("hello")
    with pytest.raises(InputError, match="not an option"):
        s.post_quiz_answer("Z")
    s.post_quiz_answer("a")
    await until_wait(s)
    assert s.state.finished
    assert [(a.answer, a.correct) for a in s.state.quiz_answers] == [("a", True)]
    actions = [m.action for m in s.state.messages if m.function_idx == 2]
    assert actions == ["speak", "question", "user_answer", "answer", "speak"]
    prompt = s.rt.llm.calls[0].prompt
    assert "Correct answer: A" in prompt and "Student's answer: a" in prompt
    assert "The student is right" in prompt
    assert s.state.messages[-1].content == "Correct, sugar it is!"


async def test_wrong_answer_and_failed_feedback_fall_back():
    s = quiz_session([ServerError("down")])
    await until_wait(s)
    s.post_quiz_answer("C")
    await until_wait(s)
    assert s.state.quiz_answers[0].correct is False
    last = s.state.messages[-1]
    assert last.speaker_id == "Teacher" and "Not quite" in last.content


async def test_no_quiz_open_and_timeouts():
    s = quiz_session(["ok"], mode="interactive", wait_s=5)
    with pytest.raises(InputError, match="no quiz question is open"):
        s.post_quiz_answer("A")
    await until_wait(s)
    s.rt.clock.advance(100)
    assert not s.ready()  # interactive: waits for the learner

    s = quiz_session(["Next time!"], mode="continuous", wait_s=5)
    await until_wait(s)
    s.rt.clock.advance(5)
    await until_wait(s)
    assert s.state.finished and s.state.quiz_answers[0].model_dump(
        include={"answer", "correct"}
    ) == {"answer": "", "correct": False}
