"""A live class's engine state between the database and one drive: load once, then each step
merges what learners posted and writes only what the step changed.

Why: the drive used to re-read and re-write the whole session state (every message, every
function row, two counts) at every step, inside SQLite's one write lock, so each step's lock
grew with the class and the learners' posts queued behind it. Now a drive loads the state
once, and a step's transaction appends only its new messages and answers, updates only the
function rows and session columns whose values moved, and first appends to the state the
messages learners posted since (`merge_posted`): a post writes its `message` row itself and
never touches the engine state or the lease. Because the merge and the save run in one
transaction that starts with the lease UPDATE (SQLite's write lock; on PostgreSQL the row lock
that a post's own UPDATE of the live row waits for), the state's message order is always the
table's id order, which a later load relies on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy.orm import Session as OrmSession

from lmforge.classroom.store.logs import messages_after
from lmforge.classroom.store.models import (
    ClassSession,
    FunctionState,
    Message,
    QuizAnswer,
    utcnow,
)
from lmforge.classroom.store.repository import ClassroomStore
from lmforge.classroom.store.state_map import (
    from_snapshot,
    function_rows,
    message_from_state,
    message_state,
    quiz_from_state,
    to_snapshot,
)
from lmforge.classroom.teach.state import ChatMessage, SessionState

__all__ = ["SavedMark", "load_state", "merge_posted", "save_delta"]

_COLUMNS = ("learner_id", "mode", "activation", "agents", "cursor", "finished", "agenda_version")


@dataclass
class SavedMark:
    """What the database holds of one session's state, as far as this drive knows."""

    messages: int = 0
    """How many of `state.messages` are rows."""
    answers: int = 0
    last_id: int = 0
    """The highest message id of the session seen (rows above it were posted by others)."""
    functions: dict[int, dict[str, Any]] = field(default_factory=dict)
    row: dict[str, Any] = field(default_factory=dict)
    fields: dict[int, dict[str, Any]] = field(default_factory=dict)
    """A copy of each function's fields when its row was made (see `_light`)."""


def _light(
    state: SessionState, version: int | None, mark: SavedMark | None = None
) -> tuple[dict[str, Any], dict[int, Any], dict[int, dict[str, Any]]]:
    """The session row's values, the function rows of `state` and a copy of each function's
    fields, without its logs. A function whose fields equal the mark's copy keeps the mark's
    row: a step changes one function or two, and dumping every one of them (scripts, questions)
    at every step was most of a save's cost."""
    data = state.model_dump(mode="json", exclude={"messages", "quiz_answers", "functions"})
    known = mark.fields if mark is not None else {}  # a function there has its row in the mark
    kept = mark.functions if mark is not None else {}
    moved = [fn for fn in state.functions if known.get(fn.function_idx) != fn.__dict__]
    dumps = function_rows([fn.model_dump(mode="json") for fn in moved], native=True)
    # `value` can change in place: the copy keeps the dump's own dict (JSON types, as the agenda
    # writes them; any other value reads as moved and is dumped again, which is only slower)
    fresh = {
        fn.function_idx: (row, {**fn.__dict__, "value": row["value"]})
        for fn, row in zip(moved, dumps, strict=True)
    }
    functions: dict[int, Any] = {}
    fields: dict[int, dict[str, Any]] = {}
    for fn in state.functions:
        idx = fn.function_idx
        functions[idx], fields[idx] = fresh[idx] if idx in fresh else (kept[idx], known[idx])
    data.update(messages=[], quiz_answers=[], functions=[], agenda_version=version)
    snap = to_snapshot(data, native=True)  # the functions' shape (a list) is all it needs
    row = {name: getattr(snap, name) for name in _COLUMNS if name in snap.field_names}
    row["extra"] = {"fields": snap.extra, "names": snap.field_names}
    return row, functions, fields


def load_state(
    store: ClassroomStore, session_id: str
) -> tuple[SessionState, int | None, SavedMark]:
    """The stored state, its agenda version and the mark a delta save starts from."""
    snapshot = store.load_snapshot(session_id)
    state = from_snapshot(snapshot, SessionState)
    assert isinstance(state, SessionState)
    ids = [m.id for m in snapshot.messages if m.id is not None]
    row, functions, fields = _light(state, snapshot.agenda_version)
    mark = SavedMark(
        messages=len(state.messages),
        answers=len(state.quiz_answers),
        last_id=max(ids, default=0),
        functions=functions,
        fields=fields,
        row=row,
    )
    return state, snapshot.agenda_version, mark


def merge_posted(s: OrmSession, state: SessionState, mark: SavedMark) -> int:
    """Append the rows posted since the mark (learners' messages) to the state; how many."""
    assert mark.messages == len(state.messages), "merge before the step, after the save"
    rows = messages_after(s, state.session_id, mark.last_id, None)
    for row in rows:
        state.messages.append(ChatMessage.model_validate(message_state(row)))
        mark.last_id = row.id or mark.last_id
    mark.messages = len(state.messages)
    return len(rows)


_SESSION = update(ClassSession.__table__).where(ClassSession.__table__.c.id == bindparam("b_id"))
_FUNCTION = (
    update(FunctionState.__table__)
    .where(FunctionState.__table__.c.session_id == bindparam("b_sid"))
    .where(FunctionState.__table__.c.function_idx == bindparam("b_idx"))
)
_MESSAGES = insert(Message.__table__).returning(
    Message.__table__.c.id, sort_by_parameter_order=True
)
"""Built once; the SET columns come from each call's parameters. Why Core and not the ORM
unit of work: a step's save ran at every step of every class and was most of its cost."""


def save_delta(s: OrmSession, state: SessionState, version: int | None, mark: SavedMark) -> None:
    """Write what changed since the mark, then move the mark."""
    sid = state.session_id
    sql = s.connection()  # Core statements (see `live_lease._CONTROLS`)
    row, functions, fields = _light(state, version, mark)
    changed = {k: v for k, v in row.items() if mark.row.get(k) != v}
    if changed:
        sql.execute(_SESSION, {"b_id": sid, **changed, "updated_at": utcnow()})
    for idx, fn in functions.items():
        if mark.functions.get(idx) == fn:
            continue
        values = {k: fn[k] for k in ("call", "page_index", "value", "status", "is_done")}
        params = {"b_sid": sid, "b_idx": idx, **values, "updated_at": utcnow()}
        if sql.execute(_FUNCTION, params).rowcount == 0:
            s.add(FunctionState(session_id=sid, function_idx=idx, **values))
    added = [
        {"session_id": sid, **_row(message_from_state(entry))}
        for entry in state.messages[mark.messages :]
    ]
    for entry in state.quiz_answers[mark.answers :]:
        s.add(QuizAnswer(session_id=sid, **_row(quiz_from_state(entry))))
    s.flush()
    ids = sql.execute(_MESSAGES, added).scalars().all() if added else []
    mark.last_id = max([mark.last_id, *ids])
    mark.messages, mark.answers = len(state.messages), len(state.quiz_answers)
    mark.row, mark.functions, mark.fields = row, functions, fields


def _row(entry: Any) -> dict[str, Any]:
    """A row's columns; `created_at` always set, so every row of one insert has the same
    keys (an executemany takes its columns from the first)."""
    out = entry.model_dump(exclude={"id", "session_id", "created_at"})
    out["created_at"] = entry.created_at or utcnow()
    return out
