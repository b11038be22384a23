"""A step's delta save (`live_state.save_delta`): it writes the function rows whose fields
moved, including a change made inside a function's `value` dict, and no others."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import event, select

from lmforge.classroom.store import open_database
from lmforge.classroom.store.models import FunctionState
from lmforge.classroom.web.agents import course_cards, to_agent_states
from lmforge.classroom.web.live import LiveDriver, bound_store
from lmforge.classroom.web.live_state import load_state, save_delta
from lmforge.classroom.web.models import Course
from lmforge.classroom.web.sample import publish_sample_course
from lmforge.llm.scripted import ScriptedLLM


@pytest.fixture
def class_db(tmp_path: Path):
    database = open_database(f"sqlite:///{tmp_path / 'delta.db'}")
    course_id = publish_sample_course(database)
    driver = LiveDriver(database, ScriptedLLM(lambda _m: "ok"))
    with database.session() as s:
        lecture_id = s.get(Course, course_id).lecture_id
        agents = to_agent_states(course_cards(None))
        sid = driver.new_session(s, lecture_id, "amy", agents, mode="interactive")
    yield database, sid
    database.close()


def _function_updates(database) -> list[dict]:
    """The parameters of every UPDATE of `function_state` run from now on."""
    seen: list[dict] = []

    def spy(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("UPDATE FUNCTION_STATE"):
            seen.append(parameters)

    event.listen(database.engine, "before_cursor_execute", spy)
    return seen


def _stored(database, sid: str) -> dict[int, tuple]:
    with database.read() as s:
        rows = s.scalars(select(FunctionState).where(FunctionState.session_id == sid))
        return {r.function_idx: (r.value, r.status, r.is_done) for r in rows}


def test_a_delta_save_writes_the_functions_that_moved_and_only_those(class_db):
    database, sid = class_db
    with database.session() as s:
        state, version, mark = load_state(bound_store(s), sid)
    assert len(state.functions) >= 3
    before = _stored(database, sid)
    updates = _function_updates(database)

    with database.session() as s:  # nothing moved: nothing written
        save_delta(s, state, version, mark)
    assert updates == []

    first, second = state.functions[0], state.functions[2]
    first.value["edited"] = "in place"  # a change inside the dict, not a new dict
    second.is_done, second.phase = True, "DONE"
    with database.session() as s:
        save_delta(s, state, version, mark)
    assert sorted(p[-1] for p in updates) == [first.function_idx, second.function_idx]

    after = _stored(database, sid)
    assert after[first.function_idx][0]["edited"] == "in place"
    assert after[second.function_idx][1]["phase"] == "DONE"
    assert after[second.function_idx][2] is True
    untouched = set(before) - {first.function_idx, second.function_idx}
    assert {i: after[i] for i in untouched} == {i: before[i] for i in untouched}

    updates.clear()
    first.value["edited"] = "again"  # the mark kept a copy, not the live dict
    with database.session() as s:
        save_delta(s, state, version, mark)
    assert [p[-1] for p in updates] == [first.function_idx]
    with database.session() as s:
        reloaded, _, _ = load_state(bound_store(s), sid)
    assert reloaded.functions == state.functions
