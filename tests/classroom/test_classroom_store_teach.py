"""The lecture engine's real `SessionState` through the store, on SQLite."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from lmforge.classroom.deck import Deck, Page
from lmforge.classroom.store import ClassroomStore, Identity, open_database

state_module = pytest.importorskip(
    "lmforge.classroom.teach.state", reason="lecture engine (classroom.teach) not importable yet"
)
T0 = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def store(tmp_path: Path) -> ClassroomStore:
    with ClassroomStore(open_database(f"sqlite:///{tmp_path / 'c.db'}")) as store:
        yield store


def _lecture(store: ClassroomStore) -> str:
    deck = Deck(
        name="d",
        source=Path("d.pdf"),
        kind="pdf",
        pages=[Page(index=1, text="one"), Page(index=2, text="two")],
    )
    return store.save_lecture(deck)


def make_state(lecture_id: str):
    s = state_module
    return s.SessionState(
        session_id="sess",
        lecture_id=lecture_id,
        learner_id="amy",
        mode="interactive",
        activation="high",
        cursor=1,
        displayed_page=1,
        input_enabled=True,
        steps=4,
        agents=[s.AgentState(name="Teacher", role="teacher", identity=6, instruction="Teach.")],
        functions=[
            s.FunctionState(
                function_idx=0,
                call="ShowFile",
                page_index=1,
                value={"page": 1},
                phase="FINISHED",
                is_done=True,
            ),
            s.FunctionState(
                function_idx=1,
                call="ReadScript",
                page_index=1,
                value={"script": "Hi."},
                phase="WAITING_USER_INPUT",
                wait_since=T0,
            ),
        ],
        messages=[
            s.ChatMessage(
                speaker_id="Teacher",
                speaker_type=6,
                role="teacher",
                action="speak",
                content="Hi.",
                function_idx=1,
                page_index=1,
                created_at=T0,
            )
        ],
        quiz_answers=[s.QuizAnswer(function_idx=5, answer="B", correct=True, created_at=T0)],
    )


def test_store_teach_state_round_trip(store: ClassroomStore) -> None:
    state = make_state(_lecture(store))
    store.save_session_state(state)
    assert store.load_session_state("sess", state_module.SessionState) == state
    state.messages.append(
        state_module.ChatMessage(
            speaker_id="amy",
            speaker_type=3,
            role="learner",
            action="user_message",
            content="Why?",
            function_idx=1,
            page_index=1,
            created_at=T0,
        )
    )
    state.functions[1].phase = "NEED_CALL_DIRECTOR"
    store.save_session_state(state)
    assert store.load_session_state("sess", state_module.SessionState) == state
    rows = store.list_messages("sess")
    assert [(r.speaker_type, r.action, r.created_at) for r in rows] == [
        (Identity.AI_TEACHER, "speak", T0),
        (Identity.STUDENT, "user_message", T0),
    ]
    snap = store.load_snapshot("sess")
    assert snap.cursor == 1 and snap.functions[1].status["phase"] == "NEED_CALL_DIRECTOR"
    assert snap.extra["steps"] == 4


def test_store_teach_state_from_store_side_session(store: ClassroomStore) -> None:
    """A session created and logged by the store (e.g. the web app) loads as engine state."""
    lecture_id = _lecture(store)
    session_id = store.create_session(
        lecture_id, "amy", agents=[{"name": "Teacher", "role": "teacher", "identity": 6}]
    )
    store.append_message(
        session_id,
        "Welcome",
        speaker_id="Teacher",
        speaker_type=Identity.AI_TEACHER,
        function_idx=0,
    )
    store.record_quiz_answer(session_id, 3, "A", False)
    state = store.load_session_state(session_id, state_module.SessionState)
    assert state.learner_id == "amy" and state.agents[0].identity == 6
    assert state.messages[0].role == "teacher" and state.messages[0].content == "Welcome"
    assert state.quiz_answers[0].answer == "A"
