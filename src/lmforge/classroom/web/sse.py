"""Server-sent events of one class: new `message` rows by id, plus the class status.

Why rows by id: the message table is the one log every worker writes to, and ids order it, so
a stream served by any worker is "every row with an id above N"; the browser's EventSource
sends the last id it saw as `Last-Event-ID` when it reconnects, so a dropped connection, a
reload or a new sign-in resumes exactly after the last message shown: nothing lost, nothing
repeated. Status events carry no id, so they never move that cursor.

A stream also wakes its session: when the live row says a step is due (a class not started
yet, continuous-mode silence over, a driver that died) and nobody holds the lease, it starts
a drive, so a class
goes on while its page is open, on whichever worker serves the page.

A stream does not poll: it sleeps until this process signals its session
(`web.notify.Notifier`, after every write of the live driver and the control routes) or the
process's one watcher (`web.stream_hub`, every `sse_poll_s`, 1 s) finds the class moved, which
is what another worker's writes wait for.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import anyio
from fastapi import Request
from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.orm import Session as OrmSession

from lmforge.classroom.agenda import Question
from lmforge.classroom.store.logs import messages_after
from lmforge.classroom.store.models import ClassSession, FunctionState
from lmforge.classroom.store.state_map import ROLE_NAMES, StoredMessage
from lmforge.classroom.teach.askquestion import letters

from .live import Controls, LiveDriver, due
from .live_lease import controls_of, live_table

__all__ = ["class_status", "event_stream", "last_event_id", "message_event", "message_json"]

BATCH = 200
"""Most messages one read of a stream sends."""
SHOWN_ACTIONS = ("showFile", "speak", "user_message", "question", "answer", "error")
"""Actions a learner sees; others (control rows) still move the id cursor."""


def last_event_id(request: Request, after: int | None) -> int:
    """Where to resume: the `Last-Event-ID` header (a reconnect) wins over `?after=`."""
    header = request.headers.get("last-event-id", "").strip()
    if header.isdigit():
        return int(header)
    return max(0, after or 0)


def quiz_cards(s: OrmSession, session_id: str) -> dict[int, dict[str, Any]]:
    """The quiz card (question, lettered options, one or several answers) per function index;
    the correct letters are not in it."""
    query = select(FunctionState).where(
        FunctionState.session_id == session_id, FunctionState.call == "AskQuestion"
    )
    cards = {}
    for row in s.scalars(query):
        raw = (row.value or {}).get("question")
        if not raw:
            continue
        question = Question.model_validate(raw)
        cards[row.function_idx] = {
            "function_idx": row.function_idx,
            "question": question.question,
            "options": [
                {"letter": k, "text": t}
                for k, t in zip(letters(question), question.selects, strict=True)
            ],
            "multiple": question.question_type == "multiple choice",
        }
    return cards


def message_json(msg: StoredMessage, quiz: dict[int, dict[str, Any]]) -> dict[str, Any]:
    state = (msg.meta or {}).get("state") or {}
    out: dict[str, Any] = {
        "id": msg.id,
        "speaker": msg.speaker_id,
        "role": state.get("role") or ROLE_NAMES.get(msg.speaker_type, "classmate"),
        "action": msg.action,
        "content": msg.content,
        "page": msg.page_index,
        "function_idx": msg.function_idx,
        "created_at": msg.created_at.isoformat() if msg.created_at else None,
    }
    if msg.action == "question" and msg.function_idx in quiz:
        out["quiz"] = quiz[msg.function_idx]
    return out


def message_event(msg: StoredMessage, quiz: dict[int, dict[str, Any]]) -> str:
    data = json.dumps(message_json(msg, quiz), ensure_ascii=False)
    return f"id: {msg.id}\nevent: message\ndata: {data}\n\n"


def _status_query() -> Any:
    fn = FunctionState
    live = live_table()
    sid = bindparam("b_sid")
    total = select(func.max(fn.function_idx)).where(fn.session_id == sid).scalar_subquery()
    at_cursor = and_(fn.session_id == ClassSession.id, fn.function_idx == ClassSession.cursor)
    return (
        select(ClassSession.extra, ClassSession.finished, ClassSession.cursor)
        .add_columns(ClassSession.mode.label("session_mode"), fn.call, total)
        .add_columns(live.c.session_id.label("live"), live.c.paused, live.c.mode.label("mode"))
        .add_columns(live.c.holder, live.c.lease_until, live.c.wake_at)
        .outerjoin(fn, at_cursor)
        .outerjoin(live, live.c.session_id == ClassSession.id)
        .where(ClassSession.id == sid)
    )


_STATUS = _status_query()
"""Built once (see `live_lease._CONTROLS`): every stream read runs it."""


def read_status(s: OrmSession, session_id: str) -> tuple[dict[str, Any], Controls | None]:
    """What the page needs besides messages (slide on screen, whose turn, switches), and the
    class's controls. One query: the session row, its current function's call, the number of
    functions and the live row; a stream reads it after every step of its class."""
    row = s.connection().execute(_STATUS, {"b_sid": session_id}).first()
    if row is None:
        return {"gone": True}, None
    extra, finished, cursor, mode, current, total = row[:6]
    ctl = controls_of(row) if row.live is not None else None
    fields = (extra or {}).get("fields", {})
    open_input = bool(fields.get("input_enabled")) and not finished
    waiting = None
    if open_input:
        waiting = "answer" if current == "AskQuestion" else "message"
    status = {
        "page": fields.get("displayed_page"),
        "waiting": waiting,
        "finished": bool(finished),
        "cursor": cursor,
        "functions": (total + 1) if total is not None else 0,
        "mode": ctl.mode if ctl else mode,
        "paused": bool(ctl.paused) if ctl else False,
        "busy": bool(ctl and ctl.holder),
    }
    return status, ctl


def class_status(s: OrmSession, session_id: str) -> dict[str, Any]:
    """`read_status` without the controls: what the class page renders with."""
    return read_status(s, session_id)[0]


def _read(
    driver: LiveDriver, session_id: str, after: int, last_ctl: Controls | None, full: bool
) -> tuple[list[StoredMessage], dict[str, Any] | None, Controls | None]:
    """New messages and the controls, in two queries; the class status only when `full`,
    when there are new messages or when the controls changed (None otherwise)."""
    with driver.db.read() as s:
        messages = messages_after(s, session_id, after, BATCH)
        status, ctl = read_status(s, session_id)
    if not (full or messages or ctl != last_ctl):
        return messages, None, ctl
    return messages, status, ctl


def _quiz(driver: LiveDriver, session_id: str) -> dict[int, dict[str, Any]]:
    with driver.db.read() as s:
        return quiz_cards(s, session_id)


async def event_stream(
    request: Request,
    driver: LiveDriver,
    session_id: str,
    after: int,
    *,
    poll_s: float = 1.0,
    ping_s: float = 15.0,
) -> AsyncIterator[str]:
    """The event stream of one class from message id `after` on (see the module docstring).

    Between reads the stream sleeps until this process's driver or routes signal the session
    (`web.notify`) or the process's `StreamHub` finds that the class moved (another worker's
    write, a wake-up time that came): a stream whose class is quiet reads nothing.
    """
    lane = driver.limiter("read")
    quiz = await anyio.to_thread.run_sync(_quiz, driver, session_id, limiter=lane)
    yield "retry: 2000\n\n"
    last_status: dict[str, Any] | None = None
    last_sent = time.monotonic()
    last_ctl: Controls | None = None
    full = True  # the first read takes the status too; later ones when something moved
    hub = driver.hub(poll_s)
    with (
        driver.notifier.listen(session_id) as woken,
        hub.watch(session_id, woken, after) as seen,
    ):
        while not await request.is_disconnected():
            woken.clear()  # a signal during the read below wakes the next wait at once
            messages, status, ctl = await anyio.to_thread.run_sync(
                _read, driver, session_id, after, last_ctl, full, limiter=lane
            )
            last_ctl = seen.ctl = ctl
            for msg in messages:
                assert msg.id is not None
                after = seen.after = msg.id
                yield message_event(msg, quiz)
                last_sent = time.monotonic()
            if status is not None and status != last_status:
                last_status = status
                yield f"event: status\ndata: {json.dumps(status)}\n\n"
                last_sent = time.monotonic()
            if status is not None and status.get("gone"):
                return
            if due(ctl) and session_id not in driver.driving:
                driver.spawn(session_id)
            full = False
            if len(messages) >= BATCH:
                continue  # a full batch: more is waiting, read on at once
            # anything written during the read above has set `woken` already; between
            # signals only the keep-alive ping and the disconnect check wake the stream
            while not woken.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(woken.wait(), timeout=min(ping_s, 5.0))
                if woken.is_set() or await request.is_disconnected():
                    break
                if time.monotonic() - last_sent > ping_s:
                    yield ": ping\n\n"
                    last_sent = time.monotonic()
