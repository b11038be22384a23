"""Session state is plain JSON: it round-trips, and a reloaded session carries on."""

from __future__ import annotations

import json

from lmforge.classroom.teach.engine import LectureEngine
from lmforge.classroom.teach.simulated import (
    ManualClock,
    class_responder,
    sample_agenda,
    simulate_lectures,
)
from lmforge.classroom.teach.state import SessionState
from lmforge.llm.scripted import ScriptedLLM


async def test_finished_session_round_trips_through_json():
    sessions, _ = await simulate_lectures(
        sample_agenda(), ScriptedLLM(class_responder), ["abusive"]
    )
    state = sessions[0].state
    text = state.model_dump_json()
    back = SessionState.model_validate_json(text)
    assert back == state
    data = json.loads(text)
    assert {
        "session_id",
        "learner_id",
        "mode",
        "activation",
        "agents",
        "cursor",
        "functions",
        "messages",
        "quiz_answers",
    } <= set(data)
    msg = data["messages"][1]
    assert {
        "speaker_id",
        "speaker_type",
        "role",
        "action",
        "content",
        "function_idx",
        "created_at",
    } <= set(msg)
    assert data["functions"][1]["phase"] in (
        "FINISHED",
        "CONTINUE_FINISHED",
        "TOO_MUCH_ROUND_FINISHED",
    )


async def test_session_saved_while_waiting_resumes_elsewhere():
    agenda = sample_agenda(2, quiz=False)
    engine = LectureEngine(agenda, ScriptedLLM(class_responder), clock=ManualClock())
    s = engine.new_session("u", mode="interactive", session_id="x")
    while await s.step():
        pass
    saved = s.state.model_dump(mode="json")
    other = LectureEngine(agenda, ScriptedLLM(class_responder), clock=ManualClock()).load(saved)
    other.post_learner_message("What is sugar?")
    while await other.step() or other.rt.busy():
        if other.rt.pending is not None:
            await other.rt.pending
    assert other.state.chat()[-1].speaker_id == "Teacher"
    assert other.state.messages[: len(s.state.messages)] == s.state.messages


async def test_state_maps_onto_the_store_snapshot():
    from lmforge.classroom.store.state_map import from_snapshot, to_snapshot

    sessions, _ = await simulate_lectures(
        sample_agenda(), ScriptedLLM(class_responder), ["on_topic"]
    )
    state = sessions[0].state
    back = from_snapshot(to_snapshot(state), SessionState)
    assert back == state
