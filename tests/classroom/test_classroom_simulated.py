"""Simulated students drive whole lectures: they always finish, the cap and the TA behave as
specified, quizzes are scored; and one short lecture through the real embedded model."""

from __future__ import annotations

import time

import pytest

from lmforge.classroom.teach.runtime import TeachConfig
from lmforge.classroom.teach.simulated import (
    STUDENTS,
    OnTopicAsker,
    class_responder,
    sample_agenda,
    simulate_lectures,
)
from lmforge.llm.registry import get_llm
from lmforge.llm.scripted import ScriptedLLM

PERSONAS = ["silent", "on_topic", "off_topic", "abusive"]


@pytest.mark.parametrize("mode", ["continuous", "interactive"])
async def test_every_persona_finishes_and_is_regulated(mode):
    sessions, reports = await simulate_lectures(
        sample_agenda(4), ScriptedLLM(class_responder), PERSONAS, mode=mode, workers=2
    )
    by = {r.student: r for r in reports}
    assert all(r.finished for r in reports)
    assert by["off_topic"].ta_turns >= 3 and by["abusive"].ta_turns >= 4  # TA keeps order
    assert by["on_topic"].ta_turns == 0 and by["silent"].ta_turns == 0
    assert [(by[p].quiz_total, by[p].quiz_correct) for p in ("on_topic", "off_topic")] == [
        (1, 1),
        (1, 0),
    ]
    if mode == "continuous":
        assert by["silent"].quiz_total == 1 and by["silent"].quiz_correct == 0  # timed out
    for s in sessions:
        assert [f.is_done for f in s.state.functions] == [True] * len(s.state.functions)


async def test_silent_class_gets_clown_turns_at_about_the_activation_rate():
    students = ["silent"] * 60
    counts = {}
    for level in ("low", "high"):
        _, reports = await simulate_lectures(
            sample_agenda(5, quiz=False),
            ScriptedLLM(class_responder),
            students,
            activation=level,
            workers=4,
        )
        counts[level] = sum(r.clown_turns for r in reports) / (60 * 5)
        assert all(r.finished for r in reports)
    assert counts["low"] < counts["high"]
    assert 0.0 <= counts["low"] <= 0.12 and 0.1 <= counts["high"] <= 0.32


async def test_a_chatty_student_is_stopped_by_the_cap():
    STUDENTS.add("chatty", OnTopicAsker("chatty", talks_per_slide=50, quiz="guess"))

    def responder(messages, cfg):  # a director that always lets a classmate reply
        if messages[-1].content.rstrip().endswith("Who speaks next?"):
            last = messages[-1].content.splitlines()[-3]
            return "Deep Thinker" if last.startswith("<!-- Learner") else "Learner"
        return "Hmm, interesting."

    try:
        _, reports = await simulate_lectures(
            sample_agenda(2, quiz=False), ScriptedLLM(responder), ["chatty"], mode="interactive"
        )
    finally:
        STUDENTS.remove("chatty")
    assert reports[0].finished and reports[0].closed_by_cap == 2


@pytest.mark.slow
async def test_short_lecture_through_the_real_embedded_model():
    llm = get_llm("embedded", cache=False)
    started = time.perf_counter()
    sessions, reports = await simulate_lectures(
        sample_agenda(2),
        llm,
        ["on_topic"],
        config=TeachConfig(max_tokens=32, director_max_tokens=6, cap=4),
        workers=1,
    )
    state = sessions[0].state
    assert reports[0].finished, state.messages[-3:]
    assert reports[0].quiz_total == 1 and reports[0].quiz_correct == 1
    replies = [m for m in state.chat() if m.speaker_id != "Learner" and m.function_idx == 1]
    assert state.functions[1].director_reply is not None
    assert all(m.content.strip() and not m.content.startswith(m.speaker_id + ":") for m in replies)
    assert state.messages[-1].role == "teacher" and state.messages[-1].content.strip()
    print(f"real lecture: {time.perf_counter() - started:.1f}s, {reports[0]}")
