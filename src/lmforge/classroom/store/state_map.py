"""Mapping between the lecture engine's session state and the storage rows.

Why one module: the engine (`classroom/teach/state.py`) was written beside this store, so its
field names may drift. Everything that knows those names lives here: `FIELD_ALIASES` lists,
per stored column, the state field names accepted for it; state fields with no column go to
`session.extra` and come back unchanged. Messages and function entries also keep their full
original dump (`meta["state"]`, `status`), so a load returns exactly what was saved even when
a field has no column of its own.

`SessionSnapshot` is the store-side shape; `to_snapshot(state)` reads any pydantic model or
dict, `from_snapshot(snapshot, model)` rebuilds the engine's model (or a plain dict).
"""

from __future__ import annotations

import functools
import json
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from lmforge.errors import InputError

from .models import Identity

M = TypeVar("M", bound=BaseModel)

FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "session_id": ("session_id", "id"),
    "lecture_id": ("lecture_id",),
    "learner_id": ("learner_id", "user_id"),
    "agenda_version": ("agenda_version",),
    "mode": ("mode",),
    "activation": ("activation",),
    "agents": ("agents",),
    "cursor": ("function_cursor", "cursor", "function_idx", "current_function"),
    "finished": ("finished", "done", "is_done"),
    "functions": ("functions", "function_states", "function_status", "statuses"),
    "messages": ("messages",),
    "quiz_answers": ("quiz_answers", "answers"),
}
MESSAGE_ALIASES: dict[str, tuple[str, ...]] = {
    "speaker_id": ("speaker_id", "speaker", "name", "agent"),
    "speaker_type": ("speaker_type", "identity", "user_type", "role"),
    "action": ("action", "kind", "type"),
    "content": ("content", "text"),
    "function_idx": ("function_idx", "function_index", "function"),
    "page_index": ("page_index", "page", "slide_idx"),
    "created_at": ("created_at", "time", "timestamp"),
}
ROLE_IDENTITY = {
    "user": Identity.STUDENT,
    "learner": Identity.STUDENT,
    "student": Identity.STUDENT,
    "teacher": Identity.AI_TEACHER,
    "assistant": Identity.AI_ASSISTANT,
    "classmate": Identity.AI_CLASSMATE,
    "system": Identity.SYSTEM,
}


ROLE_NAMES = {
    Identity.STUDENT: "learner",
    Identity.AI_TEACHER: "teacher",
    Identity.TEACHER: "teacher",
    Identity.AI_ASSISTANT: "assistant",
    Identity.ASSISTANT: "assistant",
    Identity.AI_CLASSMATE: "classmate",
    Identity.SYSTEM: "system",
}
"""Role names of `teach.state.ChatMessage`, for messages logged without an engine dump."""


class StoredMessage(BaseModel):
    """One row of `message`, as the repository returns it."""

    id: int | None = None
    session_id: str = ""
    speaker_id: str = ""
    speaker_type: int = int(Identity.SYSTEM)
    action: str = "speak"
    content: str = ""
    function_idx: int | None = None
    page_index: int | None = None
    meta: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime | None = None


class StoredQuizAnswer(BaseModel):
    id: int | None = None
    session_id: str = ""
    function_idx: int
    answer: str
    correct: bool
    meta: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime | None = None


class StoredFunction(BaseModel):
    """One row of `function_state`; `status` is the engine's status dict for the function."""

    function_idx: int
    call: str = ""
    page_index: int | None = None
    value: dict[str, Any] = Field(default_factory=dict)
    status: dict[str, Any] = Field(default_factory=dict)
    is_done: bool = False


class SessionSnapshot(BaseModel):
    """Everything the store keeps about a session, independent of the engine's classes."""

    session_id: str
    lecture_id: str | None = None
    learner_id: str | None = None
    agenda_version: int | None = None
    mode: str = "continuous"
    activation: str = "middle"
    agents: list[Any] = Field(default_factory=list)
    cursor: int = 0
    finished: bool = False
    functions: list[StoredFunction] = Field(default_factory=list)
    messages: list[StoredMessage] = Field(default_factory=list)
    quiz_answers: list[StoredQuizAnswer] = Field(default_factory=list)
    extra: dict[str, Any] = Field(default_factory=dict)
    field_names: dict[str, str] = Field(default_factory=dict)
    """Stored column -> the engine's field name, so `from_snapshot` writes the same names."""


def _dump(obj: Any, native: bool = False) -> dict[str, Any]:
    """A JSON-safe copy of `obj`. `native`: a dict the caller got from `model_dump(mode="json")`
    and owns, so a shallow copy is enough (the JSON round trip of every function entry was
    half the cost of a live class's per-step save)."""
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json")
    if isinstance(obj, dict):
        return dict(obj) if native else json.loads(json.dumps(obj, default=str))
    raise InputError(f"session state must be a pydantic model or dict, got {type(obj).__name__}")


def _take(data: dict[str, Any], aliases: tuple[str, ...]) -> tuple[str | None, Any]:
    for name in aliases:
        if name in data:
            return name, data.pop(name)
    return None, None


def _identity(value: Any) -> int:
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return int(ROLE_IDENTITY.get(str(value).lower(), Identity.AI))


def message_from_state(item: Any) -> StoredMessage:
    """An engine message (model or dict) -> a row; the full dump rides along in meta."""
    original = _dump(item)
    data = dict(original)
    row: dict[str, Any] = {}
    for column, aliases in MESSAGE_ALIASES.items():
        _, value = _take(data, aliases)
        if value is not None:
            row[column] = value
    content = row.get("content", "")
    row["content"] = content if isinstance(content, str) else json.dumps(content)
    row["speaker_id"] = str(row.get("speaker_id", ""))
    row["speaker_type"] = _identity(row.get("speaker_type", int(Identity.SYSTEM)))
    row["action"] = str(row.get("action", "speak"))
    for key in ("function_idx", "page_index"):
        if not isinstance(row.get(key), int):
            row.pop(key, None)
    if not isinstance(row.get("created_at"), str):
        row.pop("created_at", None)
    return StoredMessage(**row, meta={"state": original})


def message_state(message: StoredMessage) -> dict[str, Any]:
    """A stored message in the engine's shape: the engine's own dump when the row has one,
    else (a row logged by `append_message`) rebuilt from its columns."""
    return message.meta.get("state") or _message_state(message)


def _message_state(message: StoredMessage) -> dict[str, Any]:
    """A message logged by `append_message` (no engine dump) in the engine's shape."""
    data = message.model_dump(mode="json", exclude={"meta", "id", "session_id"})
    data["role"] = ROLE_NAMES.get(message.speaker_type, "classmate")
    return data


def function_rows(value: Any, native: bool = False) -> list[dict[str, Any]]:
    """The `function_state` columns of each entry of a state's functions, as plain dicts.
    Accepts a list of entries, a {idx: status} dict, or a list of status dicts. Why dicts: a
    live class compares them at every step, and building and dumping a model per function
    cost more than the step itself."""
    if value is None:
        return []
    entries = value.items() if isinstance(value, dict) else enumerate(value)
    out = []
    for key, entry in entries:
        status = _dump(entry, native) if entry is not None else {}
        idx = status.get("function_idx", status.get("index", key))
        try:
            idx = int(idx)
        except (TypeError, ValueError):
            raise InputError(
                f"function state key {key!r} is not an index", field="functions"
            ) from None
        page, fn_value = status.get("page_index"), status.get("value")
        out.append(
            {
                "function_idx": idx,
                "call": str(status.get("call", "")),
                "page_index": page if isinstance(page, int) else None,
                "value": fn_value if isinstance(fn_value, dict) else {},
                "status": status,
                "is_done": bool(status.get("is_done", status.get("done", False))),
            }
        )
    return out


def _functions_from_state(value: Any, native: bool = False) -> list[StoredFunction]:
    return [StoredFunction(**row) for row in function_rows(value, native)]


def quiz_from_state(item: Any) -> StoredQuizAnswer:
    original = _dump(item)
    data = dict(original)
    _, idx = _take(data, ("function_idx", "function_index", "function"))
    _, answer = _take(data, ("answer", "answers", "letters"))
    _, correct = _take(data, ("correct", "is_correct"))
    if not isinstance(idx, int):
        raise InputError("quiz answer without an integer function index", field="quiz_answers")
    if isinstance(answer, list):
        answer = "".join(str(a) for a in answer)
    created = data.get("created_at")
    return StoredQuizAnswer(
        function_idx=idx,
        answer=str(answer or ""),
        correct=bool(correct),
        created_at=created if isinstance(created, str) else None,
        meta={"state": original},
    )


SCALARS = (
    "lecture_id",
    "learner_id",
    "agenda_version",
    "mode",
    "activation",
    "agents",
    "cursor",
    "finished",
)


@functools.cache
def _column_adapter(column: str) -> TypeAdapter[Any]:
    """Built once per column: a TypeAdapter builds its validator when constructed (a fifth of
    the cost of a live class's per-step save when it was built on every call)."""
    return TypeAdapter(SessionSnapshot.model_fields[column].annotation)


def _fit_scalars(row: dict[str, Any], names: dict[str, str], data: dict[str, Any]) -> None:
    """A state field whose value does not fit its column (say a cursor that is an object) is
    kept in `extra` under its own name instead, so saving never fails on the engine's types."""
    for column in SCALARS:
        if column not in row or row[column] is None:
            continue
        try:
            _column_adapter(column).validate_python(row[column])
        except ValidationError:
            data[names.pop(column)] = row.pop(column)


def to_snapshot(
    state: Any, *, lecture_id: str | None = None, native: bool = False
) -> SessionSnapshot:
    """Read an engine state (pydantic model or dict) into the store's shape. `native`: `state`
    is a dict fresh from `model_dump(mode="json")` that the caller hands over (no copying)."""
    data = _dump(state, native)
    row: dict[str, Any] = {}
    names: dict[str, str] = {}
    for column, aliases in FIELD_ALIASES.items():
        name, value = _take(data, aliases)
        if name is not None:
            names[column] = name
            row[column] = value
    if not row.get("session_id"):
        raise InputError("session state has no session id", field="session_id")
    row["session_id"] = str(row["session_id"])
    _fit_scalars(row, names, data)
    functions = row.pop("functions", None)
    names["_functions_shape"] = "dict" if isinstance(functions, dict) else "list"
    snapshot = SessionSnapshot(
        **{k: v for k, v in row.items() if v is not None and k not in ("messages", "quiz_answers")},
        functions=_functions_from_state(functions, native),
        messages=[message_from_state(m) for m in row.get("messages") or []],
        quiz_answers=[quiz_from_state(q) for q in row.get("quiz_answers") or []],
        extra=data,
        field_names=names,
    )
    if lecture_id is not None:
        snapshot.lecture_id = lecture_id
    return snapshot


def _target_name(column: str, snapshot: SessionSnapshot, fields: set[str] | None) -> str | None:
    """The engine's name for a column: as recorded when the engine saved the state (columns it
    did not have stay out), else the first alias the model has (or the first alias)."""
    recorded = {k: v for k, v in snapshot.field_names.items() if not k.startswith("_")}
    if recorded:
        return recorded.get(column)
    if fields is None:
        return FIELD_ALIASES[column][0]
    return next((name for name in FIELD_ALIASES[column] if name in fields), None)


def from_snapshot(snapshot: SessionSnapshot, model: type[M] | None = None) -> M | dict[str, Any]:
    """Rebuild the engine's state (`model`), or a plain dict when no model is given."""
    fields = set(model.model_fields) if model is not None else None
    out: dict[str, Any] = dict(snapshot.extra)
    values: dict[str, Any] = snapshot.model_dump(
        mode="json", exclude={"functions", "messages", "quiz_answers", "extra", "field_names"}
    )
    statuses = [f.status or f.model_dump(mode="json") for f in snapshot.functions]
    if snapshot.field_names.get("_functions_shape") == "dict":
        pairs = zip(snapshot.functions, statuses, strict=True)
        values["functions"] = {str(f.function_idx): s for f, s in pairs}
    else:
        values["functions"] = statuses
    values["messages"] = [message_state(m) for m in snapshot.messages]
    values["quiz_answers"] = [
        q.meta.get("state") or q.model_dump(mode="json", exclude={"id", "session_id", "meta"})
        for q in snapshot.quiz_answers
    ]
    for column, value in values.items():
        name = _target_name(column, snapshot, fields)
        if name is not None:
            out[name] = value
    if model is None:
        return out
    return model.model_validate(out)
