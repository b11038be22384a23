"""A learner's message: one short write, no lease, no engine state (spec §3.1, the learner
"may interrupt any time"; a user message triggers the next decision).

Why this shape: a post used to take the class's lease and load, step and save the whole engine
state inside the request, so it was refused (409) whenever the agents were speaking and, on
SQLite, waited for the write lock behind every drive. Now it checks ownership and the class's
turn in a read transaction (no lock), then writes its `message` row, the rate-limit event, the
`Activity` row and a wake-up of the live row in one short transaction, and returns. The class's
driver merges the row into the engine state at its next step (`live_state.merge_posted`): while
the class waits for the learner it starts the director's decision; while agents are speaking it
joins the transcript the director reads at its next decision. The stream shows the row at once.

Two refusals remain, both real conflicts: a finished class (nobody will answer) and an open
quiz question (the class waits for option letters), each a 409 with its own message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from fastapi import HTTPException
from sqlalchemy import and_, bindparam, case, delete, func, insert, select, update
from sqlalchemy.orm import Session as OrmSession

from lmforge.classroom.store.models import ClassSession, FunctionState, Message, aware
from lmforge.classroom.teach.agents import LEARNER, Identity, role_name
from lmforge.classroom.teach.state import ChatMessage

from .deps import enrolled_session
from .live import LiveDriver, ensure_live, live_table
from .models import Account, Activity, RateEvent

__all__ = [
    "FINISHED",
    "QUIZ_OPEN",
    "TOO_MANY",
    "Turn",
    "message_row",
    "post_learner_message",
    "turn_of",
]

FINISHED = "this class has finished: nobody is there to answer"
QUIZ_OPEN = "a quiz question is open: answer it with option letters"
TOO_MANY = "too many posts: wait a moment"


@dataclass(frozen=True)
class Turn:
    """Where the class stands, as a post needs it."""

    function_idx: int | None
    page_index: int | None
    finished: bool
    quiz_open: bool


def _turn_query() -> Any:
    fn, cursor = FunctionState, ClassSession.cursor
    return (
        select(ClassSession.finished, fn.function_idx, fn.page_index, fn.call, fn.status)
        .outerjoin(fn, and_(fn.session_id == ClassSession.id, fn.function_idx == cursor))
        .where(ClassSession.id == bindparam("b_sid"))
    )


# Built once, like every statement of a post (see `live_lease._CONTROLS`: building one
# costs SQLAlchemy several times what SQLite spends running it).
_TURN = _turn_query()
_LIVE = live_table()
_WAKE = (
    update(_LIVE)
    .where(_LIVE.c.session_id == bindparam("b_sid"))
    .values(paused=False, wake_at=bindparam("b_now"), updated_at=bindparam("b_now"))
)
_RATE = select(
    func.count(case((RateEvent.created_at >= bindparam("b_cutoff"), 1))),
    func.min(RateEvent.created_at),
).where(RateEvent.key == bindparam("b_key"))
_INSERT_RATE = insert(RateEvent.__table__)
_INSERT_MESSAGE = insert(Message.__table__)
_INSERT_ACTIVITY = insert(Activity.__table__)


def turn_of(s: OrmSession, session_id: str) -> Turn:
    """One query: the session row and its current function (a post's every statement counts,
    see `post_learner_message`)."""
    row = s.execute(_TURN, {"b_sid": session_id}).first()
    if row is None:
        raise HTTPException(404, "no such class")
    finished, idx, page, call, status = row
    phase = (status or {}).get("phase")
    return Turn(
        function_idx=idx,
        page_index=page,
        finished=bool(finished) or idx is None,
        quiz_open=idx is not None and call == "AskQuestion" and phase == "WAITING_USER_ANSWER",
    )


def _wake(s: OrmSession, session_id: str, now: datetime) -> None:
    """Due now, and not paused (writing in class resumes it). First statement of the
    transaction on purpose: on PostgreSQL it waits for a drive's step holding the row."""
    params = {"b_sid": session_id, "b_now": now}
    if s.execute(_WAKE, params).rowcount == 0:
        ensure_live(s, session_id)
        s.execute(_WAKE, params)


def message_row(session_id: str, text: str, turn: Turn, now: datetime) -> dict[str, Any]:
    """The learner's `message` row, with the engine's own dump in `meta` (as a drive saves)."""
    state = ChatMessage(
        speaker_id=LEARNER,
        speaker_type=int(Identity.STUDENT),
        role=role_name(Identity.STUDENT),
        action="user_message",
        content=text,
        function_idx=turn.function_idx,
        page_index=turn.page_index,
        created_at=now,
    )
    row = {k: v for k, v in state.model_dump().items() if k != "role"}
    row.update(session_id=session_id, meta={"state": state.model_dump(mode="json")})
    return row


def post_learner_message(
    live: LiveDriver, settings: Any, account: Account, session_id: str, text: str
) -> None:
    """Record the message (see the module docstring). 404 for a
    class that is not the student's, 409 for the two conflicts, 429 over the rate limit."""
    key = f"post:{account.id}"
    with live.db.read() as s:  # the checks need no lock (see `_rate_check`)
        course_id = enrolled_session(session_id, account, s).course_id
        turn = turn_of(s, session_id)
        if turn.finished:
            raise HTTPException(409, FINISHED)
        if turn.quiz_open:
            raise HTTPException(409, QUIZ_OPEN)
        prune = _rate_check(s, key, settings.post_limit, settings.post_window_s)
    now = datetime.now(timezone.utc)
    message = message_row(session_id, text, turn, now)
    activity = {
        "kind": "message",
        "account_id": account.id,
        "course_id": course_id,
        "session_id": session_id,
        "meta": {"length": len(text)},
        "created_at": now,
    }
    # the write: five statements and no reads, as short as a transaction gets (under load
    # each statement waits for the GIL again, so every one of them counts)
    with live.writing(urgent=True) as s:
        _wake(s, session_id, now)
        s.execute(_INSERT_RATE, {"key": key, "created_at": now})
        if prune is not None:
            s.execute(delete(RateEvent).where(RateEvent.key == key, RateEvent.created_at < prune))
        s.execute(_INSERT_MESSAGE, message)
        s.execute(_INSERT_ACTIVITY, activity)


def _rate_check(s: OrmSession, key: str, limit: int, window_s: int) -> datetime | None:
    """429 over the posting limit; else the cut-off for pruning old events when some are
    more than two windows old (None: nothing to prune yet, no DELETE in the write). One
    query for the count in the window and the oldest event.

    Counted in the read transaction: two posts of one student racing may both pass at the
    limit (one post over it at most per racing request), the price of a write that waits
    for nothing."""
    now = datetime.now(timezone.utc)
    cutoff = now - timedelta(seconds=window_s)
    count, oldest = s.execute(_RATE, {"b_key": key, "b_cutoff": cutoff}).one()
    if count >= limit:
        raise HTTPException(429, TOO_MANY)
    if oldest is not None and aware(oldest) < now - timedelta(seconds=2 * window_s):
        return cutoff
    return None
