"""The route of a class's event stream (`sse` builds the events).

Why a module of its own: the stream is the one student route that stays open for minutes, so
it checks the sign-in and the ownership before it starts, in read transactions that end
there, and holds no request transaction while it streams.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response, StreamingResponse

from . import sse
from .deps import enrolled_session, signed_in_student
from .live import driver

__all__ = ["router", "stream_student"]

router = APIRouter()


def stream_student(sid: str, request: Request) -> str:
    """The signed-in student's id when the class is theirs (404 otherwise)."""
    account = signed_in_student(request)
    with request.app.state.db.read() as s:
        enrolled_session(sid, account, s)
    return account.id


@router.get("/class/{sid}/events")
async def events(
    sid: str,
    request: Request,
    after: int | None = None,
    account_id: str = Depends(stream_student),
) -> Response:
    """Server-sent events: every message after `Last-Event-ID` (or `?after=`), then live."""
    start = sse.last_event_id(request, after)
    poll_s = float(getattr(request.app.state, "sse_poll_s", 1.0))
    return StreamingResponse(
        sse.event_stream(request, driver(request.app), sid, start, poll_s=poll_s),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
