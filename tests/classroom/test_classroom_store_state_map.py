"""The engine-state <-> storage mapping, without a database, plus in-memory SQLite use."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from lmforge.classroom.deck import Deck, Page
from lmforge.classroom.store import ClassroomStore, Identity, open_database
from lmforge.classroom.store.state_map import from_snapshot, message_from_state, to_snapshot
from lmforge.errors import InputError


def test_store_identity_codes_match_maic_core() -> None:
    assert [i.value for i in Identity] == list(range(10))
    assert Identity.AI_TEACHER == 6 and Identity.AI_CLASSMATE == 8 and Identity.SCRIPT_AGENT == 9


def test_store_state_map_list_shape_and_aliases() -> None:
    state = {
        "id": "s",
        "user_id": "u",
        "cursor": 2,
        "done": True,
        "extra_knob": [1, 2],
        "function_states": [
            {"call": "ShowFile", "done": True, "page_index": 1},
            {"call": "ReadScript", "value": {"script": "x"}},
        ],
        "messages": [
            {
                "name": "Clown",
                "role": "classmate",
                "type": "speak",
                "text": {"rich": True},
                "page": 2,
            }
        ],
        "answers": [{"function_index": 4, "letters": ["A", "C"], "is_correct": True}],
    }
    snap = to_snapshot(state, lecture_id="L")
    assert (snap.session_id, snap.learner_id, snap.cursor, snap.finished) == ("s", "u", 2, True)
    assert snap.lecture_id == "L" and snap.extra == {"extra_knob": [1, 2]}
    assert [(f.function_idx, f.call, f.is_done) for f in snap.functions] == [
        (0, "ShowFile", True),
        (1, "ReadScript", False),
    ]
    assert snap.functions[0].page_index == 1 and snap.functions[1].value == {"script": "x"}
    message = snap.messages[0]
    assert (message.speaker_id, message.speaker_type, message.page_index) == (
        "Clown",
        Identity.AI_CLASSMATE,
        2,
    )
    assert message.content == '{"rich": true}'
    assert (snap.quiz_answers[0].answer, snap.quiz_answers[0].correct) == ("AC", True)
    assert from_snapshot(snap) == state  # same field names and shapes come back


def test_store_state_map_into_other_model() -> None:
    """A session created by the store (no engine names recorded) still loads into the model."""

    class Engine(BaseModel):
        session_id: str
        learner_id: str | None = None
        function_cursor: int = 0
        messages: list[dict] = []

    snap = to_snapshot({"session_id": "s", "lecture_id": "L"})
    snap.field_names.clear()
    snap.cursor = 3
    loaded = from_snapshot(snap, Engine)
    assert loaded == Engine(session_id="s", function_cursor=3)


def test_store_state_map_odd_messages_do_not_crash() -> None:
    message = message_from_state(
        {"speaker": 5, "role": "alien", "content": None, "function_idx": "three", "created_at": 12}
    )
    assert message.speaker_id == "5" and message.speaker_type == Identity.AI
    assert message.function_idx is None and message.created_at is None
    with pytest.raises(InputError, match="integer function index"):
        to_snapshot({"session_id": "s", "quiz_answers": [{"answer": "A"}]})


def test_store_in_memory_sqlite() -> None:
    with ClassroomStore(open_database("sqlite://")) as store:
        deck = Deck(name="d", source="d.pdf", kind="pdf", pages=[Page(index=1, text="x")])
        lecture_id = store.save_lecture(deck)
        session_id = store.create_session(lecture_id)
        store.append_message(session_id, "hi")
        assert store.load_lecture(lecture_id).deck == deck
        assert len(store.list_messages(session_id)) == 1


def test_store_state_map_misfit_values_go_to_extra() -> None:
    state = {"session_id": 12, "cursor": {"node": 2, "function": 1}, "mode": "interactive"}
    snap = to_snapshot(state)
    assert snap.session_id == "12" and snap.cursor == 0 and snap.mode == "interactive"
    assert snap.extra == {"cursor": {"node": 2, "function": 1}}
    assert from_snapshot(snap) == {**state, "session_id": "12"}
